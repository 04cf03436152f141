//! The targets of issue 4 as data: which figure of which workload and
//! subject, and the limit it must keep. The report checks each against
//! the medians measured ([`verdicts`](super::verdicts)); add a target here
//! and it shows in every report.
//!
//! Names are the report's own: workload names as `--only` takes them,
//! metric names as the workloads declare them, subject names as
//! [`Subject::name`](crate::Subject::name) gives them.

/// Which workloads a target reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Workloads {
    /// These, by name.
    Each(&'static [&'static str]),
    /// Every workload whose name starts with this.
    Prefixed(&'static str),
}

/// Which metrics of those workloads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metrics {
    /// The metric of this name.
    Named(&'static str),
    /// Every metric measured in a unit of time.
    Timed,
}

/// Which subjects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Subjects {
    /// These, by name.
    Each(&'static [&'static str]),
    /// Every subject the workload ran on.
    All,
}

/// The subject a relative target compares with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Against {
    /// The raw runtime the subject wraps (its `baseline()`).
    Baseline,
    /// This subject, by name.
    Named(&'static str),
}

/// The limit a figure must keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// The median itself is at most this.
    AtMost(f64),
    /// The median divided by the other subject's is at most this.
    RatioAtMost(Against, f64),
    /// The median minus the other subject's is at most this.
    ExcessAtMost(Against, f64),
}

/// One target of the issue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// The target as the issue words it.
    pub goal: &'static str,
    /// The workloads it reads.
    pub workloads: Workloads,
    /// The metrics it reads.
    pub metrics: Metrics,
    /// The subjects it holds to the limit.
    pub subjects: Subjects,
    /// The limit.
    pub limit: Limit,
}

const FRAME: &[&str] = &["taskchain frame chain"];
const TOKIO_AND_SMOL: &[&str] = &["taskchain-tokio", "taskchain-smol"];
const THREADPOOL: &[&str] = &["taskchain-threadpool"];
const TOKIO_MT: Against = Against::Named("tokio multi_thread");

/// The workloads where a backend's time is held to its raw runtime's:
/// those that run on both (recurring tasks need a chain, latency is the
/// runtime's own wake path and is held to its own targets).
const TIMED_ON_BOTH: &[&str] = &[
    "spawn_many",
    "yield_many",
    "ping_pong",
    "chained_spawn",
    "gather_fanout",
];

