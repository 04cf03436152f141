//! `ShardedCount`: a count of calls in progress that threads raise and
//! lower each on a cache line of its own, read whole only by a rare
//! closing step (see `RunnerCount` and `WakeGate`).

use std::sync::atomic::Ordering;

use crate::sync::AtomicUsize;

/// Shards of the count; a thread counts in shard `thread % SHARDS`.
#[cfg(not(loom))]
const SHARDS: usize = 8;
/// Under loom, two: every load is a branch point of every model, and two
/// shards show the same protocols as eight.
#[cfg(loom)]
const SHARDS: usize = 2;

/// One shard, alone on its cache line (128 bytes: two lines, which
/// adjacent-line prefetchers fetch together).
#[repr(align(128))]
struct Shard(AtomicUsize);

/// Calls in progress, counted per thread. Every operation is `SeqCst`, so
/// that a protocol built on it can pair a count with a flag: a caller
/// counts itself in then reads the flag, the closer sets the flag then
/// reads the count, and at least one of them sees the other's write.
pub(crate) struct ShardedCount {
    shards: [Shard; SHARDS],
}

impl Default for ShardedCount {
    fn default() -> Self {
        ShardedCount {
            shards: std::array::from_fn(|_| Shard(AtomicUsize::new(0))),
        }
    }
}

impl ShardedCount {
    /// Counts a call by the thread numbered `thread`; returns the shard to
    /// give [`exit`](Self::exit).
    #[inline]
    pub(crate) fn enter(&self, thread: u64) -> usize {
        let shard = (thread % SHARDS as u64) as usize;
        self.shards[shard].0.fetch_add(1, Ordering::SeqCst);
        shard
    }

    /// A call counted in `shard` is over.
    #[inline]
    pub(crate) fn exit(&self, shard: usize) {
        self.shards[shard].0.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether no call is in progress. Not a snapshot: a call that starts
    /// meanwhile may be missed, which the protocols allow.
    pub(crate) fn is_zero(&self) -> bool {
        self.shards.iter().all(|s| s.0.load(Ordering::SeqCst) == 0)
    }
}
