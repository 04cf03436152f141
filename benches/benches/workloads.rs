//! The comparison's workloads under criterion, so that its HTML reports
//! cover the same code the `compare` binary runs: one group per workload,
//! one bench per subject it applies to.
//!
//! Each criterion sample is one run of the workload in quick mode, and
//! the figure criterion records is the workload's first time figure (ns
//! per task, per yield, per round trip, per child, or a latency p50)
//! times the iterations criterion asked for: the workloads time their own
//! inner loops, setup excluded, which criterion's own timing of a whole
//! run could not. Memory workloads (bytes, not time) are left to
//! `compare`.
//!
//! Run: `cargo bench -p taskchain-benches --bench workloads [-- FILTER]`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use taskchain_compare::{workloads, Mode, Subject, Workload};

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

fn bench_workloads(c: &mut Criterion) {
    for workload in workloads() {
        let Some((index, scale)) = time_figure(&workload) else {
            continue;
        };
        let mut group = c.benchmark_group(workload.name);
        // A sample is a whole quick run: the fewest samples criterion
        // takes, and a warm-up of one run (criterion warms up until the
        // figures it is given add up to the warm-up time).
        group.sample_size(10);
        group.warm_up_time(Duration::from_nanos(1));
        group.measurement_time(Duration::from_millis(1));
        for subject in Subject::all() {
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
}

criterion_group!(benches, bench_workloads);
criterion_main!(benches);
