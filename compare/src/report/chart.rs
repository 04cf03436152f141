//! One SVG chart per workload and metric: a horizontal bar per subject
//! at its median, a line across the bar's end for its min–max spread,
//! taskchain's subjects in a colour of their own, the value axis log
//! when the bars span more than tenfold ([`axis`](super::axis)), a line
//! at each target's limit on that metric, and a short mark on each bar a
//! relative target holds to a limit of its own (its raw runtime's value
//! times the ratio, or its other metric's plus the excess).

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{tick, Axis};
use super::figures::Table;
use super::format;
use super::targets::{subject_named, Against, Limit, Target, TARGETS};
use super::Summary;
use crate::Subject;

const TASKCHAIN: RGBColor = RGBColor(230, 120, 20);
const RAW: RGBColor = RGBColor(110, 130, 160);
const TARGET: RGBColor = RGBColor(200, 30, 30);

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

/// A bar of a chart: the subject, and its figure.
type Bar = (Subject, Summary);

/// A target's limit on a chart: where it is drawn, and its label.
pub type TargetLine = (f64, String);

/// A target's limit on one bar: the bar's subject, where the mark is
/// drawn, and its label (the same for every bar of one target, so that
/// the chart says it once).
pub type TargetMark = (Subject, f64, String);

/// The limits of `targets` that apply to the chart of `table`'s metric
/// at `metric`, in that metric's unit: an absolute limit as it is, a
/// limit relative to a named subject at that subject's median times the
/// ratio (or plus the excess). A limit relative to each subject's own
/// baseline or to another metric has no one place on the chart: it is
/// a mark on each bar instead ([`target_marks`]). A target that holds
/// none of the chart's bars draws no line.
pub fn target_lines(table: &Table, metric: usize, targets: &[Target]) -> Vec<TargetLine> {
    let spec = table.workload.metrics[metric];
    let median_of = |name: &str| {
        let subject = subject_named(name)?;
        Some(table.figure(subject, metric)?.summary.median)
    };
    let holds_a_bar = |t: &Target| {
        table.rows.iter().any(|row| {
            t.subjects.includes(row.subject) && table.figure(row.subject, metric).is_some()
        })
    };
    targets
        .iter()
        .filter(|t| t.reads(table.workload.name, &spec) && holds_a_bar(t))
        .filter_map(|t| match t.limit {
            Limit::AtMost(limit) => Some((limit, format!("target ≤ {}", tick(limit)))),
            Limit::RatioAtMost(Against::Named(name), limit) => Some((
                limit * median_of(name)?,
                format!("target ≤ {}× {name}", tick(limit)),
            )),
            Limit::ExcessAtMost(Against::Named(name), limit) => Some((
                median_of(name)? + limit,
                format!("target ≤ {name} + {}", tick(limit)),
            )),
            _ => None,
        })
        .collect()
}

/// The limits of `targets` that apply to the chart of `table`'s metric
/// at `metric` and differ from bar to bar, one per bar the target holds:
/// a limit relative to the bar's own baseline (the raw runtime its
/// subject wraps) at the baseline's median times the ratio (or plus the
/// excess), one relative to another metric at the same subject's median
/// on that metric times the ratio (or plus the excess). A bar whose
/// reference was not measured gets no mark.
pub fn target_marks(table: &Table, metric: usize, targets: &[Target]) -> Vec<TargetMark> {
    let spec = table.workload.metrics[metric];
    let median =
        |subject: Subject, metric: usize| Some(table.figure(subject, metric)?.summary.median);
    let mut marks = Vec::new();
    for target in targets
        .iter()
        .filter(|t| t.reads(table.workload.name, &spec))
    {
        let (against, limit, ratio) = match target.limit {
            Limit::RatioAtMost(against, limit) => (against, limit, true),
            Limit::ExcessAtMost(against, limit) => (against, limit, false),
            Limit::AtMost(_) => continue,
        };
        let what = match against {
            Against::Baseline => "its raw runtime".to_string(),
            Against::Metric(name) => format!("its {name}"),
            // One place for every bar: a line (see `target_lines`).
            Against::Named(_) => continue,
        };
        let label = if ratio {
            format!("target ≤ {}× {what}", tick(limit))
        } else {
            format!("target ≤ {what} + {}", tick(limit))
        };
        for row in &table.rows {
            let subject = row.subject;
            if !target.subjects.includes(subject) || median(subject, metric).is_none() {
                continue;
            }
            let reference = match against {
                Against::Baseline => subject.baseline().and_then(|b| median(b, metric)),
                Against::Metric(name) => table.metric(name).and_then(|m| median(subject, m)),
                Against::Named(_) => None,
            };
            if let Some(reference) = reference {
                let place = if ratio {
                    reference * limit
                } else {
                    reference + limit
                };
                marks.push((subject, place, label.clone()));
            }
        }
    }
    marks
}

