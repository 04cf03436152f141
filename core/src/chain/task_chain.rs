//! The `TaskChain` trait: a named scheduling domain and the backend
//! boundary. Object-safe; the generic conveniences are in `TaskChainExt`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::chain::core::ChainCore;
use crate::chain::settings::{ChainSettings, ChainStats};
use crate::clock::Clock;
use crate::error::Error;
use crate::future::async_future::AsyncFuture;
use crate::future::gather::Gather;
use crate::future::pending_call::PendingCall;
use crate::future::promise::Promise;
use crate::future::shield::Shield;
use crate::task::blocking::Blocking;
use crate::task::builder::TaskBuilder;
use crate::task::context::TaskContext;
use crate::task::coroutine_task::CoroutineTask;
use crate::task::group::TaskGroup;
use crate::task::handle::{AnyTask, TaskHandle};
use crate::task::kinds::{Recurring, Task};
use crate::task::status::DoneStatus;

/// A named scheduling domain: it holds tasks and runs them, on the caller's
/// thread inside `poll()` (the embedded frame chain) or on a backend's
/// threads.
///
/// Lookups, listing and removal are provided on top of the chain's
/// [`ChainCore`] and behave the same on every backend. Use it generically
/// or as `dyn TaskChain`; spawning lives in [`TaskChainExt`].
///
/// ```
/// use taskchain_core::{TaskChain, TaskChainExt, TaskManager};
///
/// fn count_named(chain: &dyn TaskChain, name: &str) -> usize {
///     chain.find_tasks(name).len()
/// }
///
/// let manager = TaskManager::new();
/// let chain = manager.default_chain();
/// chain.add_task(taskchain_core::TaskBuilder::coroutine(async {}).name("a")).unwrap();
/// assert_eq!(count_named(&**chain, "a"), 1);
/// ```
///
/// The trait is sealed: the chains are the embedded
/// [`FrameChain`](crate::FrameChain) and the threaded chains the manager
/// makes on a [`Runtime`](crate::Runtime). To run chains on another
/// executor, implement `Runtime`: that is the extension point.
pub trait TaskChain: Send + Sync + sealed::Sealed {
    /// The core its tasks point to (for backends and the generic
    /// conveniences).
    fn core(&self) -> &Arc<ChainCore>;

    /// Runs one epoch (or the rest of one cut short by the frame budget).
    /// A threaded chain runs by itself: polling it does nothing.
    ///
    /// Returns [`Error::Reentrant`] when called while the chain is being
    /// polled (from one of its own tasks, or another thread), and
    /// [`Error::WrongThread`] from a thread other than the owner of its
    /// `!Send` tasks.
    ///
    /// # Panics
    ///
    /// Never: a panicking task is caught at the poll boundary and its
    /// future holds [`Error::Panicked`]; the chain goes on.
    fn poll(&self) -> Result<(), Error>;

    /// Blocks until the chain has no tasks (or `timeout` passes:
    /// [`Error::Timeout`]). A frame chain polls itself meanwhile.
    fn wait_for_tasks(&self, timeout: Option<Duration>) -> Result<(), Error>;

    /// Stops the chain: cancels every task left (each `upon_death` runs
    /// once), runs pending done callbacks, stops its threads and frees
    /// everything it owns. Later spawns are cancelled at once.
    ///
    /// It is the chain's last drain: the done callbacks and handler calls
    /// queued before it, or by the cancels it makes, run once during it.
    /// Then the chain is closed and takes nothing more: a done callback or
    /// handler call dispatched to it later is dropped unrun (never run
    /// inline by whoever completed the future), and a wake is ignored.
    fn shutdown(&self);

    /// Counts of live tasks and epochs.
    fn stats(&self) -> ChainStats;

    /// Changes the chain's settings.
    ///
    /// Returns [`Error::InvalidSetting`] for settings this kind of chain
    /// cannot take (for instance threads on the frame chain).
    fn configure(&self, settings: ChainSettings) -> Result<(), Error>;

    /// Whether a `poll()` now would run nothing: no task is queued, only
    /// suspended or sleeping ones. Threaded chains, which `poll()` never
    /// runs, are always idle.
    fn is_idle(&self) -> bool {
        true
    }

    /// The chain's name.
    fn name(&self) -> &str {
        self.core().name()
    }

    /// The chain's settings.
    fn settings(&self) -> ChainSettings {
        self.core().settings()
    }

    /// The chain's clock.
    fn clock(&self) -> Arc<dyn Clock> {
        self.core().clock().clone()
    }

