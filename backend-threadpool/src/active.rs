//! The registry of live tasks: one waker per spawned future that has not
//! finished, so that shutdown can reach futures that wait on something
//! outside the pool (a channel, a socket) and drop them too.
//!
//! Without it a task parked on a foreign event would outlive the pool until
//! that event fired, holding whatever it captured. It also keeps every
//! unfinished task referenced: an `async_task` cell whose handle is
//! detached and whose future parks without keeping its waker is freed
//! without its future being dropped (a leak of whatever the future owns).

use std::task::Waker;

use crate::sync::{Mutex, MutexGuard};

/// Wakers of live tasks in a slab (a vector with a free list), so that
/// insertion and removal are O(1).
#[derive(Debug, Default)]
pub(crate) struct Active {
    slots: Mutex<Slots>,
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

impl Active {
    fn lock(&self) -> MutexGuard<'_, Slots> {
        // A poisoned lock only means a waker's destructor panicked with it
        // held; the slab itself is still consistent.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
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
        let mut slots = self.lock();
        if slots.closed {
            drop(slots);
            return Err(make);
        }
        let key = slots.free.pop().unwrap_or(slots.wakers.len());
        let (made, waker) = make(key);
        match slots.wakers.get_mut(key) {
            Some(slot) => *slot = Some(waker),
            None => slots.wakers.push(Some(waker)),
        }
        slots.len += 1;
        Ok(made)
    }

    /// Forgets the task in slot `key` (it finished or was dropped).
    pub(crate) fn remove(&self, key: usize) {
        let waker = {
            let mut slots = self.lock();
            let waker = slots.wakers.get_mut(key).and_then(Option::take);
            if waker.is_some() {
                slots.len -= 1;
                slots.free.push(key);
            }
            waker
        };
        // Dropped outside the lock: dropping a task reference can run the
        // task's schedule function, which must not find this lock held.
        drop(waker);
    }

    /// Admits no more tasks and hands back the wakers of every live one.
    pub(crate) fn close(&self) -> Vec<Waker> {
        let mut slots = self.lock();
        slots.closed = true;
        slots.len = 0;
        slots.free.clear();
        std::mem::take(&mut slots.wakers)
            .into_iter()
            .flatten()
            .collect()
    }

    /// How many tasks are live.
    pub(crate) fn len(&self) -> usize {
        self.lock().len
    }
}
