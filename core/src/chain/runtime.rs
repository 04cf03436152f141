//! The backend boundary of threaded chains: what an async runtime lends a
//! [`ThreadedChain`](crate::ThreadedChain).
//!
//! A runtime supplies threads (it runs the chain's worker futures, inside
//! its own context, so a task can await the runtime's timers and sockets)
//! and a timer (for delays and pauses). Everything else, ordering, sort
//! barriers, frame sync, cancellation, shutdown, lives in the chain, once.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::chain::core::ChainCore;
use crate::chain::host::TaskHost;
use crate::chain::runnable::TaskRunnable;
use crate::error::isolated;
use crate::error::Error;

/// The most threads a runtime or a threaded chain takes: more is a
/// mistake, not a configuration (the thread stacks alone would exhaust
/// memory before the operating system said no).
pub const MAX_THREADS: usize = 4096;

/// Checks a thread count for a runtime (or a chain's workers) named
/// `what`: 1 to [`MAX_THREADS`]. For backends, so that every runtime
/// refuses the same counts with the same error.
///
/// Returns [`Error::InvalidSetting`] for 0 or more than [`MAX_THREADS`].
///
/// ```
/// use taskchain_core::{check_thread_count, Error, MAX_THREADS};
///
/// assert_eq!(check_thread_count(2, "my runtime"), Ok(()));
/// assert!(matches!(check_thread_count(0, "my runtime"), Err(Error::InvalidSetting(_))));
/// assert!(matches!(check_thread_count(MAX_THREADS + 1, "my runtime"), Err(Error::InvalidSetting(_))));
/// ```
pub fn check_thread_count(threads: usize, what: &str) -> Result<(), Error> {
    if threads == 0 {
        return Err(Error::InvalidSetting(format!(
            "{what} needs at least one thread"
        )));
    }
    if threads > MAX_THREADS {
        return Err(Error::InvalidSetting(format!(
            "{what} takes at most {MAX_THREADS} threads, not {threads}"
        )));
    }
    Ok(())
}

/// A boxed, sendable future with no output: what a chain hands a runtime.
pub type RuntimeFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// An async runtime a [`ThreadedChain`](crate::ThreadedChain) runs on.
///
/// Backends implement it (`taskchain-tokio`, `taskchain-smol`,
/// `taskchain-threadpool`); a library author can implement it for any
/// other executor with a timer.
///
/// A runtime that owns its threads stops and joins them when its last
/// reference drops; a chain drops its reference at shutdown.
///
/// A runtime that goes away first (its owner drops it while a chain still
/// runs on it) drops the chain's unfinished worker futures: the chain
/// notices, cancels the tasks it holds and takes no more
/// ([`Error::RuntimeGone`]). A runtime must therefore drop a future it
/// will never poll again rather than leak it.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{Runtime, RuntimeFuture};
///
/// /// One thread per spawned future: slow, but a complete runtime.
/// struct ThreadPerFuture;
///
/// impl Runtime for ThreadPerFuture {
///     fn name(&self) -> &str {
///         "thread-per-future"
///     }
///     fn threads(&self) -> usize {
///         1
///     }
///     fn spawn(&self, future: RuntimeFuture) {
///         std::thread::spawn(move || futures_lite_block_on(future));
///     }
///     fn sleep(&self, duration: Duration) -> RuntimeFuture {
///         let (tx, rx) = std::sync::mpsc::channel::<()>();
///         std::thread::spawn(move || {
///             std::thread::sleep(duration);
///             let _ = tx.send(());
///         });
///         Box::pin(async move {
///             // (a real runtime wakes the waker instead of blocking)
///             let _ = rx.recv();
///         })
///     }
/// }
/// # fn futures_lite_block_on(f: RuntimeFuture) {
/// #     use std::task::{Context, Poll, Wake, Waker};
/// #     struct Unpark(std::thread::Thread);
/// #     impl Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
/// #     let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
/// #     let mut f = f;
/// #     while f.as_mut().poll(&mut Context::from_waker(&waker)).is_pending() {
/// #         std::thread::park();
/// #     }
/// # }
/// ```
pub trait Runtime: Send + Sync + 'static {
    /// A short name for reports: "tokio", "smol", "async-std",
    /// "threadpool".
    fn name(&self) -> &str;

    /// How many threads run futures: a chain with no explicit
    /// `num_threads` runs this many workers.
    fn threads(&self) -> usize;

    /// Runs `future` to completion on the runtime's threads, inside the
    /// runtime's context, detached. A runtime that is shutting down may
    /// drop it instead.
    fn spawn(&self, future: RuntimeFuture);

    /// A future that completes once `duration` has passed, on the
    /// runtime's timer.
    ///
    /// The future is `'static`, it does not borrow the runtime: a chain's
    /// worker keeps it across its polls, while the chain may let go of the
    /// runtime (at shutdown).
    fn sleep(&self, duration: Duration) -> RuntimeFuture;

    /// How the runtime takes a chain's coroutines, if it does: a chain
    /// that may use every thread of its runtime then hands it the
    /// coroutines whose order is free, which run as the runtime's own
    /// tasks do (see [`ThreadedChain`](crate::ThreadedChain)). The
    /// default, `None`, runs every task on the chain's workers.
    ///
    /// What it returns must not keep the runtime's threads going: a chain
    /// keeps it as long as any of its tasks is referenced, and lets go of
    /// the runtime itself at shutdown.
    fn task_scheduling(&self) -> Option<TaskScheduling> {
        None
    }

    /// Whether blocking the calling thread would stop the runtime from
    /// running anything: true on the thread that drives a runtime run only
    /// by its owner (tokio's current_thread runtime, inside its
    /// `block_on`). A blocking wait there on a pending task of a chain on
    /// this runtime is refused with [`Error::WouldDeadlock`] rather than
    /// left to stall. The default, `false`, suits a runtime with threads of
    /// its own.
    fn stalls_if_blocked(&self) -> bool {
        false
    }
}

