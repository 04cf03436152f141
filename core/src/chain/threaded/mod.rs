//! Threaded chains: the same run queues and epochs as the frame chain, run
//! by worker futures on an async runtime (a backend's [`Runtime`]) instead
//! of inside `poll()`.
//!
//! The workers share the run queues under one lock. Each takes the next run
//! of the epoch in order; a run of a higher sort waits until every run of
//! the sort before it has finished (the sort barrier), and the next epoch
//! starts when every run of this one has finished. Suspended coroutines are
//! in no queue; a wake puts them back through the chain's injection queue
//! and wakes an idle worker. Idle workers hold the runtime's timer for the
//! next sleeper.
//!
//! Coroutines whose order is free skip all of that on a chain that may use
//! every thread of its runtime: the runtime runs them as its own work
//! (`chain::runnable`, `chain::host`), and the workers keep the rest.
//!
//! - `worker`: the worker future and what it does next (`Sched`: the epoch
//!   queues and the epoch gate under one lock).
//! - `epoch_gate`: `EpochGate`, whether an epoch is open, its runs in
//!   flight (the sort barrier) and the frame it began on.
//! - `idle_workers`: `IdleWorkers`, the wakers of workers waiting for work.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use crate::chain::core::ChainCore;
use crate::chain::epoch_queues::abort_tasks;
use crate::chain::runtime::{check_thread_count, Runtime, MAX_THREADS};
use crate::chain::settings::{ChainSettings, ChainStats};
use crate::chain::task_chain::TaskChain;
use crate::clock::Clock;
use crate::error::Error;
use crate::sync::{scoped_thread_local, ScopeGuard};

pub(crate) mod epoch_gate;
pub(crate) mod idle_workers;
pub(crate) mod worker;

use idle_workers::IdleWorkers;
use worker::{Sched, Worker};

