//! The answer at the top of the report: per subject, what it costs over
//! its raw runtime and over the floor (geometric means over the
//! throughput workloads), its memory per coroutine, its wake-to-run and
//! timer figures; then which chain suits what, in sentences drawn from
//! those figures.

use super::figures::{Figure, Table};
use super::format;
use super::grid::{Grid, GridRow, TASKCHAIN_MARK};
use super::targets::{is_throughput, is_time_unit};
use crate::{Raw, Subject};
use taskchain::Backend;

/// The steady memory per coroutine, by the names a memory workload may
/// give it: "B steady" beside a first-round figure, or "B requested"
/// where the workload measures the steady round alone.
const STEADY_BYTES: &[&str] = &["B steady", "B requested"];

/// The memory workload the summary reads first; others stand in, the
/// largest first, when it did not run.
const MEMORY_WORKLOAD: &str = "memory_100k";

/// At or above this timer overshoot p50 (µs), a tokio subject's
/// overshoot is its timer wheel's 1 ms slot, and the summary says so.
const TOKIO_WHEEL_P50_US: f64 = 500.0;

/// A geometric mean of ratios, and how many it averages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mean {
    /// The geometric mean.
    pub value: f64,
    /// How many ratios it averages.
    pub of: usize,
}

/// The geometric mean of `ratios`: the mean that treats 2× and 0.5× as
/// cancelling out, as ratios should. `None` when there are none or one
/// is not positive (it has no logarithm).
pub fn geometric_mean(ratios: &[f64]) -> Option<f64> {
    if ratios.is_empty() || ratios.iter().any(|&r| r <= 0.0) {
        return None;
    }
    let logs: f64 = ratios.iter().map(|r| r.ln()).sum();
    Some((logs / ratios.len() as f64).exp())
}

/// One subject's line of the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectSummary {
    /// The subject.
    pub subject: Subject,
    /// Geometric mean of its ×base over the throughput time figures.
    pub to_baseline: Option<Mean>,
    /// Geometric mean of its ×floor over the same figures.
    pub to_floor: Option<Mean>,
    /// Bytes per suspended coroutine (steady round), and the memory
    /// workload it comes from.
    pub memory: Option<(f64, &'static str)>,
    /// Wake-to-run p50 (µs), from the `latency` workload.
    pub wake_p50: Option<f64>,
    /// Timer overshoot p50 (µs), from the `timer` workload.
    pub timer_p50: Option<f64>,
    /// Timer overshoot p99 (µs).
    pub timer_p99: Option<f64>,
}

/// The summary of a run and the advice drawn from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    /// The throughput workloads that ran, whose time figures the means
    /// average.
    pub throughput: Vec<&'static str>,
    /// One line per subject, in the order the tables list them.
    pub subjects: Vec<SubjectSummary>,
    /// "Which chain for what": one sentence per finding, each drawn from
    /// the figures above; none when they are absent.
    pub advice: Vec<String>,
}

/// `value` in `unit` as microseconds, if `unit` is a unit of time.
fn micros(value: f64, unit: &str) -> Option<f64> {
    let per_unit = match unit {
        "ns" => 1e-3,
        "µs" | "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        _ => return None,
    };
    Some(value * per_unit)
}

/// The coroutines a memory workload holds, read off its name's suffix
/// ("memory_10k" holds 10,000), to rank the stand-ins by size.
fn coroutines(workload: &str) -> u64 {
    let size = workload.rsplit('_').next().unwrap_or("");
    let (digits, scale) = match size.chars().last() {
        Some('k') => (&size[..size.len() - 1], 1_000),
        Some('m') => (&size[..size.len() - 1], 1_000_000),
        _ => (size, 1),
    };
    digits.parse::<u64>().map_or(0, |n| n * scale)
}

