//! `RunnerCount`: how many runs of a chain are in progress, counted per
//! thread so that runs on different threads do not share a cache line.

use std::sync::atomic::Ordering;

use crate::sync::AtomicUsize;

/// Shards of the count; a thread counts in shard `thread % SHARDS`.
const SHARDS: usize = 8;

/// One shard, alone on its cache line (128 bytes: two lines, which
/// adjacent-line prefetchers fetch together).
#[repr(align(128))]
#[derive(Default)]
struct Shard(AtomicUsize);

/// Runs of a chain in progress (polls, worker polls, runs outside the
/// epochs). Every operation is sequentially consistent: a shutdown that
/// marks the chain drained and then reads the count, and a run that ends
/// and then reads the mark, see each other's write at least once (see
/// `ChainCore::shutdown`).
#[derive(Default)]
pub(crate) struct RunnerCount {
    shards: [Shard; SHARDS],
}

impl RunnerCount {
    /// Counts a run by the thread numbered `thread`; returns the shard to
    /// give [`exit`](Self::exit).
    #[inline]
    pub(crate) fn enter(&self, thread: u64) -> usize {
        let shard = (thread % SHARDS as u64) as usize;
        self.shards[shard].0.fetch_add(1, Ordering::SeqCst);
        shard
    }

    /// A run counted in `shard` is over.
    #[inline]
    pub(crate) fn exit(&self, shard: usize) {
        self.shards[shard].0.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether no run is in progress. Not a snapshot: a run that starts
    /// meanwhile may be missed, which the caller's protocol allows.
    pub(crate) fn is_zero(&self) -> bool {
        self.shards.iter().all(|s| s.0.load(Ordering::SeqCst) == 0)
    }
}
