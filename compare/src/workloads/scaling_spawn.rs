//! `scaling_spawn`: spawn and complete, per task, at 1,000 and 100,000
//! tasks at a time: `spawn_many`'s batch (the same code on every subject)
//! at the two sizes.

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
