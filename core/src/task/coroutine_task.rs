//! `CoroutineTask`: a coroutine task written as a struct whose `run` method
//! is the coroutine (Panda3D's subclass-a-task style), object-safe so that
//! tasks of different types go in one list as
//! `Box<dyn CoroutineTask<Output = T>>`.
//!
//! A struct task is spawned as a fallible coroutine whose future owns the
//! struct and calls `run` on it: one task cell, as for any task, and the
//! box of the future `run` returns (what makes the trait object-safe), made
//! on the task's first run. Nothing else is allocated beyond what any
//! task of the same properties takes (a named one, its name): the name
//! the struct gives is shared with the task as it is, not copied.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Error;
use crate::task::builder::TaskBuilder;
use crate::task::current::current_task;
use crate::task::handle::AnyTask;
use crate::task::kinds::Task;

/// A coroutine task written as a struct: its [`run`](Self::run) method is
/// the coroutine, and the struct's fields are the task's state, kept across
/// its awaits (Panda3D's `AsyncTask` subclass, whose `do_task` is the
/// task).
///
/// The trait is object-safe: tasks of different types with one output type
/// go in one list as `Box<dyn CoroutineTask<Output = T>>`, and a box is a
/// `CoroutineTask` too. Spawn one with
/// [`TaskManager::spawn_task`](crate::TaskManager::spawn_task) or
/// [`TaskChainExt::spawn_task`](crate::TaskChainExt::spawn_task), or build
/// it with [`TaskBuilder::from_task`](crate::TaskBuilder::from_task) to set
/// more of its properties (a delay, a chain, `upon_death`, a done event).
///
/// A struct task costs one allocation more than the same coroutine as an
/// `async` block: the box of the future `run` returns, made on its first
/// run (what lets the trait be object-safe). The task's cell is the other
/// one, as for every task; a box around the struct is the caller's.
///
/// Implement it with the [`async_trait`](macro@async_trait) attribute
/// (re-exported here), on the impl as on the trait:
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{
///     async_trait, pause, AnyTask, AsyncFuture, CoroutineTask, Error, ManualClock, TaskManager,
/// };
///
/// /// Loads a texture in chunks, one chunk per 100 ms.
/// struct TextureLoader {
///     path: &'static str,
///     chunks: u32,
///     loaded: u32,
/// }
///
/// #[async_trait]
/// impl CoroutineTask for TextureLoader {
///     type Output = String;
///
///     async fn run(&mut self, task: &AnyTask) -> Result<String, Error> {
///         while self.loaded < self.chunks {
///             pause(Duration::from_millis(100)).await?;
///             self.loaded += 1;
///         }
///         Ok(format!("{}: {} chunks by {}", self.path, self.loaded, task.name().unwrap()))
///     }
///
///     fn name(&self) -> Option<&str> {
///         Some("texture-loader")
///     }
/// }
///
/// /// Plays a sound once it is loaded: a task of another type.
/// struct SoundLoader(&'static str);
///
/// #[async_trait]
/// impl CoroutineTask for SoundLoader {
///     type Output = String;
///
///     async fn run(&mut self, _task: &AnyTask) -> Result<String, Error> {
///         Ok(format!("{} ready", self.0))
///     }
/// }
///
/// let clock = ManualClock::new();
/// let manager = TaskManager::with_clock(clock.clone());
/// let jobs: Vec<Box<dyn CoroutineTask<Output = String>>> = vec![
///     Box::new(TextureLoader { path: "grass.png", chunks: 3, loaded: 0 }),
///     Box::new(SoundLoader("click.ogg")),
/// ];
/// let handles: Vec<_> = jobs.into_iter().map(|job| manager.spawn_task(job)).collect();
/// while !handles.iter().all(|h| h.is_done()) {
///     manager.poll()?;
///     clock.advance(Duration::from_millis(100));
/// }
/// let results: Vec<_> = handles.iter().map(|h| h.try_take().unwrap()).collect();
/// assert_eq!(
///     results,
///     [
///         Ok("grass.png: 3 chunks by texture-loader".to_owned()),
///         Ok("click.ogg ready".to_owned()),
///     ]
/// );
/// # Ok::<(), Error>(())
/// ```
///
/// # Cancellation
///
/// Cancelling the task (its handle's `cancel()`, `manager.remove(..)`, or
/// `task.cancel()` from inside) delivers [`Error::Cancelled`] at the next
/// await point of the crate `run` reaches (a [`pause`](crate::pause), a
/// promise, another task's handle), as for any coroutine task. A `run` that
/// propagates it with `?` ends the task cancelled; one that handles it and
/// returns `Ok` finishes the task with that value (Panda3D's and asyncio's
/// refusable cancel). Cancelled before its first run, the task ends without
/// `run` being called. Either way the struct is dropped with the task's
/// work, on the thread that ends the task.
///
/// # Panics
///
/// A panic in `run` is caught at the chain's poll boundary, as for any
/// task: the task ends with [`Error::Panicked`] and its chain goes on.
/// `name`, `sort` and `priority` are called by `spawn_task` and
/// `from_task`, in the caller: a panic there unwinds out of that call.
///
/// # Errors
///
/// An `Err` from `run` ends the task with that error; [`Error::Cancelled`]
/// ends it cancelled. A task polled with no current task, which only
/// happens while its thread is being torn down, ends with
/// [`Error::NoChain`] without `run` being called.
#[async_trait]
pub trait CoroutineTask: Send + 'static {
    /// What the task's handle yields when `run` returns `Ok`.
    type Output: Send + 'static;

    /// The coroutine: runs once per task, until it returns. `task` is the
    /// running task itself (Panda3D's `task` argument, the same as
    /// [`current_task()`](crate::current_task)): its name, id, elapsed
    /// time and frame count, and `cancel()` to remove itself.
    async fn run(&mut self, task: &AnyTask) -> Result<Self::Output, Error>;

    /// The task's name, read once when the task is built (default: none);
    /// a builder's [`name`](crate::TaskBuilder::name) overrides it.
    fn name(&self) -> Option<&str> {
        None
    }

    /// The task's sort, read once when the task is built (default 0):
    /// lower sorts run first in each epoch.
    fn sort(&self) -> i32 {
        0
    }

    /// The task's priority, read once when the task is built (default 0):
    /// higher runs first within a sort.
    fn priority(&self) -> i32 {
        0
    }
}