/// `subject`'s figure on `workload`'s metric named `metric`.
fn figure<'t>(
    tables: &'t [Table],
    workload: &str,
    metric: &str,
    subject: Subject,
) -> Option<(&'t Figure, &'static str)> {
    let table = tables.iter().find(|t| t.workload.name == workload)?;
    let m = table.metric(metric)?;
    Some((table.figure(subject, m)?, table.workload.metrics[m].unit))
}

/// `subject`'s median in µs on `workload`'s metric named `metric`.
fn micros_of(tables: &[Table], workload: &str, metric: &str, subject: Subject) -> Option<f64> {
    let (figure, unit) = figure(tables, workload, metric, subject)?;
    micros(figure.summary.median, unit)
}

/// `subject`'s steady bytes per coroutine, from [`MEMORY_WORKLOAD`] or
/// else the largest memory workload that measured it.
fn memory(tables: &[Table], subject: Subject) -> Option<(f64, &'static str)> {
    let mut workloads: Vec<&'static str> = tables
        .iter()
        .map(|t| t.workload.name)
        .filter(|name| name.starts_with("memory_"))
        .collect();
    workloads.sort_by_key(|&name| (name != MEMORY_WORKLOAD, std::cmp::Reverse(coroutines(name))));
    workloads.into_iter().find_map(|workload| {
        STEADY_BYTES.iter().find_map(|metric| {
            let (figure, _) = figure(tables, workload, metric, subject)?;
            Some((figure.summary.median, workload))
        })
    })
}

impl Overview {
    /// The overview of `tables`.
    pub fn of(tables: &[Table]) -> Overview {
        let throughput: Vec<&Table> = tables
            .iter()
            .filter(|t| is_throughput(t.workload.name))
            .collect();
        let mut subjects: Vec<Subject> = Vec::new();
        for row in tables.iter().flat_map(|t| &t.rows) {
            if !subjects.contains(&row.subject) {
                subjects.push(row.subject);
            }
        }
        let mean = |subject: Subject, ratio: fn(&Figure) -> Option<f64>| {
            let ratios: Vec<f64> = throughput
                .iter()
                .flat_map(|t| {
                    let timed = (0..t.workload.metrics.len())
                        .filter(|&m| is_time_unit(t.workload.metrics[m].unit));
                    timed.filter_map(move |m| ratio(t.figure(subject, m)?))
                })
                .collect();
            geometric_mean(&ratios).map(|value| Mean {
                value,
                of: ratios.len(),
            })
        };
        let subjects: Vec<SubjectSummary> = subjects
            .into_iter()
            .map(|subject| SubjectSummary {
                subject,
                to_baseline: mean(subject, |f| f.to_baseline),
                to_floor: mean(subject, |f| f.to_floor),
                memory: memory(tables, subject),
                wake_p50: micros_of(tables, "latency", "p50", subject),
                timer_p50: micros_of(tables, "timer", "p50", subject),
                timer_p99: micros_of(tables, "timer", "p99", subject),
            })
            .collect();
        let advice = advice(&subjects);
        Overview {
            throughput: throughput.iter().map(|t| t.workload.name).collect(),
            subjects,
            advice,
        }
    }

    /// What the means average, in words, for the report's readers.
    pub fn definition(&self) -> String {
        let workloads = if self.throughput.is_empty() {
            "none ran".to_string()
        } else {
            self.throughput.join(", ")
        };
        format!(
            "×base and ×floor are geometric means over the time figures of the \
             throughput workloads ({workloads}; not latency, timer, memory or scaling); \
             B/coroutine is the steady round of {MEMORY_WORKLOAD} (else the largest \
             memory workload run, named); wake is latency's p50, timer the overshoot \
             of a 50 µs sleep"
        )
    }

