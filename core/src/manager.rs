//! `TaskManager`: the set of chains a program runs, with chain "default"
//! from the start, polled together once per frame.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::chain::frame::{drive, FrameChain};
use crate::chain::runtime::{Runtime, RuntimeWatch};
use crate::chain::settings::ChainSettings;
use crate::chain::task_chain::{TaskChain, TaskChainExt};
use crate::chain::threaded::ThreadedChain;
use crate::clock::{Clock, RealClock};
use crate::error::Error;
use crate::event::future::EventFuture;
use crate::event::messenger::Messenger;
use crate::future::async_future::AsyncFuture;
use crate::future::gather::Gather;
use crate::future::pending_call::PendingCall;
use crate::future::promise::Promise;
use crate::task::builder::TaskBuilder;
use crate::task::context::TaskContext;
use crate::task::coroutine_task::CoroutineTask;
use crate::task::group::TaskGroup;
use crate::task::handle::{AnyTask, TaskHandle};
use crate::task::kinds::Task;
use crate::task::local::LocalSpawner;
use crate::task::status::DoneStatus;

/// The name of the chain every manager starts with.
pub const DEFAULT_CHAIN: &str = "default";

/// Panda3D's `taskMgr`: named chains, polled together once per frame.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{pause, ManualClock, TaskManager};
///
/// let clock = ManualClock::new();
/// let manager = TaskManager::with_clock(clock.clone());
/// let countdown = manager.spawn(async {
///     for _ in 0..3 {
///         pause(Duration::from_secs(1)).await?;
///     }
///     Ok::<_, taskchain_core::Error>("Launch!")
/// });
/// let mut frames = 0;
/// while !countdown.is_done() {
///     manager.poll().unwrap();          // one frame: never blocks
///     clock.advance(Duration::from_millis(500));
///     frames += 1;
/// }
/// assert_eq!(frames, 7);
/// ```
///
/// Dropping the manager shuts every chain down.
pub struct TaskManager {
    clock: Arc<dyn Clock>,
    default: Arc<FrameChain>,
    chains: RwLock<Chains>,
    /// The manager's events, handled on the default chain.
    messenger: Messenger,
}

/// The chains by name, and the same list ready for `poll()` to take
/// without allocating.
#[derive(Default)]
struct Chains {
    by_name: BTreeMap<String, Arc<dyn TaskChain>>,
    in_order: Arc<[Arc<dyn TaskChain>]>,
}

impl Chains {
    fn insert(&mut self, chain: Arc<dyn TaskChain>) -> Result<(), Error> {
        let name = chain.name().to_owned();
        if self.by_name.contains_key(&name) {
            return Err(Error::DuplicateChain(name));
        }
        self.by_name.insert(name, chain);
        self.in_order = self.by_name.values().cloned().collect();
        Ok(())
    }

    fn remove(&mut self, name: &str) -> Result<Arc<dyn TaskChain>, Error> {
        let chain = self
            .by_name
            .remove(name)
            .ok_or_else(|| Error::UnknownChain(name.to_owned()))?;
        self.in_order = self.by_name.values().cloned().collect();
        Ok(chain)
    }
}

/// Refuses a chain name with a NUL byte, for every chain kind alike (an
/// operating system refuses it in a thread name).
fn check_chain_name(name: &str) -> Result<(), Error> {
    if name.contains('\0') {
        return Err(Error::InvalidSetting(format!(
            "a chain name cannot hold a NUL byte: {name:?}"
        )));
    }
    Ok(())
}

impl Default for TaskManager {
    fn default() -> Self {
        Self::new()
    }
}

impl TaskManager {
    /// A manager on the real clock.
    pub fn new() -> Self {
        Self::with_clock(RealClock::new())
    }