/// How long `shutdown` waits for the workers to stop.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// A chain whose tasks run on an async runtime's threads, by themselves.
///
/// Build one on a backend's runtime (`taskchain-tokio`, `taskchain-smol`,
/// `taskchain-threadpool`, or any [`Runtime`]) with
/// [`TaskManager::make_threaded_chain`](crate::TaskManager::make_threaded_chain)
/// or [`ThreadedChain::new`]. It runs `num_threads` workers; each takes the
/// next run of the current epoch in the chain's order (sort ascending,
/// priority descending, start time, insertion). Every run of a lower sort
/// finishes before a run of a higher sort starts, across all workers; runs
/// of equal sort overlap.
///
/// - `poll()` runs nothing: it marks a frame. With
///   [`frame_sync`](ChainSettings::frame_sync) the chain waits for the next
///   frame between epochs; without it, epochs follow each other as long as
///   there are runs, and an idle chain sleeps until a task is woken or a
///   sleeper is due.
/// - [`tick_clock`](ChainSettings::tick_clock) ticks the clock at each
///   epoch; with `frame_sync` an empty chain still runs one (empty) epoch
///   per frame, so the clock ticks every frame.
/// - `Pickup` runs again next epoch (there is no frame budget to spend:
///   a frame budget is refused by `configure`).
/// - Done callbacks run on a worker.
///
/// # Order
///
/// What a threaded chain keeps in order, and what it leaves to its
/// runtime:
///
/// - **In the ordered epochs**: recurring tasks, sequences, intervals and
///   blocking jobs (none is a coroutine), tasks of a sort other than 0,
///   every task of a chain with [`frame_sync`](ChainSettings::frame_sync) or
///   [`ordered`](ChainSettings::ordered), and every task of a chain with
///   fewer workers than its runtime has threads (or with one worker).
///   These run as described above: sort ascending, then priority, with the
///   sort barrier, once per epoch.
/// - **As the runtime schedules them**: coroutines of sort 0 on any other
///   chain whose runtime takes tasks ([`Runtime::task_scheduling`]). Each wake
///   hands the task to the runtime, which runs it as it runs its own
///   tasks, with no order among them or against the epochs' runs, and no
///   sort barrier. [`next_frame`](crate::next_frame) yields to the runtime
///   (it resumes after what the runtime queued meanwhile), and a task's
///   [`frame_count`](crate::TaskHandle::frame_count) counts the chain's
///   epochs, which such a task does not wait for. A sleep (`pause`, a
///   delay) goes through the chain's sleep heap and wakes in an epoch.
///   Everything else holds as for every task: names, stats, cancellation
///   and its propagation, `upon_death` once, panics caught, shutdown.
///
/// A task whose sort changes to or from 0 moves between the two at its
/// next wake.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use taskchain_core::{AsyncFuture, ChainSettings, Runtime, RuntimeFuture, TaskChainExt, TaskManager};
///
/// # struct ThreadPerFuture;
/// # impl Runtime for ThreadPerFuture {
/// #     fn name(&self) -> &str { "thread-per-future" }
/// #     fn threads(&self) -> usize { 1 }
/// #     fn spawn(&self, future: RuntimeFuture) { std::thread::spawn(move || block_on(future)); }
/// #     fn sleep(&self, d: Duration) -> RuntimeFuture {
/// #         let at = std::time::Instant::now() + d;
/// #         Box::pin(std::future::poll_fn(move |cx| {
/// #             if std::time::Instant::now() >= at { return std::task::Poll::Ready(()); }
/// #             let w = cx.waker().clone();
/// #             std::thread::spawn(move || { std::thread::sleep(at.saturating_duration_since(std::time::Instant::now())); w.wake(); });
/// #             std::task::Poll::Pending
/// #         }))
/// #     }
/// # }
/// # fn block_on(mut f: RuntimeFuture) {
/// #     struct Unpark(std::thread::Thread);
/// #     impl std::task::Wake for Unpark { fn wake(self: Arc<Self>) { self.0.unpark() } }
/// #     let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
/// #     while f.as_mut().poll(&mut std::task::Context::from_waker(&waker)).is_pending() {
/// #         std::thread::park();
/// #     }
/// # }
/// // A backend crate provides the runtime; here a toy one.
/// let runtime: Arc<dyn Runtime> = Arc::new(ThreadPerFuture);
/// let manager = TaskManager::new();
/// let chain = manager
///     .make_threaded_chain("workers", ChainSettings::default().num_threads(1), runtime)
///     .unwrap();
/// let answer = chain.spawn(async { 6 * 7 });
/// assert_eq!(answer.result(Some(Duration::from_secs(10))), Ok(42));
/// ```
///
/// # Cancellation
///
/// As on every chain: a queued or sleeping task is cancelled at once, a
/// running one after its run, a suspended coroutine at its await point.
///
/// # Panics
///
/// Never: a panicking task is caught on its worker, its future holds
/// [`Error::Panicked`], and the worker goes on.
pub struct ThreadedChain {
    inner: Arc<Inner>,
}

/// What the chain shares with its workers.
pub(crate) struct Inner {
    pub(crate) core: Arc<ChainCore>,
    runtime: Mutex<Option<Arc<dyn Runtime>>>,
    pub(crate) sched: Mutex<Sched>,
    /// Workers waiting for work (lock order: `sched`, then this).
    pub(crate) idle: IdleWorkers,
    /// Frames marked by `poll()`.
    pub(crate) frames: AtomicU64,
    /// Workers not yet stopped, for `shutdown` to wait on.
    live_workers: Mutex<usize>,
    workers_gone: Condvar,
}

scoped_thread_local! {
    /// The chain whose worker is being polled on this thread. During thread
    /// teardown a worker runs unmarked (a wait from its tasks is then not
    /// refused as reentrant).
    static WORKER_OF: Inner
}

