//! The epoch gate of a threaded chain: whether an epoch is open, how many of
//! its runs are in workers' hands, and the frame it began on.

use crate::chain::settings::ChainSettings;

/// The progress of a threaded chain's epoch, kept beside its queues under
/// the same lock.
#[derive(Default)]
pub(crate) struct EpochGate {
    /// An epoch is being run.
    open: bool,
    /// Runs of the epoch taken by a worker and not yet finished: the sort
    /// barrier holds while any is, and the epoch ends when none is.
    in_flight: usize,
    /// The frame on which the last epoch began (frame sync: the next one
    /// waits for a later frame; before the first frame, none runs).
    began_on_frame: u64,
}

impl EpochGate {
    pub(crate) fn is_open(&self) -> bool {
        self.open
    }

    /// Opens an epoch on `frame`.
    pub(crate) fn open(&mut self, frame: u64) {
        self.open = true;
        self.began_on_frame = frame;
    }

    /// Closes the epoch: its last run finished.
    pub(crate) fn close(&mut self) {
        self.open = false;
    }

    /// Whether runs of the epoch are still in workers' hands.
    pub(crate) fn has_runs_in_flight(&self) -> bool {
        self.in_flight > 0
    }

    /// A worker took `runs` runs.
    pub(crate) fn take(&mut self, runs: usize) {
        self.in_flight += runs;
    }

    /// A worker finished `runs` runs; true if none is left in flight (a
    /// barrier lifted or the epoch can end: waiting workers may go on).
    #[must_use]
    pub(crate) fn finish(&mut self, runs: usize) -> bool {
        self.in_flight -= runs;
        self.in_flight == 0
    }

    /// Whether a new epoch may begin on `frame`: at once without frame
    /// sync, else once a frame after the last epoch's began.
    pub(crate) fn frame_ready(&self, settings: &ChainSettings, frame: u64) -> bool {
        !settings.frame_sync || frame > self.began_on_frame
    }
}
