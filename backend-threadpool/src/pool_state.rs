//! What the pool's handles, workers and task cells share: the queues, the
//! sleepers, the live tasks, the timer, and the shutdown flag.

use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use async_task::{Builder, Runnable};

use crate::active::Active;
use crate::sleepers::Sleepers;
use crate::sync::{fence, AtomicBool, Injector, Ordering, Steal, Stealer};
use crate::threads::Threads;
use crate::timer::Timer;
use crate::{worker, JoinHandle};

/// How long shutdown waits for a worker inside a long run before it
/// detaches it.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// Tells pools apart in a worker's thread-local (a pointer could be reused
/// by a later pool). A std atomic even under loom: it only hands out ids.
static NEXT_POOL_ID: AtomicU64 = AtomicU64::new(1);

/// The state of one pool.
pub(crate) struct PoolState {
    /// Which pool this is, for [`worker::push_local`].
    pub(crate) id: u64,
    /// Runnables scheduled from outside the pool's workers.
    pub(crate) injector: Injector<Runnable>,
    /// One per worker, by index: how the others steal from its local queue.
    pub(crate) stealers: Vec<Stealer<Runnable>>,
    pub(crate) sleepers: Sleepers,
    pub(crate) active: Active,
    pub(crate) timer: Arc<Timer>,
    pub(crate) threads: Arc<Threads>,
    /// The thread-name prefix.
    pub(crate) prefix: String,
    closed: AtomicBool,
}

/// Takes a live task out of the registry when its future goes, finished or
/// dropped.
struct Tracked {
    shared: Arc<PoolState>,
    key: usize,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.shared.active.remove(self.key);
    }
}

impl PoolState {
    pub(crate) fn new(
        stealers: Vec<Stealer<Runnable>>,
        sleepers: Sleepers,
        timer: Arc<Timer>,
        prefix: String,
    ) -> Self {
        PoolState {
            id: NEXT_POOL_ID.fetch_add(1, Ordering::Relaxed),
            injector: Injector::new(),
            stealers,
            sleepers,
            active: Active::default(),
            timer,
            threads: Arc::new(Threads::default()),
            prefix,
            closed: AtomicBool::new(false),
        }
    }

    /// Whether [`shutdown`](Self::shutdown) has begun.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Spawns `future` in a task cell whose schedule function queues it on
    /// this pool.
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let make = move |key| {
            let tracked = Tracked {
                shared: self.clone(),
                key,
            };
            let future = async move {
                let _tracked = tracked;
                future.await
            };
            let shared = self.clone();
            let (runnable, task) = Builder::new()
                .propagate_panic(true)
                .spawn(move |_| future, move |runnable| shared.schedule(runnable));
            let waker = runnable.waker();
            ((runnable, task), waker)
        };
        match self.active.insert_with(make) {
            Ok((runnable, task)) => {
                runnable.schedule();
                JoinHandle::new(task)
            }
            // Shut down: the future is dropped here, unpolled.
            Err(make) => {
                drop(make);
                JoinHandle::refused()
            }
        }
    }

    /// The schedule function of every task cell: queues `runnable` on the
    /// calling worker's local queue when called on one of this pool's
    /// workers, else on the injector, and wakes a sleeping worker.
    ///
    /// After shutdown it drops `runnable` instead, which cancels the task
    /// and drops its future on the calling thread.
    pub(crate) fn schedule(&self, runnable: Runnable) {
        if self.is_closed() {
            drop(runnable);
            return;
        }
        if let Err(runnable) = worker::push_local(self.id, runnable) {
            self.injector.push(runnable);
            // Pairs with the fence in `shutdown`: either this sees the
            // flag, or shutdown's drains see the push.
            fence(Ordering::SeqCst);
            if self.is_closed() {
                self.drain_injector();
                return;
            }
        }
        self.sleepers.notify_one();
    }

    /// Whether any queue holds a runnable (the sleepers' re-check).
    pub(crate) fn has_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty())
    }

    /// Drops every runnable in the injector, cancelling their tasks.
    fn drain_injector(&self) {
        loop {
            match self.injector.steal() {
                Steal::Success(runnable) => drop(runnable),
                Steal::Empty => return,
                Steal::Retry => std::hint::spin_loop(),
            }
        }
    }

    /// Stops the pool: admits no more tasks, drops every future that has
    /// not finished (queued, sleeping or waiting on anything), stops the
    /// timer and the workers and joins their threads. Idempotent; only the
    /// first call waits for the threads.
    pub(crate) fn shutdown(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        // Pairs with the fence in `schedule`: either a pusher sees the
        // flag, or the drains below see its push. The swap alone does not
        // order the drains' loads (they need not be `SeqCst`); without
        // this the guarantee rested on a fence inside crossbeam-deque's
        // steal (`loom_models::shutdown` checks it with queues that have
        // no such fence).
        fence(Ordering::SeqCst);
        // The wakers are held until the end: a task that a worker runs
        // after this point and that parks without keeping a waker must not
        // lose its last reference, or its cell would be freed without its
        // future being dropped.
        let live = self.active.close();
        self.timer.close();
        self.sleepers.notify_all();
        self.drain_injector();
        self.threads.join_all(SHUTDOWN_WAIT);
        self.drain_injector();
        // Each woken task reaches `schedule`, which drops it: at once if it
        // is idle, after its run if a worker still runs it (the caller's
        // own task, or one on a worker past the wait). Tasks that finished
        // or were dropped with a queue ignore the wake.
        for waker in live {
            waker.wake();
        }
    }
}
