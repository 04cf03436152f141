//! Chain settings and statistics.

use std::time::Duration;

use crate::clock::duration_from_secs;
use crate::error::Error;

/// How a chain runs its tasks.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::ChainSettings;
///
/// let settings = ChainSettings::default()
///     .frame_budget(Some(Duration::from_millis(2)))
///     .tick_clock(true);
/// assert_eq!(settings.num_threads, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
#[must_use = "settings do nothing until a chain is made or configured with them"]
pub struct ChainSettings {
    /// Worker threads; 0 means the chain runs only inside `poll()` on the
    /// caller's thread (the embedded frame chain).
    pub num_threads: usize,
    /// Stop the epoch once this much of the chain's clock has passed in one
    /// poll; the rest of the epoch runs on the next poll. Tasks returning
    /// `Pickup` run again after the epoch's other runs while budget is left
    /// and the clock shows time being spent (on a clock that does not move
    /// during the poll, they get one extra round).
    pub frame_budget: Option<Duration>,
    /// A threaded chain waits for the next frame between epochs.
    pub frame_sync: bool,
    /// Priority sets how often a task runs rather than its order: within a
    /// sort, a task of priority `p` (at least 1) runs `p` times for every
    /// `P` epochs, `P` being the highest priority there.
    pub timeslice_priority: bool,
    /// The chain ticks its clock once per epoch, even with no tasks.
    pub tick_clock: bool,
    /// A threaded chain runs every task in its ordered epochs. Without it
    /// (and without `frame_sync`), a chain that may use every thread of
    /// its runtime hands the coroutines of the default sort to the runtime,
    /// which runs them as it runs its own tasks, in no order the chain
    /// keeps (see [`ThreadedChain`](crate::ThreadedChain)). A frame chain
    /// runs every task in its epochs either way.
    pub ordered: bool,
}

impl ChainSettings {
    /// Sets [`num_threads`](Self::num_threads).
    pub fn num_threads(mut self, n: usize) -> Self {
        self.num_threads = n;
        self
    }

    /// Sets [`frame_budget`](Self::frame_budget).
    pub fn frame_budget(mut self, budget: Option<Duration>) -> Self {
        self.frame_budget = budget;
        self
    }

    /// Sets the frame budget in seconds.
    ///
    /// Returns [`Error::InvalidDuration`] for a negative, NaN or infinite
    /// value.
    pub fn frame_budget_secs(self, secs: f64) -> Result<Self, Error> {
        Ok(self.frame_budget(Some(duration_from_secs(secs)?)))
    }

    /// Sets [`frame_sync`](Self::frame_sync).
    pub fn frame_sync(mut self, on: bool) -> Self {
        self.frame_sync = on;
        self
    }

    /// Sets [`timeslice_priority`](Self::timeslice_priority).
    pub fn timeslice_priority(mut self, on: bool) -> Self {
        self.timeslice_priority = on;
        self
    }

    /// Sets [`tick_clock`](Self::tick_clock).
    pub fn tick_clock(mut self, on: bool) -> Self {
        self.tick_clock = on;
        self
    }

    /// Sets [`ordered`](Self::ordered).
    pub fn ordered(mut self, on: bool) -> Self {
        self.ordered = on;
        self
    }
}

/// Counts a chain reports about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ChainStats {
    /// Live tasks: queued, running or suspended in an await.
    pub active: usize,
    /// Tasks waiting out a delay, `Again` or `pause`.
    pub sleeping: usize,
    /// Epochs run so far.
    pub epochs: u64,
}

impl ChainStats {
    /// All live tasks.
    pub fn total(&self) -> usize {
        self.active + self.sleeping
    }
}
