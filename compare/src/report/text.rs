//! The plain-text report printed at the end of a run: the summary and
//! which chain suits what, then a table per workload, columns aligned,
//! then the targets.

use std::fmt::Write;

use super::format;
use super::grid::{Grid, GridRow};
use super::verdicts::{tally, Status};
use super::Report;

/// Pads `cell` to `width` characters (not bytes: "µ", "×" and "–" are
/// one column each), on the left if `right` aligns it right.
fn pad(cell: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(cell.chars().count()));
    if right {
        format!("{fill}{cell}")
    } else {
        format!("{cell}{fill}")
    }
}

/// `grid` as aligned lines, indented by two spaces: the subject column
/// left-aligned, the figures right-aligned. An error row does not widen
/// the columns; its message runs on past them.
pub fn grid_lines(grid: &Grid) -> Vec<String> {
    let mut widths: Vec<usize> = grid.header.iter().map(|h| h.chars().count()).collect();
    for row in &grid.rows {
        match row {
            GridRow::Cells(cells) => {
                for (w, cell) in widths.iter_mut().zip(cells) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            GridRow::Error(name, _) => widths[0] = widths[0].max(name.chars().count()),
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| pad(cell, w, i > 0))
            .collect();
        format!("  {}", padded.join("  ").trim_end())
    };
    let mut lines = vec![line(&grid.header)];
    for row in &grid.rows {
        lines.push(match row {
            GridRow::Cells(cells) => line(cells),
            GridRow::Error(name, error) => format!("  {}  {error}", pad(name, widths[0], false)),
        });
    }
    lines
}

/// The whole plain-text report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let runs = report.results.repeats;
    // Writing to a String cannot fail; the results are ignored.
    let _ = writeln!(
        out,
        "taskchain compare: {} mode, median [min–max] of {runs} run{}; \
         ×base = ratio to the raw runtime wrapped, ×floor = ratio to the floor (a minimal \
         executor), ×best = ratio to the best; * = taskchain",
        report.mode_name(),
        if runs == 1 { "" } else { "s" },
    );
    let _ = writeln!(out, "machine: {}", report.machine.label());
    let _ = writeln!(out);
    let _ = writeln!(out, "summary: {}", report.overview.definition());
    for line in grid_lines(&report.overview.grid()) {
        let _ = writeln!(out, "{line}");
    }
    if !report.overview.advice.is_empty() {
        let _ = writeln!(out, "which chain for what:");
        for sentence in &report.overview.advice {
            let _ = writeln!(out, "  - {sentence}");
        }
    }
    for table in &report.tables {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}: {}", table.workload.name, table.workload.about);
        if let Some(why) = table.skipped_by_all() {
            let _ = writeln!(out, "  {why}");
            continue;
        }
        for line in grid_lines(&Grid::of(table)) {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "targets: {}", tally(&report.verdicts));
    let mut goal = "";
    for verdict in &report.verdicts {
        if verdict.goal != goal {
            goal = verdict.goal;
            let _ = writeln!(out, "  {goal}");
        }
        let detail = match &verdict.status {
            Status::NotMeasured(why) => format!("not measured: {why}"),
            _ => format!(
                "{}, limit {}",
                format::verdict_value(verdict),
                format::verdict_limit(verdict)
            ),
        };
        let status = match verdict.status {
            Status::NotMeasured(_) => "-".to_string(),
            ref status => format::status(status),
        };
        let _ = writeln!(
            out,
            "    {}  {}: {detail}",
            pad(&status, 12, false),
            format::verdict_scope(verdict)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testing::{fake_workloads, machine, FRAME, TOKIO_CT};
    use crate::report::Results;
    use crate::Mode;

    #[test]
    fn columns_align_by_characters_and_errors_run_on() {
        let grid = Grid {
            header: vec!["subject".into(), "µs".into()],
            rows: vec![
                GridRow::Cells(vec!["a".into(), "1.00×".into()]),
                GridRow::Error("long subject name".into(), "error: it broke".into()),
            ],
        };
        assert_eq!(
            grid_lines(&grid),
            [
                "  subject               µs",
                "  a                  1.00×",
                "  long subject name  error: it broke",
            ]
        );
    }

    #[test]
    fn the_report_has_every_workload_and_the_targets() {
        let mut results = Results::new(Mode::Quick, 1, &fake_workloads(), &[FRAME, TOKIO_CT]);
        results.record(0, FRAME, Ok(vec![10.0, 5.0]));
        results.record(0, TOKIO_CT, Ok(vec![20.0, 2.5]));
        results.record(1, FRAME, Err("out of memory".into()));
        let text = render(&Report::new(results, machine()));
        assert!(text.contains("quick mode, median [min–max] of 1 run;"));
        assert!(text.contains("machine: Test CPU, 2 cores, TestOS"));
        assert!(text.contains("spin: a fake workload"));
        assert!(
            text.contains("taskchain frame chain *     10.0  0.50×  1.00×     5.00  2.00×  1.00×")
        );
        assert!(text.contains("error: out of memory"));
        assert!(text.contains("\ntargets: 0 met, 0 MISSED, 0 inconclusive, "));
        assert!(text.contains("\n  frame chain: spawn+complete at most 1.5x the floor\n"));
        assert!(text
            .contains("-             spawn_many · ns/task · taskchain frame chain: not measured"));
        let summary = text
            .find("\nsummary: ×base and ×floor are geometric means")
            .unwrap();
        assert!(
            summary < text.find("\nspin: ").unwrap(),
            "the summary comes first"
        );
        assert!(
            text.contains("  taskchain frame chain *  0.50× (1)       –"),
            "{text}"
        );
    }

    #[test]
    fn a_workload_all_skipped_is_one_line() {
        let mut results = Results::new(Mode::Quick, 1, &fake_workloads(), &[FRAME]);
        results.record(1, FRAME, Err("skipped: needs --full".into()));
        let text = render(&Report::new(results, machine()));
        assert!(text.contains(
            "memory_fake: a fake workload for the report's tests\n  skipped: needs --full\n"
        ));
        // A memory workload outside the shared-future set is held to no target.
        assert!(!text.contains("memory_fake · B steady"));
    }
}
