//! Shared counters for tasks and callbacks to count into, and an
//! `upon_death` counter.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A counter shared with the tasks and callbacks that count into it.
pub type Counter = Arc<AtomicUsize>;

/// A counter at zero.
pub fn counter() -> Counter {
    Counter::default()
}

/// The count now.
pub fn get(c: &AtomicUsize) -> usize {
    c.load(Ordering::SeqCst)
}

/// Adds one; returns the count after (so the first call returns 1).
pub fn bump(c: &AtomicUsize) -> usize {
    c.fetch_add(1, Ordering::SeqCst) + 1
}

/// Counts `upon_death` calls by kind: clean exits and unclean ones.
#[derive(Debug, Default)]
pub struct Deaths {
    clean: AtomicUsize,
    unclean: AtomicUsize,
}

impl Deaths {
    /// A counter of no deaths yet.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// An `upon_death` callback that counts into `self`.
    pub fn hook(self: &Arc<Self>) -> impl FnOnce(bool) + Clone + Send + 'static {
        let me = self.clone();
        move |clean| {
            bump(if clean { &me.clean } else { &me.unclean });
        }
    }

    /// (clean exits, unclean exits) so far.
    pub fn get(&self) -> (usize, usize) {
        (get(&self.clean), get(&self.unclean))
    }
}
