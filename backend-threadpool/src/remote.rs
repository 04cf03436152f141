//! [`Remote`]: what the other threads see of one worker.

use std::fmt;

use crate::job::Job;
use crate::sync::{AtomicUsize, Ordering, Slot, Stealer};

/// One worker as the others see it: its local queue (to steal from), its
/// LIFO slot, and how many jobs it has started.
///
/// The LIFO slot holds the job a running task scheduled last on this
/// worker (a wake, a spawn): the worker runs it next, while its data is
/// still in the cache, and a pair of tasks waking each other stays on one
/// thread instead of bouncing between two. Only the owner puts jobs in it;
/// an idle worker takes one out only when the owner has been inside the
/// same run for a whole watch (see `worker`), so a job woken by a task
/// that then blocks its worker still runs.
pub(crate) struct Remote {
    pub(crate) stealer: Stealer<Job>,
    pub(crate) lifo: Slot<Job>,
    /// Jobs the owner started (wrapping): unchanged over a watch, the
    /// owner is stuck in one run, or idle.
    runs: AtomicUsize,
}

impl Remote {
    /// The remote view of a worker whose queue `stealer` steals from.
    pub(crate) fn new(stealer: Stealer<Job>) -> Self {
        Remote {
            stealer,
            lifo: Slot::new(None),
            runs: AtomicUsize::new(0),
        }
    }

    /// The owner starts its `runs`-th job. (Only the owner writes this: a
    /// plain store to its own cache line.)
    pub(crate) fn started(&self, runs: usize) {
        self.runs.store(runs, Ordering::Relaxed);
    }

    /// How many jobs the owner has started.
    pub(crate) fn runs(&self) -> usize {
        self.runs.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote")
            .field("runs", &self.runs())
            .finish_non_exhaustive()
    }
}
