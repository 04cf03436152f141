//! The answer at the top of the report: per subject, what it costs over
//! its raw runtime and over the floor (geometric means over the
//! throughput workloads), its memory per coroutine, its wake-to-run and
//! timer figures; then which chain suits what ([`advice`](super::advice)).

use super::advice::advice;
use super::figures::{Figure, Table};
use super::format;
use super::grid::{row_name, Grid, GridRow};
use super::targets::{is_throughput, is_time_unit, SHARED_FUTURE_MEMORY};
use crate::Subject;

/// The steady memory per coroutine.
const STEADY_BYTES: &str = "B steady";

/// The memory workload the summary reads first; others stand in, the
/// largest first, when it did not run.
pub(super) const MEMORY_WORKLOAD: &str = "memory_100k";

/// A geometric mean of ratios, and how many it averages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mean {
    /// The geometric mean.
    pub value: f64,
    /// How many ratios it averages.
    pub of: usize,
}

/// The geometric mean of `ratios`: the mean that treats 2× and 0.5× as
/// cancelling out, as ratios should. `None` when there are none or one
/// is not positive (it has no logarithm).
pub fn geometric_mean(ratios: &[f64]) -> Option<f64> {
    if ratios.is_empty() || ratios.iter().any(|&r| r <= 0.0) {
        return None;
    }
    let logs: f64 = ratios.iter().map(|r| r.ln()).sum();
    Some((logs / ratios.len() as f64).exp())
}

/// One subject's line of the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectSummary {
    /// The subject.
    pub subject: Subject,
    /// Geometric mean of its ×base over the throughput time figures.
    pub to_baseline: Option<Mean>,
    /// Geometric mean of its ×floor over the same figures.
    pub to_floor: Option<Mean>,
    /// Bytes per suspended coroutine (steady round), and the memory
    /// workload it comes from.
    pub memory: Option<(f64, &'static str)>,
    /// Wake-to-run p50 (µs), from the `latency` workload.
    pub wake_p50: Option<f64>,
    /// Timer overshoot p50 (µs), from the `timer` workload.
    pub timer_p50: Option<f64>,
    /// Timer overshoot p99 (µs).
    pub timer_p99: Option<f64>,
}

/// The summary of a run and the advice drawn from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    /// The throughput workloads that ran, whose time figures the means
    /// average.
    pub throughput: Vec<&'static str>,
    /// One line per subject, in the order the tables list them.
    pub subjects: Vec<SubjectSummary>,
    /// "Which chain for what": one sentence per finding, each drawn from
    /// the figures above; none when they are absent.
    pub advice: Vec<String>,
}

/// `value` in `unit` as microseconds, if `unit` is a unit of time.
fn micros(value: f64, unit: &str) -> Option<f64> {
    let per_unit = match unit {
        "ns" => 1e-3,
        "µs" | "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        _ => return None,
    };
    Some(value * per_unit)
}

/// The coroutines a memory workload holds, read off its name's suffix
/// ("memory_10k" holds 10,000), to rank the stand-ins by size.
fn coroutines(workload: &str) -> u64 {
    let size = workload.rsplit('_').next().unwrap_or("");
    let (digits, scale) = match size.chars().last() {
        Some('k') => (&size[..size.len() - 1], 1_000),
        Some('m') => (&size[..size.len() - 1], 1_000_000),
        _ => (size, 1),
    };
    digits.parse::<u64>().map_or(0, |n| n * scale)
}

/// The order in which the summary reads the memory workloads:
/// [`MEMORY_WORKLOAD`] first, then the largest.
pub(super) fn memory_rank(workload: &str) -> (bool, std::cmp::Reverse<u64>) {
    (
        workload != MEMORY_WORKLOAD,
        std::cmp::Reverse(coroutines(workload)),
    )
}

/// `subject`'s figure on `workload`'s metric named `metric`.
fn figure<'t>(
    tables: &'t [Table],
    workload: &str,
    metric: &str,
    subject: Subject,
) -> Option<(&'t Figure, &'static str)> {
    let table = tables.iter().find(|t| t.workload.name == workload)?;
    let m = table.metric(metric)?;
    Some((table.figure(subject, m)?, table.workload.metrics[m].unit))
}

/// `subject`'s median in µs on `workload`'s metric named `metric`.
fn micros_of(tables: &[Table], workload: &str, metric: &str, subject: Subject) -> Option<f64> {
    let (figure, unit) = figure(tables, workload, metric, subject)?;
    micros(figure.summary.median, unit)
}

