//! `report.json`: the whole run, machine-readable: the machine, every
//! sample of every workload and subject, the summaries and ratios, and
//! the targets' verdicts. Numbers are plain JSON numbers, absent ratios
//! `null`.

use serde_json::{json, Value};

use super::figures::Outcome;
use super::targets::{Against, Limit};
use super::verdicts::Status;
use super::Report;

fn limit(limit: &Limit) -> Value {
    let against = |a: &Against| match a {
        Against::Baseline => "baseline".to_string(),
        Against::Named(name) => name.to_string(),
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
                Status::NotMeasured(why) => ("not measured", Some(why.as_str())),
            };
            json!({
                "goal": v.goal,
                "workload": v.workload,
                "metric": v.metric,
                "unit": v.unit,
                "subject": v.subject,
                "against": v.against,
                "value": v.value,
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
    use crate::report::testing::{fake_workloads, machine, FRAME, TOKIO_CT};
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
        assert_eq!(first["limit"], json!({ "kind": "at_most", "value": 50.0 }));
    }
}
