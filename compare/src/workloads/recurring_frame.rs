//! `recurring_frame`: 1,000 and 100,000 recurring tasks returning `Cont`,
//! time per frame per task; the frame chain polled, threaded chains frame
//! synced (one epoch per `poll()`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use taskchain::{ChainSettings, DoneStatus, TaskChainExt};

use super::exec::{Exec, FrameClock};
use super::stats::ns_per;
use crate::{Metric, Mode, Sample, Subject, Workload};

/// The workload.
pub(crate) const RECURRING_FRAME: Workload = Workload {
    name: "recurring_frame",
    about: "recurring tasks returning Cont (each bumps a shared counter), \
            time per frame per task at 1,000 and 100,000 tasks; threaded \
            chains run frame synced, a frame ending when every task ran",
    metrics: &[
        Metric::lower("ns/task @1k", "ns"),
        Metric::lower("ns/task @100k", "ns"),
    ],
    applies_to: Subject::is_taskchain,
    run,
};

/// Tasks and timed frames, for the small and the large case.
fn sizes(mode: Mode) -> [(usize, u64); 2] {
    match mode {
        Mode::Smoke => [(100, 5), (10_000, 2)],
        Mode::Quick => [(1_000, 200), (100_000, 10)],
        Mode::Full => [(1_000, 2_000), (100_000, 50)],
    }
}

fn run(subject: Subject, mode: Mode) -> Result<Sample, String> {
    let mut sample = Vec::with_capacity(2);
    for (tasks, frames) in sizes(mode) {
        // A fresh chain for each size: the large case must not find the
        // small one's tasks.
        let exec = Exec::build(
            subject,
            FrameClock::Manual,
            ChainSettings::default().frame_sync(true),
        )?;
        sample.push(per_task(&exec, tasks, frames)?);
    }
    Ok(sample)
}

/// Adds `tasks` recurring tasks, runs one untimed frame, then times
/// `frames` frames; nanoseconds per task per frame.
fn per_task(exec: &Exec, tasks: usize, frames: u64) -> Result<f64, String> {
    let chain = exec
        .chain()
        .ok_or("recurring tasks need a taskchain chain")?;
    let runs = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let runs = runs.clone();
            chain.add(move |_| {
                runs.fetch_add(1, Ordering::Relaxed);
                DoneStatus::Cont
            })
        })
        .collect();
    let mut expected = tasks as u64;
    let frame = |expected: u64| -> Result<(), String> {
        chain
            .poll()
            .map_err(|e| format!("the chain failed to poll: {e}"))?;
        // A frame chain ran the epoch inside `poll()`; a threaded chain's
        // workers run it now: wait for them (a frame-synced chain runs one
        // epoch per frame, so the count cannot overshoot).
        exec.run_until("every recurring task to run", || {
            runs.load(Ordering::Relaxed) >= expected
        })
    };
    frame(expected)?;
    let start = Instant::now();
    for _ in 0..frames {
        expected += tasks as u64;
        frame(expected)?;
    }
    let elapsed = start.elapsed();
    let ran = runs.load(Ordering::Relaxed);
    if ran != expected {
        return Err(format!("expected {expected} runs, counted {ran}"));
    }
    // The tasks end when the chain shuts down, as the `Exec` drops.
    drop(handles);
    Ok(ns_per(elapsed, tasks * frames as usize))
}
