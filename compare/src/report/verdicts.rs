//! Checking the [targets](super::targets) against a run, repeat by
//! repeat: each target expands to one verdict per workload, metric and
//! subject it names; the figure is compared with its reference in each
//! repeat ([`paired`](super::paired)), and the verdict is "met" only when
//! every repeat kept the limit, "MISSED" when none did, "inconclusive"
//! when the repeats straddle it. A verdict whose inputs were not measured
//! says so rather than passing or failing.

use super::figures::{Outcome, Table};
use super::paired::{excesses, ratios, Bracket};
use super::targets::{
    is_throughput, subject_named, Against, Limit, Metrics, Subjects, Target, Workloads,
};
use crate::Subject;

/// Whether a target was kept.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Every repeat is within the limit (the upper end of the bracket).
    Met,
    /// Every repeat is past the limit (the lower end of the bracket).
    Missed,
    /// The repeats straddle the limit: the noise is larger than the
    /// margin, and more repeats (or a quieter machine) are needed.
    Inconclusive,
    /// An input was not measured; the message says which.
    NotMeasured(String),
}

impl Status {
    /// The status of a figure whose paired values span `bracket`,
    /// against `limit` (lower is within).
    pub fn of(bracket: Bracket, limit: f64) -> Status {
        if bracket.high <= limit {
            Status::Met
        } else if bracket.low > limit {
            Status::Missed
        } else {
            Status::Inconclusive
        }
    }
}

/// One target checked on one workload, metric and subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The target in words.
    pub goal: &'static str,
    /// The workload (or the pattern, if no workload matched).
    pub workload: String,
    /// The metric's name (or what was asked for, if it was not found).
    pub metric: String,
    /// The metric's unit, when the metric was found.
    pub unit: String,
    /// The subject held to the limit (or what was asked for).
    pub subject: String,
    /// What it was compared with, for a relative limit: a subject's name,
    /// or another metric's.
    pub against: Option<String>,
    /// The paired values compared with the limit: the figure itself, its
    /// ratio to the reference or its excess over it, per repeat.
    pub bracket: Option<Bracket>,
    /// The limit.
    pub limit: Limit,
    /// The outcome.
    pub status: Status,
}

/// "N met, N MISSED, N inconclusive, N not measured": the verdicts at a
/// glance.
pub fn tally(verdicts: &[Verdict]) -> String {
    let count = |f: fn(&Status) -> bool| verdicts.iter().filter(|v| f(&v.status)).count();
    format!(
        "{} met, {} MISSED, {} inconclusive, {} not measured",
        count(|s| *s == Status::Met),
        count(|s| *s == Status::Missed),
        count(|s| *s == Status::Inconclusive),
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

/// The tables a target reads, in its order; a name that was not run is
/// kept as a name so that its verdict says so in its place.
fn chosen<'t>(
    target: &Target,
    tables: &'t [Table],
) -> Vec<Result<&'t Table, (String, &'static str)>> {
    let matching = |keep: &dyn Fn(&str) -> bool, pattern: String| {
        let chosen: Vec<_> = tables
            .iter()
            .filter(|t| keep(t.workload.name))
            .map(Ok)
            .collect();
        if chosen.is_empty() {
            vec![Err((pattern, "no such workload run"))]
        } else {
            chosen
        }
    };
    match target.workloads {
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
            matching(&|name| name.starts_with(prefix), format!("{prefix}*"))
        }
        Workloads::Throughput => matching(&is_throughput, "throughput workloads".to_string()),
    }
}

