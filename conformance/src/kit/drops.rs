//! Drop counting: put a [`DropToken`] in whatever a task, a callback or a
//! value holds, and its [`DropCounter`] tells when (and whether) it was
//! let go.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Debug, Default)]
struct Counts {
    made: AtomicUsize,
    dropped: AtomicUsize,
}

/// Counts the tokens it hands out and their drops; clones share the
/// counts.
#[derive(Debug, Clone, Default)]
pub struct DropCounter(Arc<Counts>);

impl DropCounter {
    /// A counter with nothing counted.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new token, counted as made now and as dropped when it drops.
    pub fn token(&self) -> DropToken {
        self.0.made.fetch_add(1, Ordering::SeqCst);
        DropToken(self.0.clone())
    }

    /// Tokens made so far.
    pub fn made(&self) -> usize {
        self.0.made.load(Ordering::SeqCst)
    }

    /// Tokens dropped so far.
    pub fn dropped(&self) -> usize {
        self.0.dropped.load(Ordering::SeqCst)
    }

    /// Tokens alive now.
    pub fn alive(&self) -> usize {
        // Drops first: every token dropped by then was made by then, so
        // the difference never goes below zero.
        let dropped = self.dropped();
        self.made().saturating_sub(dropped)
    }
}

/// Alive while whatever holds it is; counted by its [`DropCounter`]. A
/// clone is a new token of the same counter.
#[derive(Debug)]
pub struct DropToken(Arc<Counts>);

impl Clone for DropToken {
    fn clone(&self) -> Self {
        DropCounter(self.0.clone()).token()
    }
}

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::DropCounter;

    #[test]
    fn tokens_and_clones_are_counted_until_dropped() {
        let counter = DropCounter::new();
        let a = counter.token();
        let b = a.clone();
        assert_eq!((counter.made(), counter.alive()), (2, 2));
        drop(a);
        assert_eq!((counter.alive(), counter.dropped()), (1, 1));
        drop(b);
        assert_eq!(
            (counter.made(), counter.alive(), counter.dropped()),
            (2, 0, 2)
        );
    }
}
