//! `scaling_wake`: waking suspended tasks, per task, at 1,000 and 100,000
//! tasks at a time. Every task awaits its own taskchain `Promise` (the same
//! on every subject), set by the driver:
//!
//! - taskchain frame chain and threaded chains: the tasks spawned on the
//!   chain;
//! - tokio, async-executor, async-std, the raw thread pool: spawned on the
//!   runtime;
//! - the floor: spawned on it and run until every task suspended; the
//!   sets then queue the tasks, which run inside its `block_on`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::exec::Exec;
use super::oneshot;
use super::scaling;
use crate::{Mode, Sample, Subject, Workload};

/// The workload.
pub(crate) const SCALING_WAKE: Workload = Workload {
    name: "scaling_wake",
    about: "tasks suspended on a taskchain Promise each (every subject), \
            all set and run to completion, per task, 1,000 vs 100,000 at a \
            time",
    metrics: scaling::METRICS,
    applies_to: scaling::applies_to,
    run,
};

fn run(subject: Subject, mode: Mode) -> Result<Sample, String> {
    scaling::run(subject, mode, pass)
}

/// Suspends `n` tasks (untimed), then times setting every one's value
/// and awaiting every task's end.
fn pass(exec: &Exec, _subject: Subject, n: usize) -> Result<(Duration, usize), String> {
    let spawner = exec.spawner();
    let started = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::with_capacity(n);
    let mut joins = Vec::with_capacity(n);
    for _ in 0..n {
        let (sender, receiver) = oneshot::channel::<()>();
        senders.push(sender);
        let started = started.clone();
        joins.push(spawner.spawn(async move {
            started.fetch_add(1, Ordering::Relaxed);
            receiver.await
        }));
    }
    exec.run_until("every task to suspend", || {
        started.load(Ordering::Relaxed) >= n
    })?;
    exec.block_on(async move {
        let start = Instant::now();
        for sender in senders {
            sender.send(())?;
        }
        for join in joins {
            join.await??;
        }
        Ok((start.elapsed(), n))
    })?
}
