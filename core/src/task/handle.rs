//! Handles to spawned tasks: `TaskHandle<T>` (typed, awaitable, `Send`),
//! `LocalTaskHandle<T>` (for `!Send` tasks, stays on its thread) and
//! `AnyTask` (untyped, what lookups return).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::clock::duration_from_secs;
use crate::error::Error;
use crate::future::async_future::AsyncFuture;
use crate::future::state::{Job, Slot, WaiterKey};
use crate::task::awaited::{self, AwaitedHook};
use crate::task::cell::InStage;
use crate::task::current;
use crate::task::header::Header;
use crate::task::raw::{OutputRef, TaskRef};

/// The methods every kind of task handle shares.
macro_rules! task_methods {
    () => {
        /// The task's unique id.
        pub fn id(&self) -> u64 {
            self.raw().header().id
        }

        /// The task's name, if it has one.
        pub fn name(&self) -> Option<&str> {
            self.raw().header().name()
        }

        /// Renames the task while it lives (Panda3D's `task.name = ...`):
        /// from now on lookups by name (`find_task`, `remove_by_name`,
        /// globs) find it under `name` and no longer under its old one. Any
        /// string is accepted, as by [`TaskBuilder::name`](crate::TaskBuilder::name).
        /// Renaming an ended task changes only what `name` reads.
        ///
        /// Every distinct name a task had is kept until the task is freed,
        /// so that a name read before a rename stays valid.
        pub fn set_name(&self, name: &str) {
            let header = self.raw().header();
            header.chain.rename(header, std::sync::Arc::from(name));
        }

        /// The name of the task's chain.
        pub fn chain_name(&self) -> &str {
            self.raw().header().chain.name()
        }

        /// The task's sort: lower sorts run first in each epoch.
        pub fn sort(&self) -> i32 {
            self.raw().header().sort()
        }

        /// Changes the task's sort; a queued task is re-ordered at once.
        pub fn set_sort(&self, sort: i32) {
            self.raw().header().set_sort(sort);
            crate::task::handle::requeue(self.raw_ref());
        }

        /// The task's priority: higher runs first within a sort (or, with
        /// `timeslice_priority`, more often).
        pub fn priority(&self) -> i32 {
            self.raw().header().priority()
        }

        /// Changes the task's priority; a queued task is re-ordered at once.
        pub fn set_priority(&self, priority: i32) {
            self.raw().header().set_priority(priority);
            crate::task::handle::requeue(self.raw_ref());
        }

        /// The delay `Again` waits, if set.
        pub fn delay(&self) -> Option<Duration> {
            self.raw().header().delay()
        }

        /// Sets the delay `Again` waits.
        pub fn set_delay(&self, delay: Option<Duration>) {
            self.raw().header().set_delay(delay);
        }

        /// Sets the delay `Again` waits, in seconds.
        ///
        /// Returns [`Error::InvalidDuration`] for a negative, NaN or
        /// infinite value and leaves the delay unchanged.
        pub fn set_delay_secs(&self, secs: f64) -> Result<(), Error> {
            self.set_delay(Some(duration_from_secs(secs)?));
            Ok(())
        }

        /// Time on the chain's clock since the task first ran (or since its
        /// last `Again`); zero before it ran.
        pub fn elapsed(&self) -> Duration {
            let header = self.raw().header();
            header.start_time().map_or(Duration::ZERO, |start| {
                header.chain.now().saturating_sub(start)
            })
        }

        /// Epochs of the chain since the task started (0 before it ran).
        pub fn frame_count(&self) -> u64 {
            let header = self.raw().header();
            match header.start_time() {
                Some(_) => header.frames_since_start(header.chain.epoch()),
                None => 0,
            }
        }

        /// Whether the task is still alive: queued, running, sleeping or
        /// suspended on its chain (Panda3D's `task.isAlive()`); the opposite
        /// of [`is_done`](Self::is_done).
        pub fn is_alive(&self) -> bool {
            !self.is_done()
        }

        /// Whether the task reached a terminal state (finished, cancelled or
        /// panicked).
        pub fn is_done(&self) -> bool {
            self.raw().is_done()
        }

        /// Whether the task waits out a delay, `Again` or `pause`.
        pub fn is_sleeping(&self) -> bool {
            self.raw().header().state.snapshot().is_sleeping()
        }

        /// Whether the task ended cancelled.
        pub fn is_cancelled(&self) -> bool {
            self.raw().is_cancelled()
        }

        /// Whether `cancel` was called and returned true (or shutdown
        /// cancelled the task), or came too late (it then returned false);
        /// the task may still be running its cancellation, or have handled
        /// it (see [`cancel`](Self::cancel)).
        pub fn is_cancel_requested(&self) -> bool {
            self.raw().header().state.snapshot().is_cancel_requested()
        }

        /// The cancel requests of the task (each `cancel` call that returned
        /// true) it has not declared handled with
        /// [`uncancel`](Self::uncancel), as asyncio's `Task.cancelling()`:
        /// a coroutine that caught a cancellation tells from it whether
        /// another one is still pending.
        pub fn cancelling(&self) -> u32 {
            self.raw().header().cancelling()
        }

        /// Declares one cancel request handled (asyncio's
        /// `Task.uncancel()`); returns the requests left. Only the count
        /// changes: it does not take back a request not yet delivered.
        pub fn uncancel(&self) -> u32 {
            self.raw().header().uncancel()
        }

        /// Asks the task to end cancelled. Returns true while the task is
        /// alive, each call making a request (counted by
        /// [`cancelling`](Self::cancelling)); false once it is done, or its
        /// last run already returned its value (it may still be running its
        /// `upon_death`).
        ///
        /// # Cancellation
        ///
        /// A queued or sleeping task, or one that has not started, is
        /// cancelled at once: its work is dropped, `upon_death(false)` runs
        /// and its future is cancelled before `cancel` returns. A task that
        /// is running finishes that run first, then its next run delivers
        /// the request (a recurring task ends cancelled). A coroutine
        /// suspended on a taskchain future (a promise, event future, task
        /// handle, gather or shield) has that future cancelled before
        /// `cancel` returns, from any thread, as asyncio's `Task.cancel`
        /// does: down through awaited tasks (each cancelled in turn, however
        /// long the chain) and a gather's children; a shield is cancelled
        /// but not what it shields. The coroutine's await then returns
        /// [`Error::Cancelled`] once it runs, and a second `cancel` before
        /// that joins the same request. If that future was already done,
        /// or the coroutine is suspended elsewhere, it is woken and its next
        /// await of a taskchain future delivers the request. Until the
        /// request is delivered the task is "cancel requested", not yet
        /// cancelled.
        ///
        /// A coroutine may handle the cancellation it was delivered: if it
        /// goes on and returns a value, the task finishes with that value,
        /// not cancelled, as a Panda3D or asyncio task that catches its
        /// `CancelledError`; each later `cancel` delivers another
        /// `Error::Cancelled` at its next await. A fallible coroutine that
        /// propagates it (`?`) ends the task cancelled. A request still
        /// pending when the coroutine returns wins over its value, and a
        /// coroutine awaiting a foreign future (not a taskchain one), where
        /// no request can be delivered, is dropped on its next run, the task
        /// ending cancelled.
        ///
        /// A `!Send` task cancelled from a thread other than its chain's
        /// owner is cancelled on the owner's next poll.
        ///
        /// A pending request that ends the task wins: the task ends
        /// cancelled even if its run, the `Drop` of its work or of the value
        /// it returned, or its `upon_death` panics afterwards. Such a panic
        /// is caught (the panic hook reports it) and changes neither the
        /// outcome nor `upon_death`'s `clean_exit` (false).
        pub fn cancel(&self) -> bool {
            self.raw().cancel()
        }

        /// An untyped handle to the same task.
        pub fn as_any(&self) -> AnyTask {
            AnyTask(self.raw_ref())
        }
    };
}

