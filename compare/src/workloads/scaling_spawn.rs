//! `scaling_spawn`: spawn and complete, per task, at 1,000 and 100,000
//! tasks at a time. Every subject runs the same batch (`spawn_many`'s):
//! a driving future spawns that many trivial coroutines (`async {}`),
//! then awaits each handle in order; the time runs from the first spawn
//! to the last completion.
//!
//! - taskchain frame chain: the driver runs between frames, the chain
//!   polled back to back until every task is done;
//! - threaded chains: spawned from the calling thread, run by the
//!   chain's workers;
//! - tokio: spawned inside `block_on` (on the current-thread runtime,
//!   run there too; on the multi-thread one, by its workers);
//! - async-executor, async-std, the raw thread pool: spawned from the
//!   calling thread, run by the runtime's threads;
//! - the floor: spawned inside its `block_on`, each task queued and run
//!   there.

use std::time::Duration;

use super::exec::Exec;
use super::{scaling, spawn_many};
use crate::{Mode, Sample, Subject, Workload};

/// The workload.
pub(crate) const SCALING_SPAWN: Workload = Workload {
    name: "scaling_spawn",
    about: "spawn + complete of trivial coroutines, per task, 1,000 vs \
            100,000 at a time",
    metrics: scaling::METRICS,
    applies_to: scaling::applies_to,
    run,
};

fn run(subject: Subject, mode: Mode) -> Result<Sample, String> {
    scaling::run(subject, mode, pass)
}

fn pass(exec: &Exec, _subject: Subject, n: usize) -> Result<(Duration, usize), String> {
    Ok((spawn_many::once(exec, n)?, n))
}
