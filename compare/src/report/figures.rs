//! The figures of a run, read off its samples: per workload and subject,
//! each metric's summary, its ratio to the raw runtime the subject wraps,
//! to the physical floor (the `"floor"` subject, when it ran) and to the
//! best subject on that metric, and the per-repeat values the paired
//! verdicts read.
//!
//! A ratio is always this subject's median divided by the other's: below
//! 1 is better for a metric where lower is better (time, bytes), above 1
//! for one where higher is better.

use super::results::is_skip;
use super::{Results, Summary};
use crate::{Subject, Workload};

/// One metric of one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Median and spread over the repeats.
    pub summary: Summary,
    /// The value of each repeat, by repeat index (see [`Runs::samples`]):
    /// what a paired verdict divides repeat by repeat.
    ///
    /// [`Runs::samples`]: super::Runs::samples
    pub values: Vec<f64>,
    /// Median divided by the baseline's (the raw runtime this taskchain
    /// subject wraps), if both were measured.
    pub to_baseline: Option<f64>,
    /// Median divided by the floor's (the minimal executor of the same
    /// run), if the floor ran this workload and both were measured.
    pub to_floor: Option<f64>,
    /// Median divided by the best median of any subject on this metric.
    pub to_best: Option<f64>,
}

/// What a subject's row shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// One figure per metric of the workload.
    Measured(Vec<Figure>),
    /// It failed; the message says why.
    Failed(String),
    /// The workload skipped it in this mode; the message says why
    /// (see [`is_skip`]).
    Skipped(String),
    /// It was scheduled but never ran (an interrupted run).
    NotRun,
}

/// One subject's row of a workload's table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The subject.
    pub subject: Subject,
    /// Its figures, or why there are none.
    pub outcome: Outcome,
}

/// The figures of one workload: a row per subject it ran on.
#[derive(Debug, Clone)]
pub struct Table {
    /// The workload.
    pub workload: Workload,
    /// Its rows, in the order the subjects were given.
    pub rows: Vec<Row>,
    /// Per metric, the subject with the best median (none if no subject
    /// was measured).
    pub best: Vec<Option<Subject>>,
    /// The floor subject, when it was measured on this workload: the
    /// tables then show a ×floor column.
    pub floor: Option<Subject>,
}

impl Table {
    /// The figure of `subject` on the metric at `metric`, if measured.
    pub fn figure(&self, subject: Subject, metric: usize) -> Option<&Figure> {
        match &self.rows.iter().find(|row| row.subject == subject)?.outcome {
            Outcome::Measured(figures) => figures.get(metric),
            _ => None,
        }
    }

    /// The message, if every subject skipped this workload alike: the
    /// report then says so once instead of a row per subject.
    pub fn skipped_by_all(&self) -> Option<&str> {
        let mut messages = self.rows.iter().map(|row| match &row.outcome {
            Outcome::Skipped(message) => Some(message.as_str()),
            _ => None,
        });
        let first = messages.next()??;
        messages.all(|m| m == Some(first)).then_some(first)
    }

    /// The index of the metric named `name`.
    pub fn metric(&self, name: &str) -> Option<usize> {
        self.workload.metrics.iter().position(|m| m.name == name)
    }
}

/// `a / b` as a ratio of two medians: equal figures are 1 (so two zeros
/// compare as equal), and a zero or negative divisor gives no ratio
/// rather than an infinite or sign-flipped one.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    if a == b {
        Some(1.0)
    } else if b <= 0.0 || a < 0.0 {
        None
    } else {
        Some(a / b)
    }
}

/// A subject's figures on one workload before the ratios: per metric,
/// the summary and the per-repeat values, or why there are none.
type Measured = Result<Vec<(Summary, Vec<f64>)>, Outcome>;

