//! A chain's count of live tasks (registered and not yet terminal): exact
//! at every moment, and kept without a lock-prefixed operation where one
//! thread alone changes it, which is the common case: a frame chain's
//! tasks are registered under the chain's lock and mostly end on the one
//! thread polling it.

use std::sync::atomic::Ordering;

use crate::sync::AtomicUsize;

/// Three monotonic counters; the count is the registered minus the two
/// retired ones.
#[derive(Default)]
pub(crate) struct LiveCount {
    /// Tasks registered: written only under the chain's lock, so by one
    /// thread at a time, with a plain load and store.
    registered: AtomicUsize,
    /// Tasks retired by a frame chain's poll: written only by the thread
    /// polling it (one at a time: the poll holds the chain's queues), with
    /// a plain load and store.
    retired_by_poll: AtomicUsize,
    /// Tasks retired anywhere else (a threaded chain's workers, a cancel
    /// from another thread, shutdown): an atomic increment.
    retired_elsewhere: AtomicUsize,
}

impl LiveCount {
    /// One more task registered. The caller holds the chain's lock.
    #[inline]
    pub(crate) fn registered_under_lock(&self) {
        bump(&self.registered);
    }

    /// A task retired by the thread polling the frame chain, inside its
    /// poll.
    #[inline]
    pub(crate) fn retired_by_poll(&self) {
        bump(&self.retired_by_poll);
    }

    /// A task retired anywhere else; true if the chain has no live task
    /// left (someone may wait for that).
    pub(crate) fn retired_elsewhere(&self) -> bool {
        self.retired_elsewhere.fetch_add(1, Ordering::AcqRel);
        self.get() == 0
    }

    /// The live tasks. The retired counts are read first: a task counted
    /// retired was registered before, so the registered count read after
    /// includes it, and the difference never goes below the true count at
    /// the first read nor above the true count at the last.
    #[inline]
    pub(crate) fn get(&self) -> usize {
        let retired = self.retired_by_poll.load(Ordering::Acquire)
            + self.retired_elsewhere.load(Ordering::Acquire);
        self.registered
            .load(Ordering::Acquire)
            .saturating_sub(retired)
    }
}

/// Adds one to a counter that only one thread at a time writes.
#[inline]
fn bump(counter: &AtomicUsize) {
    let n = counter.load(Ordering::Relaxed);
    counter.store(n + 1, Ordering::Release);
}

#[cfg(all(test, loom))]
mod loom_model {
    use std::sync::Arc;

    use loom::sync::Mutex;

    use super::LiveCount;

    /// Two tasks live; a poll registers a third under the chain's lock and
    /// retires one of the first two, while another thread registers a
    /// fourth and retires the other one elsewhere, and a reader looks.
    /// Each thread registers before it retires, so at least two tasks live
    /// throughout, and at most four: every reading must lie between.
    #[test]
    fn loom_live_count_reads_between_the_true_counts() {
        loom::model(|| {
            let live = Arc::new(LiveCount::default());
            let lock = Arc::new(Mutex::new(()));
            {
                let _held = lock.lock().unwrap();
                live.registered_under_lock();
                live.registered_under_lock();
            }
            let elsewhere = {
                let (live, lock) = (live.clone(), lock.clone());
                loom::thread::spawn(move || {
                    {
                        let _held = lock.lock().unwrap();
                        live.registered_under_lock();
                    }
                    let emptied = live.retired_elsewhere();
                    assert!(!emptied, "two tasks live throughout");
                })
            };
            let reader = {
                let live = live.clone();
                loom::thread::spawn(move || {
                    let n = live.get();
                    assert!((2..=4).contains(&n), "read {n} live tasks, not 2 to 4");
                })
            };
            {
                let _held = lock.lock().unwrap();
                live.registered_under_lock();
            }
            live.retired_by_poll();
            elsewhere.join().unwrap();
            reader.join().unwrap();
            assert_eq!(live.get(), 2);
            live.retired_by_poll();
            assert_eq!(live.get(), 1);
        });
    }
}
