//! The targets as data: which figure of which workload and subject, and
//! the limit it must keep. The report checks each repeat by repeat
//! ([`verdicts`](super::verdicts)); add a target here and it shows in
//! every report.
//!
//! Names are the report's own: workload names as `--only` takes them,
//! metric names as the workloads declare them, subject names as
//! [`Subject::name`](crate::Subject::name) gives them. A name this build
//! does not have (a subject or metric not measured) makes its verdicts
//! "not measured", never an error.

use crate::{Metric, Subject};

/// The name of the physical floor: a minimal executor (async tasks on a
/// `VecDeque`) that every frame-chain figure is also divided by.
pub const FLOOR: &str = "floor";

/// The memory workloads where every subject awaits the same shared future
/// (the others measure each runtime's own primitive, or a future per
/// coroutine, and are read beside them, not held to a target).
pub const SHARED_FUTURE_MEMORY: &[&str] = &["memory_10k", "memory_100k", "memory_1m"];

/// The frame chain's name.
pub const FRAME_CHAIN: &str = "taskchain frame chain";

/// The name of the frame chain with the core's `tracing` feature on (and
/// no subscriber).
pub const FRAME_CHAIN_TRACED: &str = "taskchain frame chain, tracing on";

/// The subject of this build named `name`, if there is one.
pub fn subject_named(name: &str) -> Option<Subject> {
    Subject::all().into_iter().find(|s| s.name() == name)
}

/// Whether the workload named `name` measures throughput: every workload
/// but the latency, timer, memory and scaling ones, whose figures are a
/// wake's delay, a sleep's overshoot, bytes, or a ratio of two sizes.
/// The summary's geometric means and the backends' target read the time
/// metrics of these.
pub fn is_throughput(name: &str) -> bool {
    !(matches!(name, "latency" | "timer")
        || name.starts_with("memory_")
        || name.starts_with("scaling_"))
}

/// Which workloads a target reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Workloads {
    /// These, by name.
    Each(&'static [&'static str]),
    /// Every workload whose name starts with this.
    Prefixed(&'static str),
    /// Every throughput workload that ran ([`is_throughput`]).
    Throughput,
}

/// Which metrics of those workloads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metrics {
    /// The metric of this name.
    Named(&'static str),
    /// Every metric measured in a unit of time.
    Timed,
}

/// Which subjects a target holds to its limit: taskchain's only (its
/// chains, and its own thread pool run raw), the other raw runtimes being
/// references, not candidates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Subjects {
    /// These, by name.
    Each(&'static [&'static str]),
    /// Every taskchain subject the workload ran on.
    Taskchain,
    /// Every taskchain backend's threaded chain the workload ran on.
    Threaded,
}

impl Subjects {
    /// Whether `subject` is one of these.
    pub fn includes(self, subject: Subject) -> bool {
        match self {
            Subjects::Each(names) => names.contains(&subject.name()),
            Subjects::Taskchain => subject.is_taskchain(),
            Subjects::Threaded => matches!(subject, Subject::Chain(_)),
        }
    }
}

/// What a relative limit compares a figure with, repeat by repeat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Against {
    /// The raw runtime the subject wraps (its `baseline()`), same metric.
    Baseline,
    /// This subject, by name, same metric.
    Named(&'static str),
    /// This other metric of the same subject and workload.
    Metric(&'static str),
}

/// The limit a figure must keep, in every repeat for "met".
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// The figure itself is at most this.
    AtMost(f64),
    /// The figure divided by the other's is at most this.
    RatioAtMost(Against, f64),
    /// The figure minus the other's is at most this.
    ExcessAtMost(Against, f64),
}

/// One target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// The target in words.
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

const FRAME: &[&str] = &[FRAME_CHAIN];

/// taskchain's own thread pool, run raw: a raw runtime, but one of
/// taskchain's, so a candidate rather than only a reference.
const RAW_POOL: &str = "threadpool (raw)";
const FLOOR_SUBJECT: Against = Against::Named(FLOOR);

