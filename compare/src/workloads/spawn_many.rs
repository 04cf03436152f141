//! `spawn_many`: 10,000 trivial coroutines (`async {}`) spawned and
//! completed, each handle awaited in order by the driver.
//!
//! - the frame chain (also with the core's `tracing` feature on, no
//!   subscriber): spawned between frames, the chain polled until done;
//! - threaded chains, async-executor, async-std, the raw thread pool:
//!   spawned from the calling thread, run by the runtime's threads;
//! - tokio: spawned inside `block_on` (on current_thread, run there too);
//! - the floor: spawned inside its `block_on`, run there;
//! - std threads: an empty thread spawned and joined each.

use std::time::{Duration, Instant};

use super::exec::Exec;
use super::join::join_all;
use super::stats::ns_per;
use crate::{Metric, Mode, Raw, Sample, Subject, Workload};

/// The workload.
pub(crate) const SPAWN_MANY: Workload = Workload {
    name: "spawn_many",
    about: "10,000 trivial coroutines spawned and awaited by the driver (frame \
            chain, also with tracing on and no subscriber: between frames, \
            polled until done; tokio and the floor: \
            in block_on; threaded runtimes: from the calling thread); std \
            threads: \
            spawned and joined, 1,000 in quick mode",
    metrics: &[Metric::lower("ns/task", "ns")],
    applies_to: |_| true,
    run,
};

/// Coroutines per batch.
fn batch(mode: Mode) -> usize {
    match mode {
        Mode::Smoke => 1_000,
        Mode::Quick | Mode::Full => 10_000,
    }
}

/// Timed batches per sample (after one untimed warm-up batch), so that one
/// sample is not one noisy millisecond.
fn batches(mode: Mode) -> usize {
    match mode {
        Mode::Smoke => 1,
        Mode::Quick => 10,
        Mode::Full => 30,
    }
}

/// Threads per sample for std threads (a thread costs some 10 µs to start).
fn threads(mode: Mode) -> usize {
    match mode {
        Mode::Smoke => 50,
        Mode::Quick => 1_000,
        Mode::Full => 10_000,
    }
}

fn run(subject: Subject, mode: Mode) -> Result<Sample, String> {
    if subject == Subject::Raw(Raw::StdThreads) {
        return std_threads(threads(mode));
    }
    let exec = Exec::new(subject)?;
    let n = batch(mode);
    let batches = batches(mode);
    once(&exec, n)?;
    let mut total = Duration::ZERO;
    for _ in 0..batches {
        total += once(&exec, n)?;
    }
    Ok(vec![ns_per(total, n * batches)])
}

/// Spawns `n` trivial coroutines from a driving task and awaits each.
pub(crate) fn once(exec: &Exec, n: usize) -> Result<Duration, String> {
    let spawner = exec.spawner();
    exec.block_on(async move {
        let start = Instant::now();
        let joins: Vec<_> = (0..n).map(|_| spawner.spawn(async {})).collect();
        join_all(joins).await?;
        Ok(start.elapsed())
    })?
}

/// Spawns `n` std threads that do nothing and joins them.
fn std_threads(n: usize) -> Result<Sample, String> {
    let start = Instant::now();
    let mut threads = Vec::with_capacity(n);
    for _ in 0..n {
        let thread = std::thread::Builder::new()
            .spawn(|| {})
            .map_err(|e| format!("cannot spawn a thread: {e}"))?;
        threads.push(thread);
    }
    for thread in threads {
        thread
            .join()
            .map_err(|_| "an empty thread panicked".to_owned())?;
    }
    Ok(vec![ns_per(start.elapsed(), n)])
}