    /// The oldest live task named exactly `name`.
    fn find_task(&self, name: &str) -> Option<AnyTask> {
        self.core().find_first_by_name(name).map(AnyTask)
    }

    /// Every live task named exactly `name`, oldest first.
    fn find_tasks(&self, name: &str) -> Vec<AnyTask> {
        self.core()
            .find_by_name(name)
            .into_iter()
            .map(AnyTask)
            .collect()
    }

    /// Every live task whose name matches the glob `pattern` (`*` any run,
    /// `?` one character), oldest first.
    fn find_tasks_matching(&self, pattern: &str) -> Vec<AnyTask> {
        self.core()
            .find_matching(pattern)
            .into_iter()
            .map(AnyTask)
            .collect()
    }

    /// Removes (cancels) `task` if it belongs to this chain; returns whether
    /// this call asked it to end (false for another chain's task, one
    /// already done, or one whose removal is already pending). O(1): the
    /// same as [`AnyTask::cancel`] with a chain check.
    fn remove(&self, task: &AnyTask) -> bool {
        Arc::ptr_eq(&task.0.header().chain, self.core()) && task.0.remove()
    }

    /// Removes (cancels) every task named `name`; returns how many it
    /// removed (a task whose removal is already pending is not counted
    /// again).
    fn remove_by_name(&self, name: &str) -> usize {
        self.core()
            .find_by_name(name)
            .into_iter()
            .filter(|t| t.remove())
            .count()
    }

    /// Removes (cancels) every task whose name matches the glob `pattern`
    /// (Panda3D's `removeTasksMatching`); returns how many it removed, as
    /// [`remove_by_name`](Self::remove_by_name) counts.
    fn remove_matching(&self, pattern: &str) -> usize {
        self.core()
            .find_matching(pattern)
            .into_iter()
            .filter(|t| t.remove())
            .count()
    }

    /// Every live task, oldest first.
    fn tasks(&self) -> Vec<AnyTask> {
        let mut all: Vec<AnyTask> = self.core().tasks().into_iter().map(AnyTask).collect();
        all.sort_by_key(AnyTask::id);
        all
    }

    /// Live tasks that are not sleeping, oldest first.
    fn active_tasks(&self) -> Vec<AnyTask> {
        self.tasks()
            .into_iter()
            .filter(|t| !t.is_sleeping())
            .collect()
    }

    /// Tasks waiting out a delay, `Again` or `pause`, oldest first.
    fn sleeping_tasks(&self) -> Vec<AnyTask> {
        self.tasks()
            .into_iter()
            .filter(AnyTask::is_sleeping)
            .collect()
    }
}

/// Keeps [`TaskChain`] to this crate's chains.
pub(crate) mod sealed {
    /// Implemented by the chains of this crate only.
    pub trait Sealed {}

    impl Sealed for crate::chain::frame::FrameChain {}
    impl Sealed for crate::chain::threaded::ThreadedChain {}
}

