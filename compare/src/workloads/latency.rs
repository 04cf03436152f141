//! `latency`: wake-to-run, the time from a `set_result` on another thread
//! to the awaiting task running. The task awaits a taskchain `Promise` on
//! every subject:
//!
//! - the frame chain: spawned on it, the chain polled back to back (an
//!   uncapped game loop) on the real clock;
//! - threaded chains: spawned on the chain, its workers idle until the set;
//! - tokio, async-executor, async-std, the raw thread pool: spawned on the
//!   runtime, its workers idle until the set.
//!
//! Not the floor: what this measures is a wake from another thread into a
//! runtime whose workers went idle, and the floor has no workers (its
//! tasks run only on the thread blocked in its `block_on`), so its figure
//! would be the park and unpark of that one thread, not a runtime's wake.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::exec::Exec;
use super::oneshot::{self, Sender};
use super::stats::{latency_quantiles_us, LATENCY_METRICS};
use crate::{Mode, Sample, Subject, Workload};

/// The workload.
pub(crate) const LATENCY: Workload = Workload {
    name: "latency",
    about: "wake-to-run: a task awaits a taskchain Promise (every subject) \
            that another thread sets 50 µs later, once the runtime went idle; \
            the frame chain is polled back to back (an uncapped game loop)",
    metrics: LATENCY_METRICS,
    applies_to: super::has_threads_and_timer,
    run,
};

/// How long the setting thread waits before it sets: long enough for the
/// runtime's workers to go idle, so that the wake is a wake from idle.
const IDLE: Duration = Duration::from_micros(50);

/// Wakes measured per sample.
fn samples(mode: Mode) -> usize {
    match mode {
        Mode::Smoke => 50,
        Mode::Quick => 2_000,
        Mode::Full => 10_000,
    }
}

fn run(subject: Subject, mode: Mode) -> Result<Sample, String> {
    let exec = Exec::real_clock(subject)?;
    let samples = samples(mode);
    let (to_setter, requests) = mpsc::channel::<Sender<Instant>>();
    let setter = std::thread::Builder::new()
        .name("latency-setter".into())
        .spawn(move || {
            // Ends when the driver drops its end of the channel.
            for sender in requests {
                std::thread::sleep(IDLE);
                sender.send(Instant::now())?;
            }
            Ok::<_, String>(())
        })
        .map_err(|e| format!("cannot start the setting thread: {e}"))?;
    let spawner = exec.spawner();
    let measured = exec.block_on(async move {
        let mut waits = Vec::with_capacity(samples);
        for _ in 0..samples {
            let (sender, receiver) = oneshot::channel::<Instant>();
            let task = spawner.spawn(async move {
                let sent = receiver.await?;
                Ok::<_, String>(sent.elapsed())
            });
            to_setter
                .send(sender)
                .map_err(|_| "the setting thread stopped".to_owned())?;
            waits.push(task.await??);
        }
        Ok::<_, String>(waits)
    });
    // The driving future owned the channel's sending end and is gone, so
    // the setter has ended or is about to; the runtime goes first all the
    // same, so that nothing of it outlives the thread it talks to.
    drop(exec);
    let set = setter
        .join()
        .map_err(|_| "the setting thread panicked".to_owned())?;
    let mut waits = measured??;
    set?;
    latency_quantiles_us(&mut waits)
}