    /// The summary as a table of text cells.
    pub fn grid(&self) -> Grid {
        let header = [
            "subject",
            "×base",
            "×floor",
            "B/coroutine",
            "wake p50 (µs)",
            "timer p50 (µs)",
            "timer p99 (µs)",
        ];
        let value = |v: Option<f64>| v.map_or("–".to_string(), format::figure);
        let mean = |m: Option<Mean>| format::ratio(m.map(|m| m.value));
        let rows = self
            .subjects
            .iter()
            .map(|s| {
                let mut name = s.subject.name().to_string();
                if s.subject.is_taskchain() {
                    name.push_str(TASKCHAIN_MARK);
                }
                let memory = match s.memory {
                    None => "–".to_string(),
                    Some((bytes, MEMORY_WORKLOAD)) => format::figure(bytes),
                    Some((bytes, workload)) => format!("{} ({workload})", format::figure(bytes)),
                };
                GridRow::Cells(vec![
                    name,
                    mean(s.to_baseline),
                    mean(s.to_floor),
                    memory,
                    value(s.wake_p50),
                    value(s.timer_p50),
                    value(s.timer_p99),
                ])
            })
            .collect();
        Grid {
            header: header.map(String::from).to_vec(),
            rows,
        }
    }
}

/// Whether `subject` sleeps on tokio's timer.
fn on_tokio_timer(subject: Subject) -> bool {
    matches!(
        subject,
        Subject::Chain(Backend::Tokio)
            | Subject::Raw(Raw::TokioCurrentThread | Raw::TokioMultiThread)
    )
}

