//! Teardown: the handles read one last time, everything dropped, every
//! guarded object freed; and the report of a failed case.

use std::fmt::Write as _;

use taskchain_core::{AsyncFuture, Error};

use super::records::Snap;
use super::Case;
use crate::program::Program;
use crate::ChainFactory;

impl<F: ChainFactory> Case<'_, F> {
    /// Reads what the test still holds, drops everything, and checks that
    /// every guarded object was freed.
    pub(super) fn teardown(&mut self) {
        for t in 0..self.tasks.len() {
            let Some(h) = self.tasks[t].handle.take() else {
                continue;
            };
            let first = h.try_take().map(|r| r.map(|o| o.v));
            let want = match &self.tasks[t].seen {
                Snap::Finished => self.returned(t).map(Ok),
                Snap::Cancelled => Some(Err(Error::Cancelled)),
                Snap::Panicked(m) => Some(Err(Error::Panicked(m.clone()))),
                Snap::Failed(e) => Some(Err(e.clone())),
                _ => None,
            };
            if first != want {
                self.fail(format!(
                    "t{t}: its handle reads {first:?}, expected {want:?}"
                ));
            }
            let again = h.try_take().map(|r| r.map(|o| o.v));
            let want_again = match want {
                Some(Ok(_)) => Some(Err(Error::AlreadyTaken)),
                other => other,
            };
            if again != want_again {
                self.fail(format!(
                    "t{t}: reading its handle twice gives {again:?}, expected {want_again:?}"
                ));
            }
        }
        self.teardown_after_failure();
        let live = self.live.alive();
        if live != 0 {
            self.fail(format!(
                "leak: {live} guarded objects (coroutines, outputs, promise values, \
                 callbacks) still alive after shutdown and dropping every handle"
            ));
        }
    }

    pub(super) fn teardown_after_failure(&mut self) {
        self.tasks.clear();
        self.promises.clear();
        if let Some(fx) = self.fx.take() {
            fx.manager.shutdown();
            drop(fx);
        }
    }

    pub(super) fn report(&self, program: &Program) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "chain: {}", self.factory.name());
        let _ = writeln!(out, "failures:");
        for f in &self.failures {
            let _ = writeln!(out, "  - {f}");
        }
        let _ = writeln!(out, "trace ({:?} ending):", program.ending);
        for line in &self.trace {
            let _ = writeln!(out, "  {line}");
        }
        if !self.states.is_empty() {
            let _ = writeln!(out, "final states:");
            for line in &self.states {
                let _ = writeln!(out, "  {line}");
            }
        }
        out
    }
}
