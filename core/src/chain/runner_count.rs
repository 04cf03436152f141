//! `RunnerCount`: how many runs of a chain are in progress, counted per
//! thread so that runs on different threads do not share a cache line, and
//! the protocol that closes a shut-down chain once the last one ended.

use std::sync::atomic::Ordering;

use crate::chain::sharded_count::ShardedCount;
use crate::sync::{fence, AtomicBool};

/// Runs of a chain in progress (polls, worker polls, runs outside the
/// epochs), and whether its shutdown ended every task (drained).
///
/// A drained chain closes once no run is left: a run may still end a task
/// and queue its done callbacks, which the close runs. Exactly who closes
/// is not decided, but someone does: [`drain`](Self::drain) marks the
/// chain drained and then reads the count, a run's
/// [`exit`](Self::exit) counts itself out and then reads the mark, each
/// with a `SeqCst` fence between its write and its read, so of the
/// shutdown and the last run at least one sees the other and answers
/// "close" (closing is idempotent). A run
/// that starts after the mark is a stale one: every task had ended by
/// then, so it queues nothing.
#[derive(Default)]
pub(crate) struct RunnerCount {
    runs: ShardedCount,
    drained: AtomicBool,
}

impl RunnerCount {
    /// Counts a run by the thread numbered `thread`; returns the shard to
    /// give [`exit`](Self::exit).
    #[inline]
    pub(crate) fn enter(&self, thread: u64) -> usize {
        self.runs.enter(thread)
    }

    /// A run counted in `shard` is over; true if the chain is drained and
    /// no run is left: close it.
    #[inline]
    #[must_use]
    pub(crate) fn exit(&self, shard: usize) -> bool {
        self.runs.exit(shard);
        fence(Ordering::SeqCst);
        self.drained.load(Ordering::SeqCst) && self.runs.is_zero()
    }

    /// Marks the chain drained (its shutdown ended every task); true if no
    /// run is in progress: close it.
    #[must_use]
    pub(crate) fn drain(&self) -> bool {
        self.drained.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.runs.is_zero()
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    use std::sync::Arc;

    use loom::sync::atomic::{AtomicUsize, Ordering};

    use super::RunnerCount;

    /// Two runs on threads of different shards end while the chain is
    /// drained: someone is told to close, whatever the interleaving.
    #[test]
    fn loom_a_drained_chain_is_closed_once_its_last_run_ends() {
        loom::model(|| {
            let count = Arc::new(RunnerCount::default());
            let closes = Arc::new(AtomicUsize::new(0));
            let runs: Vec<_> = (0..2u64)
                .map(|thread| {
                    let shard = count.enter(thread);
                    let (count, closes) = (count.clone(), closes.clone());
                    loom::thread::spawn(move || {
                        if count.exit(shard) {
                            closes.fetch_add(1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            if count.drain() {
                closes.fetch_add(1, Ordering::SeqCst);
            }
            for run in runs {
                run.join().unwrap();
            }
            assert!(
                closes.load(Ordering::SeqCst) >= 1,
                "nobody closed the chain"
            );
        });
    }
}