/// Re-places a queued task after its sort or priority changed.
pub(crate) fn requeue(task: TaskRef) {
    let header = task.header();
    if header.state.snapshot().is_runnable() && header.state.request_resort() {
        let chain = header.chain.clone();
        chain.schedule(task, crate::chain::core::Placement::Resort);
    }
}

/// An untyped handle to a task: what `find_task`, `tasks()` and friends
/// return. Cloning it is cheap. Dropping it leaves the task running, as
/// dropping any task handle does; [`cancel`](Self::cancel) stops it.
///
/// ```
/// use taskchain_core::{DoneStatus, TaskBuilder, TaskContext, TaskManager};
///
/// let manager = TaskManager::new();
/// let enemy = TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont).name("enemy-1");
/// manager.add_task(enemy).unwrap();
/// let found = manager.find_task("enemy-1").unwrap();
/// assert_eq!(found.name(), Some("enemy-1"));
/// assert!(found.cancel());
/// manager.poll().unwrap();
/// assert!(found.is_done());
/// assert!(manager.find_task("enemy-1").is_none());
/// ```
#[derive(Clone)]
pub struct AnyTask(pub(crate) TaskRef);

impl AnyTask {
    fn raw(&self) -> &TaskRef {
        &self.0
    }
    fn raw_ref(&self) -> TaskRef {
        self.0.clone()
    }
    task_methods!();