/// A boxed task is a task, so that `Box<dyn CoroutineTask<Output = T>>`
/// spawns as its content does. Its `run` is the content's, without a box
/// of its own.
impl<C: CoroutineTask + ?Sized> CoroutineTask for Box<C> {
    type Output = C::Output;

    // What `#[async_trait]` makes of `async fn run`, written out so that
    // the content's future is returned as it is rather than boxed again.
    fn run<'life0, 'life1, 'async_trait>(
        &'life0 mut self,
        task: &'life1 AnyTask,
    ) -> Pin<Box<dyn Future<Output = Result<Self::Output, Error>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        (**self).run(task)
    }

    fn name(&self) -> Option<&str> {
        (**self).name()
    }

    fn sort(&self) -> i32 {
        (**self).sort()
    }

    fn priority(&self) -> i32 {
        (**self).priority()
    }
}

impl TaskBuilder<()> {
    /// A builder for a struct task (see [`CoroutineTask`]): a fallible
    /// coroutine task that runs `job.run(..)`, named, sorted and
    /// prioritized as `job` says; the builder's own methods override
    /// them. Called as `TaskBuilder::from_task(job)`.
    ///
    /// ```
    /// use taskchain_core::{async_trait, AnyTask, CoroutineTask, Error, TaskBuilder, TaskManager};
    ///
    /// struct Greeter;
    ///
    /// #[async_trait]
    /// impl CoroutineTask for Greeter {
    ///     type Output = String;
    ///
    ///     async fn run(&mut self, task: &AnyTask) -> Result<String, Error> {
    ///         Ok(format!("hello from {}", task.name().unwrap_or("?")))
    ///     }
    ///
    ///     fn name(&self) -> Option<&str> {
    ///         Some("greeter")
    ///     }
    /// }
    ///
    /// let manager = TaskManager::new();
    /// let task = manager.add_task(TaskBuilder::from_task(Greeter).name("host").sort(-1))?;
    /// assert_eq!(task.sort(), -1);
    /// assert_eq!(manager.run_until(&task), Ok("hello from host".to_owned()));
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Panics
    ///
    /// A panic in `job`'s `name`, `sort` or `priority` unwinds out of this
    /// call; one in its `run` is caught as the task runs (see
    /// [`CoroutineTask`]).
    pub fn from_task<C: CoroutineTask>(
        job: C,
    ) -> TaskBuilder<impl Task<Output = C::Output> + Send> {
        let name = job.name().map(Arc::<str>::from);
        let (sort, priority) = (job.sort(), job.priority());
        TaskBuilder::fallible(run_job(job))
            .shared_name(name)
            .sort(sort)
            .priority(priority)
    }
}

/// The coroutine a struct task is spawned as: `job.run(&task)` with the
/// running task, which it reads on its first poll.
pub(crate) async fn run_job<C: CoroutineTask>(mut job: C) -> Result<C::Output, Error> {
    let task = current_task().ok_or(Error::NoChain)?;
    job.run(&task).await
}