/// The chart of `table`'s metric at `metric` as SVG text, with the lines
/// and marks of [`TARGETS`] that apply; `None` when no subject was
/// measured on it (no bars to draw).
pub fn svg(table: &Table, metric: usize, runs: usize) -> Result<Option<String>, String> {
    svg_with(table, metric, runs, TARGETS)
}

/// [`svg`] with the lines and marks of `targets`.
pub fn svg_with(
    table: &Table,
    metric: usize,
    runs: usize,
    targets: &[Target],
) -> Result<Option<String>, String> {
    let spec = table.workload.metrics[metric];
    // Top to bottom in the order of the table: bar i of n is drawn at
    // y = n - 1 - i, since the y axis grows upwards.
    let bars: Vec<Bar> = table
        .rows
        .iter()
        .filter_map(|row| Some((row.subject, table.figure(row.subject, metric)?.summary)))
        .collect();
    if bars.is_empty() {
        return Ok(None);
    }
    let lines = target_lines(table, metric, targets);
    let marks = target_marks(table, metric, targets);
    // Each mark's label once, in the order first met, under the chart.
    let mut notes: Vec<&str> = Vec::new();
    for (_, _, label) in &marks {
        if !notes.contains(&label.as_str()) {
            notes.push(label);
        }
    }
    let medians: Vec<f64> = bars.iter().map(|b| b.1.median).collect();
    let extremes: Vec<f64> = bars.iter().flat_map(|b| [b.1.min, b.1.max]).collect();
    let places: Vec<f64> = lines
        .iter()
        .map(|l| l.0)
        .chain(marks.iter().map(|m| m.1))
        .collect();
    let axis = Axis::of(&medians, &extremes, &places);
    let better = if spec.lower_is_better {
        "lower is better"
    } else {
        "higher is better"
    };
    let scale = if axis.log { ", log scale" } else { "" };
    let caption = format!(
        "{}: {}, median of {runs} ({better}{scale})",
        table.workload.name,
        format::header(spec.name, spec.unit)
    );

    let mut text = String::new();
    {
        let height = 90 + 34 * bars.len() as u32;
        let root =
            SVGBackend::with_string(&mut text, (860, height + NOTE_HEIGHT * notes.len() as u32))
                .into_drawing_area();
        let (plot, below) = root.split_vertically(height);
        let chart = Chart {
            root: &plot,
            below: &below,
            caption: &caption,
            unit: spec.unit,
            axis,
            bars: &bars,
            lines: &lines,
            marks: &marks,
            notes: &notes,
        };
        if axis.log {
            chart.draw((axis.low..axis.high).log_scale())?;
        } else {
            chart.draw(axis.low..axis.high)?;
        }
    }
    Ok(Some(text))
}

/// The height of a line of the notes under a chart (one per label of its
/// target marks).
const NOTE_HEIGHT: u32 = 18;

/// What one chart draws, whichever its value axis.
struct Chart<'c, 'r> {
    /// The chart itself: caption, axes, bars, lines and marks.
    root: &'c DrawingArea<SVGBackend<'r>, Shift>,
    /// Under it: the labels of the marks, one a line.
    below: &'c DrawingArea<SVGBackend<'r>, Shift>,
    caption: &'c str,
    unit: &'c str,
    axis: Axis,
    bars: &'c [Bar],
    lines: &'c [TargetLine],
    marks: &'c [TargetMark],
    notes: &'c [&'c str],
}

