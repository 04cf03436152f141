//! `yield_many`: the net cost of a yield with 1,000 and with 100,000 tasks
//! yielding at once. Each size runs twice per repetition: the tasks
//! spawned and awaited with no yield, then with `Y` yields each; the
//! difference over `tasks × Y` is the cost of a yield without the spawn
//! and completion around it. Each subject yields its own way (a yield is a
//! scheduler's own operation, not a shared future):
//!
//! - taskchain frame chain and threaded chains: `next_frame()`, one yield
//!   per epoch;
//! - tokio: `tokio::task::yield_now`;
//! - async-executor, the raw thread pool, the floor: `futures_lite`'s
//!   `yield_now` (wake itself, then pending once);
//! - async-std: `async_std::task::yield_now`.

use std::future::Future;
use std::time::{Duration, Instant};

use taskchain::Promise;

use super::exec::Exec;
use super::spawner::Spawner;
use super::stats::ns_per;
use crate::{Metric, Mode, Raw, Sample, Subject, Workload};

/// The workload.
pub(crate) const YIELD_MANY: Workload = Workload {
    name: "yield_many",
    about: "net cost of a yield (the run with yields minus the same tasks \
            without, per yield) with 1,000 tasks x 100 yields and 100,000 \
            tasks x 10 yields: `next_frame()` on taskchain's chains (one \
            yield per epoch), each raw runtime's own `yield_now` \
            (futures-lite's on async-executor, the thread pool and the floor)",
    metrics: &[
        Metric::lower("ns/yield @1k", "ns"),
        Metric::lower("ns/yield @100k", "ns"),
    ],
    applies_to: super::runs_futures,
    run,
};

/// Tasks, and yields per task, of the two sizes.
fn sizes(mode: Mode) -> [(usize, usize); 2] {
    match mode {
        Mode::Smoke => [(50, 20), (500, 4)],
        Mode::Quick | Mode::Full => [(1_000, 100), (100_000, 10)],
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
    sizes(mode)
        .into_iter()
        .map(|(tasks, yields)| net_yield(&exec, subject, mode, tasks, yields))
        .collect()
}

/// ns per yield with `tasks` tasks yielding `yields` times each, net of
/// spawning and completing them.
fn net_yield(
    exec: &Exec,
    subject: Subject,
    mode: Mode,
    tasks: usize,
    yields: usize,
) -> Result<f64, String> {
    let reps = reps(mode);
    let (mut with, mut without) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..reps {
        without += timed(exec, subject, tasks, 0)?;
        with += timed(exec, subject, tasks, yields)?;
    }
    Ok(ns_per(with.saturating_sub(without), tasks * yields * reps))
}

/// One timed run: `tasks` tasks yielding `yields` times each, the
/// subject's own way; the rest is the same code.
fn timed(exec: &Exec, subject: Subject, tasks: usize, yields: usize) -> Result<Duration, String> {
    let spawner = exec.spawner();
    match subject {
        Subject::FrameChain | Subject::Chain(_) => {
            exec.block_on(many(spawner, tasks, yields, taskchain::next_frame))?
        }
        Subject::Raw(Raw::TokioCurrentThread | Raw::TokioMultiThread) => {
            exec.block_on(many(spawner, tasks, yields, tokio::task::yield_now))?
        }
        Subject::Raw(Raw::AsyncExecutor | Raw::ThreadPool) | Subject::Floor => exec.block_on(
            many(spawner, tasks, yields, futures_lite::future::yield_now),
        )?,
        Subject::Raw(Raw::AsyncStd) => {
            exec.block_on(many(spawner, tasks, yields, async_std::task::yield_now))?
        }
        Subject::Raw(Raw::StdThreads) => Err("std threads do not yield".into()),
        Subject::FrameChainTraced => Err("the traced frame chain runs spawn_many only".into()),
    }
}

/// Spawns `tasks` tasks that each await a shared gate (one taskchain
/// `Promise`, on every subject), then `yield_now()` `yields` times; opens
/// the gate once all are spawned and awaits them all. The time runs from
/// the gate's opening to the last completion, so spawning is outside it
/// (on a threaded runtime it would overlap the yields of the first tasks).
async fn many<Y, Fut>(
    spawner: Spawner,
    tasks: usize,
    yields: usize,
    yield_now: Y,
) -> Result<Duration, String>
where
    Y: Fn() -> Fut + Copy + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let gate = Promise::new();
    let joins: Vec<_> = (0..tasks)
        .map(|_| {
            let gate = gate.clone();
            spawner.spawn(async move {
                gate.await.map_err(|e| format!("the gate failed: {e}"))?;
                for _ in 0..yields {
                    yield_now().await;
                }
                Ok::<_, String>(())
            })
        })
        .collect();
    let start = Instant::now();
    gate.set_result(())
        .map_err(|e| format!("cannot open the gate: {e}"))?;
    for join in joins {
        join.await??;
    }
    Ok(start.elapsed())
}