fn check(target: &Target, tables: &[Table], out: &mut Vec<Verdict>) {
    let asked_metric = match target.metrics {
        Metrics::Named(name) => name.to_string(),
        Metrics::Timed => "time".to_string(),
    };
    let asked_subjects = match target.subjects {
        Subjects::Each(names) => names.join(", "),
        Subjects::Taskchain => "every taskchain subject".to_string(),
        Subjects::Threaded => "every threaded chain".to_string(),
    };
    let unmeasured =
        |workload: &str, metric: &str, unit: &str, subject: &str, why: String| Verdict {
            goal: target.goal,
            workload: workload.to_string(),
            metric: metric.to_string(),
            unit: unit.to_string(),
            subject: subject.to_string(),
            against: None,
            bracket: None,
            limit: target.limit,
            status: Status::NotMeasured(why),
        };

    for table in chosen(target, tables) {
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
        let metrics: Vec<usize> = (0..table.workload.metrics.len())
            .filter(|&m| target.reads(workload, &table.workload.metrics[m]))
            .collect();
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
            Subjects::Taskchain | Subjects::Threaded => table
                .rows
                .iter()
                .filter(|r| target.subjects.includes(r.subject))
                .map(|r| (r.subject.name().to_string(), Some(r.subject)))
                .collect(),
        };
        for &m in &metrics {
            let metric = table.workload.metrics[m];
            for (name, subject) in &subjects {
                let verdict = match subject {
                    None => Some(unmeasured(
                        workload,
                        metric.name,
                        metric.unit,
                        name,
                        format!("{workload} was not run on {name}"),
                    )),
                    Some(subject) => judge(target, table, m, *subject),
                };
                out.extend(verdict);
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

/// The verdict of `target` on `subject`'s metric `m` of `table`; `None`
/// when the target does not apply there: its reference subject is one
/// the workload never runs on (a raw runtime on a chain-only workload).
fn judge(target: &Target, table: &Table, m: usize, subject: Subject) -> Option<Verdict> {
    let metric = table.workload.metrics[m];
    let mut verdict = Verdict {
        goal: target.goal,
        workload: table.workload.name.to_string(),
        metric: metric.name.to_string(),
        unit: metric.unit.to_string(),
        subject: subject.name().to_string(),
        against: None,
        bracket: None,
        limit: target.limit,
        status: Status::Met,
    };
    let not_measured = |mut verdict: Verdict, why: String| {
        verdict.status = Status::NotMeasured(why);
        Some(verdict)
    };
    let Some(figure) = table.figure(subject, m) else {
        return not_measured(verdict, missing(table, subject));
    };
    let mine = &figure.values;
    let (bracket, limit) = match target.limit {
        Limit::AtMost(limit) => (Bracket::of(mine.iter().map(|&v| Some(v))), limit),
        Limit::RatioAtMost(against, limit) | Limit::ExcessAtMost(against, limit) => {
            let theirs = match against {
                Against::Metric(name) => {
                    verdict.against = Some(name.to_string());
                    let Some(other) = table.metric(name) else {
                        let why = format!("{} has no {name} metric", table.workload.name);
                        return not_measured(verdict, why);
                    };
                    table.figure(subject, other).map(|f| &f.values)
                }
                Against::Baseline | Against::Named(_) => {
                    let other = match against {
                        Against::Named(name) => subject_named(name)
                            .ok_or_else(|| format!("this build has no subject {name}")),
                        _ => subject
                            .baseline()
                            .ok_or_else(|| format!("{} has no baseline", subject.name())),
                    };
                    let other = match other {
                        Ok(other) => other,
                        Err(why) => return not_measured(verdict, why),
                    };
                    if !(table.workload.applies_to)(other) {
                        return None;
                    }
                    verdict.against = Some(other.name().to_string());
                    let Some(theirs) = table.figure(other, m) else {
                        return not_measured(verdict, missing(table, other));
                    };
                    Some(&theirs.values)
                }
            };
            let Some(theirs) = theirs else {
                return not_measured(verdict, missing(table, subject));
            };
            let bracket = match target.limit {
                Limit::ExcessAtMost(..) => excesses(mine, theirs),
                _ => ratios(mine, theirs),
            };
            (bracket, limit)
        }
    };
    verdict.bracket = bracket;
    verdict.status = match bracket {
        None => {
            Status::NotMeasured("no ratio: the other figure is zero or negative in a repeat".into())
        }
        Some(bracket) => Status::of(bracket, limit),
    };
    Some(verdict)
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
        limit: Limit::RatioAtMost(Against::Named("tokio current_thread"), 0.5),
    };

    const FIRST: Metric = Metric::lower("B first", "B");
    const SCALE: Metric = Metric::lower("ratio", "x");

    /// Tables of three fake workloads, each subject given one sample per
    /// repeat: the values listed, the same on every workload.
    fn run(samples: &[(Subject, &[f64])]) -> Vec<Table> {
        let workloads = [
            fake("spawn_many", &[NS_PER_TASK]),
            fake("memory_small", &[BYTES, FIRST]),
            fake("scaling_spawn", &[SCALE]),
        ];
        let subjects: Vec<Subject> = samples.iter().map(|(s, _)| *s).collect();
        let mut results = Results::new(Mode::Quick, 3, &workloads, &subjects);
        for (w, workload) in workloads.iter().enumerate() {
            for &(subject, values) in samples {
                for &value in values {
                    let sample = vec![value; workload.metrics.len()];
                    results.record(w, subject, Ok(sample));
                }
            }
        }
        tables(&results, None)
    }

    #[test]
    fn paired_ratios_met_missed_or_inconclusive() {
        let tokio: &[f64] = &[100.0, 200.0, 150.0];
        // Every repeat at most half of tokio's same repeat: met.
        let met = verdicts(
            &[SPAWN],
            &run(&[(FRAME, &[40.0, 90.0, 60.0]), (TOKIO_CT, tokio)]),
        );
        assert_eq!(met[0].status, Status::Met);
        assert_eq!(met[0].against.as_deref(), Some("tokio current_thread"));
        let b = met[0].bracket.unwrap();
        assert_eq!((b.low, b.high, b.pairs), (0.4, 0.45, 3));
        // Every repeat past the limit: MISSED.
        let missed = verdicts(
            &[SPAWN],
            &run(&[(FRAME, &[60.0, 120.0, 90.0]), (TOKIO_CT, tokio)]),
        );
        assert_eq!(missed[0].status, Status::Missed);
        // The medians (60 of 150) would say met; repeat 0 says 0.6:
        // straddling, inconclusive.
        let straddling = [(FRAME, &[60.0, 80.0, 70.0][..]), (TOKIO_CT, tokio)];
        let v = verdicts(&[SPAWN], &run(&straddling));
        assert_eq!(v[0].status, Status::Inconclusive);
        assert_eq!(v[1].workload, "absent");
        assert_eq!(v[1].status, Status::NotMeasured("workload not run".into()));
        assert_eq!(tally(&v), "0 met, 0 MISSED, 1 inconclusive, 1 not measured");
    }

    #[test]
    fn a_missing_reference_is_not_measured() {
        let v = verdicts(&[SPAWN], &run(&[(FRAME, &[1.0])]));
        assert_eq!(
            v[0].status,
            Status::NotMeasured("spawn_many was not run on tokio current_thread".into())
        );
        // A reference this build has no subject for: not measured either.
        let floor = Target {
            limit: Limit::RatioAtMost(Against::Named("floor of nothing"), 1.5),
            ..SPAWN
        };
        let v = verdicts(&[floor], &run(&[(FRAME, &[1.0])]));
        assert_eq!(
            v[0].status,
            Status::NotMeasured("this build has no subject floor of nothing".into())
        );
    }

    #[test]
    fn the_baseline_and_threaded_chains() {
        let target = Target {
            subjects: Subjects::Threaded,
            workloads: Workloads::Throughput,
            metrics: Metrics::Timed,
            limit: Limit::RatioAtMost(Against::Baseline, 1.10),
            ..SPAWN
        };
        let tables = run(&[(FRAME, &[1.0]), (CHAIN_TOKIO, &[12.0]), (TOKIO_MT, &[10.0])]);
        let v = verdicts(&[target], &tables);
        // Only spawn_many is a throughput workload; only the chain is
        // threaded.
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].against.as_deref(), Some("tokio multi_thread"));
        assert_eq!(v[0].bracket.map(|b| b.low), Some(1.2));
        assert_eq!(v[0].status, Status::Missed);
    }

    #[test]
    fn excess_over_another_subject_or_another_metric() {
        let over_baseline = Target {
            goal: "memory",
            workloads: Workloads::Prefixed("memory_"),
            metrics: Metrics::Named("B steady"),
            subjects: Subjects::Taskchain,
            limit: Limit::ExcessAtMost(Against::Baseline, 16.0),
        };
        let tables = run(&[(CHAIN_TOKIO, &[120.0, 110.0]), (TOKIO_MT, &[100.0, 100.0])]);
        let v = verdicts(&[over_baseline], &tables);
        let b = v[0].bracket.unwrap();
        assert_eq!(
            (b.low, b.high, &v[0].status),
            (10.0, 20.0, &Status::Inconclusive)
        );
        // The same subject's other metric, repeat by repeat: both 0 here.
        let first = Target {
            metrics: Metrics::Named("B first"),
            limit: Limit::ExcessAtMost(Against::Metric("B steady"), 16.0),
            ..over_baseline
        };
        let v = verdicts(&[first], &tables);
        assert_eq!(v[0].against.as_deref(), Some("B steady"));
        assert_eq!(v[0].status, Status::Met);
        let absent = Target {
            limit: Limit::ExcessAtMost(Against::Metric("B resident"), 16.0),
            ..first
        };
        let v = verdicts(&[absent], &tables);
        assert_eq!(
            v[0].status,
            Status::NotMeasured("memory_small has no B resident metric".into())
        );
    }

    #[test]
    fn taskchain_subjects_only_and_absent_prefixes() {
        let target = Target {
            goal: "scaling",
            workloads: Workloads::Prefixed("scaling_"),
            metrics: Metrics::Named("ratio"),
            subjects: Subjects::Taskchain,
            limit: Limit::AtMost(1.2),
        };
        let v = verdicts(&[target], &run(&[(FRAME, &[1.1, 1.3]), (TOKIO_CT, &[3.0])]));
        assert_eq!(
            v.len(),
            1,
            "the raw runtime is a reference, not a candidate"
        );
        assert_eq!(v[0].subject, "taskchain frame chain");
        assert_eq!(v[0].status, Status::Inconclusive);
        let none = Target {
            workloads: Workloads::Prefixed("latency_"),
            ..target
        };
        let v = verdicts(&[none], &run(&[(FRAME, &[1.0])]));
        assert_eq!(v[0].workload, "latency_*");
        assert!(matches!(v[0].status, Status::NotMeasured(_)));
    }

    #[test]
    fn a_reference_the_workload_never_runs_leaves_no_verdict() {
        let workloads = [crate::Workload {
            applies_to: Subject::is_taskchain,
            ..fake("spawn_many", &[NS_PER_TASK])
        }];
        let mut results = Results::new(Mode::Quick, 1, &workloads, &[FRAME, TOKIO_CT]);
        results.record(0, FRAME, Ok(vec![1.0]));
        let v = verdicts(&[SPAWN], &tables(&results, None));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].workload, "absent");
    }

    #[test]
    fn a_failed_subject_is_not_measured_with_its_error() {
        let workloads = [fake("spawn_many", &[NS_PER_TASK])];
        let mut results = Results::new(Mode::Quick, 1, &workloads, &[FRAME]);
        results.record(0, FRAME, Err("stuck".into()));
        let v = verdicts(&[SPAWN], &tables(&results, None));
        assert_eq!(
            v[0].status,
            Status::NotMeasured("taskchain frame chain failed: stuck".into())
        );
    }
}
