//! A workload's table as cells of text, laid out once for both the plain
//! text and the Markdown report: a row per subject, and per metric three
//! columns (median [min–max], ratio to baseline, ratio to best), four
//! with a ratio to the floor where the floor ran the workload.

use super::figures::{Outcome, Table};
use super::format;
use crate::Subject;

/// A row of the grid.
#[derive(Debug, Clone, PartialEq)]
pub enum GridRow {
    /// The subject's name, then three or four cells per metric.
    Cells(Vec<String>),
    /// The subject's name and why it has no figures.
    Error(String, String),
}

/// A workload's table as text cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// The column headers, the first being "subject".
    pub header: Vec<String>,
    /// One row per subject.
    pub rows: Vec<GridRow>,
}

/// The marker after a taskchain subject's name, so it stands out among
/// the raw runtimes.
pub const TASKCHAIN_MARK: &str = " *";

/// `subject`'s name as a row shows it: marked if it is taskchain's.
pub fn row_name(subject: Subject) -> String {
    let mut name = subject.name().to_string();
    if subject.is_taskchain() {
        name.push_str(TASKCHAIN_MARK);
    }
    name
}

impl Grid {
    /// Lays out `table`.
    pub fn of(table: &Table) -> Grid {
        let mut header = vec!["subject".to_string()];
        let with_floor = table.floor.is_some();
        for metric in table.workload.metrics {
            header.push(format::header(metric.name, metric.unit));
            header.push("×base".to_string());
            if with_floor {
                header.push("×floor".to_string());
            }
            header.push("×best".to_string());
        }
        let rows = table
            .rows
            .iter()
            .map(|row| {
                let name = row_name(row.subject);
                match &row.outcome {
                    Outcome::Measured(figures) => {
                        let mut cells = vec![name];
                        for figure in figures {
                            cells.push(format::summary(&figure.summary));
                            cells.push(format::ratio(figure.to_baseline));
                            if with_floor {
                                cells.push(format::ratio(figure.to_floor));
                            }
                            cells.push(format::ratio(figure.to_best));
                        }
                        GridRow::Cells(cells)
                    }
                    Outcome::Failed(error) => GridRow::Error(name, format!("error: {error}")),
                    Outcome::Skipped(why) => GridRow::Error(name, why.clone()),
                    Outcome::NotRun => GridRow::Error(name, "not run".to_string()),
                }
            })
            .collect();
        Grid { header, rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::tables;
    use crate::report::testing::{fake_workloads, FRAME, TOKIO_CT};
    use crate::report::Results;
    use crate::Mode;

    #[test]
    fn cells_per_metric_and_error_rows() {
        let mut results = Results::new(Mode::Quick, 2, &fake_workloads(), &[FRAME, TOKIO_CT]);
        results.record(0, FRAME, Ok(vec![10.0, 100.0]));
        results.record(0, FRAME, Ok(vec![12.0, 80.0]));
        results.record(0, TOKIO_CT, Err("no runtime".into()));
        let grid = Grid::of(&tables(&results, None)[0]);
        assert_eq!(
            grid.header,
            ["subject", "ns/task", "×base", "×best", "tasks/s", "×base", "×best"]
        );
        assert_eq!(
            grid.rows,
            vec![
                GridRow::Cells(
                    [
                        "taskchain frame chain *",
                        "11.0 [10.0–12.0]",
                        "–",
                        "1.00×",
                        "90.0 [80.0–100]",
                        "–",
                        "1.00×"
                    ]
                    .map(String::from)
                    .to_vec()
                ),
                GridRow::Error("tokio current_thread".into(), "error: no runtime".into()),
            ]
        );
    }

    #[test]
    fn a_floor_column_beside_base_where_the_floor_ran() {
        let mut results = Results::new(Mode::Quick, 1, &fake_workloads(), &[FRAME, TOKIO_CT]);
        results.record(0, FRAME, Ok(vec![10.0, 100.0]));
        results.record(0, TOKIO_CT, Ok(vec![20.0, 50.0]));
        // tokio current_thread stands in for the floor.
        let grid = Grid::of(&tables(&results, Some(TOKIO_CT))[0]);
        assert_eq!(grid.header[1..5], ["ns/task", "×base", "×floor", "×best"]);
        assert_eq!(
            grid.rows[0],
            GridRow::Cells(
                ["taskchain frame chain *", "10.0", "0.50×", "0.50×", "1.00×"]
                    .into_iter()
                    .chain(["100", "2.00×", "2.00×", "1.00×"])
                    .map(String::from)
                    .collect()
            )
        );
    }
}
