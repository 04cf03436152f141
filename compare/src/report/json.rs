//! `report.json`: the whole run, machine-readable: the machine, the
//! summary per subject and its advice, every sample of every workload and
//! subject, the summaries and ratios, and the targets' verdicts with
//! their paired brackets. Numbers are plain JSON numbers, absent ratios
//! `null`.

use serde_json::{json, Value};

use super::figures::Outcome;
use super::overview::{Mean, Overview};
use super::targets::{Against, Limit};
use super::verdicts::Status;
use super::Report;

fn limit(limit: &Limit) -> Value {
    let against = |a: &Against| match a {
        Against::Baseline => json!({ "kind": "baseline" }),
        Against::Named(name) => json!({ "kind": "subject", "name": name }),
        Against::Metric(name) => json!({ "kind": "metric", "name": name }),
    };
    match limit {
        Limit::AtMost(x) => json!({ "kind": "at_most", "value": x }),
        Limit::RatioAtMost(a, x) => {
            json!({ "kind": "ratio_at_most", "against": against(a), "value": x })
        }
        Limit::ExcessAtMost(a, x) => {
            json!({ "kind": "excess_at_most", "against": against(a), "value": x })
        }
    }
}

/// The summary: what the means average, a line per subject, and the
/// advice drawn from them.
fn summary(overview: &Overview) -> Value {
    let mean = |m: Option<Mean>| m.map(|m| json!({ "geometric_mean": m.value, "of": m.of }));
    let subjects: Vec<Value> = overview
        .subjects
        .iter()
        .map(|s| {
            json!({
                "name": s.subject.name(),
                "taskchain": s.subject.is_taskchain(),
                "ratio_to_baseline": mean(s.to_baseline),
                "ratio_to_floor": mean(s.to_floor),
                "bytes_per_coroutine": s.memory.map(|m| m.0),
                "memory_workload": s.memory.map(|m| m.1),
                "wake_p50_us": s.wake_p50,
                "timer_overshoot_p50_us": s.timer_p50,
                "timer_overshoot_p99_us": s.timer_p99,
            })
        })
        .collect();
    json!({
        "definition": overview.definition(),
        "throughput_workloads": overview.throughput,
        "subjects": subjects,
        "which_chain_for_what": overview.advice,
    })
}

