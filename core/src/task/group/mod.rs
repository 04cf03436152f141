//! Task groups: children spawned together, awaited together, and never
//! left running unseen (asyncio's `TaskGroup`, tokio's `JoinSet`).
//!
//! - `book`: the state the group's handle, its joins and its children's
//!   wakers share (spawn order, running count, first failure, ending).
//! - `join`: `GroupJoin`, the future that awaits every child.

mod book;
pub(crate) mod join;

use std::future::Future;
use std::sync::Arc;

use crate::chain::core::ChainCore;
use crate::chain::task_chain::{TaskChain, TaskChainExt};
use crate::error::Error;
use crate::task::builder::TaskBuilder;
use crate::task::current;
use crate::task::handle::{AnyTask, TaskHandle};
use crate::task::kinds::Task;

use book::Shared;
use join::GroupJoin;

/// Tasks spawned together and awaited together: asyncio's
/// `async with TaskGroup() as tg` and tokio's `JoinSet`.
///
/// Spawn children with [`spawn`](Self::spawn) (on the group's chain) or
/// [`spawn_on`](Self::spawn_on) (on any chain), then await
/// [`join`](Self::join): it yields every child's value, in spawn order,
/// once all of them ended.
///
/// ```
/// use taskchain_core::{Error, TaskGroup, TaskManager};
///
/// let manager = TaskManager::new();
/// let parent = manager.spawn_fallible(async {
///     let group = TaskGroup::new(); // on the parent's chain
///     for x in [3u64, 4, 5] {
///         group.spawn(async move { x * x })?;
///     }
///     group.join().await
/// });
/// assert_eq!(manager.run_until(&parent), Ok(vec![9, 16, 25]));
/// ```
///
/// The first child that fails (panics, or returns an error other than
/// [`Error::Cancelled`] from a [`spawn_fallible`](Self::spawn_fallible)
/// coroutine) cancels the others, and the join yields its error:
///
/// ```
/// use taskchain_core::{Error, Promise, TaskGroup, TaskManager};
///
/// let manager = TaskManager::new();
/// let never: Promise<u32> = manager.promise();
/// let parent = manager.spawn(async move {
///     let group = TaskGroup::new();
///     let waiting = group.spawn_fallible(never)?;
///     group.spawn_fallible(async { Err(Error::Timeout) })?;
///     let joined = group.join().await;
///     assert!(waiting.is_cancelled());
///     assert_eq!(group.spawn(async { 1 }).unwrap_err(), Error::GroupClosed);
///     joined
/// });
/// assert_eq!(manager.run_until(&parent), Ok(Err(Error::Timeout)));
/// ```
///
/// # Rules
///
/// - **Failure.** A child that panics or ends with an error other than
///   `Cancelled` fails the group; the first such error is the group's.
///   The group closes (spawning is refused with [`Error::GroupClosed`])
///   and every child still running is cancelled at once (unless the group
///   had closed already: its children were cancelled then). The join
///   yields that first error once every child ended.
/// - **A child cancelled on its own** (through its [`AnyTask`], by name,
///   or a fallible child propagating `Cancelled`) does not fail the group:
///   nothing else is cancelled and the group still takes children. It has
///   no value, though, so once every child ended the join yields
///   `Err(Cancelled)`, as a [`gather`](crate::gather) with a cancelled
///   child does. A child that may be cancelled on its own and whose
///   siblings' values matter catches it (`T = Option<_>`).
/// - **Ending.** The group ends when a join (or [`try_join`](Self::try_join))
///   started, or it closed, and no child runs. It then takes no more
///   children. Until then a running join still takes them: a child may be
///   spawned while the others are awaited.
/// - **Unlike asyncio**, a failure does not cancel the task that made the
///   group (there is no `async with` body to interrupt): it learns of the
///   failure at its join, or earlier from [`error`](Self::error).
///
/// # Cancellation
///
/// Cancelling the task that awaits [`join`](Self::join) cancels every
/// running child, and the join waits for them to end (as asyncio's
/// `TaskGroup` does), then yields `Err(Cancelled)`. Each further cancel
/// delivered meanwhile cancels the children still running again (a child
/// may refuse a cancel, as any coroutine).
///
/// [`cancel`](Self::cancel) does the same from outside, without a waiting
/// join: the group closes, its running children are cancelled, and its
/// join yields `Err(Cancelled)` (or the first failure, if a child failed).
///
/// **Dropping the group** cancels every child still running, at once and
/// without waiting: no child outlives its group unseen. The drop never
/// blocks and runs no user code beyond what those cancels run (a child
/// that has not started is ended on the spot, its future dropped) and the
/// drops of unread values.
///
/// # Panics
///
/// Never. A child that panics fails the group with [`Error::Panicked`];
/// a panicking `Drop` of an unread value as the group is dropped is
/// caught.
pub struct TaskGroup<T: Send + 'static> {
    shared: Arc<Shared<T>>,
}