/// How a runtime takes a chain's coroutines (see
/// [`Runtime::task_scheduling`]).
#[derive(Clone)]
pub enum TaskScheduling {
    /// One [`TaskRunnable`] per wake, which the runtime queues as a work
    /// item of its own, without allocating (taskchain's thread pool).
    Runnables(Arc<dyn Scheduler>),
    /// One task of the runtime per coroutine, a [`TaskHost`] spawned once,
    /// which each wake of the coroutine wakes: for a runtime that schedules
    /// only its own tasks (tokio, async-executor, async-std).
    Hosts(Arc<dyn HostSpawner>),
}

impl std::fmt::Debug for TaskScheduling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TaskScheduling::Runnables(_) => "Runnables",
            TaskScheduling::Hosts(_) => "Hosts",
        })
    }
}

/// How a runtime spawns the host of a chain's coroutine (see
/// [`TaskScheduling::Hosts`]).
///
/// An implementation spawns the host as one of the runtime's tasks,
/// detached (the host completes by itself once the coroutine's task
/// ended), and never polls it inline: the call comes from a wake, user
/// code that may hold locks. A runtime that is gone drops it instead,
/// which the chain takes as such.
pub trait HostSpawner: Send + Sync + 'static {
    /// Spawns `host` as a task of the runtime.
    fn spawn_host(&self, host: TaskHost);

    /// Wakes a host through `waker`, the one it kept from its runtime: the
    /// chain wakes its hosts only through this, from any thread. The
    /// default wakes it (`waker.wake_by_ref()`). A runtime whose drop frees
    /// its queue while another thread may be inside one of its wakers
    /// makes the wake through a [`WakeGate`](crate::WakeGate) that its drop
    /// closes first.
    fn wake_host(&self, waker: &Waker) {
        waker.wake_by_ref();
    }
}

/// How a runtime queues a chain's runnables (see
/// [`TaskScheduling::Runnables`]).
///
/// An implementation queues the runnable where the runtime's threads find
/// it, ideally where the runtime queues its own tasks (a task woken by a
/// runtime thread on that thread's local queue), and never runs it inline:
/// the call comes from a waker, user code that may hold locks.
///
/// ```
/// use taskchain_core::{Scheduler, TaskRunnable};
///
/// /// Runs each runnable as a task of a tokio-like runtime.
/// struct SpawnEach<S: Fn(TaskRunnable) + Send + Sync + 'static>(S);
///
/// impl<S: Fn(TaskRunnable) + Send + Sync + 'static> Scheduler for SpawnEach<S> {
///     fn schedule(&self, runnable: TaskRunnable) {
///         (self.0)(runnable)
///     }
/// }
/// ```
pub trait Scheduler: Send + Sync + 'static {
    /// Runs `runnable` once, soon, on one of the runtime's threads, inside
    /// its context. A runtime that is gone drops it instead, which the
    /// chain takes as such.
    fn schedule(&self, runnable: TaskRunnable);
}

