//! Drop counting: every coroutine, recurring closure and promise or event
//! value the soak makes holds a [`Counted`] token of one
//! [`DropCounter`], so that after shutdown the soak can tell that every one
//! of them was dropped.

use taskchain_conformance::kit::drops::{DropCounter, DropToken};

/// A value counted by a [`DropCounter`] while it lives; clones count too
/// (a promise hands every reader a clone).
#[derive(Debug, Clone)]
pub struct Counted {
    /// The value carried.
    pub value: u64,
    _token: DropToken,
}

impl Counted {
    /// Counts a new token carrying `value`.
    pub fn new(census: &DropCounter, value: u64) -> Self {
        Counted {
            value,
            _token: census.token(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_clones_are_counted_until_dropped() {
        let census = DropCounter::new();
        let a = Counted::new(&census, 1);
        let b = a.clone();
        assert_eq!((census.alive(), census.made(), b.value), (2, 2, 1));
        drop((a, b));
        assert_eq!(census.alive(), 0);
    }
}