    /// Blocks until the task is done (or `timeout` passes), without reading
    /// its output. Returns `Err(Cancelled)` or `Err(Panicked)` if it did not
    /// finish cleanly, `Err(Timeout)` if it is still pending, and
    /// `Err(WouldDeadlock)` at once when called by the task's own chain (from
    /// one of its tasks, done callbacks, handlers or `upon_death`) while the
    /// task is pending: await it instead.
    pub fn wait_done(&self, timeout: Option<Duration>) -> Result<(), Error> {
        check_blocking_wait(self.0.header())?;
        self.0.wait_done(timeout)?;
        self.0.error().map_or(Ok(()), Err)
    }
}

impl PartialEq for AnyTask {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for AnyTask {}

impl std::fmt::Debug for AnyTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyTask")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("done", &self.is_done())
            .field("state", &self.0.header().state)
            .finish()
    }
}

/// The handle of a spawned task; it is also the task's [`AsyncFuture`].
///
/// Awaiting it (or [`result`](AsyncFuture::result)) yields the task's
/// output, moved out once like a `JoinHandle`'s: a second read gets
/// [`Error::AlreadyTaken`]. Dropping the handle detaches the task; it keeps
/// running, and its output is dropped when it finishes (or at once, if it
/// already did). [`cancel`](Self::cancel) stops it instead. This is the
/// convention of every task handle of taskchain (and of tokio's
/// `JoinHandle`): a handle is not `#[must_use]`, spawning and dropping it
/// is a fire-and-forget spawn.
///
/// ```
/// use taskchain_core::{AsyncFuture, Error, TaskManager};
///
/// let manager = TaskManager::new();
/// let answer = manager.spawn(async { 6 * 7 });
/// // A coroutine awaits a handle; any thread may wait on it.
/// let doubled = manager.spawn(async move { answer.await.map(|n| n * 2) });
/// assert_eq!(manager.run_until(&doubled), Ok(Ok(84)));
///
/// let forever = manager.spawn(std::future::pending::<()>());
/// forever.set_name("forever");
/// assert!(forever.cancel());
/// manager.poll().unwrap();
/// assert_eq!(forever.wait(), Err(Error::Cancelled));
/// ```
///
/// # Cancellation
///
/// [`cancel`](Self::cancel) asks the task to end and cancels what it
/// awaits at once.
///
/// # Panics
///
/// Never. A task that panicked yields [`Error::Panicked`].
pub struct TaskHandle<T: 'static> {
    cell: OutputRef<T>,
    /// This handle's place among the task's waiters, while it awaits.
    waiter: WaiterKey,
    /// The handle the spawner got owns the output: dropping it drops an
    /// unread output. Views lent to done callbacks do not.
    owns_output: bool,
    _output: PhantomData<Mutex<T>>,
}

impl<T: 'static> TaskHandle<T> {
    pub(crate) fn new(cell: OutputRef<T>) -> Self {
        TaskHandle {
            cell,
            waiter: WaiterKey::new(),
            owns_output: true,
            _output: PhantomData,
        }
    }

    /// A handle lent to a done callback: it reads like the real one but
    /// leaves the output to it.
    fn view(cell: OutputRef<T>) -> Self {
        TaskHandle {
            cell,
            waiter: WaiterKey::new(),
            owns_output: false,
            _output: PhantomData,
        }
    }
    fn raw(&self) -> &TaskRef {
        &self.cell
    }
    fn raw_ref(&self) -> TaskRef {
        self.cell.to_raw()
    }
    task_methods!();
}