/// The report as a JSON value.
pub fn value(report: &Report) -> Value {
    let m = &report.machine;
    let workloads: Vec<Value> = report
        .tables
        .iter()
        .zip(&report.results.workloads)
        .map(|(table, runs)| {
            let metrics: Vec<Value> = table
                .workload
                .metrics
                .iter()
                .zip(&table.best)
                .map(|(metric, best)| {
                    json!({
                        "name": metric.name,
                        "unit": metric.unit,
                        "lower_is_better": metric.lower_is_better,
                        "best": best.map(|s| s.name()),
                    })
                })
                .collect();
            let subjects: Vec<Value> = table
                .rows
                .iter()
                .zip(&runs.subjects)
                .map(|(row, runs)| {
                    let summaries: Vec<Value> = match &row.outcome {
                        Outcome::Measured(figures) => figures
                            .iter()
                            .map(|f| {
                                json!({
                                    "median": f.summary.median,
                                    "min": f.summary.min,
                                    "max": f.summary.max,
                                    "runs": f.summary.runs,
                                    "ratio_to_baseline": f.to_baseline,
                                    "ratio_to_floor": f.to_floor,
                                    "ratio_to_best": f.to_best,
                                })
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    let error = match &row.outcome {
                        Outcome::Failed(error) | Outcome::Skipped(error) => Some(error.as_str()),
                        Outcome::NotRun => Some("not run"),
                        Outcome::Measured(_) => None,
                    };
                    json!({
                        "name": row.subject.name(),
                        "taskchain": row.subject.is_taskchain(),
                        "baseline": row.subject.baseline().map(|b| b.name()),
                        "samples": runs.samples,
                        "summaries": summaries,
                        "error": error,
                        "skipped": matches!(row.outcome, Outcome::Skipped(_)),
                    })
                })
                .collect();
            json!({
                "name": table.workload.name,
                "about": table.workload.about,
                "metrics": metrics,
                "floor": table.floor.map(|s| s.name()),
                "subjects": subjects,
            })
        })
        .collect();
    let targets: Vec<Value> = report
        .verdicts
        .iter()
        .map(|v| {
            let (status, why) = match &v.status {
                Status::Met => ("met", None),
                Status::Missed => ("missed", None),
                Status::Inconclusive => ("inconclusive", None),
                Status::NotMeasured(why) => ("not measured", Some(why.as_str())),
            };
            json!({
                "goal": v.goal,
                "workload": v.workload,
                "metric": v.metric,
                "unit": v.unit,
                "subject": v.subject,
                "against": v.against,
                "bracket": v.bracket.map(|b| json!({
                    "low": b.low,
                    "high": b.high,
                    "pairs": b.pairs,
                })),
                "limit": limit(&v.limit),
                "status": status,
                "why_not_measured": why,
            })
        })
        .collect();
    json!({
        "machine": {
            "cpu": m.cpu,
            "cores": m.cores,
            "os": m.os,
            "rustc": m.rustc,
            "date": m.date,
        },
        "mode": report.mode_name(),
        "runs": report.results.repeats,
        "spread": "min-max",
        "summary": summary(&report.overview),
        "workloads": workloads,
        "targets": targets,
    })
}

/// The report as pretty-printed JSON text.
pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&value(report))
        // A `Value` always serialises; should that change, the file says
        // why rather than the run failing after all its measuring.
        .unwrap_or_else(|e| json!({ "error": e.to_string() }).to_string());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testing::{fake, fake_workloads, machine, FRAME, NS_PER_TASK, TOKIO_CT};
    use crate::report::Results;
    use crate::Mode;

    #[test]
    fn every_sample_summary_ratio_and_target_is_there() {
        let mut results = Results::new(Mode::Quick, 2, &fake_workloads(), &[FRAME, TOKIO_CT]);
        for (frame, tokio) in [(10.0, 20.0), (14.0, 28.0)] {
            results.record(0, FRAME, Ok(vec![frame, 1.0]));
            results.record(0, TOKIO_CT, Ok(vec![tokio, 2.0]));
        }
        results.record(1, FRAME, Err("oom".into()));
        let parsed: Value =
            serde_json::from_str(&render(&Report::new(results, machine()))).unwrap();
        assert_eq!(parsed["mode"], "quick");
        assert_eq!(parsed["machine"]["cores"], 2);
        let spin = &parsed["workloads"][0];
        assert_eq!(spin["metrics"][0]["name"], "ns/task");
        assert_eq!(spin["metrics"][0]["best"], "taskchain frame chain");
        assert_eq!(spin["metrics"][1]["best"], "tokio current_thread");
        let frame = &spin["subjects"][0];
        assert_eq!(frame["samples"], json!([[10.0, 1.0], [14.0, 1.0]]));
        assert_eq!(frame["summaries"][0]["median"], 12.0);
        assert_eq!(frame["summaries"][0]["ratio_to_baseline"], 0.5);
        assert_eq!(frame["baseline"], "tokio current_thread");
        assert_eq!(
            spin["subjects"][1]["summaries"][0]["ratio_to_baseline"],
            Value::Null
        );
        assert_eq!(parsed["workloads"][1]["subjects"][0]["error"], "oom");
        let first = &parsed["targets"][0];
        assert_eq!(first["status"], "not measured");
        assert_eq!(
            first["limit"],
            json!({
                "kind": "ratio_at_most",
                "against": { "kind": "subject", "name": "floor" },
                "value": 1.5
            })
        );
        assert_eq!(parsed["summary"]["throughput_workloads"], json!(["spin"]));
        let summary = &parsed["summary"]["subjects"][0];
        assert_eq!(summary["name"], "taskchain frame chain");
        assert_eq!(
            summary["ratio_to_baseline"],
            json!({ "geometric_mean": 0.5, "of": 1 })
        );
    }

    #[test]
    fn floor_ratios_and_paired_brackets() {
        let workloads = [fake("spawn_many", &[NS_PER_TASK])];
        let mut results = Results::new(Mode::Quick, 2, &workloads, &[FRAME, TOKIO_CT]);
        for (frame, tokio) in [(10.0, 40.0), (14.0, 20.0)] {
            results.record(0, FRAME, Ok(vec![frame]));
            results.record(0, TOKIO_CT, Ok(vec![tokio]));
        }
        // tokio current_thread stands in for the floor.
        let report = Report::with_floor(results, machine(), Some(TOKIO_CT));
        let parsed: Value = serde_json::from_str(&render(&report)).unwrap();
        let spawn = &parsed["workloads"][0];
        assert_eq!(spawn["floor"], "tokio current_thread");
        assert_eq!(spawn["subjects"][0]["summaries"][0]["ratio_to_floor"], 0.4);
        let at_half = &parsed["targets"][1];
        assert_eq!(
            at_half["bracket"],
            json!({ "low": 0.25, "high": 0.7, "pairs": 2 })
        );
        assert_eq!(at_half["status"], "inconclusive");
    }
}
