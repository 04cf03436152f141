//! Stepping a chain one epoch at a time, whatever kind it is.
//!
//! A frame chain stops between two polls by itself: one drive is one
//! epoch. A threaded chain never stops, so the stepper adds a gate: a
//! recurring task of the highest sort that blocks its worker until the
//! scenario lets it go. By the sort barrier every other run of the epoch has
//! finished when the gate runs, and the next epoch cannot begin while it
//! blocks; so while the gate holds, the threaded chain stands exactly where
//! a frame chain stands between polls: at the end of an epoch, before the
//! next one looks at the clock and its sleepers. Tasks added, woken or
//! re-sorted meanwhile (with a sort below the gate's) wait for the next
//! epoch on both kinds, and a scenario written against the stepper expects
//! the same runs, epoch by epoch, on every chain.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use taskchain_core::{AnyTask, DoneStatus, TaskBuilder, TaskChainExt, TaskContext};

use crate::{settle, ChainFactory, Fixture, SETTLE_TIMEOUT};

/// The name of the gate task the stepper adds to a threaded chain.
pub const GATE_NAME: &str = "conformance-gate";

/// The gate's sort: the highest, so it runs last in every epoch. Scenarios
/// stepping a chain use lower sorts.
pub const GATE_SORT: i32 = i32::MAX;

/// What the gate task and the stepper share.
#[derive(Default)]
struct GateState {
    /// Times the gate task has run (and blocked, unless let through).
    arrivals: u64,
    /// Runs the stepper let through.
    permits: u64,
    /// Every run passes: the stepper is done with the chain.
    open: bool,
    /// A run waited longer than the watchdog allows.
    timed_out: bool,
}

struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

impl Gate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One run of the gate task: count the arrival, then wait for its
    /// permit (or the watchdog, so that a scenario that fails elsewhere
    /// never leaves a worker blocked for good).
    fn pass(&self) {
        let deadline = Instant::now() + 2 * SETTLE_TIMEOUT;
        let mut state = self.lock();
        state.arrivals += 1;
        let me = state.arrivals;
        self.changed.notify_all();
        while !state.open && state.permits < me {
            let now = Instant::now();
            if now >= deadline {
                state.timed_out = true;
                return;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Runs the chain under test one epoch at a time: see the module docs.
///
/// Build it before adding the tasks to step (on a threaded chain it waits
/// for the gate to hold first, and sets
/// [`ChainSettings::ordered`](taskchain_core::ChainSettings::ordered): only
/// tasks in the ordered epochs can be stepped). On a threaded chain the gate is a live task
/// of the chain: it shows in `tasks()`, `stats()` and keeps
/// `wait_for_tasks` waiting until [`release`](Self::release) or drop.
pub struct Stepper<'a> {
    factory: &'a dyn ChainFactory,
    fixture: &'a Fixture,
    gate: Option<(Arc<Gate>, AnyTask)>,
}

impl std::fmt::Debug for Stepper<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stepper")
            .field("chain", &self.factory.name())
            .field("gated", &self.gate.is_some())
            .finish()
    }
}

impl<'a> Stepper<'a> {
    /// Stops the chain at the end of an epoch: at once on a frame chain; on
    /// a threaded chain once its gate task holds.
    ///
    /// # Panics
    ///
    /// If the gate never gets to run (see [`settle`]).
    pub fn new(factory: &'a dyn ChainFactory, fixture: &'a Fixture) -> Self {
        if factory.threads() == 0 {
            return Stepper {
                factory,
                fixture,
                gate: None,
            };
        }
        // Only the ordered epochs can be stepped: the coroutines a runtime
        // schedules by itself run whenever it does.
        let settings = fixture.chain.settings().ordered(true);
        fixture
            .chain
            .configure(settings)
            .unwrap_or_else(|e| panic!("cannot order the chain's tasks: {e:?}"));
        let gate = Arc::new(Gate {
            state: Mutex::default(),
            changed: Condvar::new(),
        });
        let passing = gate.clone();
        let handle = fixture
            .chain
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    passing.pass();
                    DoneStatus::Cont
                })
                .name(GATE_NAME)
                .sort(GATE_SORT),
            )
            .unwrap_or_else(|e| panic!("cannot add the stepper's gate: {e:?}"));
        let stepper = Stepper {
            factory,
            fixture,
            gate: Some((gate.clone(), handle.as_any())),
        };
        settle(factory, fixture, "the stepper's gate to hold", || {
            gate.lock().arrivals >= 1
        });
        stepper
    }

    /// Runs the next epoch and stops at its end.
    ///
    /// # Panics
    ///
    /// If driving fails or the epoch does not end (see [`settle`]), or the
    /// gate's own watchdog fired.
    pub fn step(&self) {
        match &self.gate {
            None => {
                if let Err(e) = self.factory.drive(self.fixture) {
                    panic!("stepping the chain: drive failed: {e:?}");
                }
            }
            Some((gate, _)) => {
                let target = {
                    let mut state = gate.lock();
                    assert!(!state.timed_out, "the stepper's gate timed out");
                    state.permits += 1;
                    gate.changed.notify_all();
                    state.permits + 1
                };
                settle(
                    self.factory,
                    self.fixture,
                    "the stepped epoch to end",
                    || gate.lock().arrivals >= target,
                );
            }
        }
    }

    /// Runs `n` epochs, stopping after each.
    pub fn steps(&self, n: usize) {
        for _ in 0..n {
            self.step();
        }
    }

    /// The gate task, on a threaded chain (to leave it out of listings).
    pub fn gate(&self) -> Option<&AnyTask> {
        self.gate.as_ref().map(|(_, task)| task)
    }

    /// Lets the chain run freely again: the gate, if any, is removed and
    /// gone from the chain when this returns.
    ///
    /// # Panics
    ///
    /// If the gate does not end (see [`settle`]).
    pub fn release(mut self) {
        if let Some((gate, task)) = self.gate.take() {
            open(&gate, &task);
            settle(
                self.factory,
                self.fixture,
                "the stepper's gate to end",
                || task.is_done(),
            );
        }
    }
}

/// Opens the gate for good and removes its task: the run it blocks
/// finishes, then the task is cancelled.
fn open(gate: &Gate, task: &AnyTask) {
    gate.lock().open = true;
    gate.changed.notify_all();
    task.cancel();
}

impl Drop for Stepper<'_> {
    fn drop(&mut self) {
        // A scenario that fails mid-step must not leave a worker blocked:
        // the fixture's shutdown waits for every worker.
        if let Some((gate, task)) = self.gate.take() {
            open(&gate, &task);
        }
    }
}