/// Every target the report checks, in the order it lists them.
pub const TARGETS: &[Target] = &[
    Target {
        goal: "frame chain: spawn+complete at most 1.5x the floor",
        workloads: Workloads::Each(&["spawn_many"]),
        metrics: Metrics::Named("ns/task"),
        subjects: Subjects::Each(FRAME),
        limit: Limit::RatioAtMost(FLOOR_SUBJECT, 1.5),
    },
    Target {
        goal: "frame chain: spawn+complete at most 0.5x tokio current_thread",
        workloads: Workloads::Each(&["spawn_many"]),
        metrics: Metrics::Named("ns/task"),
        subjects: Subjects::Each(FRAME),
        limit: Limit::RatioAtMost(Against::Named("tokio current_thread"), 0.5),
    },
    Target {
        goal: "frame chain with tracing on, no subscriber: spawn+complete at most 1.05x \
               the frame chain without it",
        workloads: Workloads::Each(&["spawn_many"]),
        metrics: Metrics::Named("ns/task"),
        subjects: Subjects::Each(&[FRAME_CHAIN_TRACED]),
        limit: Limit::RatioAtMost(Against::Named(FRAME_CHAIN), 1.05),
    },
    Target {
        goal: "frame chain: net yield at most 1.5x the floor at 1,000 and 100,000 tasks",
        workloads: Workloads::Each(&["yield_many"]),
        metrics: Metrics::Timed,
        subjects: Subjects::Each(FRAME),
        limit: Limit::RatioAtMost(FLOOR_SUBJECT, 1.5),
    },
    Target {
        goal: "frame chain: recurring Cont tasks at most 4x a plain walk over a Vec of \
               boxed closures (the floor)",
        workloads: Workloads::Each(&["recurring_frame"]),
        metrics: Metrics::Timed,
        subjects: Subjects::Each(FRAME),
        limit: Limit::RatioAtMost(FLOOR_SUBJECT, 4.0),
    },
    Target {
        goal: "memory: a coroutine awaiting the shared future at most the floor's + 16 bytes",
        workloads: Workloads::Each(SHARED_FUTURE_MEMORY),
        metrics: Metrics::Named("B steady"),
        subjects: Subjects::Taskchain,
        limit: Limit::ExcessAtMost(FLOOR_SUBJECT, 16.0),
    },
    Target {
        goal: "memory: the first round at most the steady round + 16 bytes",
        workloads: Workloads::Each(SHARED_FUTURE_MEMORY),
        metrics: Metrics::Named("B first"),
        subjects: Subjects::Taskchain,
        limit: Limit::ExcessAtMost(Against::Metric("B steady"), 16.0),
    },
    Target {
        goal: "backends: at most 1.10x their raw runtime on every throughput workload",
        workloads: Workloads::Throughput,
        metrics: Metrics::Timed,
        subjects: Subjects::Threaded,
        limit: Limit::RatioAtMost(Against::Baseline, 1.10),
    },
    Target {
        goal: "thread pool chain: at most 1.0x tokio multi_thread on spawn_many and ping_pong",
        workloads: Workloads::Each(&["spawn_many", "ping_pong"]),
        metrics: Metrics::Timed,
        subjects: Subjects::Each(&["taskchain-threadpool"]),
        limit: Limit::RatioAtMost(Against::Named("tokio multi_thread"), 1.0),
    },
    Target {
        goal: "thread pool (raw): at most 0.9x tokio multi_thread on spawn_many and ping_pong",
        workloads: Workloads::Each(&["spawn_many", "ping_pong"]),
        metrics: Metrics::Timed,
        subjects: Subjects::Each(&[RAW_POOL]),
        limit: Limit::RatioAtMost(Against::Named("tokio multi_thread"), 0.9),
    },
    Target {
        goal: "thread pool chain: wake-to-run p50 at most tokio multi_thread's",
        workloads: Workloads::Each(&["latency"]),
        metrics: Metrics::Named("p50"),
        subjects: Subjects::Each(&["taskchain-threadpool"]),
        limit: Limit::RatioAtMost(Against::Named("tokio multi_thread"), 1.0),
    },
    Target {
        goal: "thread pool and smol chains: a 50 us pause overshoots by under 150 us at p99",
        workloads: Workloads::Each(&["timer"]),
        metrics: Metrics::Named("p99"),
        subjects: Subjects::Each(&["taskchain-threadpool", "taskchain-smol"]),
        limit: Limit::AtMost(150.0),
    },
    Target {
        goal:
            "backends: a suspended coroutine at most 16 bytes over the same one on the raw runtime",
        workloads: Workloads::Each(SHARED_FUTURE_MEMORY),
        metrics: Metrics::Named("B steady"),
        subjects: Subjects::Threaded,
        limit: Limit::ExcessAtMost(Against::Baseline, 16.0),
    },
    Target {
        goal: "scaling: no per-operation growth above 1.2x between 1,000 and 100,000 live tasks",
        workloads: Workloads::Prefixed("scaling_"),
        metrics: Metrics::Named("ratio"),
        subjects: Subjects::Taskchain,
        limit: Limit::AtMost(1.2),
    },
];

