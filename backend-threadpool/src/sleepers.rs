//! Idle workers and how they are woken without losing a wake-up, and
//! without waking more of them than there is work for.
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
//! Searching workers cap the wake-ups: a worker unparked by a notifier
//! counts as searching until it finds a job or goes back to sleep, and a
//! pusher that sees a worker searching unparks nobody (a burst of spawns
//! wakes one worker, not all of them). The searcher stands in for the
//! sleepers: when it finds a job and was the last one searching, it wakes
//! one more worker if it sees work left (`PoolState::stop_searching`, with
//! its own fence between the count and the queues); when it finds none, it
//! announces and re-checks the queues as every sleeper does.
//!
//! A job in a worker's LIFO slot is not announced: its owner runs it
//! next. Should the owner's run block, a watcher takes it: a worker that
//! goes to sleep while another is awake parks with a timeout (a watch) and
//! then looks for a LIFO job whose owner has not started another run
//! since. One that goes to sleep while all the others sleep parks without
//! one (an idle pool stays asleep); an owner that later fills its slot
//! while such a sleeper is the only kind there is wakes one
//! ([`notify_unwatched`](Sleepers::notify_unwatched)). That owner withdrew
//! after the sleeper announced (the sleeper saw it asleep), through this
//! lock, so it sees the announcement without a fence of its own.
//!
//! `loom_models::sleep_wake` and `loom_models::lifo` check this protocol
//! under loom.

use crate::sync::{fence, AtomicUsize, Mutex, MutexGuard, Ordering, Unparker};

/// The pool's idle workers.
#[derive(Debug)]
pub(crate) struct Sleepers {
    /// One per worker, by index.
    unparkers: Vec<Unparker>,
    /// The workers that announced they are going to sleep: index, and
    /// whether it watches (parks with a timeout).
    idle: Mutex<Vec<Sleeper>>,
    /// `idle.len()`, readable without the lock: a push with nobody asleep
    /// (the busy case) costs a fence and a load.
    count: AtomicUsize,
    /// Sleepers that do not watch.
    unwatched: AtomicUsize,
    /// Workers unparked by a notifier that have not yet found a job or
    /// gone back to sleep.
    searching: AtomicUsize,
}

#[derive(Debug, Clone, Copy)]
struct Sleeper {
    index: usize,
    watches: bool,
}

impl Sleepers {
    /// The sleepers of workers unparked through `unparkers`.
    pub(crate) fn new(unparkers: Vec<Unparker>) -> Self {
        let workers = unparkers.len();
        Sleepers {
            unparkers,
            idle: Mutex::new(Vec::with_capacity(workers)),
            count: AtomicUsize::new(0),
            unwatched: AtomicUsize::new(0),
            searching: AtomicUsize::new(0),
        }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Sleeper>> {
        // Nothing panics with this lock held; recover rather than panic.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, idle: &[Sleeper]) {
        self.count.store(idle.len(), Ordering::SeqCst);
        let unwatched = idle.iter().filter(|s| !s.watches).count();
        self.unwatched.store(unwatched, Ordering::SeqCst);
    }

    /// Worker `index` is about to re-check the queues and park; `searching`
    /// says whether it counted as searching, which it stops. Returns
    /// whether it should watch (park with a timeout): some other worker is
    /// awake. The caller must re-check after this returns (the fence is
    /// here).
    pub(crate) fn announce(&self, index: usize, searching: bool) -> bool {
        let mut idle = self.idle();
        if searching {
            self.searching.fetch_sub(1, Ordering::SeqCst);
        }
        let watches = idle.len() + 1 < self.unparkers.len();
        idle.push(Sleeper { index, watches });
        self.publish(&idle);
        drop(idle);
        fence(Ordering::SeqCst);
        watches
    }

    /// Worker `index` is awake (it found work on the re-check, or it woke
    /// up): takes it off the list if a notifier has not already. Returns
    /// whether a notifier had: the worker then counts as searching.
    pub(crate) fn withdraw(&self, index: usize) -> bool {
        let mut idle = self.idle();
        match idle.iter().position(|s| s.index == index) {
            Some(pos) => {
                idle.swap_remove(pos);
                self.publish(&idle);
                false
            }
            None => true,
        }
    }

    /// A worker that a notifier unparked found a job: it stops searching.
    /// Returns whether it was the last one searching (the caller then looks
    /// for work left, after a fence, and wakes one more for it).
    pub(crate) fn stop_searching(&self) -> bool {
        self.searching.fetch_sub(1, Ordering::SeqCst) == 1
    }

    /// Wakes one sleeping worker, if any and if no worker is searching
    /// already: called after every push on a queue.
    pub(crate) fn notify_one(&self) {
        fence(Ordering::SeqCst);
        if self.searching.load(Ordering::SeqCst) != 0 || self.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.wake_one(true, |_| true);
    }

    /// Wakes a sleeper that does not watch, if any: called by a worker
    /// that put a job in its empty LIFO slot (see the module's doc). A
    /// searching worker does not count here: it may find other work and
    /// never watch.
    pub(crate) fn notify_unwatched(&self) {
        if self.unwatched.load(Ordering::Relaxed) == 0 {
            return;
        }
        self.wake_one(false, |s| !s.watches);
    }

    /// Unparks the most recent sleeper that `pick` accepts, counting it as
    /// searching; when `capped`, only if no worker searches already.
    fn wake_one(&self, capped: bool, pick: impl Fn(&Sleeper) -> bool) {
        let woken = {
            let mut idle = self.idle();
            if capped && self.searching.load(Ordering::SeqCst) != 0 {
                return;
            }
            let Some(pos) = idle.iter().rposition(pick) else {
                return;
            };
            let woken = idle.swap_remove(pos);
            self.searching.fetch_add(1, Ordering::SeqCst);
            self.publish(&idle);
            woken
        };
        if let Some(unparker) = self.unparkers.get(woken.index) {
            unparker.unpark();
        }
    }

    /// Wakes every worker, asleep or not (shutdown): one that is about to
    /// park will not.
    pub(crate) fn notify_all(&self) {
        let mut idle = self.idle();
        // Each one taken off the list counts as searching until it
        // announces again, as with any notifier.
        self.searching.fetch_add(idle.len(), Ordering::SeqCst);
        idle.clear();
        self.publish(&idle);
        drop(idle);
        for unparker in &self.unparkers {
            unparker.unpark();
        }
    }
}