    /// A manager whose chains read `clock` (a [`ManualClock`](crate::ManualClock)
    /// in tests).
    pub fn with_clock(clock: impl Clock) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(clock);
        let default = FrameChain::new(DEFAULT_CHAIN, clock.clone());
        let mut chains = Chains::default();
        let _ = chains.insert(default.clone());
        let messenger = Messenger::on_core(default.core().clone());
        TaskManager {
            clock,
            default,
            chains: RwLock::new(chains),
            messenger,
        }
    }

    /// The manager's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The chain named "default".
    pub fn default_chain(&self) -> &Arc<FrameChain> {
        &self.default
    }

    /// The manager's [`Messenger`] (a cheap handle to it: move it into a
    /// task, a callback or another thread). Its handlers and its futures'
    /// done callbacks run on the default chain.
    ///
    /// ```
    /// use taskchain_core::{AsyncFuture, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let messenger = manager.messenger();
    /// let ping = messenger.future::<u8>("ping").unwrap();
    /// std::thread::spawn(move || messenger.send("ping", 1_u8).unwrap())
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(ping.result(None), Ok(1));
    /// ```
    pub fn messenger(&self) -> Messenger {
        self.messenger.clone()
    }

    /// Sends the event `name` with `payload` through the manager's
    /// messenger (see [`Messenger::send`]).
    ///
    /// Returns [`Error::EmptyEventName`] for an empty name and
    /// [`Error::WrongPayloadType`] if the event's receivers take another
    /// payload type.
    pub fn send<T>(&self, name: &str, payload: T) -> Result<(), Error>
    where
        T: Clone + Send + Sync + 'static,
    {
        self.messenger.send(name, payload)
    }

    /// The future of the next firing of the event `name` on the manager's
    /// messenger (see [`Messenger::future`]).
    ///
    /// ```
    /// use taskchain_core::TaskManager;
    ///
    /// let manager = TaskManager::new();
    /// let opened = manager.event_future::<()>("door-open").unwrap();
    /// manager.send("door-open", ()).unwrap();
    /// assert_eq!(manager.run_until(&opened), Ok(()));
    /// ```
    ///
    /// Returns [`Error::EmptyEventName`] for an empty name and
    /// [`Error::WrongPayloadType`] if the event has receivers of another
    /// payload type.
    pub fn event_future<T>(&self, name: &str) -> Result<EventFuture<T>, Error>
    where
        T: Clone + Send + Sync + 'static,
    {
        self.messenger.future(name)
    }

    /// Makes a new frame chain named `name`.
    ///
    /// Returns [`Error::DuplicateChain`] if the name is taken and
    /// [`Error::InvalidSetting`] for a name with a NUL byte (as for every
    /// chain kind: the thread pool names its threads after the chain).
    pub fn make_task_chain(&self, name: &str) -> Result<Arc<FrameChain>, Error> {
        check_chain_name(name)?;
        let chain = FrameChain::new(name, self.clock.clone());
        self.add_chain(chain.clone())?;
        Ok(chain)
    }

    /// Makes a threaded chain named `name` on `runtime` (a backend's:
    /// `taskchain-tokio`, `taskchain-smol`, `taskchain-threadpool`), on the
    /// manager's clock, with `settings.num_threads` workers (as many as the
    /// runtime has threads if 0).
    ///
    /// If the runtime goes away while the chain still uses it (its owner
    /// drops or shuts it down, dropping the chain's workers), the chain
    /// cancels every task it holds and refuses new ones with
    /// [`Error::RuntimeGone`].
    ///
    /// Returns [`Error::DuplicateChain`] if the name is taken,
    /// [`Error::InvalidSetting`] for a frame budget or a name with a NUL
    /// byte, and [`Error::RuntimeGone`] if the runtime dropped the
    /// chain's workers at once (it was already shut down).
    pub fn make_threaded_chain(
        &self,
        name: &str,
        settings: ChainSettings,
        runtime: Arc<dyn Runtime>,
    ) -> Result<Arc<ThreadedChain>, Error> {
        check_chain_name(name)?;
        if self.find_chain(name).is_ok() {
            return Err(Error::DuplicateChain(name.to_owned()));
        }
        let (runtime, watch) = RuntimeWatch::wrap(runtime);
        let chain = ThreadedChain::new(name, self.clock.clone(), settings, runtime)?;
        watch.attach(chain.core())?;
        self.add_chain(chain.clone())?;
        Ok(chain)
    }

    /// Adds a chain built elsewhere (a backend's threaded chain).
    ///
    /// Returns [`Error::DuplicateChain`] if its name is taken and
    /// [`Error::InvalidSetting`] for a name with a NUL byte.
    pub fn add_chain(&self, chain: Arc<dyn TaskChain>) -> Result<(), Error> {
        check_chain_name(chain.name())?;
        self.chains
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(chain)
    }

    /// Shuts the chain named `name` down (see [`TaskChain::shutdown`]: its
    /// tasks are cancelled) and forgets it, so that the name can be used
    /// again. Handles to the chain keep working as handles to a shut-down
    /// chain.
    ///
    /// ```
    /// use taskchain_core::{Error, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// manager.make_task_chain("level").unwrap();
    /// manager.remove_chain("level").unwrap();
    /// assert!(matches!(manager.find_chain("level"), Err(Error::UnknownChain(_))));
    /// manager.make_task_chain("level").unwrap();
    /// ```
    ///
    /// Returns [`Error::UnknownChain`] if there is no such chain and
    /// [`Error::InvalidSetting`] for the default chain, which the manager
    /// keeps for its own tasks and events as long as it lives.
    pub fn remove_chain(&self, name: &str) -> Result<(), Error> {
        if name == DEFAULT_CHAIN {
            return Err(Error::InvalidSetting(
                "the default chain cannot be removed (shut the manager down instead)".into(),
            ));
        }
        let chain = {
            let mut chains = self.chains.write().unwrap_or_else(|e| e.into_inner());
            chains.remove(name)?
        };
        // Outside the lock: shutting down runs `upon_death` and callbacks,
        // which may look chains up.
        chain.shutdown();
        Ok(())
    }

    /// The chain named `name`.
    ///
    /// Returns [`Error::UnknownChain`] if there is none.
    pub fn find_chain(&self, name: &str) -> Result<Arc<dyn TaskChain>, Error> {
        self.chains
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .by_name
            .get(name)
            .cloned()
            .ok_or_else(|| Error::UnknownChain(name.to_owned()))
    }

    /// Every chain, in name order.
    pub fn chains(&self) -> Arc<[Arc<dyn TaskChain>]> {
        self.chains
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .in_order
            .clone()
    }

    /// Runs one epoch of every chain, chains in name order (threaded chains
    /// run by themselves; polling them does nothing).
    ///
    /// Every chain is polled even if one fails; the first error is
    /// returned ([`Error::Reentrant`] from inside a task,
    /// [`Error::WrongThread`] off the owner thread of `!Send` tasks).
    ///
    /// # Panics
    ///
    /// Never: a task that panics is caught at the poll boundary, its future
    /// holds [`Error::Panicked`], and the frame goes on with the next task.
    /// A panicking done callback or `upon_death` is caught the same way.
    pub fn poll(&self) -> Result<(), Error> {
        let mut first_error = None;
        for chain in self.chains().iter() {
            if let Err(e) = chain.poll() {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Spawns a coroutine task on the default chain.
    ///
    /// The task must be `Send` (a threaded chain may run it on any
    /// thread). For game state in `Rc`s or `RefCell`s, spawn from the
    /// thread that polls the chain with a
    /// [`local_spawner`](Self::local_spawner).
    pub fn spawn<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.default.spawn(future)
    }

    /// Spawns a coroutine task whose `async` block returns a `Result` on
    /// the default chain: its `Ok` value is the task's output, and an error
    /// ends the task with that error; a propagated [`Error::Cancelled`]
    /// ends it cancelled (see [`TaskBuilder::fallible`]).
    ///
    /// ```
    /// use taskchain_core::{AsyncFuture, Promise, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let promise: Promise<u32> = Promise::new();
    /// let awaited = promise.clone();
    /// let task = manager.spawn_fallible(async move { Ok(awaited.await? * 2) });
    /// manager.poll().unwrap();
    /// promise.set_result(21).unwrap();
    /// manager.poll().unwrap();
    /// assert_eq!(task.try_take(), Some(Ok(42)));
    /// ```
    pub fn spawn_fallible<F, T>(&self, future: F) -> TaskHandle<T>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        self.default.spawn_fallible(future)
    }

    /// Spawns a struct task (see [`CoroutineTask`]) on the default chain:
    /// `job.run(..)` is the coroutine, named, sorted and prioritized as
    /// `job` says. A `Box<dyn CoroutineTask<Output = T>>` spawns as its
    /// content does.
    ///
    /// ```
    /// use taskchain_core::{async_trait, AnyTask, CoroutineTask, Error, TaskManager};
    ///
    /// struct Counter(u32);
    ///
    /// #[async_trait]
    /// impl CoroutineTask for Counter {
    ///     type Output = u32;
    ///
    ///     async fn run(&mut self, _task: &AnyTask) -> Result<u32, Error> {
    ///         self.0 += 1;
    ///         Ok(self.0)
    ///     }
    /// }
    ///
    /// let manager = TaskManager::new();
    /// let task = manager.spawn_task(Counter(41));
    /// assert_eq!(manager.run_until(&task), Ok(42));
    /// ```
    ///
    /// # Panics
    ///
    /// A panic in `job`'s `name`, `sort` or `priority` unwinds out of this
    /// call; one in its `run` is caught as the task runs.
    pub fn spawn_task<C: CoroutineTask>(&self, job: C) -> TaskHandle<C::Output> {
        self.default.spawn_task(job)
    }

    /// Adds a recurring task to the default chain.
    ///
    /// The task must be `Send` (a threaded chain may run it on any
    /// thread). For game state in `Rc`s or `RefCell`s, spawn from the
    /// thread that polls the chain with a
    /// [`local_spawner`](Self::local_spawner).
    pub fn add<F>(&self, f: F) -> TaskHandle<()>
    where
        F: FnMut(&TaskContext<'_>) -> DoneStatus + Send + 'static,
    {
        self.default.add(f)
    }

    /// Schedules a built task on the chain it names (default: "default").
    ///
    /// Returns [`Error::UnknownChain`] for a chain that does not exist.
    pub fn add_task<W>(&self, task: TaskBuilder<W>) -> Result<TaskHandle<W::Output>, Error>
    where
        W: Task + Send,
        W::Output: Send,
    {
        let chain = self.find_chain(task.chain_name().unwrap_or(DEFAULT_CHAIN))?;
        chain.add_task(task)
    }

    /// A spawner for `!Send` tasks on the default chain, bound to the
    /// calling thread (see [`FrameChain::local_spawner`]).
    pub fn local_spawner(&self) -> Result<LocalSpawner, Error> {
        self.default.local_spawner()
    }

    /// A pending promise whose done callbacks run on the default chain.
    pub fn promise<T: Send + 'static>(&self) -> Promise<T> {
        self.default.promise()
    }

    /// [`TaskChainExt::call_soon`] on the default chain.
    pub fn call_soon<F>(&self, call: F) -> Result<PendingCall, Error>
    where
        F: FnOnce() + Send + 'static,
    {
        self.default.call_soon(call)
    }

    /// [`TaskChainExt::call_later`] on the default chain.
    pub fn call_later<F>(&self, delay: Duration, call: F) -> Result<PendingCall, Error>
    where
        F: FnOnce() + Send + 'static,
    {
        self.default.call_later(delay, call)
    }

    /// [`gather`](crate::gather) with callbacks on the default chain.
    pub fn gather<F>(&self, futures: impl IntoIterator<Item = F>) -> Gather<F>
    where
        F: AsyncFuture + Send + Sync + 'static,
    {
        self.default.gather(futures)
    }

    /// An empty [`TaskGroup`] whose [`spawn`](TaskGroup::spawn) puts
    /// children on the default chain.
    ///
    /// ```
    /// use taskchain_core::TaskManager;
    ///
    /// let manager = TaskManager::new();
    /// let group = manager.task_group();
    /// group.spawn(async { "loaded" }).unwrap();
    /// group.spawn(async { "decoded" }).unwrap();
    /// let values = loop {
    ///     match group.try_join() {
    ///         Some(values) => break values,
    ///         None => manager.poll().unwrap(),
    ///     }
    /// };
    /// assert_eq!(values, Ok(vec!["loaded", "decoded"]));
    /// ```
    pub fn task_group<T: Send + 'static>(&self) -> TaskGroup<T> {
        self.default.task_group()
    }

    /// Polls every chain until `future` is done, then reads it (asyncio's
    /// `run_until_complete` for a future that is already scheduled).
    ///
    /// With a manual clock, something must advance it for pauses to end.
    pub fn run_until<F: AsyncFuture>(&self, future: &F) -> Result<F::Value, Error> {
        self.poll_until(None, || future.is_done())?;
        future.try_take().unwrap_or(Err(Error::Timeout))
    }

    /// Spawns `future` on the default chain from this thread (it may be
    /// `!Send`) and polls every chain until it completes.
    ///
    /// The default chain is bound to this thread only while the future
    /// runs (a `!Send` task must be polled where it was made): afterwards
    /// any thread may poll the manager again, unless a
    /// [`local_spawner`](Self::local_spawner) bound it meanwhile, which
    /// binds it for good.
    ///
    /// Returns [`Error::WrongThread`] if another thread owns the default
    /// chain.
    pub fn run_until_complete<F: Future + 'static>(&self, future: F) -> Result<F::Output, Error> {
        let core = self.default.core();
        let (was_bound, _) = core.owner_claims();
        let handle = self.local_spawner()?.spawn(future);
        let (_, claims) = core.owner_claims();
        let polled = self.poll_until(None, || handle.is_done());
        if !was_bound && handle.is_done() {
            core.release_owner(claims);
        }
        polled?;
        handle.try_take().unwrap_or(Err(Error::Timeout))
    }

    /// Polls every chain until `done()` or `timeout` passes.
    fn poll_until(
        &self,
        timeout: Option<Duration>,
        done: impl FnMut() -> bool,
    ) -> Result<(), Error> {
        drive(
            self.default.core(),
            timeout,
            || self.poll(),
            || self.chains().iter().all(|c| c.is_idle()),
            done,
        )
    }

    /// Blocks until every chain is empty, polling the frame chains
    /// meanwhile; [`Error::Timeout`] if `timeout` passes first.
    pub fn wait_for_tasks(&self, timeout: Option<Duration>) -> Result<(), Error> {
        self.poll_until(timeout, || {
            self.chains().iter().all(|c| c.stats().total() == 0)
        })
    }

    /// The oldest live task named `name`, on any chain.
    pub fn find_task(&self, name: &str) -> Option<AnyTask> {
        self.chains()
            .iter()
            .filter_map(|c| c.find_task(name))
            .min_by_key(AnyTask::id)
    }

    /// Every live task named `name`, on every chain, oldest first.
    pub fn find_tasks(&self, name: &str) -> Vec<AnyTask> {
        self.collect(|c| c.find_tasks(name))
    }

    /// Every live task whose name matches the glob `pattern`, oldest first.
    pub fn find_tasks_matching(&self, pattern: &str) -> Vec<AnyTask> {
        self.collect(|c| c.find_tasks_matching(pattern))
    }

    /// Removes every task named `name` on every chain; returns how many.
    pub fn remove_by_name(&self, name: &str) -> usize {
        self.chains().iter().map(|c| c.remove_by_name(name)).sum()
    }

    /// Removes every task whose name matches the glob `pattern` on every
    /// chain (Panda3D's `taskMgr.removeTasksMatching`); returns how many.
    ///
    /// ```
    /// use taskchain_core::{TaskBuilder, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// for name in ["enemy-1", "enemy-2", "player"] {
    ///     manager.add_task(TaskBuilder::coroutine(async {}).name(name)).unwrap();
    /// }
    /// assert_eq!(manager.remove_matching("enemy-*"), 2);
    /// assert_eq!(manager.tasks().len(), 1);
    /// ```
    pub fn remove_matching(&self, pattern: &str) -> usize {
        self.chains()
            .iter()
            .map(|c| c.remove_matching(pattern))
            .sum()
    }

    /// Removes (cancels) `task` if one of this manager's chains holds it
    /// (Panda3D's `taskMgr.remove(task)`); returns whether this call asked
    /// it to end, as [`TaskChain::remove`] does.
    pub fn remove(&self, task: &AnyTask) -> bool {
        self.chains().iter().any(|c| c.remove(task))
    }

    /// Every live task, oldest first.
    pub fn tasks(&self) -> Vec<AnyTask> {
        self.collect(|c| c.tasks())
    }

    /// Every live task that is not sleeping, oldest first.
    pub fn active_tasks(&self) -> Vec<AnyTask> {
        self.collect(|c| c.active_tasks())
    }

    /// Every sleeping task, oldest first.
    pub fn sleeping_tasks(&self) -> Vec<AnyTask> {
        self.collect(|c| c.sleeping_tasks())
    }

    fn collect(&self, f: impl Fn(&dyn TaskChain) -> Vec<AnyTask>) -> Vec<AnyTask> {
        let mut all: Vec<AnyTask> = self.chains().iter().flat_map(|c| f(&**c)).collect();
        all.sort_by_key(AnyTask::id);
        all
    }

    /// Cancels the messenger's pending event futures and unsubscribes its
    /// handlers (the messenger itself stays usable), then shuts every chain
    /// down (see [`TaskChain::shutdown`]): the done callbacks of those
    /// futures run in the default chain's last drain.
    pub fn shutdown(&self) {
        // What is left of the events goes too: pending event futures are
        // cancelled and handlers unsubscribed (a handler may hold the
        // messenger itself, which would otherwise never be freed). First,
        // so that the futures' callbacks reach the chain before it closes;
        // again after, for what a task made while the chains shut down.
        self.messenger.close();
        for chain in self.chains().iter() {
            chain.shutdown();
        }
        self.messenger.close();
    }
}

impl Drop for TaskManager {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for TaskManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.chains().iter().map(|c| c.name().to_owned()).collect();
        f.debug_struct("TaskManager")
            .field("chains", &names)
            .finish()
    }
}
