//! `TaskBuilder`: a task with its properties set, not yet scheduled.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::chain::core::ChainCore;
use crate::clock::duration_from_secs;
use crate::error::Error;
use crate::event::done::DoneEvent;
use crate::event::messenger::Messenger;
use crate::task::cell::{NewTask, TaskCell};
use crate::task::context::TaskContext;
use crate::task::current;
use crate::task::death::TaskDeath;
use crate::task::handle::TaskHandle;
use crate::task::header::Options;
use crate::task::kinds::{
    Coroutine, FallibleCoroutine, Recurring, RecurringCoroutine, RecurringOutput, Task,
};
use crate::task::raw::OutputRef;
use crate::task::status::DoneStatus;

/// A task and its properties (name, sort, priority, delay, `upon_death`,
/// chain), not yet scheduled.
///
/// Schedule it with `add_task` on a manager or chain, or await it from a
/// coroutine: an unscheduled task that is awaited is scheduled on the
/// awaiting task's chain.
///
/// ```
/// use taskchain_core::{TaskBuilder, TaskManager};
///
/// let manager = TaskManager::new();
/// let outer = manager.spawn(async {
///     let inner = TaskBuilder::coroutine(async { 20 }).name("inner");
///     inner.await.unwrap() + 1
/// });
/// assert_eq!(manager.run_until(&outer), Ok(21));
/// ```
#[must_use = "a task builder does nothing until its task is added to a chain or awaited"]
pub struct TaskBuilder<W> {
    work: W,
    opts: Options,
    /// Sent when the task finishes; becomes the cell's after-done hook.
    done_event: Option<DoneEvent>,
    chain: Option<String>,
}

impl<W: Task> TaskBuilder<W> {
    /// A builder for any [`Task`].
    pub fn new(work: W) -> Self {
        TaskBuilder {
            work,
            opts: Options {
                name: None,
                sort: 0,
                priority: 0,
                delay: None,
                upon_death: None,
                after_done: None,
            },
            done_event: None,
            chain: None,
        }
    }

    /// Names the task (names need not be unique).
    pub fn name(mut self, name: &str) -> Self {
        self.opts.name = Some(Arc::from(name));
        self
    }

    /// Names the task with a name already shared, or leaves it unnamed.
    pub(crate) fn shared_name(mut self, name: Option<Arc<str>>) -> Self {
        self.opts.name = name;
        self
    }

    /// Sets the sort (default 0): lower sorts run first in each epoch.
    pub fn sort(mut self, sort: i32) -> Self {
        self.opts.sort = sort;
        self
    }

    /// Sets the priority (default 0): higher runs first within a sort.
    pub fn priority(mut self, priority: i32) -> Self {
        self.opts.priority = priority;
        self
    }