impl<T: Clone + 'static> TaskHandle<T> {
    /// The task's value, cloned: it stays in the task, so this handle, its
    /// other views and later calls read it again (asyncio's repeatable
    /// `Task.result()`), where [`try_take`](AsyncFuture::try_take) moves it
    /// out once. `None` while the task runs; its error if it ended without
    /// a value; [`Error::AlreadyTaken`] once a take moved the value out.
    ///
    /// The value's `Clone` runs under the task's lock: it must not read
    /// this same task.
    ///
    /// ```
    /// use taskchain_core::{AsyncFuture, Error, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let task = manager.spawn(async { String::from("loaded") });
    /// manager.poll().unwrap();
    /// assert_eq!(task.try_read(), Some(Ok(String::from("loaded"))));
    /// assert_eq!(task.try_read(), Some(Ok(String::from("loaded"))));
    /// assert_eq!(task.try_take(), Some(Ok(String::from("loaded"))));
    /// assert_eq!(task.try_read(), Some(Err(Error::AlreadyTaken)));
    /// ```
    pub fn try_read(&self) -> Option<Result<T, Error>> {
        self.cell
            .state()
            .try_read(|slot| self.cell.clone_output(slot))
    }

    /// Blocks until the task is done (or `timeout` passes:
    /// [`Error::Timeout`]), then reads its value as
    /// [`try_read`](Self::try_read) does, leaving it in the task.
    ///
    /// # Panics
    ///
    /// Only if the value's `Clone` panics. As with
    /// [`result`](AsyncFuture::result), a wait that could not end (inside
    /// the task's own chain's poll) is [`Error::WouldDeadlock`], not a hang.
    pub fn read(&self, timeout: Option<Duration>) -> Result<T, Error> {
        wait_task(&self.cell, timeout, |slot| self.cell.clone_output(slot))
    }
}

impl<T: 'static> Drop for TaskHandle<T> {
    fn drop(&mut self) {
        let target = self.cell.cell_ptr().as_ptr().cast_const().cast();
        self.cell.state().drop_awaiting(&mut self.waiter, target);
        if self.owns_output {
            // Detached: an output nobody can read any more is dropped here,
            // or by the task when it finishes.
            self.cell.release_handle();
        }
    }
}

// The handle holds no `T` inline: moving it never moves the output.
impl<T> Unpin for TaskHandle<T> {}
impl<T> Unpin for LocalTaskHandle<T> {}

impl<T: 'static> std::fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskHandle")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("done", &self.is_done())
            .finish()
    }
}

/// Polls a task's output for an awaiting coroutine: no self-await, no
/// suspension if done, cancel delivery at this await point.
fn poll_task_output<T: 'static>(
    cell: &OutputRef<T>,
    waiter: &WaiterKey,
    cx: &mut Context<'_>,
) -> Poll<Result<T, Error>> {
    if current::current_id() == Some(cell.header().id) {
        return Poll::Ready(Err(Error::AwaitSelf));
    }
    if let Some(r) = cell.state().try_read(|slot| cell.read_output(slot)) {
        return Poll::Ready(awaited::read(r));
    }
    if current::take_cancel() {
        cell.cancel();
        return Poll::Ready(Err(Error::Cancelled));
    }
    match cell
        .state()
        .poll_read(waiter, cx, |slot| cell.read_output(slot))
    {
        Poll::Ready(r) => Poll::Ready(awaited::read(r)),
        Poll::Pending => {
            awaited::publish(cx.waker(), || AwaitedHook::Task(TaskRef::clone(cell)));
            Poll::Pending
        }
    }
}

fn wait_task_output<T: 'static>(
    cell: &OutputRef<T>,
    timeout: Option<Duration>,
) -> Result<T, Error> {
    wait_task(cell, timeout, |slot| cell.read_output(slot))
}

/// Blocks until a task is done (see `check_blocking_wait`), then reads its
/// outcome with `read`.
fn wait_task<T: 'static>(
    cell: &OutputRef<T>,
    timeout: Option<Duration>,
    read: impl FnOnce(&mut Slot<InStage>) -> Result<T, Error>,
) -> Result<T, Error> {
    if current::current_id() == Some(cell.header().id) {
        return Err(Error::AwaitSelf);
    }
    check_blocking_wait(cell.header())?;
    cell.state().wait(timeout, read)
}

/// Refuses a blocking wait, inside a task or other user code its chain's
/// poll runs (a done callback, a handler, `upon_death`), on a pending task
/// of the same chain. On a frame chain or a one-worker chain only the
/// blocked runner could run it. On a chain with more workers the blocked
/// run holds its epoch open, and a sibling that already ran in this epoch
/// runs again only in the next one: whether the wait would return depends
/// on timing, so it is refused every time.
///
/// Also refuses one on the thread that drives the chain's runtime when
/// blocking it stops the runtime (tokio's current_thread runtime, inside
/// its `block_on`): nothing would run the task either.
fn check_blocking_wait(target: &Header) -> Result<(), Error> {
    if target.state.snapshot().is_complete() {
        return Ok(());
    }
    if target.chain.is_run_by_this_thread() || target.chain.stalls_if_blocked() {
        return Err(Error::WouldDeadlock);
    }
    Ok(())
}

impl<T: 'static> Future for TaskHandle<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_task_output(&self.cell, &self.waiter, cx)
    }
}

