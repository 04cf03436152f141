//! What the pool's handles, workers and task cells share: the queues, the
//! sleepers, the live tasks, the timer, and the shutdown flag.

use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use async_task::{Builder, ScheduleInfo, WithInfo};

use crate::active::Active;
use crate::job::Job;
use crate::remote::Remote;
use crate::sleepers::Sleepers;
use crate::sync::{fence, AtomicBool, Injector, Ordering, Steal};
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
    /// Jobs scheduled from outside the pool's workers.
    pub(crate) injector: Injector<Job>,
    /// One per worker, by index: its local queue and LIFO slot as the
    /// others see them (cache-padded: each is written by its owner).
    pub(crate) remotes: Vec<CachePadded<Remote>>,
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
        remotes: Vec<Remote>,
        sleepers: Sleepers,
        timer: Arc<Timer>,
        prefix: String,
    ) -> Self {
        PoolState {
            id: NEXT_POOL_ID.fetch_add(1, Ordering::Relaxed),
            injector: Injector::new(),
            active: Active::new(remotes.len()),
            remotes: remotes.into_iter().map(CachePadded::new).collect(),
            sleepers,
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
            let schedule = move |runnable, info: ScheduleInfo| {
                shared.schedule(Job::Future(runnable), info.woken_while_running);
            };
            let (runnable, task) = Builder::new()
                .propagate_panic(true)
                .spawn(move |_| future, WithInfo(schedule));
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

    /// The schedule function of every task cell: on one of this pool's
    /// workers, puts `job` in that worker's LIFO slot (or its local queue:
    /// see [`worker::push_local`]); elsewhere, on the injector. Wakes a
    /// sleeping worker for a job on a queue.
    ///
    /// `yielded`: the job's task woke itself while it ran (a yield); it
    /// goes behind the others.
    ///
    /// After shutdown it drops `job` instead, which cancels the task and
    /// drops its future on the calling thread.
    pub(crate) fn schedule(&self, job: Job, yielded: bool) {
        if self.is_closed() {
            drop(job);
            return;
        }
        match worker::push_local(self, job, yielded) {
            Ok(worker::Pushed::Slot) => self.sleepers.notify_unwatched(),
            Ok(worker::Pushed::Queue) => self.sleepers.notify_one(),
            Err(job) => {
                self.injector.push(job);
                // Pairs with the fence in `shutdown`: either this sees the
                // flag, or shutdown's drains see the push.
                fence(Ordering::SeqCst);
                if self.is_closed() {
                    self.drain_injector();
                    return;
                }
                self.sleepers.notify_one();
            }
        }
    }

    /// Whether any queue holds a job (the sleepers' re-check; LIFO slots
    /// are their owners' or their watchers').
    pub(crate) fn has_work(&self) -> bool {
        !self.injector.is_empty() || self.remotes.iter().any(|r| !r.stealer.is_empty())
    }

    /// A worker that a notifier unparked found a job: if it was the last
    /// one searching and work is left, wakes one more for that work.
    pub(crate) fn stop_searching(&self) {
        if self.sleepers.stop_searching() {
            // Pairs with a pusher's fence: either it saw this worker
            // searching (and woke nobody), and this sees its push, or it
            // saw none searching and did the waking itself.
            fence(Ordering::SeqCst);
            if self.has_work() {
                self.sleepers.notify_one();
            }
        }
    }

    /// Drops every job in the injector, cancelling their tasks.
    fn drain_injector(&self) {
        loop {
            match self.injector.steal() {
                Steal::Success(job) => drop(job),
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
