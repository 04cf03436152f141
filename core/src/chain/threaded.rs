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

use std::cell::Cell as StdCell;
use std::cmp::Reverse;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::chain::core::ChainCore;
use crate::chain::run_queues::{abort_tasks, Entry, RunQueues};
use crate::chain::runtime::{check_thread_count, BoxFuture, Runtime, MAX_THREADS};
use crate::chain::settings::{ChainSettings, ChainStats};
use crate::chain::task_chain::TaskChain;
use crate::clock::Clock;
use crate::error::Error;
use crate::task::cell::RunResult;

/// Runs a worker makes before yielding to its runtime, so the runtime's
/// own timers, sockets and other tasks are not starved.
const RUNS_PER_POLL: u32 = 64;

/// Most runs a worker takes from the queue at once.
const MAX_BATCH: usize = 16;

/// How long an idle worker waits before looking at a clock that does not
/// follow real time (a manual clock may jump at any moment).
const CLOCK_RECHECK: Duration = Duration::from_millis(1);

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
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use taskchain_core::{AsyncFuture, BoxFuture, ChainSettings, Runtime, TaskChainExt, TaskManager};
///
/// # struct ThreadPerFuture;
/// # impl Runtime for ThreadPerFuture {
/// #     fn name(&self) -> &str { "thread-per-future" }
/// #     fn threads(&self) -> usize { 1 }
/// #     fn spawn(&self, future: BoxFuture) { std::thread::spawn(move || block_on(future)); }
/// #     fn sleep(&self, d: Duration) -> BoxFuture {
/// #         let at = std::time::Instant::now() + d;
/// #         Box::pin(std::future::poll_fn(move |cx| {
/// #             if std::time::Instant::now() >= at { return std::task::Poll::Ready(()); }
/// #             let w = cx.waker().clone();
/// #             std::thread::spawn(move || { std::thread::sleep(at.saturating_duration_since(std::time::Instant::now())); w.wake(); });
/// #             std::task::Poll::Pending
/// #         }))
/// #     }
/// # }
/// # fn block_on(mut f: BoxFuture) {
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
struct Inner {
    core: Arc<ChainCore>,
    runtime: Mutex<Option<Arc<dyn Runtime>>>,
    sched: Mutex<Sched>,
    /// Wakers of workers waiting for work (lock order: `sched`, then this).
    idle: Mutex<Vec<Waker>>,
    idle_count: AtomicUsize,
    /// Frames marked by `poll()`.
    frames: AtomicU64,
    /// Workers not yet stopped, for `shutdown` to wait on.
    live_workers: Mutex<usize>,
    workers_gone: Condvar,
}

/// The run queues and the epoch's progress.
struct Sched {
    rq: RunQueues,
    /// An epoch is being run.
    open: bool,
    /// Runs of the epoch taken by a worker and not yet finished.
    in_flight: usize,
    /// Runs taken with the one `next` returns (see `take_more`); moved to
    /// the worker at once.
    batch: Vec<Entry>,
    /// The frame on which the last epoch began (frame sync: the next one
    /// waits for a later frame; before the first frame, none runs).
    began_on_frame: u64,
}

/// What a worker does next.
enum Next {
    Run(Entry),
    /// Wait for a wake; `Some(t)`: also for the clock to reach `t`.
    Wait(Option<Duration>),
    /// The chain is shut down.
    Stop,
}

impl Sched {
    fn next(&mut self, core: &ChainCore, settings: &ChainSettings, frame: u64) -> Next {
        let timeslice = settings.timeslice_priority;
        loop {
            if core.injected.load(Ordering::Acquire) {
                self.rq.drain(core, timeslice);
            }
            if core.is_shut_down() {
                return Next::Stop;
            }
            if self.open {
                match self.rq.pop() {
                    Some(entry) if !entry.is_current() => continue,
                    Some(entry) => {
                        let behind = self.rq.current_sort.is_some_and(|c| entry.sort > c);
                        if behind && self.in_flight > 0 {
                            // The sort barrier: wait for the lower sort.
                            self.rq.side.push(Reverse(entry));
                            return Next::Wait(None);
                        }
                        self.rq.current_sort = Some(entry.sort);
                        self.take_more(&entry, settings.num_threads);
                        return Next::Run(entry);
                    }
                    None if self.in_flight > 0 => return Next::Wait(None),
                    None => {
                        self.open = false;
                        self.rq.current_sort = None;
                    }
                }
            }
            let frame_ready = !settings.frame_sync || frame > self.began_on_frame;
            let now = core.now();
            let due = self.rq.next_wake().is_some_and(|t| t <= now);
            let empty_epoch = settings.frame_sync && settings.tick_clock;
            if frame_ready && (self.rq.has_runs() || due || empty_epoch) {
                self.rq.begin(core, settings);
                self.open = true;
                self.began_on_frame = frame;
                continue;
            }
            // Waiting for a frame: `poll()` wakes the workers.
            return Next::Wait(if frame_ready {
                self.rq.next_wake()
            } else {
                None
            });
        }
    }
}

