//! `report.md`: the machine, the summary and which chain suits what, how
//! to read the figures, a table and the charts per workload, and the
//! targets with their verdicts.

use std::fmt::Write;

use super::grid::{Grid, GridRow};
use super::verdicts::{tally, Status};
use super::{chart, format, Report};

/// Makes `text` safe in a table cell: a "|" would end the cell, a line
/// break the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `grid` as a Markdown table, figures right-aligned.
pub fn table(grid: &Grid) -> String {
    let mut out = String::new();
    let header: Vec<String> = grid.header.iter().map(|h| cell(h)).collect();
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let rule: Vec<&str> = (0..grid.header.len())
        .map(|i| if i == 0 { "---" } else { "--:" })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for row in &grid.rows {
        let cells: Vec<String> = match row {
            GridRow::Cells(cells) => cells.iter().map(|c| cell(c)).collect(),
            GridRow::Error(name, error) => {
                let mut cells = vec![cell(name), cell(error)];
                cells.resize(grid.header.len(), String::new());
                cells
            }
        };
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// The whole `report.md`.
pub fn render(report: &Report) -> String {
    let m = &report.machine;
    let runs = report.results.repeats;
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored.
    let _ = writeln!(out, "# taskchain compare report\n");
    let _ = writeln!(out, "- machine: {}", m.label());
    let _ = writeln!(out, "- rustc: {}", m.rustc);
    let _ = writeln!(
        out,
        "- mode: {}, {runs} run(s) per figure",
        report.mode_name()
    );
    let _ = writeln!(out, "- date: {}\n", m.date);
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(out, "{}.\n", report.overview.definition());
    let _ = writeln!(out, "{}", table(&report.overview.grid()));
    if !report.overview.advice.is_empty() {
        let _ = writeln!(out, "### Which chain for what\n");
        for sentence in &report.overview.advice {
            let _ = writeln!(out, "- {sentence}");
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## Figures\n");
    let _ = writeln!(
        out,
        "Each figure is the median over the runs, with the smallest and largest \
         run in brackets. **×base** is a taskchain subject's median divided by \
         that of the raw runtime it wraps (the frame chain's is tokio \
         current_thread); **×floor** is a median divided by the floor's (a \
         minimal executor: async tasks on a `VecDeque`), where the floor ran the \
         workload; **×best** is a subject's median divided by the best \
         subject's on that metric. Below 1 is better where lower is better \
         (time, bytes). Taskchain's subjects are marked `*`.\n"
    );
    for t in &report.tables {
        let _ = writeln!(out, "## {}\n", t.workload.name);
        let _ = writeln!(out, "{}\n", t.workload.about);
        if let Some(why) = t.skipped_by_all() {
            let _ = writeln!(out, "*{why}*\n");
            continue;
        }
        let _ = writeln!(out, "{}", table(&Grid::of(t)));
        for (i, metric) in t.workload.metrics.iter().enumerate() {
            if t.best[i].is_some() {
                let file = chart::file_name(t.workload.name, metric.name);
                let _ = writeln!(out, "![{} {}]({file})", t.workload.name, metric.name);
            }
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(
        out,
        "Each target compares a taskchain subject with its reference repeat by \
         repeat (the same repeat of both, run back to back); the figure is the \
         lowest–highest of those paired values. A target is met when the highest \
         is within the limit, MISSED when the lowest is past it, and \
         inconclusive when the repeats straddle it.\n"
    );
    let _ = writeln!(out, "{}.\n", tally(&report.verdicts));
    let _ = writeln!(out, "| target | where | paired figure | limit | status |");
    let _ = writeln!(out, "|---|---|--:|--:|---|");
    let mut goal = "";
    for v in &report.verdicts {
        // The target's words once, on its first row.
        let shown = if v.goal == goal { "" } else { v.goal };
        goal = v.goal;
        let status = match &v.status {
            Status::Missed => "**MISSED**".to_string(),
            other => format::status(other),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(shown),
            cell(&format::verdict_scope(v)),
            cell(&format::verdict_value(v)),
            cell(&format::verdict_limit(v)),
            cell(&status)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testing::{fake, machine, FRAME, NS_PER_TASK, TOKIO_CT};
    use crate::report::Results;
    use crate::Mode;

    #[test]
    fn tables_escape_pipes_and_pad_error_rows() {
        let grid = Grid {
            header: vec!["subject".into(), "ns/task".into(), "×base".into()],
            rows: vec![
                GridRow::Cells(vec!["a *".into(), "1.00".into(), "–".into()]),
                GridRow::Error("b".into(), "error: x | y".into()),
            ],
        };
        assert_eq!(
            table(&grid),
            "| subject | ns/task | ×base |\n|---|--:|--:|\n| a * | 1.00 | – |\n\
             | b | error: x \\| y |  |\n"
        );
    }

    #[test]
    fn the_report_has_machine_tables_charts_and_targets() {
        let workloads = [fake("spawn_many", &[NS_PER_TASK])];
        let mut results = Results::new(Mode::Full, 1, &workloads, &[FRAME, TOKIO_CT]);
        results.record(0, FRAME, Ok(vec![60.0]));
        results.record(0, TOKIO_CT, Ok(vec![100.0]));
        let md = render(&Report::new(results, machine()));
        assert!(md.starts_with("# taskchain compare report\n"));
        let summary = md.find("## Summary").unwrap();
        assert!(summary < md.find("## spawn_many").unwrap(), "summary first");
        assert!(md.contains("| taskchain frame chain * | 0.60× (1) | – | – |"));
        assert!(md.contains("### Which chain for what\n\n- For work driven from one thread's loop"));
        assert!(md.contains("- machine: Test CPU, 2 cores, TestOS\n"));
        assert!(md.contains("- rustc: rustc 1.0\n- mode: full, 1 run(s) per figure\n"));
        assert!(md.contains("## spawn_many\n"));
        assert!(md.contains("| taskchain frame chain * | 60.0 | 0.60× | 1.00× |"));
        assert!(md.contains("![spawn_many ns/task](spawn_many-ns_task.svg)"));
        assert!(md.contains(
            "| frame chain: spawn+complete at most 1.5x the floor \
             | spawn_many · ns/task · taskchain frame chain | – | ≤ 1.50× | not measured ("
        ));
        assert!(md.contains(
            "| frame chain: spawn+complete at most 0.5x tokio current_thread | spawn_many · \
             ns/task · taskchain frame chain | 0.60× tokio current_thread | ≤ 0.50× | **MISSED** |"
        ));
        assert!(
            md.contains("\n0 met, 1 MISSED, 0 inconclusive, 20 not measured.\n"),
            "{md}"
        );
    }
}
