//! `timer`: how late a 50 µs sleep wakes (p50, p99, max), each subject
//! sleeping its own way (a timer is a runtime's own service):
//!
//! - taskchain frame chain and threaded chains: `pause` (the frame chain
//!   polled back to back on the real clock);
//! - tokio: `tokio::time::sleep`;
//! - async-executor: `async_io::Timer`;
//! - async-std: `async_std::task::sleep`;
//! - the raw thread pool: `ThreadPool::sleep`.
//!
//! Not the floor: it has no timer (a timer is exactly the service it
//! leaves out).

use std::future::Future;
use std::time::{Duration, Instant};

use super::exec::Exec;
use super::spawner::Spawner;
use super::stats::{latency_quantiles_us, LATENCY_METRICS};
use crate::{Mode, Sample, Subject, Workload};

/// The workload.
pub(crate) const TIMER: Workload = Workload {
    name: "timer",
    about: "overshoot of a 50 µs sleep: `pause` on taskchain's chains (the \
            frame chain polled back to back), tokio::time::sleep, \
            async_io::Timer, async_std::task::sleep, ThreadPool::sleep",
    metrics: LATENCY_METRICS,
    applies_to: super::has_threads_and_timer,
    run,
};

/// The sleep measured.
const NAP: Duration = Duration::from_micros(50);

/// Sleeps measured per sample.
fn samples(mode: Mode) -> usize {
    match mode {
        Mode::Smoke => 50,
        Mode::Quick => 1_000,
        Mode::Full => 10_000,
    }
}

fn run(subject: Subject, mode: Mode) -> Result<Sample, String> {
    let exec = Exec::real_clock(subject)?;
    let n = samples(mode);
    let spawner = exec.spawner();
    // Each subject sleeps its own way; the sampling task is the same code.
    let task = match &spawner {
        Spawner::Frame(_) | Spawner::Chain(_) => spawner.spawn(naps(n, || async {
            taskchain::pause(NAP)
                .await
                .map_err(|e| format!("pause failed: {e}"))
        })),
        Spawner::FrameTraced(_) => spawner.spawn(naps(n, || async {
            taskchain_core_traced::pause(NAP)
                .await
                .map_err(|e| format!("pause failed: {e}"))
        })),
        Spawner::Tokio(_) => spawner.spawn(naps(n, || async {
            tokio::time::sleep(NAP).await;
            Ok(())
        })),
        Spawner::Executor(_) => spawner.spawn(naps(n, || async {
            async_io::Timer::after(NAP).await;
            Ok(())
        })),
        Spawner::AsyncStd => spawner.spawn(naps(n, || async {
            async_std::task::sleep(NAP).await;
            Ok(())
        })),
        Spawner::Floor(_) => return Err("the floor has no timer".into()),
        Spawner::Pool(pool) => {
            let pool = pool.clone();
            spawner.spawn(naps(n, move || {
                let sleep = pool.sleep(NAP);
                async move {
                    sleep.await;
                    Ok(())
                }
            }))
        }
    };
    let mut late = exec.block_on(task)???;
    latency_quantiles_us(&mut late)
}

/// Sleeps `n` times, each time for [`NAP`], and returns how late each
/// sleep ended.
async fn naps<S, F>(n: usize, sleep: S) -> Result<Vec<Duration>, String>
where
    S: Fn() -> F,
    F: Future<Output = Result<(), String>>,
{
    let mut late = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        sleep().await?;
        late.push(start.elapsed().saturating_sub(NAP));
    }
    Ok(late)
}