/// `subject`'s steady bytes per coroutine, from [`MEMORY_WORKLOAD`] or
/// else the largest memory workload that measured it.
fn memory(tables: &[Table], subject: Subject) -> Option<(f64, &'static str)> {
    let mut workloads: Vec<&'static str> = tables
        .iter()
        .map(|t| t.workload.name)
        .filter(|name| SHARED_FUTURE_MEMORY.contains(name))
        .collect();
    workloads.sort_by_key(|&name| memory_rank(name));
    workloads.into_iter().find_map(|workload| {
        let (figure, _) = figure(tables, workload, STEADY_BYTES, subject)?;
        Some((figure.summary.median, workload))
    })
}

impl Overview {
    /// The overview of `tables`.
    pub fn of(tables: &[Table]) -> Overview {
        let throughput: Vec<&Table> = tables
            .iter()
            .filter(|t| is_throughput(t.workload.name))
            .collect();
        let mut subjects: Vec<Subject> = Vec::new();
        for row in tables.iter().flat_map(|t| &t.rows) {
            if !subjects.contains(&row.subject) {
                subjects.push(row.subject);
            }
        }
        let mean = |subject: Subject, ratio: fn(&Figure) -> Option<f64>| {
            let ratios: Vec<f64> = throughput
                .iter()
                .flat_map(|t| {
                    let timed = (0..t.workload.metrics.len())
                        .filter(|&m| is_time_unit(t.workload.metrics[m].unit));
                    timed.filter_map(move |m| ratio(t.figure(subject, m)?))
                })
                // A figure of 0 (a net time below the clock's resolution)
                // has a ratio of 0, which has no logarithm: it is left out
                // (and not counted) rather than leaving no mean at all.
                .filter(|&r| r > 0.0)
                .collect();
            geometric_mean(&ratios).map(|value| Mean {
                value,
                of: ratios.len(),
            })
        };
        let subjects: Vec<SubjectSummary> = subjects
            .into_iter()
            .map(|subject| SubjectSummary {
                subject,
                to_baseline: mean(subject, |f| f.to_baseline),
                to_floor: mean(subject, |f| f.to_floor),
                memory: memory(tables, subject),
                wake_p50: micros_of(tables, "latency", "p50", subject),
                timer_p50: micros_of(tables, "timer", "p50", subject),
                timer_p99: micros_of(tables, "timer", "p99", subject),
            })
            .collect();
        let advice = advice(&subjects);
        Overview {
            throughput: throughput.iter().map(|t| t.workload.name).collect(),
            subjects,
            advice,
        }
    }

    /// What the means average, in words, for the report's readers.
    pub fn definition(&self) -> String {
        let workloads = if self.throughput.is_empty() {
            "none ran".to_string()
        } else {
            self.throughput.join(", ")
        };
        format!(
            "×base and ×floor are geometric means over the time figures of the \
             throughput workloads ({workloads}; not latency, timer, memory or scaling) \
             that have the ratio, their count in brackets; \
             B/coroutine is the steady round of {MEMORY_WORKLOAD} (else the largest \
             memory workload run, named); wake is latency's p50, timer the overshoot \
             of a 50 µs sleep"
        )
    }

