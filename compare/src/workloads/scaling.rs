//! What the scaling workloads share: one operation timed per task with
//! 1,000 tasks at a time and with 100,000 at a time, and the ratio of the
//! two (flat scaling keeps it near 1; the report checks it is at most 1.2).

use std::time::Duration;

use super::exec::Exec;
use super::stats::ns_per;
use crate::{Metric, Mode, Sample, Subject};

/// The figures of every scaling workload.
pub(crate) const METRICS: &[Metric] = &[
    Metric::lower("ns @1k", "ns"),
    Metric::lower("ns @100k", "ns"),
    Metric::lower("ratio", "x"),
];

/// The subjects every scaling workload applies to: every subject that
/// runs futures, the floor included (not std threads).
pub(crate) fn applies_to(subject: Subject) -> bool {
    super::runs_futures(subject)
}

/// One timed pass of an operation with `n` tasks at once on `exec`: the
/// time of the operations alone, setup excluded, and how many were timed.
pub(crate) type Pass = fn(&Exec, Subject, usize) -> Result<(Duration, usize), String>;

/// Tasks in the small case, its timed passes, and tasks in the large case
/// (smoke mode shrinks both cases a hundredfold; the names stay).
fn sizes(mode: Mode) -> (usize, usize, usize) {
    match mode {
        Mode::Smoke => (10, 10, 1_000),
        Mode::Quick => (1_000, 50, 100_000),
        Mode::Full => (1_000, 100, 100_000),
    }
}

/// Times `pass` with the small case (after one untimed pass, so that it
/// does not pay for a cold start the large one does not) and with the
/// large case, on one runtime.
pub(crate) fn run(subject: Subject, mode: Mode, pass: Pass) -> Result<Sample, String> {
    let exec = Exec::new(subject)?;
    let (small, passes, large) = sizes(mode);
    pass(&exec, subject, small)?;
    let (mut total, mut ops) = (Duration::ZERO, 0);
    for _ in 0..passes {
        let (elapsed, timed) = pass(&exec, subject, small)?;
        total += elapsed;
        ops += timed;
    }
    let at_small = ns_per(total, ops);
    let (elapsed, timed) = pass(&exec, subject, large)?;
    let at_large = ns_per(elapsed, timed);
    Ok(vec![
        at_small,
        at_large,
        at_large / at_small.max(f64::MIN_POSITIVE),
    ])
}
