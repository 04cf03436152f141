//! `yield_many`: 200 tasks that each yield 1,000 times, awaited by the
//! driver. Each subject yields its own way (a yield is a scheduler's own
//! operation, not a shared future):
//!
//! - taskchain frame chain and threaded chains: `next_frame()`, one yield
//!   per epoch;
//! - tokio: `tokio::task::yield_now`;
//! - async-executor, the raw thread pool, the floor: `futures_lite`'s
//!   `yield_now` (wake itself, then pending once);
//! - async-std: `async_std::task::yield_now`.

use std::future::Future;
use std::time::Instant;

use super::exec::Exec;
use super::join::join_all;
use super::spawner::Spawner;
use super::stats::ns_per;
use crate::{Metric, Mode, Raw, Sample, Subject, Workload};

/// The workload.
pub(crate) const YIELD_MANY: Workload = Workload {
    name: "yield_many",
    about: "200 tasks x 1,000 yields: `next_frame()` on taskchain's chains \
            (one yield per epoch), each raw runtime's own `yield_now` \
            (futures-lite's on async-executor, the thread pool and the floor)",
    metrics: &[Metric::lower("ns/yield", "ns")],
    applies_to: |s| s != Subject::Raw(Raw::StdThreads),
    run,
};

/// Tasks, and yields per task.
fn size(mode: Mode) -> (usize, usize) {
    match mode {
        Mode::Smoke => (50, 20),
        Mode::Quick | Mode::Full => (200, 1_000),
    }
}

/// Timed repetitions per sample.
fn reps(mode: Mode) -> usize {
    match mode {
        Mode::Smoke => 1,
        Mode::Quick => 3,
        Mode::Full => 10,
    }
}

fn run(subject: Subject, mode: Mode) -> Result<Sample, String> {
    let exec = Exec::new(subject)?;
    let (tasks, yields) = size(mode);
    let reps = reps(mode);
    let mut total = std::time::Duration::ZERO;
    for _ in 0..reps {
        let spawner = exec.spawner();
        // Each subject yields its own way; the rest is the same code.
        let timed = match subject {
            Subject::FrameChain | Subject::Chain(_) => {
                exec.block_on(many(spawner, tasks, yields, taskchain::next_frame))
            }
            Subject::Raw(Raw::TokioCurrentThread | Raw::TokioMultiThread) => {
                exec.block_on(many(spawner, tasks, yields, tokio::task::yield_now))
            }
            Subject::Raw(Raw::AsyncExecutor | Raw::ThreadPool) | Subject::Floor => exec.block_on(
                many(spawner, tasks, yields, futures_lite::future::yield_now),
            ),
            Subject::Raw(Raw::AsyncStd) => {
                exec.block_on(many(spawner, tasks, yields, async_std::task::yield_now))
            }
            Subject::Raw(Raw::StdThreads) => return Err("std threads do not yield".into()),
        };
        total += timed??;
    }
    Ok(vec![ns_per(total, tasks * yields * reps)])
}

/// Spawns `tasks` tasks that each await `yield_now()` `yields` times, and
/// awaits them all; the time from the first spawn to the last completion.
async fn many<Y, Fut>(
    spawner: Spawner,
    tasks: usize,
    yields: usize,
    yield_now: Y,
) -> Result<std::time::Duration, String>
where
    Y: Fn() -> Fut + Copy + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let start = Instant::now();
    let joins: Vec<_> = (0..tasks)
        .map(|_| {
            spawner.spawn(async move {
                for _ in 0..yields {
                    yield_now().await;
                }
            })
        })
        .collect();
    join_all(joins).await?;
    Ok(start.elapsed())
}
