//! `scaling_cancel`: one cancel beside 1,000 and beside 100,000 idle
//! tasks, time per cancel.
//!
//! Every task awaits its own pending taskchain `Promise` (never set; the
//! same on every subject), so a cancel is one independent cancel on every
//! subject, and ends when the cancelled task's future is dropped:
//!
//! - taskchain frame chain and threaded chains: `cancel()` on the task's
//!   handle (which also cancels the promise it awaits, the Panda3D rule;
//!   no other task awaits it);
//! - tokio: `abort()`;
//! - async-executor: the task dropped;
//! - async-std: `cancel().await`;
//! - the raw thread pool: `cancel()`;
//! - the floor: the task's handle dropped, which queues the task, and the
//!   floor run until its future is dropped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::exec::Exec;
use super::join::cancel_all;
use super::oneshot;
use super::scaling;
use crate::{Mode, Sample, Subject, Workload};

/// The workload.
pub(crate) const SCALING_CANCEL: Workload = Workload {
    name: "scaling_cancel",
    about: "one cancel beside 1,000 vs 100,000 idle tasks, each task \
            suspended on its own pending taskchain Promise (every \
            subject), cancelled through its handle (taskchain cancel, \
            tokio abort, async-executor and floor drop, async-std cancel, \
            pool cancel) until its future is dropped; time per cancel",
    metrics: scaling::METRICS,
    applies_to: scaling::applies_to,
    run,
};

/// Cancels timed per pass, one after another (at most one in ten tasks, so
/// that the rest stay idle beside them).
const CANCELS: usize = 100;

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

/// Suspends `n` tasks (untimed), times cancelling a few of them one at a
/// time, each until its future is dropped, then cancels the rest
/// (untimed).
fn pass(exec: &Exec, _subject: Subject, n: usize) -> Result<(Duration, usize), String> {
    let spawner = exec.spawner();
    let started = Arc::new(AtomicUsize::new(0));
    let alive = Arc::new(AtomicUsize::new(0));
    // Never sent: only a cancel ends the tasks.
    let mut senders = Vec::with_capacity(n);
    let mut joins = Vec::with_capacity(n);
    for _ in 0..n {
        let (sender, receiver) = oneshot::channel::<()>();
        senders.push(sender);
        let started = started.clone();
        let guard = Alive::new(&alive);
        joins.push(spawner.spawn(async move {
            let _alive = guard;
            started.fetch_add(1, Ordering::Relaxed);
            // Cancelled here; what the await returns then is moot.
            let _ = receiver.await;
        }));
    }
    exec.run_until("every task to suspend", || {
        started.load(Ordering::Relaxed) >= n
    })?;
    let cancels = (n / 10).clamp(1, CANCELS);
    let mut elapsed = Duration::ZERO;
    for join in joins.drain(..cancels) {
        let left = alive.load(Ordering::Acquire) - 1;
        let start = Instant::now();
        exec.block_on(cancel_all(vec![join]))?;
        exec.run_until("the cancelled task to be dropped", || {
            alive.load(Ordering::Acquire) == left
        })?;
        elapsed += start.elapsed();
    }
    exec.block_on(cancel_all(joins))?;
    exec.run_until("every cancelled task to be dropped", || {
        alive.load(Ordering::Acquire) == 0
    })?;
    drop(senders);
    Ok((elapsed, cancels))
}