/// Tells a chain when its runtime drops one of its worker futures before
/// the future finished: the runtime is gone (its owner dropped or shut it
/// down), so nothing will run the chain's tasks again. Workers finish only
/// when their chain stops them; a worker dropped unfinished after that
/// (a runtime shut down after the chain) changes nothing.
pub(crate) struct RuntimeWatch {
    state: Arc<Mutex<WatchState>>,
}

#[derive(Default)]
struct WatchState {
    /// The watched chain, once made.
    chain: Option<Weak<ChainCore>>,
    /// A worker was dropped unfinished before the chain was attached.
    gone_early: bool,
}

impl WatchState {
    fn lock(state: &Mutex<WatchState>) -> std::sync::MutexGuard<'_, WatchState> {
        state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl RuntimeWatch {
    /// `runtime`, wrapped so that every future spawned on it is watched,
    /// and the watch to [`attach`](Self::attach) the chain to.
    pub(crate) fn wrap(runtime: Arc<dyn Runtime>) -> (Arc<dyn Runtime>, RuntimeWatch) {
        let state = Arc::new(Mutex::new(WatchState::default()));
        let watched = Arc::new(WatchedRuntime {
            inner: runtime,
            state: state.clone(),
        });
        (watched, RuntimeWatch { state })
    }

    /// Tells `chain` from now on when its runtime is gone; returns
    /// [`Error::RuntimeGone`] (having told it) if it already went while
    /// the chain was being made.
    pub(crate) fn attach(self, chain: &Arc<ChainCore>) -> Result<(), Error> {
        let gone = {
            let mut state = WatchState::lock(&self.state);
            state.chain = Some(Arc::downgrade(chain));
            state.gone_early
        };
        if gone {
            chain.runtime_gone();
            return Err(Error::RuntimeGone);
        }
        Ok(())
    }
}

/// A runtime whose spawned futures carry a [`WorkerGuard`].
struct WatchedRuntime {
    inner: Arc<dyn Runtime>,
    state: Arc<Mutex<WatchState>>,
}

impl Runtime for WatchedRuntime {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn threads(&self) -> usize {
        self.inner.threads()
    }

    fn spawn(&self, future: RuntimeFuture) {
        self.inner.spawn(Box::pin(Watched {
            future,
            guard: WorkerGuard {
                state: Some(self.state.clone()),
            },
        }))
    }

    fn sleep(&self, duration: Duration) -> RuntimeFuture {
        self.inner.sleep(duration)
    }

    fn task_scheduling(&self) -> Option<TaskScheduling> {
        self.inner.task_scheduling()
    }

    fn stalls_if_blocked(&self) -> bool {
        self.inner.stalls_if_blocked()
    }
}

/// A worker future and its guard; the future is dropped first (a
/// threaded chain's worker counts itself out in its `Drop`).
struct Watched {
    future: RuntimeFuture,
    guard: WorkerGuard,
}

impl Future for Watched {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let ready = self.future.as_mut().poll(cx);
        if ready.is_ready() {
            // Finished: the chain stopped it.
            self.guard.state = None;
        }
        ready
    }
}

/// Tells the chain its runtime is gone when dropped while armed (`Some`).
struct WorkerGuard {
    state: Option<Arc<Mutex<WatchState>>>,
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        let Some(state) = self.state.take() else {
            return;
        };
        let chain = {
            let mut state = WatchState::lock(&state);
            if state.chain.is_none() {
                state.gone_early = true;
            }
            state.chain.as_ref().and_then(Weak::upgrade)
        };
        if let Some(chain) = chain {
            // Cancelling drops the chain's tasks, user code that may panic;
            // this runs inside the runtime's own teardown.
            isolated(|| chain.runtime_gone());
        }
    }
}
