//! `gather_fanout`: one gather over 10,000 trivial coroutines (`async {}`).
//!
//! - taskchain frame chain and threaded chains: `chain.gather` over the
//!   handles, awaited (taskchain's own fan-in, the operation measured);
//! - tokio, async-executor, async-std, the raw thread pool, the floor:
//!   every handle awaited in order (no runtime here has a gather of its
//!   own; a `join_all` combinator would add its own bookkeeping on one
//!   side only); on the floor, the children and the awaiting driver run
//!   inside its `block_on`.

use std::time::{Duration, Instant};

use taskchain::{TaskChain, TaskChainExt};

use super::exec::Exec;
use super::join::join_all;
use super::spawner::Spawner;
use super::stats::ns_per;
use crate::{Metric, Mode, Sample, Subject, Workload};

/// The workload.
pub(crate) const GATHER_FANOUT: Workload = Workload {
    name: "gather_fanout",
    about: "10,000 trivial coroutines spawned, then one `chain.gather` over \
            their handles awaited (raw runtimes and the floor: every handle \
            awaited in order), time per child",
    metrics: &[Metric::lower("ns/child", "ns")],
    applies_to: super::runs_futures,
    run,
};

/// Children per gather.
fn children(mode: Mode) -> usize {
    match mode {
        Mode::Smoke => 500,
        Mode::Quick | Mode::Full => 10_000,
    }
}

/// Timed gathers per sample, after one untimed.
fn reps(mode: Mode) -> usize {
    match mode {
        Mode::Smoke => 1,
        Mode::Quick => 5,
        Mode::Full => 20,
    }
}

fn run(subject: Subject, mode: Mode) -> Result<Sample, String> {
    let exec = Exec::new(subject)?;
    let n = children(mode);
    let reps = reps(mode);
    fan_out(&exec, n)?;
    let mut total = Duration::ZERO;
    for _ in 0..reps {
        total += fan_out(&exec, n)?;
    }
    Ok(vec![ns_per(total, n * reps)])
}

/// One fan-out of `n` children, timed from the first spawn to the end of
/// the gather.
fn fan_out(exec: &Exec, n: usize) -> Result<Duration, String> {
    let spawner = exec.spawner();
    exec.block_on(async move {
        let start = Instant::now();
        match spawner {
            Spawner::Frame(chain) => gather_on(&*chain, n).await?,
            Spawner::Chain(chain) => gather_on(&*chain, n).await?,
            raw => {
                let joins: Vec<_> = (0..n).map(|_| raw.spawn(async {})).collect();
                join_all(joins).await?;
            }
        }
        Ok(start.elapsed())
    })?
}

/// Spawns `n` children on `chain` and awaits one gather over them.
async fn gather_on<C: TaskChain + ?Sized>(chain: &C, n: usize) -> Result<(), String> {
    let children: Vec<_> = (0..n).map(|_| chain.spawn(async {})).collect();
    let values = chain
        .gather(children)
        .await
        .map_err(|e| format!("the gather failed: {e}"))?;
    if values.len() != n {
        return Err(format!("gathered {} of {n} children", values.len()));
    }
    Ok(())
}
