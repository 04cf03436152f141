//! Checking the [targets](super::targets) against a run's medians: each
//! target expands to one verdict per workload, metric and subject it
//! names, and a verdict whose inputs were not measured says so rather
//! than passing or failing.

use super::figures::{ratio, Outcome, Table};
use super::targets::{is_time_unit, Against, Limit, Metrics, Subjects, Target, Workloads};
use crate::Subject;

/// Whether a target was kept.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// The figure is within the limit.
    Met,
    /// The figure is past the limit.
    Missed,
    /// An input was not measured; the message says which.
    NotMeasured(String),
}

/// One target checked on one workload, metric and subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The target as the issue words it.
    pub goal: &'static str,
    /// The workload (or the pattern, if no workload matched).
    pub workload: String,
    /// The metric's name (or what was asked for, if it was not found).
    pub metric: String,
    /// The metric's unit, when the metric was found.
    pub unit: String,
    /// The subject held to the limit (or what was asked for).
    pub subject: String,
    /// The subject compared with, for a relative limit.
    pub against: Option<String>,
    /// What was compared with the limit: the median, the ratio of
    /// medians, or the excess over the other's median.
    pub value: Option<f64>,
    /// The limit.
    pub limit: Limit,
    /// The outcome.
    pub status: Status,
}

/// "N met, N MISSED, N not measured": the verdicts at a glance.
pub fn tally(verdicts: &[Verdict]) -> String {
    let count = |f: fn(&Status) -> bool| verdicts.iter().filter(|v| f(&v.status)).count();
    format!(
        "{} met, {} MISSED, {} not measured",
        count(|s| *s == Status::Met),
        count(|s| *s == Status::Missed),
        count(|s| matches!(s, Status::NotMeasured(_)))
    )
}

/// Checks every target of `targets` against `tables`.
pub fn verdicts(targets: &[Target], tables: &[Table]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for target in targets {
        check(target, tables, &mut out);
    }
    out
}

fn check(target: &Target, tables: &[Table], out: &mut Vec<Verdict>) {
    let asked_metric = match target.metrics {
        Metrics::Named(name) => name.to_string(),
        Metrics::Timed => "time".to_string(),
    };
    let asked_subjects = match target.subjects {
        Subjects::Each(names) => names.join(", "),
        Subjects::All => "every subject".to_string(),
    };
    let unmeasured =
        |workload: &str, metric: &str, unit: &str, subject: &str, why: String| Verdict {
            goal: target.goal,
            workload: workload.to_string(),
            metric: metric.to_string(),
            unit: unit.to_string(),
            subject: subject.to_string(),
            against: None,
            value: None,
            limit: target.limit,
            status: Status::NotMeasured(why),
        };

    // The workloads in the target's order, a name that was not run kept
    // as a name so that its verdict says so in its place.
    let chosen: Vec<Result<&Table, (String, &str)>> = match target.workloads {
        Workloads::Each(names) => names
            .iter()
            .map(|name| {
                tables
                    .iter()
                    .find(|t| t.workload.name == *name)
                    .ok_or((name.to_string(), "workload not run"))
            })
            .collect(),
        Workloads::Prefixed(prefix) => {
            let chosen: Vec<_> = tables
                .iter()
                .filter(|t| t.workload.name.starts_with(prefix))
                .map(Ok)
                .collect();
            if chosen.is_empty() {
                vec![Err((format!("{prefix}*"), "no such workload run"))]
            } else {
                chosen
            }
        }
    };

    for table in chosen {
        let table = match table {
            Ok(table) => table,
            Err((name, why)) => {
                out.push(unmeasured(
                    &name,
                    &asked_metric,
                    "",
                    &asked_subjects,
                    why.to_string(),
                ));
                continue;
            }
        };
        let workload = table.workload.name;
        let metrics: Vec<usize> = match target.metrics {
            Metrics::Named(name) => table.metric(name).into_iter().collect(),
            Metrics::Timed => (0..table.workload.metrics.len())
                .filter(|&m| is_time_unit(table.workload.metrics[m].unit))
                .collect(),
        };
        if metrics.is_empty() {
            out.push(unmeasured(
                workload,
                &asked_metric,
                "",
                &asked_subjects,
                format!("{workload} has no {asked_metric} metric"),
            ));
            continue;
        }
        // Subjects by name; a name the workload did not run on stays a
        // name, so the verdict can say it was not measured.
        let subjects: Vec<(String, Option<Subject>)> = match target.subjects {
            Subjects::Each(names) => names
                .iter()
                .map(|name| {
                    let found = table
                        .rows
                        .iter()
                        .map(|r| r.subject)
                        .find(|s| s.name() == *name);
                    (name.to_string(), found)
                })
                .collect(),
            Subjects::All => table
                .rows
                .iter()
                .map(|r| (r.subject.name().to_string(), Some(r.subject)))
                .collect(),
        };
        for &m in &metrics {
            let metric = table.workload.metrics[m];
            for (name, subject) in &subjects {
                let verdict = match subject {
                    None => unmeasured(
                        workload,
                        metric.name,
                        metric.unit,
                        name,
                        format!("{workload} was not run on {name}"),
                    ),
                    Some(subject) => judge(target, table, m, *subject),
                };
                out.push(verdict);
            }
        }
    }
}

