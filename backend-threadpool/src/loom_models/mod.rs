//! loom models of the pool's hand-off and sleep/wake protocols, run with
//! `RUSTFLAGS="--cfg loom"` (see [`crate::sync`] for what loom replaces).
//!
//! Each model runs the pool's own code (`worker::run`, `PoolState::spawn`,
//! `PoolState::shutdown`, `Timer::run`) on loom threads, and waits for the
//! outcome it checks by blocking on a loom condvar: a lost task or a lost
//! wake-up leaves every thread blocked, which loom reports as a deadlock;
//! a task run twice or left in a queue fails an assertion.
//!
//! Run them with (`LOOM_MAX_PREEMPTIONS=3` explores more, for much longer):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
//!     cargo test -p taskchain-threadpool --release --lib loom
//! ```
//!
//! One module per behaviour; this one holds what they share.

mod handoff;
mod lifo;
mod shutdown;
mod sleep_wake;
mod timer;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::Duration;

use loom::sync::{Condvar, Mutex};
use loom::thread::JoinHandle;

use crate::builder::Parts;
use crate::pool_state::PoolState;
use crate::worker;

/// Explores `model` with loom, bounded by `LOOM_MAX_PREEMPTIONS` when set
/// (unbounded otherwise: minutes to hours; `.ci/run` sets it).
///
/// Prints how many executions loom explored (`--nocapture` shows it).
fn check(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        // Keep an unset bound from exploring for hours by accident.
        builder.preemption_bound = Some(2);
    }
    // A std atomic: it counts loom's executions, outside any of them.
    let executions = Arc::new(AtomicUsize::new(0));
    let counted = executions.clone();
    builder.check(move || {
        counted.fetch_add(1, Ordering::Relaxed);
        model();
    });
    println!(
        "loom explored {} executions (preemption bound {:?})",
        executions.load(Ordering::Relaxed),
        builder.preemption_bound
    );
}

/// A pool whose workers run on loom threads (no timer thread: the models
/// of the timer run it themselves).
struct ModelPool {
    shared: Arc<PoolState>,
    workers: Vec<JoinHandle<()>>,
}

impl ModelPool {
    /// Starts `workers` workers, each running `worker::run`.
    fn start(workers: usize) -> Self {
        let parts = Parts::new(workers, "loom".to_owned(), Duration::ZERO);
        let shared = parts.shared;
        let workers = parts
            .workers
            .into_iter()
            .enumerate()
            .map(|(index, (queue, parker))| {
                let shared = shared.clone();
                loom::thread::spawn(move || worker::run(shared, index, queue, parker))
            })
            .collect();
        ModelPool { shared, workers }
    }

    /// Spawns, from outside the pool (the injector), a task that records
    /// its run as task `task` of `runs`.
    fn spawn_recording(&self, runs: &Arc<Runs>, task: usize) {
        let runs = runs.clone();
        self.shared.spawn(async move { runs.record(task) }).detach();
    }

    /// Shuts the pool down and joins every worker.
    fn shut_down(self) {
        self.shared.shutdown();
        for worker in self.workers {
            worker.join().expect("a worker panicked");
        }
    }
}

/// How many times each task of a model ran, and a way to wait until every
/// one has.
struct Runs {
    counts: Mutex<Vec<usize>>,
    changed: Condvar,
}

impl Runs {
    fn new(tasks: usize) -> Arc<Self> {
        Arc::new(Runs {
            counts: Mutex::new(vec![0; tasks]),
            changed: Condvar::new(),
        })
    }

    /// Task `task` ran.
    fn record(&self, task: usize) {
        let mut counts = self.counts.lock().unwrap();
        counts[task] += 1;
        self.changed.notify_all();
    }

    /// Blocks until every task ran at least once: forever (a loom
    /// deadlock) if one was lost.
    fn wait_all(&self) {
        let mut counts = self.counts.lock().unwrap();
        while counts.contains(&0) {
            counts = self.changed.wait(counts).unwrap();
        }
    }

    /// Blocks until task `task` ran: forever (a loom deadlock) if it was
    /// lost.
    fn wait(&self, task: usize) {
        let mut counts = self.counts.lock().unwrap();
        while counts[task] == 0 {
            counts = self.changed.wait(counts).unwrap();
        }
    }

    /// How many times each task ran.
    fn counts(&self) -> Vec<usize> {
        self.counts.lock().unwrap().clone()
    }
}

/// A waker that records that it was woken, and a way to wait for that.
struct Flag {
    woken: Mutex<bool>,
    changed: Condvar,
}

impl Flag {
    fn new() -> Arc<Self> {
        Arc::new(Flag {
            woken: Mutex::new(false),
            changed: Condvar::new(),
        })
    }

    fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(self.clone())
    }

    fn is_woken(&self) -> bool {
        *self.woken.lock().unwrap()
    }

    /// Blocks until woken: forever (a loom deadlock) if the wake is lost.
    fn wait(&self) {
        let mut woken = self.woken.lock().unwrap();
        while !*woken {
            woken = self.changed.wait(woken).unwrap();
        }
    }
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        *self.woken.lock().unwrap() = true;
        self.changed.notify_all();
    }
}