impl Inner {
    pub(crate) fn sched(&self) -> MutexGuard<'_, Sched> {
        self.sched.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks this thread as polling one of the chain's workers until the
    /// guard drops.
    pub(crate) fn enter_worker(&self) -> ScopeGuard<Inner> {
        WORKER_OF.enter(self)
    }

    /// Whether this thread runs one of the chain's workers, or one of its
    /// tasks outside the epochs.
    fn is_current_worker(&self) -> bool {
        WORKER_OF.is(self) || self.core.is_run_by_this_thread()
    }

    pub(crate) fn runtime(&self) -> Option<Arc<dyn Runtime>> {
        self.runtime
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A worker stopped, or its runtime dropped it.
    pub(crate) fn worker_gone(&self) {
        let mut live = self.live_workers.lock().unwrap_or_else(|e| e.into_inner());
        *live = live.saturating_sub(1);
        self.workers_gone.notify_all();
    }
}

impl ThreadedChain {
    /// A chain named `name` reading `clock`, running `settings.num_threads`
    /// workers on `runtime` (as many as the runtime has threads if 0).
    ///
    /// Returns [`Error::InvalidSetting`] for a frame budget (a threaded
    /// chain has no frame to budget) and for more than
    /// [`MAX_THREADS`] workers.
    pub fn new(
        name: &str,
        clock: Arc<dyn Clock>,
        settings: ChainSettings,
        runtime: Arc<dyn Runtime>,
    ) -> Result<Arc<Self>, Error> {
        check_settings(&settings)?;
        let mut settings = settings;
        if settings.num_threads == 0 {
            settings.num_threads = runtime.threads().max(1);
        }
        let workers = settings.num_threads;
        let unordered = runs_unordered(&settings, runtime.threads());
        let inner = Arc::new(Inner {
            core: ChainCore::new(name, clock, settings),
            runtime: Mutex::new(Some(runtime.clone())),
            sched: Mutex::new(Sched::default()),
            idle: IdleWorkers::new(),
            frames: AtomicU64::new(0),
            live_workers: Mutex::new(workers),
            workers_gone: Condvar::new(),
        });
        inner.core.set_runtime(&runtime);
        inner.core.set_unordered(unordered);
        let weak: Weak<Inner> = Arc::downgrade(&inner);
        inner.core.set_listener(Box::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.idle.wake(false);
            }
        }));
        for _ in 0..workers {
            runtime.spawn(Box::pin(Worker::new(inner.clone())));
        }
        Ok(Arc::new(ThreadedChain { inner }))
    }

    /// The name of the runtime the chain runs on ("" once shut down).
    pub fn runtime_name(&self) -> String {
        self.inner
            .runtime()
            .map(|r| r.name().to_owned())
            .unwrap_or_default()
    }
}

/// Whether a chain with `settings` on a runtime of `threads` threads hands
/// its runtime the coroutines whose order is free: it is free-running (no
/// frame sync), not asked to keep every task in order, and may use every
/// thread of its runtime (at least two: one worker keeps the chain's order
/// for every task).
fn runs_unordered(settings: &ChainSettings, threads: usize) -> bool {
    !settings.frame_sync && !settings.ordered && settings.num_threads >= threads.max(2)
}

fn check_settings(settings: &ChainSettings) -> Result<(), Error> {
    if settings.frame_budget.is_some() {
        return Err(Error::InvalidSetting(
            "a threaded chain has no frame to budget: frame_budget must be None".into(),
        ));
    }
    // 0 means "as many as the runtime has", so only the upper bound.
    if settings.num_threads > MAX_THREADS {
        return check_thread_count(settings.num_threads, "a threaded chain");
    }
    Ok(())
}

impl TaskChain for ThreadedChain {
    fn core(&self) -> &Arc<ChainCore> {
        &self.inner.core
    }

    /// Marks a frame (see [`ChainSettings::frame_sync`]); runs nothing.
    fn poll(&self) -> Result<(), Error> {
        self.inner.frames.fetch_add(1, Ordering::SeqCst);
        if self.inner.core.settings().frame_sync {
            self.inner.idle.wake(true);
        }
        Ok(())
    }

