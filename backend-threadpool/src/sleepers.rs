//! Idle workers and how they are woken without losing a wake-up.
//!
//! The protocol is the classic one: a worker that found no work announces
//! that it is going to sleep, looks at the queues once more, and parks only
//! if they are still empty. A pusher pushes, then looks for an announced
//! sleeper to unpark. Both sides put a `SeqCst` fence between their write
//! (the push; the announcement) and their read (the sleeper count; the
//! queues), so at least one of them sees the other: either the pusher
//! finds the sleeper, or the sleeper finds the work. An unpark that reaches
//! a worker before it parks is kept by its [`Parker`](crate::sync::Parker) and
//! makes the next park return at once.
//!
//! `loom_models::sleep_wake` checks this protocol under loom.

use crate::sync::{fence, AtomicUsize, Mutex, MutexGuard, Ordering, Unparker};

/// The pool's idle workers.
#[derive(Debug)]
pub(crate) struct Sleepers {
    /// One per worker, by index.
    unparkers: Vec<Unparker>,
    /// Indices of the workers that announced they are going to sleep.
    idle: Mutex<Vec<usize>>,
    /// `idle.len()`, readable without the lock: a push with nobody asleep
    /// (the busy case) costs a fence and a load.
    count: AtomicUsize,
}

impl Sleepers {
    /// The sleepers of workers unparked through `unparkers`.
    pub(crate) fn new(unparkers: Vec<Unparker>) -> Self {
        let workers = unparkers.len();
        Sleepers {
            unparkers,
            idle: Mutex::new(Vec::with_capacity(workers)),
            count: AtomicUsize::new(0),
        }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<usize>> {
        // Nothing panics with this lock held; recover rather than panic.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Worker `index` is about to re-check the queues and park. The caller
    /// must re-check after this returns (the fence is here).
    pub(crate) fn announce(&self, index: usize) {
        let mut idle = self.idle();
        idle.push(index);
        self.count.store(idle.len(), Ordering::SeqCst);
        drop(idle);
        fence(Ordering::SeqCst);
    }

    /// Worker `index` is awake (it found work on the re-check, or it woke
    /// up): takes it off the list if a notifier has not already.
    pub(crate) fn withdraw(&self, index: usize) {
        let mut idle = self.idle();
        if let Some(pos) = idle.iter().position(|&i| i == index) {
            idle.swap_remove(pos);
            self.count.store(idle.len(), Ordering::SeqCst);
        }
    }

    /// Wakes one sleeping worker, if any: called after every push.
    pub(crate) fn notify_one(&self) {
        fence(Ordering::SeqCst);
        if self.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let woken = {
            let mut idle = self.idle();
            let woken = idle.pop();
            self.count.store(idle.len(), Ordering::SeqCst);
            woken
        };
        if let Some(unparker) = woken.and_then(|i| self.unparkers.get(i)) {
            unparker.unpark();
        }
    }

    /// Wakes every worker, asleep or not (shutdown): one that is about to
    /// park will not.
    pub(crate) fn notify_all(&self) {
        let mut idle = self.idle();
        idle.clear();
        self.count.store(0, Ordering::SeqCst);
        drop(idle);
        for unparker in &self.unparkers {
            unparker.unpark();
        }
    }
}