impl<T: Send + 'static> Default for TaskGroup<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> TaskGroup<T> {
    /// An empty group whose [`spawn`](Self::spawn) puts children on the
    /// chain of the task calling `new`. Outside any task it has no chain:
    /// `spawn` then returns [`Error::NoChain`] (use
    /// [`TaskManager::task_group`](crate::TaskManager::task_group) or
    /// [`TaskChainExt::task_group`] instead), and children go on chains
    /// named with [`spawn_on`](Self::spawn_on).
    pub fn new() -> Self {
        Self::with_home(current::current_chain())
    }

    pub(crate) fn with_home(home: Option<Arc<ChainCore>>) -> Self {
        TaskGroup {
            shared: Arc::new(Shared::new(home)),
        }
    }

    /// Spawns a coroutine child on the group's chain; returns an untyped
    /// handle to it (to cancel it, name it, watch it): its value belongs
    /// to the group's join.
    ///
    /// Returns [`Error::GroupClosed`] once the group failed, was cancelled
    /// or ended, and [`Error::NoChain`] for a group without a chain; the
    /// future is then dropped unpolled.
    pub fn spawn<F>(&self, future: F) -> Result<AnyTask, Error>
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.spawn_home(TaskBuilder::coroutine(future))
    }

    /// Spawns on the group's chain a coroutine child whose `Err` ends it
    /// with that error, failing the group (see
    /// [`TaskBuilder::fallible`]); a propagated [`Error::Cancelled`] ends
    /// it cancelled, which does not. Errors as [`spawn`](Self::spawn).
    pub fn spawn_fallible<F>(&self, future: F) -> Result<AnyTask, Error>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        self.spawn_home(TaskBuilder::fallible(future))
    }

    /// Spawns a coroutine child on `chain` (any chain, of any kind, as
    /// [`TaskChainExt::spawn`] does). Returns [`Error::GroupClosed`] once
    /// the group takes no more children.
    pub fn spawn_on<C, F>(&self, chain: &C, future: F) -> Result<AnyTask, Error>
    where
        C: TaskChain + ?Sized,
        F: Future<Output = T> + Send + 'static,
    {
        self.adopt(|| Ok(chain.spawn(future)))
    }

    /// [`spawn_fallible`](Self::spawn_fallible) on `chain`.
    pub fn spawn_fallible_on<C, F>(&self, chain: &C, future: F) -> Result<AnyTask, Error>
    where
        C: TaskChain + ?Sized,
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        self.adopt(|| Ok(chain.spawn_fallible(future)))
    }

    /// Schedules a built task (a name, a sort, a delay, ...) on `chain` as
    /// a child, as [`TaskChainExt::add_task`] does.
    ///
    /// Returns [`Error::GroupClosed`] once the group takes no more
    /// children, and `add_task`'s errors ([`Error::UnknownChain`] if the
    /// builder names another chain, [`Error::RuntimeGone`]).
    pub fn add_task<C, W>(&self, chain: &C, task: TaskBuilder<W>) -> Result<AnyTask, Error>
    where
        C: TaskChain + ?Sized,
        W: Task<Output = T> + Send,
    {
        self.adopt(|| chain.add_task(task))
    }

    fn spawn_home<W>(&self, task: TaskBuilder<W>) -> Result<AnyTask, Error>
    where
        W: Task<Output = T> + Send,
    {
        let Some(home) = &self.shared.home else {
            return Err(Error::NoChain);
        };
        self.adopt(|| Ok(TaskHandle::new(task.spawn_into(home))))
    }

    /// Counts the child before spawning it (the group cannot end in
    /// between), then takes its handle in.
    fn adopt(
        &self,
        spawn: impl FnOnce() -> Result<TaskHandle<T>, Error>,
    ) -> Result<AnyTask, Error> {
        self.shared.reserve()?;
        match spawn() {
            Ok(handle) => Ok(self.shared.adopt(handle)),
            Err(error) => {
                self.shared.unreserve();
                Err(error)
            }
        }
    }

    /// Awaits every child: yields their values in spawn order once all of
    /// them ended, or the group's error (see the [rules](Self#rules)).
    /// From its first poll the group ends as soon as no child runs.
    ///
    /// The values are moved out once: a second read yields
    /// [`Error::AlreadyTaken`].
    ///
    /// # Cancellation
    ///
    /// A cancel of the awaiting task delivered at this await cancels the
    /// running children; the join waits for them to end, then yields
    /// `Err(Cancelled)`. Dropping the join stops only the waiting: the
    /// children are cancelled when the group is dropped.
    pub fn join(&self) -> GroupJoin<'_, T> {
        GroupJoin::new(&self.shared)
    }

    /// The non-async [`join`](Self::join): starts the join as its first
    /// poll does (the group ends as soon as no child runs), then reads the
    /// group if it ended: `None` while a child runs. For a frame loop:
    /// `while group.try_join().is_none() { manager.poll()?; }`.
    pub fn try_join(&self) -> Option<Result<Vec<T>, Error>> {
        self.shared.start_join();
        self.shared.is_done().then(|| self.shared.read())
    }

    /// Cancels the group: it closes, every child still running is
    /// cancelled, and its join yields `Err(Cancelled)` (unless a child
    /// failed: that error is kept). Returns true unless the group already
    /// ended; each call cancels the children still running again.
    pub fn cancel(&self) -> bool {
        self.shared.cancel(true)
    }

    /// Whether the group ended: no child runs and none can be added; a
    /// join returns without waiting.
    pub fn is_done(&self) -> bool {
        self.shared.is_done()
    }

    /// Whether the group was cancelled ([`cancel`](Self::cancel), or a
    /// cancel of the task awaiting its join).
    pub fn is_cancelled(&self) -> bool {
        self.shared.is_cancelled()
    }

    /// The error the join will yield, as soon as it is known: the first
    /// failure (even while the other children are still being cancelled),
    /// else `Cancelled` if the group was cancelled; `None` otherwise (a
    /// child cancelled on its own is not the group's error).
    pub fn error(&self) -> Option<Error> {
        self.shared.error()
    }

    /// How many children were spawned into the group.
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Whether no child was spawned into the group.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many children still run.
    pub fn running(&self) -> usize {
        self.shared.running()
    }
}

impl<T: Send + 'static> Drop for TaskGroup<T> {
    fn drop(&mut self) {
        // Closes the group and cancels what runs; `cancelled` stays as it
        // was (nobody can read it any more).
        self.shared.cancel(false);
    }
}

impl<T: Send + 'static> std::fmt::Debug for TaskGroup<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskGroup")
            .field("children", &self.len())
            .field("running", &self.running())
            .field("done", &self.is_done())
            .finish()
    }
}