    /// Delays the first run by `delay`; also the wait of `Again`.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.opts.delay = Some(delay);
        self
    }

    /// [`delay`](Self::delay) in seconds.
    ///
    /// Returns [`Error::InvalidDuration`] for a negative, NaN or infinite
    /// value.
    pub fn delay_secs(self, secs: f64) -> Result<Self, Error> {
        Ok(self.delay(duration_from_secs(secs)?))
    }

    /// Runs `f(clean_exit)` once when the task ends: `true` if it finished
    /// normally, `false` if it was removed, cancelled, failed or panicked.
    /// [`upon_death_with`](Self::upon_death_with) passes the task itself;
    /// either replaces a callback set before.
    ///
    /// `f` is `Clone` (a closure is when what it captures is; put a value
    /// that is not in an `Arc`), so that a clone of the builder gets its
    /// own copy, run once when the clone's task ends.
    ///
    /// # Panics
    ///
    /// A panic in `f` is caught: the task then ends panicked, unless it was
    /// already cancelled or panicked, and its chain goes on.
    pub fn upon_death(self, f: impl FnOnce(bool) + Clone + Send + 'static) -> Self {
        self.upon_death_with(move |death: &TaskDeath<'_>| f(death.clean_exit()))
    }

    /// Runs `f(death)` once when the task ends, with the task: its id, its
    /// name (its current one: a task renamed while it lives reports its
    /// last name), its chain's name and how it ended (Panda3D passes the
    /// task to `uponDeath`). It runs on the thread that ended the task:
    /// the chain's runner, or the caller of a `cancel()` or `remove` that
    /// ended a task at rest, before the task's future is done (a done
    /// callback runs after it). Replaces a callback set before.
    ///
    /// `f` is `Clone`, as for [`upon_death`](Self::upon_death): a clone of
    /// the builder gets its own copy.
    ///
    /// ```
    /// use taskchain_core::{TaskBuilder, TaskDeath, TaskEnd, TaskManager};
    /// use std::sync::mpsc;
    ///
    /// let manager = TaskManager::new();
    /// let (deaths, died) = mpsc::channel();
    /// let task = manager
    ///     .add_task(
    ///         TaskBuilder::coroutine(std::future::pending::<()>())
    ///             .name("idle")
    ///             .upon_death_with(move |death: &TaskDeath<'_>| {
    ///                 let _ = deaths.send((death.name().map(str::to_owned), death.end()));
    ///             }),
    ///     )
    ///     .unwrap();
    /// manager.poll().unwrap();
    /// task.set_name("idle-renamed");
    /// manager.remove(&task.as_any());
    /// manager.poll().unwrap(); // the cancel is delivered on its next run
    /// let (name, end) = died.try_recv().unwrap();
    /// assert_eq!(name.as_deref(), Some("idle-renamed"));
    /// assert_eq!(end, TaskEnd::Cancelled);
    /// ```
    ///
    /// # Panics
    ///
    /// A panic in `f` is caught: the task then ends panicked, unless it was
    /// already cancelled or panicked, and its chain goes on.
    pub fn upon_death_with(
        mut self,
        f: impl FnOnce(&TaskDeath<'_>) + Clone + Send + 'static,
    ) -> Self {
        self.opts.upon_death = Some(Box::new(f));
        self
    }

    /// Sends the event `name` through `messenger`, with payload `()`, when
    /// the task finishes: it returned `Done` or `Exit`, or its coroutine
    /// completed. Not when it is cancelled or removed (whatever it returned
    /// on its last run), not when it panics (nor when its `upon_death`
    /// panics), not at shutdown. It is sent after the task's future is
    /// done, from the thread that ran the task's last run, on any chain.
    ///
    /// Receivers take `()`: `messenger.future::<()>(name)` and
    /// `messenger.accept(name, |_: &()| ..)`; receivers of another payload
    /// type make the send fail, and the event is then not delivered. To
    /// tell tasks apart, give each its own event name.
    ///
    /// Returns [`Error::EmptyEventName`] for an empty name.
    ///
    /// ```
    /// use taskchain_core::{AsyncFuture, Error, TaskBuilder, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let messenger = manager.messenger();
    /// let loaded = messenger.future::<()>("level-loaded")?;
    /// manager.add_task(
    ///     TaskBuilder::coroutine(async { /* load the level */ })
    ///         .done_event(&messenger, "level-loaded")?,
    /// )?;
    /// manager.run_until(&loaded)?;
    /// assert!(loaded.is_done());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn done_event(mut self, messenger: &Messenger, name: &str) -> Result<Self, Error> {
        self.done_event = Some(DoneEvent::new(messenger, name)?);
        Ok(self)
    }

    /// Names the chain a manager schedules the task on (default: the
    /// default chain).
    pub fn chain(mut self, chain: &str) -> Self {
        self.chain = Some(chain.to_owned());
        self
    }

    /// The chain set with [`chain`](Self::chain).
    pub fn chain_name(&self) -> Option<&str> {
        self.chain.as_deref()
    }

    /// Schedules the task on `core`. Inlined: the builder is moved by value,
    /// and a call would copy it through the stack.
    #[inline]
    pub(crate) fn spawn_into(self, core: &Arc<ChainCore>) -> OutputRef<W::Output>
    where
        W: Send,
        W::Output: Send,
    {
        let (work, opts) = self.into_parts();
        let delay = opts.delay;
        submit(core, TaskCell::new_send(core.clone(), work, opts), delay)
    }

    /// Schedules the `!Send` task on `core`, whose owner thread the caller
    /// is (see `LocalSpawner`).
    #[inline]
    pub(crate) fn spawn_local_into(self, core: &Arc<ChainCore>) -> OutputRef<W::Output> {
        let (work, opts) = self.into_parts();
        let delay = opts.delay;
        submit(core, TaskCell::new_local(core.clone(), work, opts), delay)
    }
}

