//! What a soak run reports: a progress line every few seconds on stderr
//! while it runs, and the final summary on stdout.

use std::fmt;
use std::time::Duration;

use crate::plan::Plan;
use crate::tally::Tally;

/// The largest queue the chain reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Peaks {
    /// Most live tasks (`chain.stats().total()`).
    pub total: usize,
    /// Most active ones (`chain.stats().active`).
    pub active: usize,
}

/// The end of a soak run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// `--backend` name.
    pub backend: &'static str,
    /// Worker threads (0 for the frame chain).
    pub threads: usize,
    /// The seed.
    pub seed: u64,
    /// How long new work was started.
    pub ran_for: Duration,
    /// How long the drain took (the settler flushed, everything finishing).
    pub drained_in: Duration,
    /// Tasks by kind and outcome, and the other actions.
    pub tally: Tally,
    /// What the settler did: promises set, cancelled, refused; events sent.
    pub settler: (u64, u64, u64, u64),
    /// The largest queue seen.
    pub peaks: Peaks,
    /// Whether heap figures were measured (`CountingAlloc` installed).
    pub heap_counted: bool,
    /// Peak heap growth sampled, in bytes.
    pub peak_heap: isize,
    /// Heap growth left after shutdown, in bytes.
    pub heap_left: isize,
    /// Drop-counted values made, and alive after shutdown.
    pub counted: (usize, usize),
    /// Every violation found.
    pub violations: Vec<String>,
}

impl Summary {
    /// The exit status a run deserves: success only without violations.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Bytes in a short human form.
pub fn bytes(n: isize) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let n = n.unsigned_abs() as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{sign}{:.1} MiB", n / (1024.0 * 1024.0))
    } else if n >= 1024.0 {
        format!("{sign}{:.1} KiB", n / 1024.0)
    } else {
        format!("{sign}{n} B")
    }
}

/// One progress line.
#[allow(clippy::too_many_arguments)]
pub fn progress_line(
    elapsed: Duration,
    tally: &Tally,
    live: usize,
    peaks: Peaks,
    heap_now: Option<isize>,
    peak_heap: Option<isize>,
    violations: usize,
) -> String {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let heap = match (heap_now, peak_heap) {
        (Some(now), Some(peak)) => format!("heap {} (peak {})", bytes(now), bytes(peak)),
        _ => "heap not counted".to_string(),
    };
    format!(
        "[{:>7.1} s] started {} finished {} ({:.0}/s) live {} max queue {} (active {}) {} violations {}",
        secs,
        tally.total_started(),
        tally.total_ended(),
        tally.total_ended() as f64 / secs,
        live,
        peaks.total,
        peaks.active,
        heap,
        violations
    )
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tally;
        let workers = if self.threads == 0 {
            "driven by poll() on the soak's thread".to_string()
        } else {
            format!("{} workers", self.threads)
        };
        writeln!(f, "soak summary")?;
        writeln!(f, "  backend        {} ({workers})", self.backend)?;
        writeln!(f, "  seed           {}", self.seed)?;
        writeln!(
            f,
            "  duration       {:.1} s of new work, then {:.2} s of drain",
            self.ran_for.as_secs_f64(),
            self.drained_in.as_secs_f64()
        )?;
        writeln!(
            f,
            "  tasks run      {} ({:.0}/s): finished {}, cancelled {}, panicked {}",
            t.total_ended(),
            t.total_ended() as f64 / self.ran_for.as_secs_f64().max(1e-9),
            t.ended_as("finished"),
            t.ended_as("cancelled"),
            t.ended_as("panicked")
        )?;
        writeln!(f, "  by kind        finished/cancelled/panicked")?;
        for kind in Plan::KINDS {
            let n = |o: &str| t.ended.get(&(kind, o)).copied().unwrap_or(0);
            writeln!(
                f,
                "    {kind:<16} {:>9} {:>8} {:>8}",
                n("finished"),
                n("cancelled"),
                n("panicked")
            )?;
        }
        writeln!(
            f,
            "  cancels        {} calls, {} returned true; remove_by_name {} calls, {} tasks",
            t.cancels, t.cancel_hits, t.removals, t.removed
        )?;
        let (set, cancelled, refused, sent) = self.settler;
        writeln!(
            f,
            "  settler        promises set {set}, cancelled {cancelled}, refused {refused} \
             (already cancelled by their awaiter); events sent {sent}"
        )?;
        writeln!(f, "  done callbacks {}", t.callbacks)?;
        writeln!(
            f,
            "  max queue      {} live, {} active (chain.stats(), sampled every loop)",
            self.peaks.total, self.peaks.active
        )?;
        if self.heap_counted {
            writeln!(
                f,
                "  peak heap      {} above the start (sampled); {} left after shutdown",
                bytes(self.peak_heap),
                bytes(self.heap_left)
            )?;
        } else {
            writeln!(
                f,
                "  peak heap      not counted (CountingAlloc not installed)"
            )?;
        }
        writeln!(
            f,
            "  drop counters  {} counted values made, {} alive after shutdown",
            self.counted.0, self.counted.1
        )?;
        writeln!(f, "  violations     {}", self.violations.len())?;
        for v in self.violations.iter().take(20) {
            writeln!(f, "    {v}")?;
        }
        if self.violations.len() > 20 {
            writeln!(f, "    … and {} more", self.violations.len() - 20)?;
        }
        Ok(())
    }
}
