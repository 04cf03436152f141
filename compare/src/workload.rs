//! A workload of the comparison: what it measures, on which subjects, and
//! one measured sample of it.

use crate::Subject;

/// How long a run may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Seconds in all: tiny sizes, for CI to prove nothing rotted.
    Smoke,
    /// The default: the workloads' stated sizes where they are cheap (not
    /// the 1,000,000-coroutine memory workload, fewer std threads), under
    /// three minutes in all on two cores.
    Quick,
    /// Every size (1,000,000 coroutines for memory), more samples.
    Full,
}

/// One figure a workload reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    /// Short name, e.g. "ns/task" or "p99".
    pub name: &'static str,
    /// Unit shown in tables, e.g. "ns", "µs", "B".
    pub unit: &'static str,
    /// Whether a smaller figure is better (time, bytes).
    pub lower_is_better: bool,
}

impl Metric {
    /// A metric where a smaller figure is better (time, bytes).
    pub const fn lower(name: &'static str, unit: &'static str) -> Metric {
        Metric {
            name,
            unit,
            lower_is_better: true,
        }
    }
}

/// The result of one run of a workload on one subject: one value per
/// metric of the workload, in its order.
pub type Sample = Vec<f64>;

/// A workload of the comparison.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// Its name, as `--only` takes it (e.g. "spawn_many").
    pub name: &'static str,
    /// One line on what it does.
    pub about: &'static str,
    /// What it reports.
    pub metrics: &'static [Metric],
    /// The subjects it applies to, among those given.
    pub applies_to: fn(Subject) -> bool,
    /// Runs it once on a subject.
    pub run: fn(Subject, Mode) -> Result<Sample, String>,
}
