//! "Which chain for what": the paragraph under the summary, a sentence
//! per finding, each drawn from the summary's figures (the cheapest
//! backend over its runtime, the lightest coroutine, the quickest wake,
//! the sharpest timer, and why tokio's timers overshoot when they do), so
//! that a finding the numbers do not support is not said.

use super::format;
use super::overview::{memory_rank, SubjectSummary, MEMORY_WORKLOAD};
use crate::{Raw, Subject};
use taskchain::Backend;

/// At or above this timer overshoot p50 (µs), a tokio subject's
/// overshoot is its timer wheel's 1 ms slot, and the summary says so.
const TOKIO_WHEEL_P50_US: f64 = 500.0;

/// Within this ratio of 1, the frame chain is "on a par with" its
/// runtime rather than cheaper or dearer: closer than repeats agree.
const PAR: f64 = 0.05;

/// Whether `subject` sleeps on tokio's timer.
fn on_tokio_timer(subject: Subject) -> bool {
    matches!(
        subject,
        Subject::Chain(Backend::Tokio)
            | Subject::Raw(Raw::TokioCurrentThread | Raw::TokioMultiThread)
    )
}

/// What a wake or timer figure of `subject` assumes, when it is the
/// frame chain: the workloads poll it back to back, as an uncapped game
/// loop does; a loop capped at a frame rate adds up to a frame.
fn polled_note(subject: Subject) -> &'static str {
    if subject == Subject::FrameChain {
        "; the frame chain was polled back to back, and a loop capped at a frame rate adds up \
         to a frame"
    } else {
        ""
    }
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
pub fn advice(subjects: &[SubjectSummary]) -> Vec<String> {
    let mut out = Vec::new();
    let taskchain = || subjects.iter().filter(|s| s.subject.is_taskchain());
    // The raw runtimes a chain is read beside: not the floor (no
    // runtime), not std threads (their heap bytes leave out each
    // thread's stack, and they run no coroutine).
    let raw_runtimes = || {
        subjects
            .iter()
            .filter(|s| matches!(s.subject, Subject::Raw(raw) if raw != Raw::StdThreads))
    };
    let baseline_name = |s: &SubjectSummary| s.subject.baseline().map_or("?", Subject::name);

    if let Some(frame) = subjects.iter().find(|s| s.subject == Subject::FrameChain) {
        if let Some(base) = frame.to_baseline {
            let floor = frame.to_floor.map_or(String::new(), |f| {
                format!(" and {} the floor", format::ratio(Some(f.value)))
            });
            let verdict = if base.value < 1.0 - PAR {
                "cheaper than"
            } else if base.value > 1.0 + PAR {
                "dearer than"
            } else {
                "on a par with"
            };
            // The two means may average different figures (the floor
            // runs `recurring_frame`, which tokio does not, and a
            // subject that failed a workload leaves it out of its
            // mean): each count is said.
            let counted = match frame.to_floor {
                Some(f) if f.of != base.of => {
                    format!("geometric means of {} and {} figures", base.of, f.of)
                }
                _ => format!(
                    "geometric mean of {} figure{}",
                    base.of,
                    if base.of == 1 { "" } else { "s" }
                ),
            };
            out.push(format!(
                "For work driven from one thread's loop, the frame chain runs the throughput \
                 workloads at {} {}{floor} ({counted}): {verdict} the runtime it replaces.",
                format::ratio(Some(base.value)),
                baseline_name(frame),
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

    // Bytes per coroutine compare within one memory workload only (a
    // subject whose preferred one did not run stands in with another):
    // the one the summary reads first among those the chains measured.
    let memory_workload = taskchain()
        .filter_map(|s| s.memory.map(|m| m.1))
        .min_by_key(|&name| memory_rank(name));
    if let Some(workload) = memory_workload {
        let bytes_in = |s: &SubjectSummary| s.memory.filter(|m| m.1 == workload).map(|m| m.0);
        if let Some((lightest, bytes)) = least(taskchain(), bytes_in) {
            let reference = least(raw_runtimes(), bytes_in).map_or(String::new(), |(r, b)| {
                format!(
                    " (the lightest raw runtime, {}: {} B)",
                    r.subject.name(),
                    format::figure(b)
                )
            });
            let named = if memory_workload == Some(MEMORY_WORKLOAD) {
                String::new()
            } else {
                format!(" in {workload}")
            };
            out.push(format!(
                "For many suspended coroutines, {} is the lightest chain{named}: {} B \
                 each{reference}.",
                lightest.subject.name(),
                format::figure(bytes),
            ));
        }
    }

    if let Some((quickest, p50)) = least(taskchain(), |s| s.wake_p50) {
        let reference = least(raw_runtimes(), |s| s.wake_p50).map_or(String::new(), |(r, p)| {
            format!(
                " (the quickest raw runtime, {}: {} µs)",
                r.subject.name(),
                format::figure(p)
            )
        });
        out.push(format!(
            "For wake-ups from another thread, {} runs a woken task soonest: p50 {} \
             µs{reference}{}.",
            quickest.subject.name(),
            format::figure(p50),
            polled_note(quickest.subject),
        ));
    }

    if let Some((sharpest, p50)) = least(taskchain(), |s| s.timer_p50) {
        let p99 = sharpest
            .timer_p99
            .map_or(String::new(), |p| format!(", p99 {} µs", format::figure(p)));
        out.push(format!(
            "For short sleeps, {} overshoots least: p50 {} µs{p99}{}.",
            sharpest.subject.name(),
            format::figure(p50),
            polled_note(sharpest.subject),
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
    use crate::report::overview::Mean;
    use crate::report::testing::{CHAIN_TOKIO, FRAME, TOKIO_CT, TOKIO_MT};

    /// Summaries of `figures`: per subject, its ×base (if any), then
    /// bytes per coroutine, wake p50 and timer p50 (p99 twice that).
    fn summaries(figures: &[(Subject, Option<f64>, [f64; 3])]) -> Vec<SubjectSummary> {
        figures
            .iter()
            .map(|&(subject, base, [bytes, wake, timer])| SubjectSummary {
                subject,
                to_baseline: base.map(|value| Mean { value, of: 2 }),
                to_floor: None,
                memory: Some((bytes, "memory_100k")),
                wake_p50: Some(wake),
                timer_p50: Some(timer),
                timer_p99: Some(timer * 2.0),
            })
            .collect()
    }

    #[test]
    fn the_advice_follows_the_numbers() {
        let said = advice(&summaries(&[
            (FRAME, Some(0.5), [64.0, 3.0, 40.0]),
            (CHAIN_TOKIO, Some(1.1), [48.0, 5.0, 1100.0]),
            (TOKIO_CT, None, [96.0, 2.0, 1000.0]),
            (TOKIO_MT, None, [80.0, 4.0, 1050.0]),
        ]))
        .join("\n");
        let said_all = said;
        for said in [
            "the frame chain runs the throughput workloads at 0.50× tokio current_thread \
             (geometric mean of 2 figures): cheaper than the runtime it replaces.",
            "taskchain-tokio costs least over its own runtime: 1.10× tokio multi_thread.",
            "taskchain-tokio is the lightest chain: 48.0 B each (the lightest raw runtime, \
             tokio multi_thread: 80.0 B).",
            "taskchain frame chain runs a woken task soonest: p50 3.00 µs (the quickest raw \
             runtime, tokio current_thread: 2.00 µs); the frame chain was polled back to back",
            "taskchain frame chain overshoots least: p50 40.0 µs, p99 80.0 µs; the frame",
            "taskchain-tokio, tokio current_thread and tokio multi_thread overshoot a 50 µs \
             sleep by about 1.05 ms at p50: tokio's timer wheel has 1 ms slots",
        ] {
            assert!(said_all.contains(said), "{said}\nnot in\n{said_all}");
        }

        // Other numbers, other advice: the frame chain dearer, then on a
        // par; no tokio timer coarse enough to explain.
        let said = advice(&summaries(&[
            (FRAME, Some(2.0), [200.0, 9.0, 100.0]),
            (CHAIN_TOKIO, Some(1.3), [48.0, 5.0, 60.0]),
        ]))
        .join("\n");
        assert!(
            said.contains("at 2.00× tokio current_thread (geometric mean of 2 figures): dearer")
        );
        assert!(said.contains("taskchain-tokio runs a woken task soonest: p50 5.00 µs."));
        assert!(!said.contains("timer wheel"), "{said}");
        let par = advice(&summaries(&[(FRAME, Some(1.02), [1.0, 1.0, 1.0])]));
        assert!(par[0].contains(": on a par with the runtime it replaces."));
    }

    #[test]
    fn each_mean_of_the_frame_chain_says_its_own_count() {
        let mut subjects = summaries(&[(FRAME, Some(1.5), [1.0, 1.0, 1.0])]);
        subjects[0].to_baseline = Some(Mean { value: 1.5, of: 5 });
        subjects[0].to_floor = Some(Mean { value: 6.0, of: 4 });
        let said = advice(&subjects);
        assert!(
            said[0].contains("at 1.50× tokio current_thread and 6.00× the floor (geometric means of 5 and 4 figures): dearer"),
            "{said:?}"
        );
        subjects[0].to_floor = Some(Mean { value: 6.0, of: 5 });
        assert!(advice(&subjects)[0].contains("the floor (geometric mean of 5 figures)"));
    }

    #[test]
    fn memory_compares_one_workload_and_raw_runtimes_only() {
        let mut subjects = summaries(&[
            (FRAME, None, [200.0, 1.0, 1.0]),
            (CHAIN_TOKIO, None, [100.0, 1.0, 1.0]),
            (TOKIO_MT, None, [280.0, 1.0, 1.0]),
            (Subject::Floor, None, [90.0, 1.0, 1.0]),
            (Subject::Raw(Raw::StdThreads), None, [60.0, 1.0, 1.0]),
        ]);
        // The tokio chain's memory_100k failed: its stand-in is another
        // workload's, and std threads only ever run memory_10k.
        subjects[1].memory = Some((100.0, "memory_10k"));
        subjects[4].memory = Some((60.0, "memory_10k"));
        let said = advice(&subjects).join("\n");
        assert!(
            said.contains(
                "taskchain frame chain is the lightest chain: 200 B each (the lightest raw \
                 runtime, tokio multi_thread: 280 B)."
            ),
            "{said}"
        );
        // Only memory_10k ran: it is named, and std threads are no
        // runtime's reference.
        for s in &mut subjects {
            s.memory = s.memory.map(|(b, _)| (b, "memory_10k"));
        }
        let said = advice(&subjects).join("\n");
        assert!(
            said.contains(
                "taskchain-tokio is the lightest chain in memory_10k: 100 B each (the lightest \
                 raw runtime, tokio multi_thread: 280 B)."
            ),
            "{said}"
        );
    }

    #[test]
    fn no_figures_no_advice() {
        assert_eq!(advice(&[]), Vec::<String>::new());
    }

    #[test]
    fn lists_read_as_words() {
        assert_eq!(listed(&["a"]), "a");
        assert_eq!(listed(&["a", "b"]), "a and b");
        assert_eq!(listed(&["a", "b", "c"]), "a, b and c");
    }
}