impl Target {
    /// Whether this target reads `metric` of the workload named
    /// `workload`.
    pub fn reads(&self, workload: &str, metric: &Metric) -> bool {
        let workload_read = match self.workloads {
            Workloads::Each(names) => names.contains(&workload),
            Workloads::Prefixed(prefix) => workload.starts_with(prefix),
            Workloads::Throughput => is_throughput(workload),
        };
        let metric_read = match self.metrics {
            Metrics::Named(name) => metric.name == name,
            Metrics::Timed => is_time_unit(metric.unit),
        };
        workload_read && metric_read
    }
}

/// Whether `unit` is a unit of time, for [`Metrics::Timed`].
pub fn is_time_unit(unit: &str) -> bool {
    matches!(unit, "ns" | "µs" | "us" | "ms" | "s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_subject_exists() {
        let names: Vec<&str> = Subject::all().into_iter().map(Subject::name).collect();
        for target in TARGETS {
            let mut named: Vec<&str> = match target.subjects {
                Subjects::Each(each) => each.to_vec(),
                Subjects::Taskchain | Subjects::Threaded => Vec::new(),
            };
            if let Limit::RatioAtMost(Against::Named(n), _)
            | Limit::ExcessAtMost(Against::Named(n), _) = target.limit
            {
                named.push(n);
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
                Workloads::Throughput => all.iter().filter(|w| is_throughput(w.name)).collect(),
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
    fn targets_hold_taskchain_subjects_only() {
        let raw = Subject::all()
            .into_iter()
            .filter(|s| !s.is_taskchain() && s.name() != RAW_POOL);
        for subject in raw {
            for target in TARGETS {
                assert!(!target.subjects.includes(subject), "{}", target.goal);
            }
        }
    }

    #[test]
    fn throughput_leaves_out_latency_timer_memory_and_scaling() {
        assert!(is_throughput("spawn_many") && is_throughput("recurring_frame"));
        for name in ["latency", "timer", "memory_100k", "scaling_wake"] {
            assert!(!is_throughput(name), "{name}");
        }
    }

    #[test]
    fn a_target_reads_its_workloads_and_metrics() {
        let scaling = TARGETS
            .iter()
            .find(|t| t.goal.starts_with("scaling"))
            .unwrap();
        assert!(scaling.reads("scaling_wake", &Metric::lower("ratio", "x")));
        assert!(!scaling.reads("scaling_wake", &Metric::lower("ns @1k", "ns")));
        assert!(!scaling.reads("spawn_many", &Metric::lower("ratio", "x")));
    }

    #[test]
    fn time_units_are_told_from_others() {
        assert!(is_time_unit("ns") && is_time_unit("µs"));
        assert!(!is_time_unit("B") && !is_time_unit("ratio"));
    }
}