impl<W> TaskBuilder<W> {
    /// The work and the cell's options, the done event among them as the
    /// hook that sends it.
    #[inline]
    fn into_parts(self) -> (W, Options) {
        let mut opts = self.opts;
        if let Some(event) = self.done_event {
            opts.after_done = Some(Box::new(move || event.send()));
        }
        (self.work, opts)
    }
}

/// Queues a new task on its chain, asleep until its delay passes if it has
/// one.
fn submit<T>(core: &Arc<ChainCore>, task: NewTask<T>, delay: Option<Duration>) -> OutputRef<T> {
    let wake_at = delay
        .filter(|d| !d.is_zero())
        .map(|d| core.now().saturating_add(d));
    core.submit(task.queued, task.registered, wake_at);
    task.handle
}

impl<F: Future + 'static> TaskBuilder<Coroutine<F>> {
    /// A builder for a one-shot coroutine task.
    pub fn coroutine(future: F) -> Self {
        TaskBuilder::new(Coroutine::new(future))
    }
}

impl<F, T> TaskBuilder<FallibleCoroutine<F>>
where
    F: Future<Output = Result<T, Error>> + 'static,
    T: 'static,
{
    /// A builder for a one-shot coroutine task whose `async` block returns
    /// a `Result`: its `Ok` value is the task's output, and an error ends
    /// the task with that error, so `?` works inside. A propagated
    /// [`Error::Cancelled`] ends the task cancelled.
    ///
    /// ```
    /// use taskchain_core::{AsyncFuture, Error, Promise, TaskBuilder, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let promise: Promise<u32> = Promise::new();
    /// let awaited = promise.clone();
    /// let task = manager
    ///     .add_task(TaskBuilder::fallible(async move { Ok(awaited.await? + 1) }))
    ///     .unwrap();
    /// manager.poll().unwrap();
    /// promise.cancel();
    /// manager.poll().unwrap();
    /// assert!(task.is_cancelled());
    /// assert_eq!(task.try_take(), Some(Err(Error::Cancelled)));
    /// ```
    pub fn fallible(future: F) -> Self {
        TaskBuilder::new(FallibleCoroutine::new(future))
    }
}