impl<T: Send + 'static> AsyncFuture for TaskHandle<T> {
    type Value = T;

    fn is_done(&self) -> bool {
        self.cell.is_done()
    }
    fn is_cancelled(&self) -> bool {
        self.cell.is_cancelled()
    }
    fn cancel(&self) -> bool {
        self.cell.cancel()
    }
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.cell.state().poll_done(&self.waiter, cx)
    }
    fn try_take(&self) -> Option<Result<T, Error>> {
        self.cell
            .state()
            .try_read(|slot| self.cell.read_output(slot))
    }
    fn has_value(&self) -> bool {
        self.cell.state().has_value()
    }
    fn error(&self) -> Option<Error> {
        self.cell.error()
    }
    fn add_done_callback<F>(&self, callback: F) -> Result<(), Error>
    where
        F: FnOnce(&Self) + Send + 'static,
    {
        // Strong: the cycle through the task's own waiter list ends at its
        // completion, which every task reaches (shutdown ends the rest).
        let cell = self.cell.clone();
        let bind = move || {
            let handle = TaskHandle::view(cell);
            Some(Box::new(move || callback(&handle)) as Job)
        };
        self.cell.add_callback(Box::new(bind))
    }
    fn result(&self, timeout: Option<Duration>) -> Result<T, Error> {
        wait_task_output(&self.cell, timeout)
    }
}

/// The handle of a `!Send` task spawned through a
/// [`LocalSpawner`](crate::LocalSpawner). It stays on the thread that owns
/// the chain; awaiting it yields the task's output.
///
/// Dropping the handle detaches the task, as for a [`TaskHandle`]: it keeps
/// running, and its output is dropped (on the owner thread) when it
/// finishes. [`cancel`](Self::cancel) stops it instead.
///
/// ```
/// use std::rc::Rc;
/// use taskchain_core::TaskManager;
///
/// let manager = TaskManager::new();
/// let local = manager.local_spawner().unwrap();
/// let shared = Rc::new(5);
/// let s = shared.clone();
/// let task = local.spawn(async move { *s + 1 });
/// while !task.is_done() {
///     manager.poll().unwrap();
/// }
/// assert_eq!(task.try_take(), Some(Ok(6)));
/// ```
///
/// # Cancellation
///
/// As [`TaskHandle`]'s: [`cancel`](Self::cancel) asks the task to end and
/// cancels what it awaits.
///
/// # Panics
///
/// Never. A task that panicked yields [`Error::Panicked`].
pub struct LocalTaskHandle<T: 'static> {
    cell: OutputRef<T>,
    /// This handle's place among the task's waiters, while it awaits.
    waiter: WaiterKey,
    _not_send: PhantomData<*const T>,
}

impl<T: 'static> LocalTaskHandle<T> {
    pub(crate) fn new(cell: OutputRef<T>) -> Self {
        LocalTaskHandle {
            cell,
            waiter: WaiterKey::new(),
            _not_send: PhantomData,
        }
    }
    fn raw(&self) -> &TaskRef {
        &self.cell
    }
    fn raw_ref(&self) -> TaskRef {
        self.cell.to_raw()
    }
    task_methods!();

    /// Takes the output if the task is done, without waiting.
    pub fn try_take(&self) -> Option<Result<T, Error>> {
        self.cell
            .state()
            .try_read(|slot| self.cell.read_output(slot))
    }

    /// Runs `callback` on a later poll of the task's chain once the task is
    /// done (finished, cancelled or panicked).
    pub fn add_done_callback<F>(&self, callback: F) -> Result<(), Error>
    where
        F: FnOnce(&AnyTask) + Send + 'static,
    {
        // Strong: as for `TaskHandle::add_done_callback`.
        let any = self.as_any();
        let bind = move || Some(Box::new(move || callback(&any)) as Job);
        self.cell.add_callback(Box::new(bind))
    }
}

impl<T: 'static> Drop for LocalTaskHandle<T> {
    fn drop(&mut self) {
        let target = self.cell.cell_ptr().as_ptr().cast_const().cast();
        self.cell.state().drop_awaiting(&mut self.waiter, target);
        // The output may be !Send: drop it here, on the owner thread.
        self.cell.release_handle();
    }
}

impl<T: 'static> Future for LocalTaskHandle<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_task_output(&self.cell, &self.waiter, cx)
    }
}

impl<T: 'static> std::fmt::Debug for LocalTaskHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTaskHandle")
            .field("id", &self.id())
            .field("done", &self.is_done())
            .finish()
    }
}