/// The tables of every workload in `results`, ratios to `floor` (the
/// subject named [`FLOOR`](super::targets::FLOOR) in a real run) where it
/// was measured.
pub fn tables(results: &Results, floor: Option<Subject>) -> Vec<Table> {
    results
        .workloads
        .iter()
        .map(|entry| {
            let metrics = entry.workload.metrics;
            // Summaries first (ratios need every subject's median), each
            // with its per-repeat values.
            let summaries: Vec<(Subject, Measured)> = entry
                .subjects
                .iter()
                .map(|runs| {
                    let measured = if let Some(error) = &runs.error {
                        Err(if is_skip(error) {
                            Outcome::Skipped(error.clone())
                        } else {
                            Outcome::Failed(error.clone())
                        })
                    } else if runs.samples.is_empty() {
                        Err(Outcome::NotRun)
                    } else {
                        Ok((0..metrics.len())
                            .filter_map(|m| {
                                let values = runs.values(m);
                                Some((Summary::of(&values)?, values))
                            })
                            .collect::<Vec<_>>())
                    };
                    (runs.subject, measured)
                })
                .collect();
            let median = |subject: Subject, metric: usize| {
                summaries.iter().find_map(|(s, sums)| match sums {
                    Ok(sums) if *s == subject => Some(sums.get(metric)?.0.median),
                    _ => None,
                })
            };
            let floor = floor.filter(|&f| median(f, 0).is_some());
            let best: Vec<Option<Subject>> = metrics
                .iter()
                .enumerate()
                .map(|(m, metric)| {
                    summaries
                        .iter()
                        .filter_map(|(s, sums)| Some((*s, sums.as_ref().ok()?[m].0.median)))
                        .reduce(|a, b| {
                            let b_better = if metric.lower_is_better {
                                b.1 < a.1
                            } else {
                                b.1 > a.1
                            };
                            if b_better {
                                b
                            } else {
                                a
                            }
                        })
                        .map(|(s, _)| s)
                })
                .collect();
            let rows = summaries
                .iter()
                .map(|(subject, sums)| {
                    let outcome = match sums {
                        Err(outcome) => outcome.clone(),
                        Ok(sums) => Outcome::Measured(
                            sums.iter()
                                .enumerate()
                                .map(|(m, (summary, values))| Figure {
                                    summary: *summary,
                                    values: values.clone(),
                                    to_baseline: subject
                                        .baseline()
                                        .and_then(|b| median(b, m))
                                        .and_then(|b| ratio(summary.median, b)),
                                    to_floor: floor
                                        .and_then(|f| median(f, m))
                                        .and_then(|f| ratio(summary.median, f)),
                                    to_best: best[m]
                                        .and_then(|b| median(b, m))
                                        .and_then(|b| ratio(summary.median, b)),
                                })
                                .collect(),
                        ),
                    };
                    Row {
                        subject: *subject,
                        outcome,
                    }
                })
                .collect();
            Table {
                workload: entry.workload,
                rows,
                best,
                floor,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testing::{fake_workloads, FRAME, TOKIO_CT, TOKIO_MT};
    use crate::Mode;

    fn measured(table: &Table, subject: Subject) -> Vec<Figure> {
        match &table
            .rows
            .iter()
            .find(|r| r.subject == subject)
            .unwrap()
            .outcome
        {
            Outcome::Measured(figures) => figures.clone(),
            other => panic!("{subject}: {other:?}"),
        }
    }

    #[test]
    fn ratios_to_baseline_and_best_use_medians() {
        let mut results = Results::new(
            Mode::Quick,
            3,
            &fake_workloads(),
            &[FRAME, TOKIO_CT, TOKIO_MT],
        );
        // ns/task (lower is better), then tasks/s (higher is better).
        for (frame, ct, mt) in [(10.0, 40.0, 30.0), (12.0, 20.0, 50.0), (11.0, 30.0, 40.0)] {
            results.record(0, FRAME, Ok(vec![frame, 1.0 / frame]));
            results.record(0, TOKIO_CT, Ok(vec![ct, 1.0 / ct]));
            results.record(0, TOKIO_MT, Ok(vec![mt, 1.0 / mt]));
        }
        let table = &tables(&results, None)[0];
        let frame = measured(table, FRAME);
        assert_eq!(frame[0].summary.median, 11.0);
        // The frame chain's baseline is tokio current_thread (median 30).
        assert_eq!(frame[0].to_baseline, Some(11.0 / 30.0));
        assert_eq!(frame[0].to_best, Some(1.0));
        assert_eq!(table.best, vec![Some(FRAME), Some(FRAME)]);
        let mt = measured(table, TOKIO_MT);
        assert_eq!(mt[0].to_baseline, None, "a raw runtime has no baseline");
        assert_eq!(mt[0].to_best, Some(40.0 / 11.0));
        // Higher is better: the best is the largest, others fall below 1.
        assert!(mt[1].to_best.unwrap() < 1.0);
    }

    #[test]
    fn failed_and_unrun_subjects_are_rows_without_figures() {
        let mut results = Results::new(Mode::Quick, 3, &fake_workloads(), &[FRAME, TOKIO_CT]);
        results.record(0, TOKIO_CT, Err("no reactor".into()));
        let table = &tables(&results, None)[0];
        assert_eq!(table.rows[0].outcome, Outcome::NotRun);
        assert_eq!(table.rows[1].outcome, Outcome::Failed("no reactor".into()));
        assert_eq!(table.best, vec![None, None]);
        assert!(table.figure(FRAME, 0).is_none());
        assert_eq!(table.skipped_by_all(), None);
    }

    #[test]
    fn a_workload_every_subject_skipped_says_so_once() {
        let mut results = Results::new(Mode::Quick, 3, &fake_workloads(), &[FRAME, TOKIO_CT]);
        let skip = "skipped: needs --full";
        results.record(0, FRAME, Err(skip.into()));
        assert_eq!(
            tables(&results, None)[0].rows[0].outcome,
            Outcome::Skipped(skip.into())
        );
        assert_eq!(
            tables(&results, None)[0].skipped_by_all(),
            None,
            "one row not run"
        );
        results.record(0, TOKIO_CT, Err(skip.into()));
        assert_eq!(tables(&results, None)[0].skipped_by_all(), Some(skip));
    }

    #[test]
    fn a_missing_baseline_leaves_the_ratio_out() {
        let mut results = Results::new(Mode::Quick, 1, &fake_workloads(), &[FRAME]);
        results.record(0, FRAME, Ok(vec![5.0, 0.2]));
        let figure = tables(&results, None)[0].figure(FRAME, 0).cloned().unwrap();
        assert_eq!((figure.to_baseline, figure.to_best), (None, Some(1.0)));
    }

    #[test]
    fn ratios_to_the_floor_only_where_it_was_measured() {
        // tokio multi_thread stands in for the floor: any subject can.
        let mut results = Results::new(Mode::Quick, 2, &fake_workloads(), &[FRAME, TOKIO_MT]);
        for (frame, floor) in [(12.0, 4.0), (18.0, 6.0)] {
            results.record(0, FRAME, Ok(vec![frame, 1.0]));
            results.record(0, TOKIO_MT, Ok(vec![floor, 1.0]));
        }
        let tables = tables(&results, Some(TOKIO_MT));
        let frame = measured(&tables[0], FRAME);
        assert_eq!(frame[0].to_floor, Some(3.0));
        assert_eq!(frame[0].values, vec![12.0, 18.0], "repeat by repeat");
        assert_eq!(tables[0].floor, Some(TOKIO_MT));
        // The floor does not run the memory workload: no ×floor there.
        assert_eq!(tables[1].floor, None);
    }

    #[test]
    fn every_frame_chain_figure_has_a_floor_ratio_but_latency_and_timer() {
        use crate::report::targets::{is_throughput, subject_named, FLOOR};
        // Every real workload, a made-up sample on every subject it
        // applies to: which figures get a ×floor follows from the
        // subjects each workload applies to alone.
        let workloads = crate::workloads();
        let subjects = Subject::all();
        let mut results = Results::new(Mode::Quick, 1, &workloads, &subjects);
        for (w, workload) in workloads.iter().enumerate() {
            for &subject in &subjects {
                if (workload.applies_to)(subject) {
                    results.record(w, subject, Ok(vec![1.0; workload.metrics.len()]));
                }
            }
        }
        let floor = subject_named(FLOOR);
        assert_eq!(floor, Some(Subject::Floor));
        let mut throughput = 0;
        for table in tables(&results, floor) {
            let name = table.workload.name;
            if matches!(name, "latency" | "timer") {
                // Wake-to-run across threads and a timer: the floor has
                // neither, and its workload docs say so.
                assert_eq!(table.floor, None, "{name}");
                continue;
            }
            throughput += usize::from(is_throughput(name));
            for (m, metric) in table.workload.metrics.iter().enumerate() {
                let figure = table
                    .figure(FRAME, m)
                    .unwrap_or_else(|| panic!("{name}: no frame-chain {}", metric.name));
                assert!(
                    figure.to_floor.is_some(),
                    "{name}: the frame chain's {} has no ×floor",
                    metric.name
                );
            }
        }
        assert!(throughput >= 6, "only {throughput} throughput workloads");
    }

    #[test]
    fn ratio_guards_zero_and_negative_divisors() {
        assert_eq!(ratio(0.0, 0.0), Some(1.0));
        assert_eq!(ratio(3.0, 0.0), None);
        assert_eq!(ratio(3.0, -1.0), None);
        assert_eq!(ratio(0.0, 4.0), Some(0.0));
        assert_eq!(ratio(6.0, 4.0), Some(1.5));
    }
}