/// Why `subject` has no figure on `table`'s metric `metric`.
fn missing(table: &Table, subject: Subject) -> String {
    let name = subject.name();
    match table.rows.iter().find(|r| r.subject == subject) {
        None => format!("{} was not run on {name}", table.workload.name),
        Some(row) => match &row.outcome {
            Outcome::Failed(error) => format!("{name} failed: {error}"),
            Outcome::Skipped(why) => format!("{name} {why}"),
            Outcome::NotRun | Outcome::Measured(_) => format!("{name} was not measured"),
        },
    }
}

fn judge(target: &Target, table: &Table, m: usize, subject: Subject) -> Verdict {
    let metric = table.workload.metrics[m];
    let mut verdict = Verdict {
        goal: target.goal,
        workload: table.workload.name.to_string(),
        metric: metric.name.to_string(),
        unit: metric.unit.to_string(),
        subject: subject.name().to_string(),
        against: None,
        value: None,
        limit: target.limit,
        status: Status::Met,
    };
    let Some(figure) = table.figure(subject, m) else {
        verdict.status = Status::NotMeasured(missing(table, subject));
        return verdict;
    };
    let median = figure.summary.median;
    let (value, limit) = match target.limit {
        Limit::AtMost(limit) => (Some(median), limit),
        Limit::RatioAtMost(against, limit) | Limit::ExcessAtMost(against, limit) => {
            let other = match against {
                Against::Baseline => subject.baseline(),
                Against::Named(name) => Subject::all().into_iter().find(|s| s.name() == name),
            };
            let Some(other) = other else {
                verdict.status = Status::NotMeasured(format!("{} has no baseline", subject.name()));
                return verdict;
            };
            verdict.against = Some(other.name().to_string());
            let Some(theirs) = table.figure(other, m) else {
                verdict.status = Status::NotMeasured(missing(table, other));
                return verdict;
            };
            let theirs = theirs.summary.median;
            match target.limit {
                Limit::ExcessAtMost(..) => (Some(median - theirs), limit),
                _ => (ratio(median, theirs), limit),
            }
        }
    };
    verdict.value = value;
    verdict.status = match value {
        None => Status::NotMeasured("no ratio: the other figure is zero or negative".into()),
        Some(value) if value <= limit => Status::Met,
        Some(_) => Status::Missed,
    };
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::tables;
    use crate::report::testing::{
        fake, BYTES, CHAIN_TOKIO, FRAME, NS_PER_TASK, TOKIO_CT, TOKIO_MT,
    };
    use crate::report::Results;
    use crate::{Metric, Mode};

    const SPAWN: Target = Target {
        goal: "spawn",
        workloads: Workloads::Each(&["spawn_many", "absent"]),
        metrics: Metrics::Named("ns/task"),
        subjects: Subjects::Each(&["taskchain frame chain"]),
        limit: Limit::AtMost(50.0),
    };

    fn run(samples: &[(Subject, f64)]) -> Vec<Table> {
        const SCALE: Metric = Metric {
            name: "100k/1k",
            unit: "x",
            lower_is_better: true,
        };
        let workloads = [
            fake("spawn_many", &[NS_PER_TASK]),
            fake("memory_small", &[BYTES]),
            fake("scaling_spawn", &[SCALE]),
        ];
        let subjects: Vec<Subject> = samples.iter().map(|(s, _)| *s).collect();
        let mut results = Results::new(Mode::Quick, 1, &workloads, &subjects);
        for w in 0..workloads.len() {
            for &(subject, value) in samples {
                // Each workload's figure: the value, then a tenth of it.
                let value = if w == 2 { value / 10.0 } else { value };
                results.record(w, subject, Ok(vec![value]));
            }
        }
        tables(&results)
    }

    #[test]
    fn absolute_limits_are_met_or_missed_and_absent_workloads_unmeasured() {
        let kept = verdicts(&[SPAWN], &run(&[(FRAME, 40.0)]));
        assert_eq!(kept.len(), 2);
        assert_eq!((kept[0].value, &kept[0].status), (Some(40.0), &Status::Met));
        assert_eq!(kept[1].workload, "absent");
        assert_eq!(
            kept[1].status,
            Status::NotMeasured("workload not run".into())
        );
        assert_eq!(tally(&kept), "1 met, 0 MISSED, 1 not measured");
        let missed = verdicts(&[SPAWN], &run(&[(FRAME, 60.0)]));
        assert_eq!(missed[0].status, Status::Missed);
    }

    #[test]
    fn ratios_compare_with_the_named_subject_or_the_baseline() {
        let targets = [
            Target {
                limit: Limit::RatioAtMost(Against::Named("tokio current_thread"), 0.5),
                workloads: Workloads::Each(&["spawn_many"]),
                ..SPAWN
            },
            Target {
                subjects: Subjects::Each(&["taskchain-tokio"]),
                workloads: Workloads::Each(&["spawn_many"]),
                limit: Limit::RatioAtMost(Against::Baseline, 1.10),
                ..SPAWN
            },
        ];
        let tables = run(&[
            (FRAME, 10.0),
            (TOKIO_CT, 30.0),
            (CHAIN_TOKIO, 12.0),
            (TOKIO_MT, 10.0),
        ]);
        let v = verdicts(&targets, &tables);
        assert_eq!(v[0].value, Some(10.0 / 30.0));
        assert_eq!(v[0].against.as_deref(), Some("tokio current_thread"));
        assert_eq!(v[0].status, Status::Met);
        assert_eq!(v[1].against.as_deref(), Some("tokio multi_thread"));
        assert_eq!(v[1].value, Some(1.2));
        assert_eq!(v[1].status, Status::Missed);
    }

    #[test]
    fn excess_over_baseline_and_unmeasured_inputs() {
        let target = Target {
            goal: "memory",
            workloads: Workloads::Prefixed("memory_"),
            metrics: Metrics::Named("B requested"),
            subjects: Subjects::Each(&["taskchain-tokio"]),
            limit: Limit::ExcessAtMost(Against::Baseline, 16.0),
        };
        let v = verdicts(&[target], &run(&[(CHAIN_TOKIO, 120.0), (TOKIO_MT, 100.0)]));
        assert_eq!((v[0].value, &v[0].status), (Some(20.0), &Status::Missed));
        // Without the baseline in the run, the verdict says what is missing.
        let v = verdicts(&[target], &run(&[(CHAIN_TOKIO, 120.0)]));
        assert_eq!(
            v[0].status,
            Status::NotMeasured("memory_small was not run on tokio multi_thread".into())
        );
        // Nor is the subject itself there: not measured either.
        let v = verdicts(&[target], &run(&[(FRAME, 1.0)]));
        assert!(matches!(&v[0].status, Status::NotMeasured(m) if m.contains("taskchain-tokio")));
    }

    #[test]
    fn every_subject_of_prefixed_workloads_and_missing_ones() {
        let target = Target {
            goal: "scaling",
            workloads: Workloads::Prefixed("scaling_"),
            metrics: Metrics::Named("100k/1k"),
            subjects: Subjects::All,
            limit: Limit::AtMost(2.0),
        };
        let v = verdicts(&[target], &run(&[(FRAME, 15.0), (TOKIO_CT, 30.0)]));
        let statuses: Vec<(&str, &Status)> =
            v.iter().map(|v| (v.subject.as_str(), &v.status)).collect();
        assert_eq!(
            statuses,
            vec![
                ("taskchain frame chain", &Status::Met),
                ("tokio current_thread", &Status::Missed)
            ]
        );
        let none = Target {
            workloads: Workloads::Prefixed("latency_"),
            ..target
        };
        let v = verdicts(&[none], &run(&[(FRAME, 1.0)]));
        assert_eq!(v[0].workload, "latency_*");
        assert!(matches!(v[0].status, Status::NotMeasured(_)));
    }

    #[test]
    fn timed_selects_metrics_in_time_units_only() {
        let target = Target {
            metrics: Metrics::Timed,
            workloads: Workloads::Each(&["spawn_many", "memory_small"]),
            ..SPAWN
        };
        let v = verdicts(&[target], &run(&[(FRAME, 40.0)]));
        assert_eq!(v[0].metric, "ns/task");
        assert_eq!(v[0].status, Status::Met);
        assert_eq!(
            v[1].status,
            Status::NotMeasured("memory_small has no time metric".into())
        );
    }

    #[test]
    fn a_failed_subject_is_not_measured_with_its_error() {
        let workloads = [fake("spawn_many", &[NS_PER_TASK])];
        let mut results = Results::new(Mode::Quick, 1, &workloads, &[FRAME]);
        results.record(0, FRAME, Err("stuck".into()));
        let v = verdicts(&[SPAWN], &tables(&results));
        assert_eq!(
            v[0].status,
            Status::NotMeasured("taskchain frame chain failed: stuck".into())
        );
    }
}
