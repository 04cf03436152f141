//! Stand-ins for crossbeam-deque's `Worker`, `Stealer` and `Injector`
//! under loom, with the subset of their interface the pool uses.
//!
//! crossbeam-deque is not loom-aware, so loom could not interleave its
//! operations; its queues are linearizable and tested upstream. These keep
//! their items in a loom mutex, so every push, pop and steal is one step
//! loom can reorder against our protocol, and they keep what matters to the
//! protocol around them:
//!
//! - `is_empty` does not lock: it reads a length that a push publishes
//!   with `Release` and that it loads with `Acquire`, the weakest orderings
//!   crossbeam-deque uses (its worker queue), so our `SeqCst` fences are
//!   what must make a sleeper's re-check see a push (their own internal
//!   fences are left out on purpose: the models check that ours suffice);
//! - the injector's single steal, which only shutdown's drain uses, reads
//!   that length first and gives up without locking when it reads zero,
//!   as crossbeam-deque's steals do: the drain's `Empty` decides that
//!   nothing is left. The batch steals of a searching worker lock instead:
//!   a stale `Empty` there only sends the worker to its re-check, which
//!   reads the length without locking anyway, and locking keeps the
//!   models small enough to explore in minutes;
//! - a batch steal takes its items from the source and puts the rest in
//!   the thief's queue in two steps: in between, nobody else sees them, as
//!   with crossbeam-deque.
//!
//! They never ask for a retry (`Steal::Retry`): the real queues do when
//! they lose a race, and the pool only repeats the steal then.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use crossbeam_deque::Steal;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Mutex;

/// A FIFO queue of items with a lock-free emptiness check.
struct Queue<T> {
    items: Mutex<VecDeque<T>>,
    /// `items.len()`, stored under the lock, loaded without it.
    len: AtomicUsize,
}

impl<T> Queue<T> {
    fn new() -> Self {
        Queue {
            items: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
        }
    }

    fn push(&self, item: T) {
        let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        items.push_back(item);
        self.len.store(items.len(), Ordering::Release);
    }

    fn pop(&self) -> Option<T> {
        let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        let item = items.pop_front();
        self.len.store(items.len(), Ordering::Release);
        item
    }

    /// Takes the front half (rounded up) of the items.
    fn take_batch(&self) -> VecDeque<T> {
        let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        let batch = items.len().div_ceil(2);
        let rest = items.split_off(batch);
        let batch = std::mem::replace(&mut *items, rest);
        self.len.store(items.len(), Ordering::Release);
        batch
    }

    fn is_empty(&self) -> bool {
        self.len.load(Ordering::Acquire) == 0
    }

    /// Takes the front item, unless the queue looks empty.
    fn steal(&self) -> Steal<T> {
        if self.is_empty() {
            return Steal::Empty;
        }
        self.pop().map_or(Steal::Empty, Steal::Success)
    }

    /// Takes a batch from this queue, hands back its first item and pushes
    /// the others on `dest`.
    fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
        let mut batch = self.take_batch();
        let Some(first) = batch.pop_front() else {
            return Steal::Empty;
        };
        for item in batch {
            dest.push(item);
        }
        Steal::Success(first)
    }
}

/// A worker's own queue (crossbeam-deque's `Worker`, FIFO flavour).
pub(crate) struct Worker<T> {
    queue: Arc<Queue<T>>,
}

impl<T> Worker<T> {
    /// An empty FIFO queue.
    pub(crate) fn new_fifo() -> Self {
        Worker {
            queue: Arc::new(Queue::new()),
        }
    }

    /// Pushes `item` at the back.
    pub(crate) fn push(&self, item: T) {
        self.queue.push(item);
    }

    /// Pops the front item.
    pub(crate) fn pop(&self) -> Option<T> {
        self.queue.pop()
    }

    /// Whether the queue looks empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The handle other workers steal through.
    pub(crate) fn stealer(&self) -> Stealer<T> {
        Stealer {
            queue: self.queue.clone(),
        }
    }
}

/// Steals from a worker's queue (crossbeam-deque's `Stealer`).
pub(crate) struct Stealer<T> {
    queue: Arc<Queue<T>>,
}

impl<T> Stealer<T> {
    /// Steals a batch into `dest` and pops one item of it.
    pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
        self.queue.steal_batch_and_pop(dest)
    }

    /// Whether the queue looks empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// The queue everyone pushes on and steals from (crossbeam-deque's
/// `Injector`).
pub(crate) struct Injector<T> {
    queue: Queue<T>,
}

impl<T> Injector<T> {
    /// An empty injector.
    pub(crate) fn new() -> Self {
        Injector {
            queue: Queue::new(),
        }
    }

    /// Pushes `item` at the back.
    pub(crate) fn push(&self, item: T) {
        self.queue.push(item);
    }

    /// Steals the front item.
    pub(crate) fn steal(&self) -> Steal<T> {
        self.queue.steal()
    }

    /// Steals a batch into `dest` and pops one item of it.
    pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
        self.queue.steal_batch_and_pop(dest)
    }

    /// Whether the injector looks empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

impl<T> fmt::Debug for Worker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Stealer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stealer").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Injector<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Injector").finish_non_exhaustive()
    }
}
