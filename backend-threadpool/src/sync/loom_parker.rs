//! The parker under loom: parking's own `Parker` (built on loom's mutex
//! and condvar by its `loom` feature), with the deadline park the timer
//! needs.
//!
//! parking leaves out its timed parks under loom, as loom has no time. The
//! model clock stands still ([`now`](super::now)), so a deadline in the
//! future never comes: the deadline park waits for an unpark, exactly like
//! a real one whose deadline is further away than anything else in the
//! execution.
//!
//! A worker's timed park (its watch over a busy worker's LIFO slot) is the
//! other way round: it yields to the other threads and returns as if its
//! timeout had passed, so that the models see the watch fire at every
//! point of an execution (a pending unpark stays pending, as a real timed
//! park that times out leaves none behind either: it consumes one only if
//! it returns unparked).

use std::fmt;
use std::time::{Duration, Instant};

pub(crate) use parking::Unparker;

/// A loom-instrumented parker; an unpark before a park is kept and makes
/// the next park return at once.
pub(crate) struct Parker(parking::Parker);

impl Parker {
    /// A parker with no pending unpark.
    pub(crate) fn new() -> Self {
        Parker(parking::Parker::new())
    }

    /// The handle that unparks this parker.
    pub(crate) fn unparker(&self) -> Unparker {
        self.0.unparker()
    }

    /// Blocks until unparked (at once if an unpark is pending).
    pub(crate) fn park(&self) {
        self.0.park();
    }

    /// Blocks until unparked, or returns `false` at once if `deadline` has
    /// passed on the model clock (which it never does while parked).
    pub(crate) fn park_deadline(&self, deadline: Instant) -> bool {
        if deadline <= super::now() {
            return false;
        }
        self.0.park();
        true
    }

    /// Yields, then returns `false`: timed out.
    pub(crate) fn park_timeout(&self, _timeout: Duration) -> bool {
        loom::thread::yield_now();
        false
    }
}

impl fmt::Debug for Parker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Parker").finish()
    }
}
