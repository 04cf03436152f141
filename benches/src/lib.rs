//! Criterion benchmarks of taskchain. The benches are in `benches/`, one
//! file each:
//!
//! - `workloads`: every workload of the comparison report (see
//!   `taskchain-compare`) on every subject it applies to, one group per
//!   workload (`workloads/<workload>`), one bench per subject;
//! - `backends`: the `spawn_many` and `ping_pong` workloads on each
//!   backend's threaded chain and the raw runtime beneath it only (groups
//!   `backends/<workload>`, the same code as in `workloads`, for a shorter
//!   run of the backends against their runtimes);
//! - `frame_chain`: the embedded frame chain's bare frame loop beside
//!   tokio's current-thread runtime and async-executor's `LocalExecutor`
//!   (which no workload runs): a batch spawned from outside any task and
//!   completed in one `poll()` with no driving future awaiting it, one
//!   yield per coroutine per frame with the coroutines kept alive, and a
//!   frame beside 100,000 suspended coroutines;
//! - `task_ops`: single operations on the frame chain (spawn+cancel,
//!   suspend+cancel, one wake, a re-sort) beside 1,000 and 100,000 idle
//!   coroutines and as many sleeping tasks, the registry and the sleep
//!   heap both large (the scaling workloads time cancels and wakes on
//!   every subject, without sleeping tasks and without the spawn);
//! - `struct_task`: a struct task (`CoroutineTask`) spawned beside the
//!   same coroutine as an `async` block, and from a box.
//!
//! A bench named after a workload runs that workload's own code from
//! `taskchain-compare` ([`bench_workload`]), so it measures exactly what
//! the report does; `frame_chain` and `task_ops` measure what no workload
//! does.
//!
//! Run one with `cargo bench -p taskchain-benches --bench NAME`.

use std::time::Duration;

use criterion::Criterion;
use taskchain_compare::{Mode, Subject, Workload};

/// Seconds per unit of a time figure, or `None` for other units.
fn seconds_per(unit: &str) -> Option<f64> {
    match unit {
        "ns" => Some(1e-9),
        "µs" => Some(1e-6),
        "ms" => Some(1e-3),
        "s" => Some(1.0),
        _ => None,
    }
}

/// The workload's first time figure: its index and seconds per unit.
fn time_figure(workload: &Workload) -> Option<(usize, f64)> {
    workload
        .metrics
        .iter()
        .enumerate()
        .find_map(|(i, m)| seconds_per(m.unit).map(|s| (i, s)))
}

/// Benches `workload` with `taskchain-compare`'s own code: a group named
/// `{bench}/{workload}` (so that two bench files running one workload keep
/// their histories apart), a bench per subject of `subjects` it applies to.
///
/// Each criterion sample is one run of the workload in quick mode, and
/// the figure criterion records is the workload's first time figure (ns
/// per task, per yield, per round trip, per child, or a latency p50)
/// times the iterations criterion asked for: the workloads time their
/// own inner loops, setup excluded, which criterion's own timing of a
/// whole run could not. A workload with no time figure (memory: bytes)
/// is left out.
pub fn bench_workload(c: &mut Criterion, bench: &str, workload: &Workload, subjects: &[Subject]) {
    let Some((index, scale)) = time_figure(workload) else {
        return;
    };
    let mut group = c.benchmark_group(format!("{bench}/{}", workload.name));
    // A sample is a whole quick run: the fewest samples criterion takes,
    // and a warm-up of one run (criterion warms up until the figures it is
    // given add up to the warm-up time).
    group.sample_size(10);
    group.warm_up_time(Duration::from_nanos(1));
    group.measurement_time(Duration::from_millis(1));
    for &subject in subjects {
        if !(workload.applies_to)(subject) {
            continue;
        }
        group.bench_function(subject.name(), |b| {
            b.iter_custom(|iters| match (workload.run)(subject, Mode::Quick) {
                Ok(sample) => {
                    let figure = sample.get(index).copied().unwrap_or(0.0);
                    // A NaN or negative figure records nothing.
                    Duration::try_from_secs_f64(figure * scale * iters as f64)
                        .unwrap_or(Duration::ZERO)
                }
                Err(e) => {
                    // Criterion cannot take an error: say so and record
                    // nothing meaningful rather than stop the suite.
                    eprintln!("{} on {subject}: {e}", workload.name);
                    Duration::ZERO
                }
            })
        });
    }
    group.finish();
}
