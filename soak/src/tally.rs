//! Counts of what the soak did and saw, for the progress lines and the
//! summary.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Tasks by kind and outcome, and the soak's other actions.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Tasks started, by kind.
    pub started: BTreeMap<&'static str, u64>,
    /// Tasks judged, by kind and outcome ("finished", "cancelled",
    /// "panicked").
    pub ended: BTreeMap<(&'static str, &'static str), u64>,
    /// `cancel()` calls on tasks.
    pub cancels: u64,
    /// Of those, the ones that returned true.
    pub cancel_hits: u64,
    /// `remove_by_name` calls.
    pub removals: u64,
    /// Tasks they removed.
    pub removed: u64,
    /// Done callbacks that ran (counted when their task's record retires).
    pub callbacks: u64,
}

impl Tally {
    /// A task of `kind` was started.
    pub fn started(&mut self, kind: &'static str) {
        *self.started.entry(kind).or_default() += 1;
    }

    /// A task of `kind` was judged, having ended as `outcome`.
    pub fn ended(&mut self, kind: &'static str, outcome: &'static str) {
        *self.ended.entry((kind, outcome)).or_default() += 1;
    }

    /// Tasks started.
    pub fn total_started(&self) -> u64 {
        self.started.values().sum()
    }

    /// Tasks judged.
    pub fn total_ended(&self) -> u64 {
        self.ended.values().sum()
    }

    /// Tasks judged that ended as `outcome`.
    pub fn ended_as(&self, outcome: &str) -> u64 {
        self.ended
            .iter()
            .filter(|((_, o), _)| *o == outcome)
            .map(|(_, n)| n)
            .sum()
    }
}

/// What the settler did, counted on its thread.
#[derive(Debug, Default)]
pub struct SettlerCounts {
    /// Promises set.
    pub set: AtomicU64,
    /// Promises cancelled.
    pub cancelled: AtomicU64,
    /// Promises found already done (their awaiter was cancelled).
    pub refused: AtomicU64,
    /// Events sent.
    pub sent: AtomicU64,
}

impl SettlerCounts {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// (set, cancelled, refused, sent).
    pub fn read(&self) -> (u64, u64, u64, u64) {
        (
            self.set.load(Ordering::Relaxed),
            self.cancelled.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
            self.sent.load(Ordering::Relaxed),
        )
    }
}