/// The summary whose `key` is smallest among `candidates`.
fn least<'s>(
    candidates: impl Iterator<Item = &'s SubjectSummary>,
    key: impl Fn(&SubjectSummary) -> Option<f64>,
) -> Option<(&'s SubjectSummary, f64)> {
    candidates
        .filter_map(|s| Some((s, key(s)?)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// `names` as a list in words: "a", "a and b", "a, b and c".
fn listed(names: &[&str]) -> String {
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// "Which chain for what": a sentence per finding the figures support.
fn advice(subjects: &[SubjectSummary]) -> Vec<String> {
    let mut out = Vec::new();
    let taskchain = || subjects.iter().filter(|s| s.subject.is_taskchain());
    let raw = || subjects.iter().filter(|s| !s.subject.is_taskchain());
    let baseline_name = |s: &SubjectSummary| s.subject.baseline().map_or("?", Subject::name);

    if let Some(frame) = subjects.iter().find(|s| s.subject == Subject::FrameChain) {
        if let Some(base) = frame.to_baseline {
            let floor = frame.to_floor.map_or(String::new(), |f| {
                format!(" and {} the floor", format::ratio(Some(f.value)))
            });
            let verdict = if base.value < 1.0 {
                "cheaper"
            } else {
                "dearer"
            };
            out.push(format!(
                "For work driven from one thread's loop, the frame chain runs the throughput \
                 workloads at {} {}{floor} (geometric mean of {} figure{}): {verdict} \
                 than the runtime it replaces.",
                format::ratio(Some(base.value)),
                baseline_name(frame),
                base.of,
                if base.of == 1 { "" } else { "s" },
            ));
        }
    }

    let threaded = || taskchain().filter(|s| matches!(s.subject, Subject::Chain(_)));
    let cheapest = least(threaded(), |s| s.to_baseline.map(|m| m.value));
    let dearest = threaded()
        .filter_map(|s| Some((s, s.to_baseline?.value)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((best, value)) = cheapest {
        let mut sentence = format!(
            "For threaded work, {} costs least over its own runtime: {} {}",
            best.subject.name(),
            format::ratio(Some(value)),
            baseline_name(best),
        );
        if let Some((worst, worst_value)) = dearest.filter(|(w, _)| w.subject != best.subject) {
            sentence.push_str(&format!(
                "; {} costs most, {} {}",
                worst.subject.name(),
                format::ratio(Some(worst_value)),
                baseline_name(worst),
            ));
        }
        sentence.push('.');
        out.push(sentence);
    }

    if let Some((lightest, bytes)) = least(taskchain(), |s| s.memory.map(|m| m.0)) {
        let reference = least(raw(), |s| s.memory.map(|m| m.0)).map_or(String::new(), |(r, b)| {
            format!(
                " (the lightest raw runtime, {}: {} B)",
                r.subject.name(),
                format::figure(b)
            )
        });
        out.push(format!(
            "For many suspended coroutines, {} is the lightest chain: {} B each{reference}.",
            lightest.subject.name(),
            format::figure(bytes),
        ));
    }

    if let Some((quickest, p50)) = least(taskchain(), |s| s.wake_p50) {
        let reference = least(raw(), |s| s.wake_p50).map_or(String::new(), |(r, p)| {
            format!(
                " (the quickest raw runtime, {}: {} µs)",
                r.subject.name(),
                format::figure(p)
            )
        });
        out.push(format!(
            "For wake-ups from another thread, {} runs a woken task soonest: p50 {} µs{reference}.",
            quickest.subject.name(),
            format::figure(p50),
        ));
    }

    if let Some((sharpest, p50)) = least(taskchain(), |s| s.timer_p50) {
        let p99 = sharpest
            .timer_p99
            .map_or(String::new(), |p| format!(", p99 {} µs", format::figure(p)));
        out.push(format!(
            "For short sleeps, {} overshoots least: p50 {} µs{p99}.",
            sharpest.subject.name(),
            format::figure(p50),
        ));
    }

    let coarse: Vec<(&str, f64)> = subjects
        .iter()
        .filter(|s| on_tokio_timer(s.subject))
        .filter_map(|s| Some((s.subject.name(), s.timer_p50?)))
        .filter(|&(_, p50)| p50 >= TOKIO_WHEEL_P50_US)
        .collect();
    if !coarse.is_empty() {
        let names: Vec<&str> = coarse.iter().map(|(name, _)| *name).collect();
        let ms = coarse.iter().map(|(_, p50)| p50).sum::<f64>() / coarse.len() as f64 / 1e3;
        out.push(format!(
            "{} overshoot{} a 50 µs sleep by about {} ms at p50: tokio's timer wheel has 1 ms \
             slots, so a sleep ends at a millisecond tick, never sooner.",
            listed(&names),
            if names.len() == 1 { "s" } else { "" },
            format::figure(ms),
        ));
    }
    out
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

    const P50: Metric = Metric::lower("p50", "µs");
    const P99: Metric = Metric::lower("p99", "µs");

    /// A run of a throughput, a memory, a latency and a timer workload:
    /// per subject, (ns/task, bytes, wake p50, timer p50).
    fn overview(figures: &[(Subject, [f64; 4])], floor: Option<Subject>) -> Overview {
        let workloads = [
            fake("spawn_many", &[NS_PER_TASK]),
            fake("memory_10k", &[BYTES]),
            fake("latency", &[P50]),
            fake("timer", &[P50, P99]),
        ];
        let subjects: Vec<Subject> = figures.iter().map(|(s, _)| *s).collect();
        let mut results = Results::new(Mode::Quick, 1, &workloads, &subjects);
        for &(subject, [ns, bytes, wake, timer]) in figures {
            results.record(0, subject, Ok(vec![ns]));
            results.record(1, subject, Ok(vec![bytes]));
            results.record(2, subject, Ok(vec![wake]));
            results.record(3, subject, Ok(vec![timer, timer * 2.0]));
        }
        Overview::of(&tables(&results, floor))
    }

    #[test]
    fn geometric_means_cancel_reciprocals() {
        assert_eq!(geometric_mean(&[2.0, 0.5]), Some(1.0));
        let g = geometric_mean(&[1.0, 10.0, 100.0]).unwrap();
        assert!((g - 10.0).abs() < 1e-9, "{g}");
        assert_eq!(geometric_mean(&[]), None);
        assert_eq!(geometric_mean(&[1.0, 0.0]), None);
    }

    #[test]
    fn the_summary_reads_each_workload_and_names_a_stand_in_memory_workload() {
        let o = overview(
            &[
                (FRAME, [20.0, 64.0, 3.0, 40.0]),
                (TOKIO_CT, [40.0, 96.0, 2.0, 1000.0]),
            ],
            Some(TOKIO_CT),
        );
        assert_eq!(o.throughput, ["spawn_many"]);
        let frame = &o.subjects[0];
        assert_eq!(frame.to_baseline, Some(Mean { value: 0.5, of: 1 }));
        assert_eq!(frame.to_floor.map(|m| m.value), Some(0.5));
        assert_eq!(frame.memory, Some((64.0, "memory_10k")));
        assert_eq!((frame.wake_p50, frame.timer_p99), (Some(3.0), Some(80.0)));
        let grid = o.grid();
        assert_eq!(
            grid.rows[0],
            GridRow::Cells(
                [
                    "taskchain frame chain *",
                    "0.50×",
                    "0.50×",
                    "64.0 (memory_10k)",
                    "3.00",
                    "40.0",
                    "80.0"
                ]
                .map(String::from)
                .to_vec()
            )
        );
        assert!(o.definition().contains("(spawn_many; not latency"));
    }

    #[test]
    fn the_advice_follows_the_numbers() {
        let figures = [
            (FRAME, [20.0, 64.0, 3.0, 40.0]),
            (CHAIN_TOKIO, [33.0, 48.0, 5.0, 1100.0]),
            (TOKIO_CT, [40.0, 96.0, 2.0, 1000.0]),
            (TOKIO_MT, [30.0, 80.0, 4.0, 1050.0]),
        ];
        let advice = overview(&figures, None).advice.join("\n");
        assert!(
            advice.contains(
                "frame chain runs the throughput workloads at 0.50× tokio current_thread"
            ),
            "{advice}"
        );
        assert!(advice.contains("cheaper than"));
        assert!(advice.contains(
            "taskchain-tokio costs least over its own runtime: 1.10× tokio multi_thread."
        ));
        assert!(advice.contains("taskchain-tokio is the lightest chain: 48.0 B each (the lightest raw runtime, tokio multi_thread: 80.0 B)"));
        assert!(advice.contains("taskchain frame chain runs a woken task soonest: p50 3.00 µs"));
        assert!(
            advice.contains("taskchain frame chain overshoots least: p50 40.0 µs, p99 80.0 µs.")
        );
        assert!(advice.contains("taskchain-tokio, tokio current_thread and tokio multi_thread overshoot a 50 µs sleep by about 1.05 ms"));

        // Other numbers, other advice: the frame chain now the heavier,
        // and no tokio timer coarse enough to explain.
        let figures = [
            (FRAME, [80.0, 200.0, 9.0, 100.0]),
            (CHAIN_TOKIO, [33.0, 48.0, 5.0, 60.0]),
            (TOKIO_CT, [40.0, 96.0, 2.0, 70.0]),
        ];
        let advice = overview(&figures, None).advice.join("\n");
        assert!(advice.contains("at 2.00× tokio current_thread"));
        assert!(advice.contains("dearer than"));
        assert!(advice.contains("taskchain-tokio runs a woken task soonest: p50 5.00 µs (the quickest raw runtime, tokio current_thread: 2.00 µs)"));
        assert!(advice.contains("taskchain-tokio overshoots least: p50 60.0 µs"));
        assert!(!advice.contains("timer wheel"));
    }

    #[test]
    fn no_figures_no_advice() {
        assert_eq!(overview(&[], None).advice, Vec::<String>::new());
    }

    #[test]
    fn memory_workloads_rank_by_size() {
        assert_eq!(coroutines("memory_10k"), 10_000);
        assert_eq!(coroutines("memory_1m"), 1_000_000);
        assert_eq!(coroutines("memory_x"), 0);
    }
}