impl<F> TaskBuilder<Recurring<F>>
where
    F: FnMut(&TaskContext<'_>) -> DoneStatus + 'static,
{
    /// A builder for a recurring task.
    pub fn recurring(f: F) -> Self {
        TaskBuilder::new(Recurring(f))
    }
}

impl<F> TaskBuilder<Recurring<F>>
where
    F: FnMut(&TaskContext<'_>) -> Result<DoneStatus, Error> + 'static,
{
    /// A builder for a recurring task whose body returns a `Result`, so
    /// that `?` works inside: an error ends the task with that error, and
    /// a propagated [`Error::Cancelled`] ends it cancelled.
    ///
    /// ```
    /// use taskchain_core::{DoneStatus, Error, TaskBuilder, TaskContext, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let body = |t: &TaskContext<'_>| {
    ///     if t.frame() < 2 {
    ///         Ok(DoneStatus::Cont)
    ///     } else {
    ///         Err(Error::Timeout)
    ///     }
    /// };
    /// let task = manager.add_task(TaskBuilder::fallible_recurring(body)).unwrap();
    /// assert_eq!(manager.run_until(&task), Err(Error::Timeout));
    /// assert!(!task.is_cancelled());
    /// ```
    pub fn fallible_recurring(f: F) -> Self {
        TaskBuilder::new(Recurring(f))
    }
}

impl<F, Fut> TaskBuilder<RecurringCoroutine<F, Fut>>
where
    F: FnMut() -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: RecurringOutput,
{
    /// A builder for a recurring coroutine task.
    pub fn recurring_coroutine(f: F) -> Self {
        TaskBuilder::new(RecurringCoroutine::new(f))
    }
}

/// A builder is `Clone` when its work is: the clone has the same name,
/// sort, priority, delay, done event and chain, a clone of the work, and
/// its own copy of the `upon_death` callback. Adding both schedules two
/// independent tasks; this is how a removed task is added again with the
/// same settings.
///
/// ```
/// use taskchain_core::{DoneStatus, TaskBuilder, TaskContext, TaskManager};
///
/// let manager = TaskManager::new();
/// let spin = TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont)
///     .name("spin")
///     .sort(5);
/// let first = manager.add_task(spin.clone()).unwrap();
/// manager.remove(&first.as_any());
/// let again = manager.add_task(spin).unwrap();
/// assert_eq!((again.name(), again.sort()), (Some("spin"), 5));
/// ```
impl<W: Clone> Clone for TaskBuilder<W> {
    fn clone(&self) -> Self {
        let opts = &self.opts;
        TaskBuilder {
            work: self.work.clone(),
            opts: Options {
                name: opts.name.clone(),
                sort: opts.sort,
                priority: opts.priority,
                delay: opts.delay,
                upon_death: opts.upon_death.as_ref().map(|hook| hook.clone_hook()),
                // A builder keeps its done event as such; the hook that
                // sends it is made only when the task is spawned.
                after_done: None,
            },
            done_event: self.done_event.clone(),
            chain: self.chain.clone(),
        }
    }
}

impl<W> std::fmt::Debug for TaskBuilder<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskBuilder")
            .field("name", &self.opts.name)
            .field("sort", &self.opts.sort)
            .field("priority", &self.opts.priority)
            .field("delay", &self.opts.delay)
            .field("done_event", &self.done_event.as_ref().map(DoneEvent::name))
            .field("chain", &self.chain)
            .finish()
    }
}

impl<W> IntoFuture for TaskBuilder<W>
where
    W: Task + Send,
    W::Output: Send,
{
    type Output = Result<W::Output, Error>;
    type IntoFuture = ScheduledTask<W::Output>;

    /// Schedules the task on the awaiting task's chain.
    fn into_future(self) -> Self::IntoFuture {
        let spawned = current::current_chain()
            .ok_or(Error::NoChain)
            .map(|core| self.spawn_into(&core));
        ScheduledTask(match spawned {
            Ok(cell) => Ok(TaskHandle::new(cell)),
            Err(e) => Err(Some(e)),
        })
    }
}

/// An awaited [`TaskBuilder`]: the task was scheduled on the awaiting
/// task's chain (or could not be, and the await yields the error).
#[derive(Debug)]
pub struct ScheduledTask<T: 'static>(Result<TaskHandle<T>, Option<Error>>);

impl<T: 'static> ScheduledTask<T> {
    /// The scheduled task's handle, if it could be scheduled.
    pub fn handle(&self) -> Option<&TaskHandle<T>> {
        self.0.as_ref().ok()
    }
}

impl<T: 'static> Future for ScheduledTask<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            Ok(handle) => Pin::new(handle).poll(cx),
            Err(e) => Poll::Ready(Err(e.take().unwrap_or(Error::AlreadyTaken))),
        }
    }
}
