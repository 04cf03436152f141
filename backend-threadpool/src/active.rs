//! The registry of live tasks: one waker per spawned future that has not
//! finished, so that shutdown can reach futures that wait on something
//! outside the pool (a channel, a socket) and drop them too.
//!
//! Without it a task parked on a foreign event would outlive the pool until
//! that event fired, holding whatever it captured. It also keeps every
//! unfinished task referenced: an `async_task` cell whose handle is
//! detached and whose future parks without keeping its waker is freed
//! without its future being dropped (a leak of whatever the future owns).
//!
//! Every spawn inserts and every completion removes, often on different
//! threads at once (a thread spawning, the workers completing), so the
//! registry is split into shards, each behind its own lock: spawns take
//! the shards in turn, and a completion locks only its task's shard.

use std::task::Waker;

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicUsize, Mutex, MutexGuard, Ordering};

/// Shards per worker: enough that a spawn and a completion seldom meet on
/// one lock.
const SHARDS_PER_WORKER: usize = 4;

/// Wakers of live tasks in sharded slabs (vectors with a free list), so
/// that insertion and removal are O(1). A task's key is its slot in its
/// shard's slab times the shard count, plus its shard.
#[derive(Debug)]
pub(crate) struct Active {
    shards: Box<[CachePadded<Mutex<Slots>>]>,
    /// The shard the next spawn takes (wrapping); on a line of its own, as
    /// spawning threads write it and completing workers read `shards`.
    next: CachePadded<AtomicUsize>,
}

#[derive(Debug, Default)]
struct Slots {
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
    len: usize,
    /// Set once at shutdown: no task is admitted after it, so a key handed
    /// out before it is never reused for a task admitted after it.
    closed: bool,
}

/// A shard's lock. A poisoned lock only means a waker's destructor panicked
/// with it held; the slab itself is still consistent.
fn lock(shard: &Mutex<Slots>) -> MutexGuard<'_, Slots> {
    shard.lock().unwrap_or_else(|e| e.into_inner())
}

impl Active {
    /// A registry for a pool of `workers` workers.
    pub(crate) fn new(workers: usize) -> Self {
        let shards = (workers.max(1) * SHARDS_PER_WORKER).next_power_of_two();
        Active {
            shards: (0..shards).map(|_| CachePadded::default()).collect(),
            next: CachePadded::new(AtomicUsize::new(0)),
        }
    }

    /// Admits a new task: `make` builds it for the free slot's key and
    /// returns it with its waker, which the slot keeps. Once the pool is
    /// shut down, hands `make` back uncalled instead.
    ///
    /// The lock is held while `make` runs, so shutdown sees either no task
    /// or the task with its waker; `make` must not run user code. It is
    /// released before a refused `make` (and the future it owns) is handed
    /// back, so dropping that future may spawn.
    pub(crate) fn insert_with<R, M>(&self, make: M) -> Result<R, M>
    where
        M: FnOnce(usize) -> (R, Waker),
    {
        let count = self.shards.len();
        let shard = self.next.fetch_add(1, Ordering::Relaxed) & (count - 1);
        let mut slots = lock(&self.shards[shard]);
        if slots.closed {
            drop(slots);
            return Err(make);
        }
        let slot = slots.free.pop().unwrap_or(slots.wakers.len());
        let (made, waker) = make(slot * count + shard);
        match slots.wakers.get_mut(slot) {
            Some(slot) => *slot = Some(waker),
            None => slots.wakers.push(Some(waker)),
        }
        slots.len += 1;
        Ok(made)
    }

    /// Forgets the task in slot `key` (it finished or was dropped).
    pub(crate) fn remove(&self, key: usize) {
        let count = self.shards.len();
        let (slot, shard) = (key / count, key & (count - 1));
        let waker = {
            let mut slots = lock(&self.shards[shard]);
            let waker = slots.wakers.get_mut(slot).and_then(Option::take);
            if waker.is_some() {
                slots.len -= 1;
                slots.free.push(slot);
            }
            waker
        };
        // Dropped outside the lock: dropping a task reference can run the
        // task's schedule function, which must not find this lock held.
        drop(waker);
    }

    /// Admits no more tasks and hands back the wakers of every live one.
    pub(crate) fn close(&self) -> Vec<Waker> {
        let mut live = Vec::new();
        for shard in &*self.shards {
            let mut slots = lock(shard);
            slots.closed = true;
            slots.len = 0;
            slots.free.clear();
            live.extend(std::mem::take(&mut slots.wakers).into_iter().flatten());
        }
        live
    }

    /// How many tasks are live.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).len).sum()
    }
}
