//! `chained_spawn`: each task spawns the next, 1,000 deep; the last one
//! sets a taskchain `Promise` the driver awaits (the same on every subject).
//!
//! - taskchain frame chain and threaded chains: every task spawned on the
//!   chain from the task before it;
//! - tokio, async-executor, async-std, the raw thread pool: the same, on the
//!   runtime;
//! - the floor: the same, each task queued on the floor from the task
//!   before it and run inside its `block_on`.

use std::time::{Duration, Instant};

use super::exec::Exec;
use super::oneshot::{self, Sender};
use super::spawner::Spawner;
use super::stats::ns_per;
use crate::{Metric, Mode, Sample, Subject, Workload};

/// The workload.
pub(crate) const CHAINED_SPAWN: Workload = Workload {
    name: "chained_spawn",
    about: "each task spawns the next and ends, 1,000 deep; the last one \
            signals the driver",
    metrics: &[Metric::lower("ns/task", "ns")],
    applies_to: super::runs_futures,
    run,
};

/// Tasks per chain.
fn depth(mode: Mode) -> usize {
    match mode {
        Mode::Smoke => 50,
        Mode::Quick | Mode::Full => 1_000,
    }
}

/// Timed chains per sample, after one untimed.
fn reps(mode: Mode) -> usize {
    match mode {
        Mode::Smoke => 1,
        Mode::Quick => 30,
        Mode::Full => 100,
    }
}

fn run(subject: Subject, mode: Mode) -> Result<Sample, String> {
    let exec = Exec::new(subject)?;
    let depth = depth(mode);
    let reps = reps(mode);
    chain_once(&exec, depth)?;
    let mut total = Duration::ZERO;
    for _ in 0..reps {
        total += chain_once(&exec, depth)?;
    }
    Ok(vec![ns_per(total, depth * reps)])
}

/// One chain of `depth` tasks, timed from the first spawn to the signal of
/// the last task.
fn chain_once(exec: &Exec, depth: usize) -> Result<Duration, String> {
    let spawner = exec.spawner();
    exec.block_on(async move {
        let start = Instant::now();
        let (done, finished) = oneshot::channel::<()>();
        link(spawner, depth, done);
        finished.await?;
        Ok(start.elapsed())
    })?
}

/// Spawns a task that spawns the next, `left` more in all; with none left,
/// signals `done`.
fn link(spawner: Spawner, left: usize, done: Sender<()>) {
    if left == 0 {
        // Fails only if the driver is gone, which then has no use for it.
        let _ = done.send(());
        return;
    }
    let next = spawner.clone();
    spawner
        .spawn(async move { link(next, left - 1, done) })
        .detach();
}