/// Generic conveniences on every [`TaskChain`] (and `dyn TaskChain`).
pub trait TaskChainExt: TaskChain {
    /// Spawns a coroutine task; its handle is its future. On a chain that
    /// was shut down (or whose runtime is gone) the handle is cancelled at
    /// once.
    ///
    /// The task must be `Send` (a threaded chain may run it on any
    /// thread). For game state in `Rc`s or `RefCell`s, spawn from the
    /// thread that polls the chain with a
    /// [`local_spawner`](crate::FrameChain::local_spawner).
    fn spawn<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let cell = TaskBuilder::coroutine(future).spawn_into(self.core());
        TaskHandle::new(cell)
    }

    /// Spawns a coroutine task whose `async` block returns a `Result`: its
    /// `Ok` value is the task's output, and an error ends the task with
    /// that error, so `?` works inside; a propagated [`Error::Cancelled`]
    /// ends it cancelled (see [`TaskBuilder::fallible`]).
    fn spawn_fallible<F, T>(&self, future: F) -> TaskHandle<T>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        let cell = TaskBuilder::fallible(future).spawn_into(self.core());
        TaskHandle::new(cell)
    }

    /// Spawns a struct task (see [`CoroutineTask`]): `job.run(..)` is the
    /// coroutine, named, sorted and prioritized as `job` says. On a chain
    /// that was shut down (or whose runtime is gone) the handle is
    /// cancelled at once, and `run` is never called.
    ///
    /// # Panics
    ///
    /// A panic in `job`'s `name`, `sort` or `priority` unwinds out of this
    /// call; one in its `run` is caught as the task runs.
    fn spawn_task<C: CoroutineTask>(&self, job: C) -> TaskHandle<C::Output> {
        let cell = TaskBuilder::from_task(job).spawn_into(self.core());
        TaskHandle::new(cell)
    }

    /// Runs the blocking closure `job` once, as a task of this chain: on a
    /// threaded chain, heavy work (loading, decoding) off the frame
    /// thread. Its handle is an [`AsyncFuture`]: a coroutine on the frame
    /// chain awaits it and resumes on the first `poll()` after the job is
    /// done, while the frames go on.
    ///
    /// On a frame chain the job runs inside `poll()` and blocks that frame:
    /// use a threaded chain for anything slow.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// # use taskchain_core::{Runtime, RuntimeFuture};
    /// # struct ThreadPerFuture;
    /// # impl Runtime for ThreadPerFuture {
    /// #     fn name(&self) -> &str { "thread-per-future" }
    /// #     fn threads(&self) -> usize { 1 }
    /// #     fn spawn(&self, future: RuntimeFuture) { std::thread::spawn(move || block_on(future)); }
    /// #     fn sleep(&self, d: Duration) -> RuntimeFuture { Box::pin(async move { std::thread::sleep(d) }) }
    /// # }
    /// # fn block_on(mut f: RuntimeFuture) {
    /// #     struct Unpark(std::thread::Thread);
    /// #     impl std::task::Wake for Unpark { fn wake(self: Arc<Self>) { self.0.unpark() } }
    /// #     let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    /// #     while f.as_mut().poll(&mut std::task::Context::from_waker(&waker)).is_pending() {
    /// #         std::thread::park();
    /// #     }
    /// # }
    /// use taskchain_core::{AsyncFuture, ChainSettings, TaskChainExt, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// # let runtime: Arc<dyn Runtime> = Arc::new(ThreadPerFuture);
    /// // A backend's runtime (`taskchain::Backend::make_chain` does this).
    /// let loader = manager
    ///     .make_threaded_chain("loader", ChainSettings::default().num_threads(1), runtime)
    ///     .unwrap();
    /// let level = loader.spawn_blocking(|| vec![0u8; 1024]);
    /// let frame_task = manager.spawn(async move { level.await.map(|bytes| bytes.len()) });
    /// while !frame_task.is_done() {
    ///     manager.poll().unwrap(); // the frames go on while the job runs
    /// }
    /// assert_eq!(frame_task.wait(), Ok(Ok(1024)));
    /// ```
    ///
    /// # Cancellation
    ///
    /// Cancelling the handle (or a coroutine awaiting it: cancellation
    /// propagates to what it awaits) before the job starts drops the job
    /// unrun; once it runs, it runs to the end and the handle ends
    /// cancelled.
    ///
    /// # Panics
    ///
    /// A panicking job is caught: its handle holds [`Error::Panicked`].
    fn spawn_blocking<F, T>(&self, job: F) -> TaskHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let cell = TaskBuilder::new(Blocking::new(job)).spawn_into(self.core());
        TaskHandle::new(cell)
    }

    /// Adds a recurring task: `f` runs once per epoch until it returns
    /// `Done` or `Exit`.
    ///
    /// The task must be `Send` (a threaded chain may run it on any
    /// thread). For game state in `Rc`s or `RefCell`s, spawn from the
    /// thread that polls the chain with a
    /// [`local_spawner`](crate::FrameChain::local_spawner).
    fn add<F>(&self, f: F) -> TaskHandle<()>
    where
        F: FnMut(&TaskContext<'_>) -> DoneStatus + Send + 'static,
    {
        let cell = TaskBuilder::new(Recurring(f)).spawn_into(self.core());
        TaskHandle::new(cell)
    }

    /// Schedules a built task on this chain.
    ///
    /// Returns [`Error::UnknownChain`] if the builder names another chain
    /// and [`Error::RuntimeGone`] if the runtime the chain ran on went
    /// away (see [`TaskManager::make_threaded_chain`](crate::TaskManager::make_threaded_chain)).
    fn add_task<W>(&self, task: TaskBuilder<W>) -> Result<TaskHandle<W::Output>, Error>
    where
        W: Task + Send,
        W::Output: Send,
    {
        match task.chain_name() {
            Some(other) if other != self.name() => Err(Error::UnknownChain(other.to_owned())),
            _ if self.core().is_runtime_gone() => Err(Error::RuntimeGone),
            _ => Ok(TaskHandle::new(task.spawn_into(self.core()))),
        }
    }

    /// A pending promise whose done callbacks run on this chain.
    fn promise<T: Send + 'static>(&self) -> Promise<T> {
        Promise::with_home(Some(self.core().clone()))
    }

    /// Queues `call` to run on this chain's next poll (a threaded chain:
    /// on a worker), before its task runs, as its done callbacks do
    /// (asyncio's `call_soon`, thread-safe): never inline in this call.
    /// The way for code outside the crate, such as a custom
    /// [`AsyncFuture`], to honour "done callbacks run later".
    ///
    /// Returns [`Error::Shutdown`] once the chain has shut down (`call`
    /// is dropped unrun).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use taskchain_core::{TaskChainExt, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let ran = Arc::new(AtomicBool::new(false));
    /// let flag = ran.clone();
    /// manager
    ///     .default_chain()
    ///     .call_soon(move || flag.store(true, Ordering::SeqCst))
    ///     .unwrap();
    /// assert!(!ran.load(Ordering::SeqCst), "not inline");
    /// manager.poll().unwrap();
    /// assert!(ran.load(Ordering::SeqCst));
    /// ```
    ///
    /// # Panics
    ///
    /// Never; a `call` that panics is caught and reported by the panic
    /// hook, and the chain goes on.
    fn call_soon<F>(&self, call: F) -> Result<PendingCall, Error>
    where
        F: FnOnce() + Send + 'static,
    {
        let (pending, slot) = PendingCall::new(call);
        self.core().call_soon(Box::new(move || {
            if let Some(call) = slot.take() {
                call();
            }
        }))?;
        Ok(pending)
    }

    /// Runs `call` once `delay` has passed on this chain's clock
    /// (asyncio's `call_later`, Panda3D's `doMethodLater`, thread-safe).
    /// As `doMethodLater` does, it waits in a task of the chain: the task
    /// counts in the chain's stats, [`wait_for_tasks`](TaskChain::wait_for_tasks)
    /// waits for it, and a shutdown drops `call` unrun.
    /// [`PendingCall::cancel`] removes the call and its task.
    ///
    /// Returns [`Error::Shutdown`] once the chain has shut down.
    ///
    /// ```
    /// use std::time::Duration;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use taskchain_core::{ManualClock, TaskChainExt, TaskManager};
    ///
    /// let clock = ManualClock::new();
    /// let manager = TaskManager::with_clock(clock.clone());
    /// let ran = Arc::new(AtomicBool::new(false));
    /// let flag = ran.clone();
    /// manager
    ///     .default_chain()
    ///     .call_later(Duration::from_secs(2), move || flag.store(true, Ordering::SeqCst))
    ///     .unwrap();
    /// manager.poll().unwrap();
    /// clock.advance(Duration::from_secs(2));
    /// manager.poll().unwrap();
    /// assert!(ran.load(Ordering::SeqCst));
    /// ```
    ///
    /// # Panics
    ///
    /// Never; a `call` that panics ends its task panicked, and the chain
    /// goes on.
    fn call_later<F>(&self, delay: Duration, call: F) -> Result<PendingCall, Error>
    where
        F: FnOnce() + Send + 'static,
    {
        if self.core().is_shut_down() {
            return Err(Error::Shutdown);
        }
        let (pending, slot) = PendingCall::new(call);
        let timer = TaskBuilder::new(Recurring(move |_: &TaskContext<'_>| {
            if let Some(call) = slot.take() {
                call();
            }
            DoneStatus::Done
        }))
        .delay(delay)
        .spawn_into(self.core());
        Ok(pending.with_timer(TaskHandle::new(timer).as_any()))
    }

    /// [`gather`](crate::gather) with callbacks on this chain.
    fn gather<F>(&self, futures: impl IntoIterator<Item = F>) -> Gather<F>
    where
        F: AsyncFuture + Send + Sync + 'static,
    {
        Gather::with_home(futures, Some(self.core().clone()))
    }

    /// [`shield`](crate::shield) with callbacks on this chain.
    fn shield<F>(&self, future: F) -> Shield<F>
    where
        F: AsyncFuture + Send + Sync + 'static,
    {
        Shield::with_home(future, Some(self.core().clone()))
    }

    /// An empty [`TaskGroup`] whose [`spawn`](TaskGroup::spawn) puts
    /// children on this chain.
    fn task_group<T: Send + 'static>(&self) -> TaskGroup<T> {
        TaskGroup::with_home(Some(self.core().clone()))
    }
}

impl<C: TaskChain + ?Sized> TaskChainExt for C {}
