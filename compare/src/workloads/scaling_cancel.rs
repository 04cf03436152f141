//! `scaling_cancel`: cancelling suspended tasks, per task, at 1,000 and
//! 100,000 tasks at a time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskchain::Promise;
use tokio::sync::Notify;

use super::exec::Exec;
use super::join::cancel_all;
use super::scaling;
use crate::{Mode, Sample, Subject, Workload};

/// The workload.
pub(crate) const SCALING_CANCEL: Workload = Workload {
    name: "scaling_cancel",
    about: "tasks suspended on one shared pending Promise (raw: a tokio \
            Notify) cancelled through their handles (taskchain cancel, \
            tokio abort, async-executor drop, async-std cancel, pool \
            cancel) until every future is dropped, per task, 1,000 vs \
            100,000 at a time",
    metrics: scaling::METRICS,
    applies_to: scaling::applies_to,
    run,
};

fn run(subject: Subject, mode: Mode) -> Result<Sample, String> {
    scaling::run(subject, mode, pass)
}

/// Counts a task's future alive until it is dropped (which is how a
/// cancel ends it on every runtime).
struct Alive(Arc<AtomicUsize>);

impl Alive {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Alive(count.clone())
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Release);
    }
}

/// Suspends `n` tasks (untimed), then times cancelling every one through
/// its handle until every task's future is dropped.
fn pass(exec: &Exec, subject: Subject, n: usize) -> Result<Duration, String> {
    let spawner = exec.spawner();
    let started = Arc::new(AtomicUsize::new(0));
    let alive = Arc::new(AtomicUsize::new(0));
    // Never set or notified: only a cancel ends the tasks.
    let promise = Promise::<()>::new();
    let notify = Arc::new(Notify::new());
    let mut joins = Vec::with_capacity(n);
    for _ in 0..n {
        let started = started.clone();
        let guard = Alive::new(&alive);
        let join = if subject.is_taskchain() {
            let promise = promise.clone();
            spawner.spawn(async move {
                let _alive = guard;
                started.fetch_add(1, Ordering::Relaxed);
                // Cancelled here; what the await returns then is moot.
                let _ = promise.await;
            })
        } else {
            let notify = notify.clone();
            spawner.spawn(async move {
                let _alive = guard;
                started.fetch_add(1, Ordering::Relaxed);
                notify.notified().await;
            })
        };
        joins.push(join);
    }
    exec.run_until("every task to suspend", || {
        started.load(Ordering::Relaxed) >= n
    })?;
    let start = Instant::now();
    exec.block_on(cancel_all(joins))?;
    exec.run_until("every cancelled task to be dropped", || {
        alive.load(Ordering::Acquire) == 0
    })?;
    Ok(start.elapsed())
}
