//! Observing while the case runs: every future's state after each op (a
//! terminal state never changes), lookups by name, and what callbacks and
//! other threads reported.

use taskchain_core::AnyTask;

use super::records::{snap_promise, snap_task, task_name, Snap};
use super::Case;
use crate::ChainFactory;

impl<F: ChainFactory> Case<'_, F> {
    /// Fails with what callbacks and other threads reported.
    pub(super) fn take_violations(&mut self) {
        let violations =
            std::mem::take(&mut *self.violations.lock().unwrap_or_else(|e| e.into_inner()));
        for v in violations {
            self.fail(v);
        }
    }

    /// Reads every future's state: a terminal state, once seen, never
    /// changes; lookups by name find every live task of that name.
    pub(super) fn observe_all(&mut self) {
        self.take_violations();
        for p in 0..self.promises.len() {
            let now = snap_promise(&self.promises[p].promise);
            self.check_snap(format!("p{p}"), now, |c| &mut c.promises[p].seen);
        }
        for t in 0..self.tasks.len() {
            let now = snap_task(&self.tasks[t].any);
            self.check_snap(format!("t{t}"), now, |c| &mut c.tasks[t].seen);
        }
        for name in 0..3 {
            let found: Vec<u64> = self
                .fx()
                .chain
                .find_tasks(&task_name(name))
                .iter()
                .map(AnyTask::id)
                .collect();
            for &id in &found {
                if !self
                    .tasks
                    .iter()
                    .any(|r| r.any.id() == id && r.name == Some(name))
                {
                    self.fail(format!(
                        "find_tasks('{}') returned task id {id}, which has another name",
                        task_name(name)
                    ));
                }
            }
            for t in 0..self.tasks.len() {
                let rec = &self.tasks[t];
                if rec.name == Some(name) && !rec.any.is_done() && !found.contains(&rec.any.id()) {
                    self.fail(format!(
                        "find_tasks('{}') missed live task t{t}",
                        task_name(name)
                    ));
                }
            }
        }
    }

    fn check_snap(&mut self, who: String, now: Snap, seen: impl Fn(&mut Self) -> &mut Snap) {
        if let Snap::Broken(why) = &now {
            self.fail(format!("{who}: {why}"));
            return;
        }
        let before = seen(self).clone();
        if before == Snap::Pending {
            *seen(self) = now;
        } else if now != before {
            self.fail(format!(
                "{who}: terminal state changed from {before:?} to {now:?}"
            ));
        }
    }
}
