//! One SVG chart per workload and metric: a horizontal bar per subject
//! at its median, a line across the bar's end for its min–max spread,
//! taskchain's subjects in a colour of their own.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figures::Table;
use super::format;

const TASKCHAIN: RGBColor = RGBColor(230, 120, 20);
const RAW: RGBColor = RGBColor(110, 130, 160);

/// The chart's file name: `<workload>-<metric>.svg`, the metric's name
/// lowercased and every run of characters other than ASCII letters and
/// digits made one "_" ("ns/task" becomes "ns_task").
pub fn file_name(workload: &str, metric: &str) -> String {
    let mut clean = String::new();
    for c in metric.chars() {
        if c.is_ascii_alphanumeric() {
            clean.push(c.to_ascii_lowercase());
        } else if !clean.ends_with('_') {
            clean.push('_');
        }
    }
    let clean = clean.trim_matches('_');
    let clean = if clean.is_empty() { "metric" } else { clean };
    format!("{workload}-{clean}.svg")
}

/// The chart of `table`'s metric at `metric` as SVG text; `None` when no
/// subject was measured on it (no bars to draw).
pub fn svg(table: &Table, metric: usize, runs: usize) -> Result<Option<String>, String> {
    let spec = table.workload.metrics[metric];
    // Top to bottom in the order of the table: bar i of n is drawn at
    // y = n - 1 - i, since the y axis grows upwards.
    let bars: Vec<(String, bool, super::Summary)> = table
        .rows
        .iter()
        .filter_map(|row| {
            let figure = table.figure(row.subject, metric)?;
            Some((
                row.subject.name().to_string(),
                row.subject.is_taskchain(),
                figure.summary,
            ))
        })
        .collect();
    if bars.is_empty() {
        return Ok(None);
    }
    let low = bars.iter().map(|b| b.2.min).fold(0.0_f64, f64::min);
    let high = bars.iter().map(|b| b.2.max).fold(0.0_f64, f64::max);
    // Room on the right for the value written after each bar.
    let (low, high) = if high > low {
        (low * 1.2, high * 1.2)
    } else {
        (0.0, 1.0)
    };
    let better = if spec.lower_is_better {
        "lower is better"
    } else {
        "higher is better"
    };
    let caption = format!(
        "{}: {}, median of {runs} ({better})",
        table.workload.name,
        format::header(spec.name, spec.unit)
    );

    let mut text = String::new();
    {
        let height = 90 + 34 * bars.len() as u32;
        let root = SVGBackend::with_string(&mut text, (860, height)).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<std::io::Error>| format!("drawing {caption}: {e}");
        root.fill(&WHITE).map_err(err)?;
        // y is a plain number, bar i of n spanning y = n-1-i to n-i (the
        // axis grows upwards, the table reads downwards); the subjects'
        // names are drawn beside their bars, not as axis labels, which
        // would not sit at the bars' centres.
        let n = bars.len() as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(&caption, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(190)
            .build_cartesian_2d(low..high, 0.0..n)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .light_line_style(TRANSPARENT)
            .x_desc(spec.unit)
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        let value_style =
            TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        let name_style = TextStyle::from(("sans-serif", 13).into_font())
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (i, (name, taskchain, summary)) in bars.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            let colour = if *taskchain { TASKCHAIN } else { RAW };
            let bar = Rectangle::new(
                [(0.0, y + 0.18), (summary.median, y + 0.82)],
                colour.filled(),
            );
            chart.draw_series(std::iter::once(bar)).map_err(err)?;
            let spread = PathElement::new(
                vec![(summary.min, y + 0.5), (summary.max, y + 0.5)],
                BLACK.stroke_width(2),
            );
            chart.draw_series(std::iter::once(spread)).map_err(err)?;
            // The value just past the bar or its spread, whichever ends
            // later: a pixel offset from a point in data coordinates.
            let end = summary.max.max(summary.median);
            let value = EmptyElement::at((end, y + 0.5))
                + Text::new(format::figure(summary.median), (5, 0), value_style.clone());
            chart.draw_series(std::iter::once(value)).map_err(err)?;
            let (x, y) = chart.backend_coord(&(low, y + 0.5));
            root.draw_text(name, &name_style, (x - 8, y)).map_err(err)?;
        }
        // The legend, top left, above the subjects' names.
        let legend = TextStyle::from(("sans-serif", 12).into_font());
        for (x, colour, what) in [(12, TASKCHAIN, "taskchain"), (100, RAW, "raw runtime")] {
            root.draw(&Rectangle::new([(x, 12), (x + 10, 22)], colour.filled()))
                .map_err(err)?;
            root.draw_text(what, &legend, (x + 14, 11)).map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::tables;
    use crate::report::testing::{fake_workloads, FRAME, TOKIO_CT};
    use crate::report::Results;
    use crate::Mode;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name("spawn_many", "ns/task"), "spawn_many-ns_task.svg");
        assert_eq!(
            file_name("memory_10k", "B requested"),
            "memory_10k-b_requested.svg"
        );
        assert_eq!(file_name("latency", "p50 / p99"), "latency-p50_p99.svg");
        assert_eq!(file_name("w", "///"), "w-metric.svg");
    }

    #[test]
    fn bars_per_measured_subject_taskchain_highlighted() {
        let mut results = Results::new(Mode::Quick, 2, &fake_workloads(), &[FRAME, TOKIO_CT]);
        for (frame, tokio) in [(10.0, 30.0), (12.0, 34.0)] {
            results.record(0, FRAME, Ok(vec![frame, 1.0]));
            results.record(0, TOKIO_CT, Ok(vec![tokio, 1.0]));
        }
        let tables = tables(&results, None);
        let svg = svg(&tables[0], 0, 2).unwrap().unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("taskchain frame chain"));
        assert!(svg.contains("tokio current_thread"));
        assert!(svg.contains("spin: ns/task, median of 2 (lower is better)"));
        assert!(svg.contains("#E67814"), "taskchain's colour");
        assert!(svg.contains("#6E82A0"), "the raw runtimes' colour");
        // Nothing measured on the memory workload: no chart.
        assert_eq!(svg_of_unmeasured(&tables[1]), None);
    }

    fn svg_of_unmeasured(table: &Table) -> Option<String> {
        svg(table, 0, 1).unwrap()
    }
}