/// Every target the report checks, in the order it lists them.
pub const TARGETS: &[Target] = &[
    Target {
        goal: "frame chain: spawn+complete at most 50 ns per task",
        workloads: Workloads::Each(&["spawn_many"]),
        metrics: Metrics::Named("ns/task"),
        subjects: Subjects::Each(FRAME),
        limit: Limit::AtMost(50.0),
    },
    Target {
        goal: "frame chain: spawn+complete at most 0.5x tokio current_thread",
        workloads: Workloads::Each(&["spawn_many"]),
        metrics: Metrics::Named("ns/task"),
        subjects: Subjects::Each(FRAME),
        limit: Limit::RatioAtMost(Against::Named("tokio current_thread"), 0.5),
    },
    Target {
        goal: "frame chain: yield at most 30 ns per task per yield",
        workloads: Workloads::Each(&["yield_many"]),
        metrics: Metrics::Named("ns/yield"),
        subjects: Subjects::Each(FRAME),
        limit: Limit::AtMost(30.0),
    },
    Target {
        goal: "frame chain: a recurring task at most 30 ns per task per frame",
        workloads: Workloads::Each(&["recurring_frame"]),
        metrics: Metrics::Timed,
        subjects: Subjects::Each(FRAME),
        limit: Limit::AtMost(30.0),
    },
    Target {
        goal: "frame chain: at most 64 bytes requested per suspended coroutine",
        workloads: Workloads::Prefixed("memory_"),
        metrics: Metrics::Named("B requested"),
        subjects: Subjects::Each(FRAME),
        limit: Limit::AtMost(64.0),
    },
    Target {
        goal: "tokio and smol backends: within 1.10x of their raw runtimes in time",
        workloads: Workloads::Each(TIMED_ON_BOTH),
        metrics: Metrics::Timed,
        subjects: Subjects::Each(TOKIO_AND_SMOL),
        limit: Limit::RatioAtMost(Against::Baseline, 1.10),
    },
    Target {
        goal: "tokio and smol backends: within +16 bytes per coroutine of their raw runtimes",
        workloads: Workloads::Prefixed("memory_"),
        metrics: Metrics::Named("B requested"),
        subjects: Subjects::Each(TOKIO_AND_SMOL),
        limit: Limit::ExcessAtMost(Against::Baseline, 16.0),
    },
    Target {
        goal: "thread pool: at least equal to tokio multi_thread on spawn_many and ping_pong",
        workloads: Workloads::Each(&["spawn_many", "ping_pong"]),
        metrics: Metrics::Timed,
        subjects: Subjects::Each(THREADPOOL),
        limit: Limit::RatioAtMost(TOKIO_MT, 1.0),
    },
    Target {
        goal: "thread pool: wake-to-run p50 no worse than tokio's",
        workloads: Workloads::Each(&["latency"]),
        metrics: Metrics::Named("p50"),
        subjects: Subjects::Each(THREADPOOL),
        limit: Limit::RatioAtMost(TOKIO_MT, 1.0),
    },
    Target {
        goal: "flat scaling: cost per task at 100,000 at most 2x the cost at 1,000",
        workloads: Workloads::Prefixed("scaling_"),
        metrics: Metrics::Named("ratio"),
        subjects: Subjects::All,
        limit: Limit::AtMost(2.0),
    },
];

/// Whether `unit` is a unit of time, for [`Metrics::Timed`].
pub fn is_time_unit(unit: &str) -> bool {
    matches!(unit, "ns" | "µs" | "us" | "ms" | "s")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Subject;

    #[test]
    fn every_named_subject_exists() {
        let names: Vec<&str> = Subject::all().into_iter().map(Subject::name).collect();
        for target in TARGETS {
            let mut named: Vec<&str> = match target.subjects {
                Subjects::Each(each) => each.to_vec(),
                Subjects::All => Vec::new(),
            };
            match target.limit {
                Limit::RatioAtMost(Against::Named(n), _)
                | Limit::ExcessAtMost(Against::Named(n), _) => named.push(n),
                _ => {}
            }
            for name in named {
                assert!(
                    names.contains(&name),
                    "{}: no subject {name:?}",
                    target.goal
                );
            }
        }
    }

    #[test]
    fn every_target_reads_workloads_and_metrics_that_exist() {
        let all = crate::workloads();
        for target in TARGETS {
            let chosen: Vec<&crate::Workload> = match target.workloads {
                Workloads::Each(names) => names
                    .iter()
                    .map(|name| {
                        all.iter()
                            .find(|w| w.name == *name)
                            .unwrap_or_else(|| panic!("{}: no workload {name:?}", target.goal))
                    })
                    .collect(),
                Workloads::Prefixed(prefix) => {
                    all.iter().filter(|w| w.name.starts_with(prefix)).collect()
                }
            };
            assert!(!chosen.is_empty(), "{}: no workload", target.goal);
            for workload in chosen {
                let found = workload.metrics.iter().any(|m| match target.metrics {
                    Metrics::Named(name) => m.name == name,
                    Metrics::Timed => is_time_unit(m.unit),
                });
                assert!(found, "{}: {} lacks the metric", target.goal, workload.name);
            }
        }
    }

    #[test]
    fn time_units_are_told_from_others() {
        assert!(is_time_unit("ns") && is_time_unit("µs"));
        assert!(!is_time_unit("B") && !is_time_unit("ratio"));
    }
}