    /// Blocks until the chain has no tasks.
    ///
    /// Returns [`Error::Reentrant`] from one of the chain's own tasks (it
    /// would wait for itself), [`Error::WouldDeadlock`] with tasks left on
    /// the thread that drives the chain's runtime (see
    /// [`Runtime::stalls_if_blocked`]), and [`Error::Timeout`] when
    /// `timeout` passes.
    fn wait_for_tasks(&self, timeout: Option<Duration>) -> Result<(), Error> {
        let core = &self.inner.core;
        if self.inner.is_current_worker() {
            return Err(Error::Reentrant);
        }
        if core.task_count() > 0 && core.stalls_if_blocked() {
            return Err(Error::WouldDeadlock);
        }
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            if core.task_count() == 0 {
                return Ok(());
            }
            let mut nap = Duration::from_millis(10);
            if let Some(deadline) = deadline {
                let now = Instant::now();
                if now >= deadline {
                    return Err(Error::Timeout);
                }
                nap = nap.min(deadline - now);
            }
            core.park(nap);
        }
    }

    /// Cancels every task left (each `upon_death` once), stops the workers
    /// and waits for them and for the runs its runtime schedules by itself
    /// (up to ten seconds, for one inside a long run),
    /// runs the done callbacks queued meanwhile and closes the chain (later
    /// done callbacks and handler calls are dropped unrun), and lets go of
    /// the runtime, which stops its threads if nothing else uses it. From
    /// one of the chain's own tasks it waits for nothing: the workers stop
    /// once that task's run is over, and the last run closes the chain.
    fn shutdown(&self) {
        let inner = &self.inner;
        inner.core.shutdown();
        let left = inner.sched().queues.take_all();
        abort_tasks(left);
        inner.idle.wake(true);
        // From one of the chain's own tasks, blocking here would block a
        // runtime thread whose queue may hold the very workers waited for
        // (tokio keeps a task woken by its thread in a slot no other thread
        // steals): the workers stop by themselves, unwaited.
        let wait = !inner.is_current_worker();
        let deadline = Instant::now() + SHUTDOWN_WAIT;
        let mut live = inner.live_workers.lock().unwrap_or_else(|e| e.into_inner());
        while wait && *live > 0 {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            live = inner
                .workers_gone
                .wait_timeout(live, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        drop(live);
        if wait {
            // The runs the runtime schedules by itself end too.
            inner.core.wait_closed(deadline);
        }
        let runtime = inner
            .runtime
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        drop(runtime);
    }

    fn stats(&self) -> ChainStats {
        self.inner.core.stats()
    }

    /// Changes the settings. The number of workers is fixed when the chain
    /// is made.
    ///
    /// Returns [`Error::InvalidSetting`] for another `num_threads` (0 keeps
    /// the current count) or a frame budget.
    fn configure(&self, settings: ChainSettings) -> Result<(), Error> {
        check_settings(&settings)?;
        let core = &self.inner.core;
        let current = core.settings().num_threads;
        let mut settings = settings;
        if settings.num_threads == 0 {
            settings.num_threads = current;
        }
        if settings.num_threads != current {
            return Err(Error::InvalidSetting(format!(
                "a threaded chain keeps the {current} workers it was made with, not {}",
                settings.num_threads
            )));
        }
        let threads = self.inner.runtime().map_or(usize::MAX, |r| r.threads());
        core.set_unordered(runs_unordered(&settings, threads));
        core.set_settings(settings);
        self.inner.idle.wake(true);
        Ok(())
    }
}

impl Drop for ThreadedChain {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for ThreadedChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadedChain")
            .field("name", &self.inner.core.name())
            .field("runtime", &self.runtime_name())
            .field("stats", &self.stats())
            .finish()
    }
}
