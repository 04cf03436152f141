//! The idle workers of a threaded chain: the wakers of workers waiting for
//! work, and the protocol that keeps a wake from being lost between a
//! worker finding nothing to do and registering.
//!
//! A worker registers its waker, then looks for work again; whoever
//! publishes work (queues a task, marks a frame, lifts a barrier) then calls
//! [`IdleWorkers::wake`]. Both sides put a `SeqCst` fence between their
//! write and their read, so at least one of them sees the other's: the
//! worker finds the work, or the publisher finds the waker.

use std::sync::atomic::Ordering;
use std::task::Waker;

use crate::sync::{fence, AtomicUsize, Mutex, MutexGuard};

/// Wakers of a chain's workers waiting for work.
pub(crate) struct IdleWorkers {
    wakers: Mutex<Vec<Waker>>,
    /// The number of wakers, so that a publisher with nobody to wake takes
    /// no lock.
    count: AtomicUsize,
}

impl IdleWorkers {
    pub(crate) fn new() -> Self {
        IdleWorkers {
            wakers: Mutex::new(Vec::new()),
            count: AtomicUsize::new(0),
        }
    }

    fn wakers(&self) -> MutexGuard<'_, Vec<Waker>> {
        self.wakers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `waker` (once) as an idle worker's. The caller then looks
    /// for work again before it sleeps.
    pub(crate) fn register(&self, waker: &Waker) {
        {
            let mut wakers = self.wakers();
            if !wakers.iter().any(|w| w.will_wake(waker)) {
                wakers.push(waker.clone());
            }
            self.count.store(wakers.len(), Ordering::SeqCst);
        }
        fence(Ordering::SeqCst);
    }

    /// Removes `waker`: its worker was woken by something else (its timer,
    /// its runtime) and runs, so a wake meant for an idle worker must not
    /// land on it.
    pub(crate) fn unregister(&self, waker: &Waker) {
        let mut wakers = self.wakers();
        wakers.retain(|w| !w.will_wake(waker));
        self.count.store(wakers.len(), Ordering::SeqCst);
    }

    /// Wakes one idle worker (work arrived) or all (a barrier lifted, a
    /// frame began, shutdown). The caller published what they will find.
    pub(crate) fn wake(&self, all: bool) {
        fence(Ordering::SeqCst);
        if self.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let taken: Vec<Waker> = {
            let mut wakers = self.wakers();
            let n = if all {
                wakers.len()
            } else {
                wakers.len().min(1)
            };
            let at = wakers.len() - n;
            let taken = wakers.split_off(at);
            self.count.store(wakers.len(), Ordering::SeqCst);
            taken
        };
        // Outside the lock: a waker is the runtime's code.
        for waker in taken {
            waker.wake();
        }
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    use loom::sync::atomic::{AtomicBool, Ordering};

    use super::IdleWorkers;

    /// A waker that records that it was woken.
    struct Flag(AtomicBool);

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// A worker that finds nothing and goes idle, against a publisher of
    /// work: the worker sees the work or is woken, never neither.
    #[test]
    fn loom_idle_worker_never_misses_published_work() {
        loom::model(|| {
            let idle = Arc::new(IdleWorkers::new());
            let work = Arc::new(AtomicBool::new(false));
            let flag = Arc::new(Flag(AtomicBool::new(false)));
            let publisher = {
                let (idle, work) = (idle.clone(), work.clone());
                loom::thread::spawn(move || {
                    work.store(true, Ordering::SeqCst);
                    idle.wake(false);
                })
            };
            let waker = Waker::from(flag.clone());
            idle.register(&waker);
            let saw_work = work.load(Ordering::SeqCst);
            publisher.join().unwrap();
            assert!(
                saw_work || flag.0.load(Ordering::SeqCst),
                "the published work was missed and the worker never woken"
            );
        });
    }

    /// Two idle workers and a wake for all: both are woken.
    #[test]
    fn loom_wake_all_reaches_every_registered_worker() {
        loom::model(|| {
            let idle = Arc::new(IdleWorkers::new());
            let flags: Vec<Arc<Flag>> = (0..2)
                .map(|_| Arc::new(Flag(AtomicBool::new(false))))
                .collect();
            let workers: Vec<_> = flags
                .iter()
                .map(|flag| {
                    let (idle, waker) = (idle.clone(), Waker::from(flag.clone()));
                    loom::thread::spawn(move || idle.register(&waker))
                })
                .collect();
            for worker in workers {
                worker.join().unwrap();
            }
            idle.wake(true);
            assert!(flags.iter().all(|f| f.0.load(Ordering::SeqCst)));
        });
    }
}