    /// The summary as a table of text cells.
    pub fn grid(&self) -> Grid {
        let header = [
            "subject",
            "×base",
            "×floor",
            "B/coroutine",
            "wake p50 (µs)",
            "timer p50 (µs)",
            "timer p99 (µs)",
        ];
        let value = |v: Option<f64>| v.map_or("–".to_string(), format::figure);
        // Each mean averages the figures its subject has a ratio on (the
        // floor and the raw runtimes run different workloads): the count
        // is shown, so that means of different figures are not read as
        // like for like.
        let mean = |m: Option<Mean>| match m {
            Some(m) => format!("{} ({})", format::ratio(Some(m.value)), m.of),
            None => format::ratio(None),
        };
        let rows = self
            .subjects
            .iter()
            .map(|s| {
                let name = row_name(s.subject);
                let memory = match s.memory {
                    None => "–".to_string(),
                    Some((bytes, MEMORY_WORKLOAD)) => format::figure(bytes),
                    Some((bytes, workload)) => format!("{} ({workload})", format::figure(bytes)),
                };
                GridRow::Cells(vec![
                    name,
                    mean(s.to_baseline),
                    mean(s.to_floor),
                    memory,
                    value(s.wake_p50),
                    value(s.timer_p50),
                    value(s.timer_p99),
                ])
            })
            .collect();
        Grid {
            header: header.map(String::from).to_vec(),
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::tables;
    use crate::report::testing::{fake, BYTES, FRAME, NS_PER_TASK, TOKIO_CT};
    use crate::report::Results;
    use crate::{Metric, Mode};

    const P50: Metric = Metric::lower("p50", "µs");
    const P99: Metric = Metric::lower("p99", "µs");

    /// A run of a throughput, a memory, a latency and a timer workload:
    /// per subject, (ns/task, bytes, wake p50, timer p50).
    fn overview(figures: &[(Subject, [f64; 4])], floor: Option<Subject>) -> Overview {
        let workloads = [
            fake("spawn_many", &[NS_PER_TASK]),
            fake("memory_10k", &[BYTES]),
            fake("latency", &[P50]),
            fake("timer", &[P50, P99]),
        ];
        let subjects: Vec<Subject> = figures.iter().map(|(s, _)| *s).collect();
        let mut results = Results::new(Mode::Quick, 1, &workloads, &subjects);
        for &(subject, [ns, bytes, wake, timer]) in figures {
            results.record(0, subject, Ok(vec![ns]));
            results.record(1, subject, Ok(vec![bytes]));
            results.record(2, subject, Ok(vec![wake]));
            results.record(3, subject, Ok(vec![timer, timer * 2.0]));
        }
        Overview::of(&tables(&results, floor))
    }

    #[test]
    fn geometric_means_cancel_reciprocals() {
        assert_eq!(geometric_mean(&[2.0, 0.5]), Some(1.0));
        let g = geometric_mean(&[1.0, 10.0, 100.0]).unwrap();
        assert!((g - 10.0).abs() < 1e-9, "{g}");
        assert_eq!(geometric_mean(&[]), None);
        assert_eq!(geometric_mean(&[1.0, 0.0]), None);
    }

    #[test]
    fn the_summary_reads_each_workload_and_names_a_stand_in_memory_workload() {
        let o = overview(
            &[
                (FRAME, [20.0, 64.0, 3.0, 40.0]),
                (TOKIO_CT, [40.0, 96.0, 2.0, 1000.0]),
            ],
            Some(TOKIO_CT),
        );
        assert_eq!(o.throughput, ["spawn_many"]);
        let frame = &o.subjects[0];
        assert_eq!(frame.to_baseline, Some(Mean { value: 0.5, of: 1 }));
        assert_eq!(frame.to_floor.map(|m| m.value), Some(0.5));
        assert_eq!(frame.memory, Some((64.0, "memory_10k")));
        assert_eq!((frame.wake_p50, frame.timer_p99), (Some(3.0), Some(80.0)));
        let grid = o.grid();
        assert_eq!(
            grid.rows[0],
            GridRow::Cells(
                [
                    "taskchain frame chain *",
                    "0.50× (1)",
                    "0.50× (1)",
                    "64.0 (memory_10k)",
                    "3.00",
                    "40.0",
                    "80.0"
                ]
                .map(String::from)
                .to_vec()
            )
        );
        assert!(o.definition().contains("(spawn_many; not latency"));
    }

    #[test]
    fn no_figures_no_advice() {
        assert_eq!(overview(&[], None).advice, Vec::<String>::new());
    }

    #[test]
    fn a_zero_ratio_leaves_the_other_figures_their_mean() {
        // A net figure (yields minus no yields) can be 0: its ratio has no
        // logarithm, and must not wipe out the mean of the others.
        let workloads = [
            fake("spawn_many", &[NS_PER_TASK]),
            fake("yield_many", &[NS_PER_TASK]),
        ];
        let mut results = Results::new(Mode::Quick, 1, &workloads, &[FRAME, TOKIO_CT]);
        for (w, frame, tokio) in [(0, 20.0, 40.0), (1, 0.0, 30.0)] {
            results.record(w, FRAME, Ok(vec![frame]));
            results.record(w, TOKIO_CT, Ok(vec![tokio]));
        }
        let o = Overview::of(&tables(&results, Some(TOKIO_CT)));
        assert_eq!(o.subjects[0].to_baseline, Some(Mean { value: 0.5, of: 1 }));
        assert_eq!(o.subjects[0].to_floor, Some(Mean { value: 0.5, of: 1 }));
    }

    #[test]
    fn memory_workloads_rank_by_size() {
        assert_eq!(coroutines("memory_10k"), 10_000);
        assert_eq!(coroutines("memory_1m"), 1_000_000);
        assert_eq!(coroutines("memory_x"), 0);
    }
}
