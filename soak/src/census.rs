//! Drop counting: every coroutine, recurring closure and promise or event
//! value the soak makes holds a [`Counted`] token, so that after shutdown
//! the soak can tell that every one of them was dropped.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// How many tokens are alive, and how many were ever made.
#[derive(Debug, Default)]
pub struct Census {
    alive: AtomicI64,
    made: AtomicU64,
}

impl Census {
    /// A census with nothing counted.
    pub fn new() -> Arc<Census> {
        Arc::new(Census::default())
    }

    /// Tokens alive now.
    pub fn alive(&self) -> i64 {
        self.alive.load(Ordering::Acquire)
    }

    /// Tokens made so far.
    pub fn made(&self) -> u64 {
        self.made.load(Ordering::Relaxed)
    }
}

/// A value counted by a [`Census`] while it lives; clones count too (a
/// promise hands every reader a clone).
#[derive(Debug)]
pub struct Counted {
    /// The value carried.
    pub value: u64,
    census: Arc<Census>,
}

impl Counted {
    /// Counts a new token carrying `value`.
    pub fn new(census: &Arc<Census>, value: u64) -> Self {
        census.alive.fetch_add(1, Ordering::AcqRel);
        census.made.fetch_add(1, Ordering::Relaxed);
        Counted {
            value,
            census: census.clone(),
        }
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(&self.census, self.value)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.census.alive.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_clones_are_counted_until_dropped() {
        let census = Census::new();
        let a = Counted::new(&census, 1);
        let b = a.clone();
        assert_eq!((census.alive(), census.made()), (2, 2));
        drop(a);
        assert_eq!(census.alive(), 1);
        drop(b);
        assert_eq!((census.alive(), census.made()), (0, 2));
    }
}