impl Sched {
    /// Takes more runs of `first`'s sort for the same worker, so that a
    /// burst of short runs costs one lock each way per batch rather than
    /// per run: at most [`MAX_BATCH`], and no more than a fair share of
    /// what is queued, so the other workers get theirs.
    fn take_more(&mut self, first: &Entry, workers: usize) {
        let share = self.rq.active.len() / workers.max(1);
        let want = share.min(MAX_BATCH - 1);
        while self.batch.len() < want {
            let same_sort = match (self.rq.active.front(), self.rq.side.peek()) {
                (Some(a), None) => a.sort == first.sort,
                // A run added during the epoch may come first: stop there.
                _ => false,
            };
            if !same_sort {
                break;
            }
            let Some(entry) = self.rq.pop() else { break };
            if entry.is_current() {
                self.batch.push(entry);
            }
        }
    }
}

thread_local! {
    /// The chain whose worker is being polled on this thread.
    static WORKER_OF: StdCell<*const Inner> = const { StdCell::new(std::ptr::null()) };
}

/// Marks the thread as running one of `inner`'s workers until dropped.
struct WorkerScope(*const Inner);

impl WorkerScope {
    fn enter(inner: &Inner) -> Self {
        // During thread teardown WORKER_OF may be gone: the worker then
        // runs unmarked (a wait from its tasks is not refused as reentrant).
        WorkerScope(
            WORKER_OF
                .try_with(|w| w.replace(inner))
                .unwrap_or(std::ptr::null()),
        )
    }
}

impl Drop for WorkerScope {
    fn drop(&mut self) {
        let _ = WORKER_OF.try_with(|w| w.set(self.0));
    }
}

impl Inner {
    fn sched(&self) -> MutexGuard<'_, Sched> {
        self.sched.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Waker>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes one idle worker (work arrived) or all (a barrier lifted, a
    /// frame began, shutdown).
    fn wake_idle(&self, all: bool) {
        // Pairs with the worker's "register, then look again": either it
        // sees what the caller published, or the caller sees it registered.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.idle_count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let wakers: Vec<Waker> = {
            let mut idle = self.idle();
            let n = if all { idle.len() } else { idle.len().min(1) };
            let at = idle.len() - n;
            let taken = idle.split_off(at);
            self.idle_count.store(idle.len(), Ordering::SeqCst);
            taken
        };
        for waker in wakers {
            waker.wake();
        }
    }

    fn is_current_worker(&self) -> bool {
        WORKER_OF
            .try_with(|w| std::ptr::eq(w.get(), self))
            .unwrap_or(false)
    }

