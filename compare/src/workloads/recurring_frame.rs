//! `recurring_frame`: 1,000 and 100,000 recurring tasks returning `Cont`,
//! time per frame per task. Every task's body is the same: bump one shared
//! counter, stay.
//!
//! - the frame chain: `chain.add` tasks, one `poll()` per frame;
//! - threaded chains: the same tasks, frame synced (one epoch per
//!   `poll()`), the frame ending when every task ran;
//! - the floor: a `Vec<Box<dyn FnMut() -> bool>>` of closures doing the
//!   same and returning true to stay, walked once per frame.

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
            chains run frame synced, a frame ending when every task ran; \
            floor: one walk over a Vec of boxed closures per frame",
    metrics: &[
        Metric::lower("ns/task @1k", "ns"),
        Metric::lower("ns/task @100k", "ns"),
    ],
    applies_to: |s| (s.is_taskchain() && !s.is_variant()) || s == Subject::Floor,
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
        if subject == Subject::Floor {
            sample.push(floor_per_task(tasks, frames)?);
            continue;
        }
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

/// The floor of [`per_task`]: `tasks` boxed closures with the same body,
/// kept while they return true, walked once untimed then `frames` times;
/// nanoseconds per closure per walk.
fn floor_per_task(tasks: usize, frames: u64) -> Result<f64, String> {
    let runs = Arc::new(AtomicU64::new(0));
    let mut recurring: Vec<Box<dyn FnMut() -> bool>> = (0..tasks)
        .map(|_| {
            let runs = runs.clone();
            Box::new(move || {
                runs.fetch_add(1, Ordering::Relaxed);
                true
            }) as Box<dyn FnMut() -> bool>
        })
        .collect();
    let mut frame = || recurring.retain_mut(|task| task());
    frame();
    let start = Instant::now();
    for _ in 0..frames {
        frame();
    }
    let elapsed = start.elapsed();
    let expected = tasks as u64 * (frames + 1);
    let ran = runs.load(Ordering::Relaxed);
    if ran != expected {
        return Err(format!("expected {expected} runs, counted {ran}"));
    }
    Ok(ns_per(elapsed, tasks * frames as usize))
}