impl Chart<'_, '_> {
    /// Draws the chart with `x` as its value axis (linear or log: the
    /// drawing is the same, the coordinates differ).
    fn draw<X>(&self, x: X) -> Result<(), String>
    where
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
    {
        let root = self.root;
        let caption = self.caption;
        let err = |e: DrawingAreaErrorKind<std::io::Error>| format!("drawing {caption}: {e}");
        root.fill(&WHITE).map_err(err)?;
        // y is a plain number, bar i of n spanning y = n-1-i to n-i (the
        // axis grows upwards, the table reads downwards); the subjects'
        // names are drawn beside their bars, not as axis labels, which
        // would not sit at the bars' centres.
        let n = self.bars.len() as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(caption, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(190)
            .build_cartesian_2d(x, 0.0..n)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .light_line_style(TRANSPARENT)
            .x_label_formatter(&|v| tick(*v))
            .x_desc(self.unit)
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        let value_style =
            TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        let name_style = TextStyle::from(("sans-serif", 13).into_font())
            .pos(Pos::new(HPos::Right, VPos::Center));
        let at = |value: f64| self.axis.clamp(value);
        for (i, (subject, summary)) in self.bars.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            let colour = if subject.is_taskchain() {
                TASKCHAIN
            } else {
                RAW
            };
            let bar = Rectangle::new(
                [
                    (self.axis.origin(), y + 0.18),
                    (at(summary.median), y + 0.82),
                ],
                colour.filled(),
            );
            chart.draw_series(std::iter::once(bar)).map_err(err)?;
            let spread = PathElement::new(
                vec![(at(summary.min), y + 0.5), (at(summary.max), y + 0.5)],
                BLACK.stroke_width(2),
            );
            chart.draw_series(std::iter::once(spread)).map_err(err)?;
            // The value just past the bar or its spread, whichever ends
            // later: a pixel offset from a point in data coordinates.
            let end = at(summary.max.max(summary.median));
            let value = EmptyElement::at((end, y + 0.5))
                + Text::new(format::figure(summary.median), (5, 0), value_style.clone());
            chart.draw_series(std::iter::once(value)).map_err(err)?;
            let (x, y) = chart.backend_coord(&(self.axis.low, y + 0.5));
            root.draw_text(subject.name(), &name_style, (x - 8, y))
                .map_err(err)?;
        }
        // Each target's limit across every bar, labelled at the top.
        let label_style = ("sans-serif", 12)
            .into_font()
            .color(&TARGET)
            .pos(Pos::new(HPos::Left, VPos::Bottom));
        // Each label a line lower than the one before, so that two limits
        // close together do not write over each other.
        for (i, (place, label)) in self.lines.iter().enumerate() {
            let line = PathElement::new(
                vec![(at(*place), 0.0), (at(*place), n)],
                TARGET.stroke_width(2),
            );
            chart.draw_series(std::iter::once(line)).map_err(err)?;
            let (x, y) = chart.backend_coord(&(at(*place), n));
            root.draw_text(label, &label_style, (x + 4, y + 14 + 14 * i as i32))
                .map_err(err)?;
        }
        // Each bar's own limit: a short line across its row, in the
        // target lines' style, its label under the chart.
        for (subject, place, _) in self.marks {
            let Some(i) = self.bars.iter().position(|(s, _)| s == subject) else {
                continue;
            };
            let y = n - 1.0 - i as f64;
            let mark = PathElement::new(
                vec![(at(*place), y + 0.04), (at(*place), y + 0.96)],
                TARGET.stroke_width(2),
            );
            chart.draw_series(std::iter::once(mark)).map_err(err)?;
        }
        let note_style = ("sans-serif", 12)
            .into_font()
            .color(&TARGET)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (i, note) in self.notes.iter().enumerate() {
            let middle = (NOTE_HEIGHT * i as u32 + NOTE_HEIGHT / 2) as i32;
            self.below
                .draw(&PathElement::new(
                    vec![(16, middle - 6), (16, middle + 6)],
                    TARGET.stroke_width(2),
                ))
                .map_err(err)?;
            self.below
                .draw_text(
                    &format!("{note} (on each bar it holds)"),
                    &note_style,
                    (24, middle),
                )
                .map_err(err)?;
        }
        // The legend, top left, above the subjects' names.
        let legend = TextStyle::from(("sans-serif", 12).into_font());
        for (x, colour, what) in [(12, TASKCHAIN, "taskchain"), (100, RAW, "raw runtime")] {
            root.draw(&Rectangle::new([(x, 12), (x + 10, 22)], colour.filled()))
                .map_err(err)?;
            root.draw_text(what, &legend, (x + 14, 11)).map_err(err)?;
        }
        root.present().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::tables;
    use crate::report::targets::{Metrics, Subjects, Workloads};
    use crate::report::testing::{fake_workloads, BYTES, CHAIN_TOKIO, FRAME, TOKIO_CT, TOKIO_MT};
    use crate::report::Results;
    use crate::Mode;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name("spawn_many", "ns/task"), "spawn_many-ns_task.svg");
        assert_eq!(
            file_name("memory_10k", "B steady"),
            "memory_10k-b_steady.svg"
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

    #[test]
    fn bars_past_tenfold_get_a_log_axis_with_plain_ticks_and_the_target_line() {
        let mut results = Results::new(Mode::Quick, 1, &fake_workloads(), &[FRAME, TOKIO_CT]);
        results.record(0, FRAME, Ok(vec![20.0, 1.0]));
        results.record(0, TOKIO_CT, Ok(vec![40_000.0, 1.0]));
        let tables = tables(&results, None);
        let at_most = Target {
            goal: "spin at most 100 ns",
            workloads: Workloads::Each(&["spin"]),
            metrics: Metrics::Named("ns/task"),
            subjects: Subjects::Taskchain,
            limit: Limit::AtMost(100.0),
        };
        let relative = Target {
            limit: Limit::RatioAtMost(Against::Named("tokio current_thread"), 0.5),
            ..at_most
        };
        assert_eq!(
            target_lines(&tables[0], 0, &[at_most, relative]),
            [
                (100.0, "target ≤ 100".to_string()),
                (20_000.0, "target ≤ 0.5× tokio current_thread".to_string())
            ]
        );
        let svg = svg_with(&tables[0], 0, 1, &[at_most]).unwrap().unwrap();
        assert!(svg.contains("(lower is better, log scale)"));
        // plotters writes each text on a line of its own.
        assert!(svg.contains("\ntarget ≤ 100\n"), "the target's label");
        assert!(svg.contains("\n1k\n") && svg.contains("\n10k\n"), "{svg}");
        assert!(
            !svg.contains("e3\n") && !svg.contains("e4\n"),
            "no scientific notation"
        );
        // Within tenfold, the axis stays linear; no target, no line.
        let linear = svg_with(&tables[0], 1, 1, &[at_most]).unwrap().unwrap();
        assert!(!linear.contains("log scale") && !linear.contains("target ≤"));
    }

    #[test]
    fn relative_targets_mark_each_bar_they_hold_at_its_own_limit() {
        const FIRST: crate::Metric = crate::Metric::lower("B first", "B");
        let workloads = [crate::report::testing::fake("memory_x", &[BYTES, FIRST])];
        let subjects = [FRAME, CHAIN_TOKIO, TOKIO_MT];
        let mut results = Results::new(Mode::Quick, 1, &workloads, &subjects);
        // B steady, then B first.
        results.record(0, FRAME, Ok(vec![100.0, 150.0]));
        results.record(0, CHAIN_TOKIO, Ok(vec![120.0, 130.0]));
        results.record(0, TOKIO_MT, Ok(vec![200.0, 210.0]));
        let tables = tables(&results, None);
        let over_baseline = Target {
            goal: "backends at most 1.1x their raw runtime",
            workloads: Workloads::Each(&["memory_x"]),
            metrics: Metrics::Named("B steady"),
            subjects: Subjects::Threaded,
            limit: Limit::RatioAtMost(Against::Baseline, 1.1),
        };
        let first_over_steady = Target {
            goal: "the first round at most the steady one + 16",
            metrics: Metrics::Named("B first"),
            subjects: Subjects::Taskchain,
            limit: Limit::ExcessAtMost(Against::Metric("B steady"), 16.0),
            ..over_baseline
        };
        let targets = [over_baseline, first_over_steady];
        // The tokio chain only (the frame chain is no threaded chain),
        // at 1.1 times tokio multi_thread's 200.
        let steady = target_marks(&tables[0], 0, &targets);
        assert_eq!(steady.len(), 1, "{steady:?}");
        assert_eq!(steady[0].0, CHAIN_TOKIO);
        assert!((steady[0].1 - 220.0).abs() < 1e-9, "{}", steady[0].1);
        assert_eq!(steady[0].2, "target ≤ 1.1× its raw runtime");
        // Every taskchain bar, each at its own steady figure + 16.
        assert_eq!(
            target_marks(&tables[0], 1, &targets),
            [
                (FRAME, 116.0, "target ≤ its B steady + 16".to_string()),
                (CHAIN_TOKIO, 136.0, "target ≤ its B steady + 16".to_string()),
            ]
        );
        // Relative limits are no lines across the whole chart, and a
        // target that holds no bar of the chart draws nothing.
        assert!(target_lines(&tables[0], 1, &targets).is_empty());
        let elsewhere = Target {
            subjects: Subjects::Each(&["taskchain-threadpool"]),
            limit: Limit::AtMost(300.0),
            ..over_baseline
        };
        assert!(target_lines(&tables[0], 0, &[elsewhere]).is_empty());
        assert!(target_marks(&tables[0], 0, &[elsewhere]).is_empty());

        let marked = svg_with(&tables[0], 1, 1, &targets).unwrap().unwrap();
        let plain = svg_with(&tables[0], 1, 1, &[]).unwrap().unwrap();
        // In the target colour: the two marks, then the label's own
        // short line and its text, said once for both.
        let target_colour = "#C81E1E";
        assert_eq!(marked.matches(target_colour).count(), 2 + 2, "{marked}");
        assert_eq!(plain.matches(target_colour).count(), 0);
        assert_eq!(
            marked.matches("target ≤ its B steady + 16").count(),
            1,
            "{marked}"
        );
    }

    fn svg_of_unmeasured(table: &Table) -> Option<String> {
        svg(table, 0, 1).unwrap()
    }
}