    fn runtime(&self) -> Option<Arc<dyn Runtime>> {
        self.runtime
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// One of the chain's workers: a future the runtime polls.
struct Worker {
    inner: Arc<Inner>,
    /// The runtime's timer for the next sleeper, and when it is due on the
    /// chain's clock.
    timer: Option<(Duration, BoxFuture)>,
    /// Its waker may be in the idle list.
    registered: bool,
    /// Buffers for a batch of runs and their results, kept between polls.
    batch: Vec<Entry>,
    results: Vec<RunResult>,
}

impl Worker {
    /// Arms the timer for `until` on the chain's clock unless an earlier
    /// one is armed; returns false if it is already due.
    fn arm(&mut self, until: Duration) -> bool {
        let core = &self.inner.core;
        let now = core.now();
        if until <= now {
            return false;
        }
        if self.timer.as_ref().is_some_and(|(at, _)| *at <= until) {
            return true;
        }
        let mut wait = until - now;
        if !core.clock().follows_real_time() {
            wait = wait.min(CLOCK_RECHECK);
        }
        match self.inner.runtime() {
            Some(runtime) => {
                self.timer = Some((until, runtime.sleep(wait)));
                true
            }
            // Shut down: nothing to wait for.
            None => false,
        }
    }
}

impl Future for Worker {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let inner = this.inner.clone();
        let core = &inner.core;
        let _scope = WorkerScope::enter(&inner);
        // A shutdown during this poll closes the chain when it ends.
        let _runner = core.enter_runner();
        // Registry updates of tasks finished here wait for the end of this
        // poll: one registry lock per batch of runs.
        let _batch = core.batch_retire();
        if this.registered {
            // Woken by its timer or its runtime rather than by `wake_idle`:
            // leave the idle list, so that a wake meant for an idle worker
            // does not land on this one while it runs.
            this.registered = false;
            let mut idle = inner.idle();
            idle.retain(|w| !w.will_wake(cx.waker()));
            inner.idle_count.store(idle.len(), Ordering::SeqCst);
        }
        if let Some((_, timer)) = &mut this.timer {
            if timer.as_mut().poll(cx).is_ready() {
                this.timer = None;
            }
        }
        let mut version = core.settings_version();
        let mut settings = core.settings();
        let mut runs = 0;
        loop {
            if core.has_callbacks() {
                core.run_callbacks();
            }
            if core.settings_version() != version {
                // `configure` ran: its settings hold from the next decision.
                version = core.settings_version();
                settings = core.settings();
            }
            let timeslice = settings.timeslice_priority;
            let frame = inner.frames.load(Ordering::Acquire);
            let mut sched = inner.sched();
            match sched.next(core, &settings, frame) {
                Next::Stop => {
                    let left = sched.rq.take_all();
                    drop(sched);
                    abort_tasks(left);
                    inner.wake_idle(true);
                    return Poll::Ready(());
                }
                Next::Run(entry) => {
                    let mut batch = std::mem::take(&mut this.batch);
                    let mut results = std::mem::take(&mut this.results);
                    batch.push(entry);
                    batch.append(&mut sched.batch);
                    sched.in_flight += batch.len();
                    let (now, epoch) = (sched.rq.frame_time, sched.rq.epoch);
                    drop(sched);
                    results.extend(batch.drain(..).map(|e| e.task.run(now, epoch)));
                    let ran = results.len() as u32;
                    let mut sched = inner.sched();
                    sched.in_flight -= results.len();
                    for result in results.drain(..) {
                        sched.rq.record(result, timeslice, false);
                    }
                    let lifted = sched.in_flight == 0;
                    drop(sched);
                    (this.batch, this.results) = (batch, results);
                    if lifted {
                        // A barrier lifted or the epoch ended: whoever
                        // waits on it may go on.
                        inner.wake_idle(true);
                    }
                    runs += ran;
                    if runs >= RUNS_PER_POLL {
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                }
                Next::Wait(until) => {
                    {
                        let mut idle = inner.idle();
                        if !idle.iter().any(|w| w.will_wake(cx.waker())) {
                            idle.push(cx.waker().clone());
                        }
                        inner.idle_count.store(idle.len(), Ordering::SeqCst);
                    }
                    this.registered = true;
                    drop(sched);
                    std::sync::atomic::fence(Ordering::SeqCst);
                    // Work injected (or a frame marked) after `next` looked,
                    // before the waker was registered, found no idle worker:
                    // look again.
                    if core.injected.load(Ordering::SeqCst)
                        || core.has_callbacks()
                        || inner.frames.load(Ordering::SeqCst) != frame
                    {
                        continue;
                    }
                    if let Some(until) = until {
                        if !this.arm(until) {
                            continue;
                        }
                        if let Some((_, timer)) = &mut this.timer {
                            if timer.as_mut().poll(cx).is_ready() {
                                this.timer = None;
                                continue;
                            }
                        }
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Runs whether the worker stopped or its runtime dropped it.
        let mut live = self
            .inner
            .live_workers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *live = live.saturating_sub(1);
        self.inner.workers_gone.notify_all();
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
        let inner = Arc::new(Inner {
            core: ChainCore::new(name, clock, settings),
            runtime: Mutex::new(Some(runtime.clone())),
            sched: Mutex::new(Sched {
                rq: RunQueues::default(),
                open: false,
                in_flight: 0,
                began_on_frame: 0,
                batch: Vec::new(),
            }),
            idle: Mutex::new(Vec::new()),
            idle_count: AtomicUsize::new(0),
            frames: AtomicU64::new(0),
            live_workers: Mutex::new(workers),
            workers_gone: Condvar::new(),
        });
        let weak: Weak<Inner> = Arc::downgrade(&inner);
        inner.core.set_listener(Box::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.wake_idle(false);
            }
        }));
        for _ in 0..workers {
            runtime.spawn(Box::pin(Worker {
                inner: inner.clone(),
                timer: None,
                registered: false,
                batch: Vec::new(),
                results: Vec::new(),
            }));
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
            self.inner.wake_idle(true);
        }
        Ok(())
    }

    /// Blocks until the chain has no tasks.
    ///
    /// Returns [`Error::Reentrant`] from one of the chain's own tasks (it
    /// would wait for itself) and [`Error::Timeout`] when `timeout` passes.
    fn wait_for_tasks(&self, timeout: Option<Duration>) -> Result<(), Error> {
        let core = &self.inner.core;
        if self.inner.is_current_worker() {
            return Err(Error::Reentrant);
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
    /// and waits for them (up to ten seconds, for one inside a long run),
    /// runs the done callbacks queued meanwhile and closes the chain (later
    /// done callbacks and handler calls are dropped unrun), and lets go of
    /// the runtime, which stops its threads if nothing else uses it. From
    /// one of the chain's own tasks it waits for nothing: the workers stop
    /// once that task's run is over, and the last run closes the chain.
    fn shutdown(&self) {
        let inner = &self.inner;
        inner.core.shutdown();
        let left = inner.sched().rq.take_all();
        abort_tasks(left);
        inner.wake_idle(true);
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
        core.set_settings(settings);
        self.inner.wake_idle(true);
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
