//! A run read as a report: its samples, the figures and ratios read off
//! them, the summary at the top, the targets checked, and the machine it
//! ran on. Every output (text, Markdown, JSON, charts) renders this one
//! value.

use super::figures::{tables, Table};
use super::overview::Overview;
use super::targets::{subject_named, FLOOR, TARGETS};
use super::verdicts::{verdicts, Verdict};
use super::{Machine, Results};
use crate::Subject;

/// A finished run, analysed.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every sample and error.
    pub results: Results,
    /// One table of figures per workload.
    pub tables: Vec<Table>,
    /// The summary per subject and which chain suits what.
    pub overview: Overview,
    /// Every target of [`TARGETS`], checked.
    pub verdicts: Vec<Verdict>,
    /// Where and when it ran.
    pub machine: Machine,
}

impl Report {
    /// Analyses `results`, run on `machine`, ×floor dividing by the
    /// subject named [`FLOOR`] where this build has it.
    pub fn new(results: Results, machine: Machine) -> Report {
        Report::with_floor(results, machine, subject_named(FLOOR))
    }

    /// Analyses `results` with `floor` as the floor (tests stand any
    /// subject in for it).
    pub fn with_floor(results: Results, machine: Machine, floor: Option<Subject>) -> Report {
        let tables = tables(&results, floor);
        let overview = Overview::of(&tables);
        let verdicts = verdicts(TARGETS, &tables);
        Report {
            results,
            tables,
            overview,
            verdicts,
            machine,
        }
    }

    /// The mode's name, as the command line takes it.
    pub fn mode_name(&self) -> &'static str {
        match self.results.mode {
            crate::Mode::Smoke => "smoke",
            crate::Mode::Quick => "quick",
            crate::Mode::Full => "full",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testing::{
        fake, machine, BYTES, CHAIN_TOKIO, FRAME, NS_PER_TASK, TOKIO_CT, TOKIO_MT,
    };
    use crate::report::{chart, json, markdown, text};
    use crate::{Metric, Mode, Sample};

    /// Renders `report` every way the binary does.
    fn render_all(report: &Report) {
        let _ = text::render(report);
        let _ = markdown::render(report);
        let _ = json::render(report);
        for table in &report.tables {
            for m in 0..table.workload.metrics.len() {
                chart::svg(table, m, report.results.repeats).unwrap();
            }
        }
    }

    #[test]
    fn odd_figures_render_without_panicking() {
        const P50: Metric = Metric::lower("p50", "µs");
        const RATIO: Metric = Metric::lower("ratio", "x");
        const MEMORY: &[Metric] = &[BYTES, Metric::lower("B first", "B")];
        let workloads = [
            fake("spawn_many", &[NS_PER_TASK]),
            fake("memory_10k", MEMORY),
            fake("latency", &[P50]),
            fake("scaling_wake", &[RATIO]),
        ];
        let subjects = [FRAME, CHAIN_TOKIO, TOKIO_CT, TOKIO_MT];
        let values: [&[f64]; 4] = [&[0.0], &[-5.0, 0.0], &[0.0, 1e-12], &[1e12]];
        for (i, figures) in values.iter().enumerate() {
            let mut results = Results::new(Mode::Quick, 2, &workloads, &subjects);
            for (w, workload) in workloads.iter().enumerate() {
                for (s, &subject) in subjects.iter().enumerate() {
                    // One subject fails, one is never run.
                    match (s + i) % 4 {
                        0 => {
                            results.record(w, subject, Err("broken".into()));
                        }
                        1 => {}
                        _ => {
                            for &v in *figures {
                                let sample: Sample = vec![v; workload.metrics.len()];
                                results.record(w, subject, Ok(sample));
                            }
                        }
                    }
                }
            }
            for floor in [None, Some(TOKIO_CT), Some(FRAME)] {
                render_all(&Report::with_floor(results.clone(), machine(), floor));
            }
        }
        // A run of nothing at all, and of one subject.
        render_all(&Report::new(
            Results::new(Mode::Smoke, 0, &workloads, &[FRAME]),
            machine(),
        ));
        let mut one = Results::new(Mode::Smoke, 1, &workloads[..1], &[FRAME]);
        one.record(0, FRAME, Ok(vec![3.0]));
        render_all(&Report::new(one, machine()));
    }
}
