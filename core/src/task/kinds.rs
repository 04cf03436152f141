//! The `Task` trait: a unit of scheduled work, and the kinds taskchain
//! provides (recurring closures, coroutines, fallible coroutines, recurring
//! coroutines).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::Error;
use crate::task::context::TaskContext;
use crate::task::status::DoneStatus;

/// What one run of a task asks of its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T> {
    /// The task is finished with this output.
    Done(T),
    /// The task is finished with this output and ends the enclosing
    /// sequence.
    Exit(T),
    /// Run again next epoch.
    Cont,
    /// Run again after the task's delay.
    Again,
    /// Run again this epoch while the frame budget lasts.
    Pickup,
    /// The task ends with this error instead of an output: its handle
    /// yields it. [`Error::Cancelled`] ends the task cancelled, as a
    /// `cancel()` would; any other error ends it failed. Boxed, so that a
    /// step stays two words: every run of every task returns one.
    Fail(Box<Error>),
}

impl Step<()> {
    /// The step a recurring task's [`DoneStatus`] stands for.
    pub fn from_status(status: DoneStatus) -> Self {
        match status {
            DoneStatus::Done => Step::Done(()),
            DoneStatus::Exit => Step::Exit(()),
            DoneStatus::Cont => Step::Cont,
            DoneStatus::Again => Step::Again,
            DoneStatus::Pickup => Step::Pickup,
        }
    }
}

/// What a recurring task's body returns: a [`DoneStatus`], or a
/// `Result<DoneStatus, Error>` whose error ends the task with that error
/// ([`Error::Cancelled`]: cancelled), so that a body can use `?`.
pub trait RecurringOutput: 'static {
    /// The step this stands for.
    fn into_step(self) -> Step<()>;
}

impl RecurringOutput for DoneStatus {
    fn into_step(self) -> Step<()> {
        Step::from_status(self)
    }
}

impl RecurringOutput for Result<DoneStatus, Error> {
    fn into_step(self) -> Step<()> {
        match self {
            Ok(status) => Step::from_status(status),
            Err(error) => Step::Fail(Box::new(error)),
        }
    }
}

/// A unit of scheduled work.
///
/// A chain calls `poll_task` once per run. A recurring task returns
/// `Ready` with a [`Step`] every time; a coroutine returns `Pending` while it
/// awaits something (its waker, or a [`pause`](crate::pause), brings it
/// back) and `Ready(Step::Done(output))` at the end.
///
/// Most code never implements this: closures, `async` blocks and async
/// closures become tasks through [`Recurring`], [`Coroutine`] and
/// [`RecurringCoroutine`], which the spawning methods apply for you.
///
/// A task written by hand, as a Panda3D task object with its own state:
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use taskchain_core::{AsyncFuture, Step, Task, TaskBuilder, TaskContext, TaskManager};
///
/// /// Counts down once per frame, then finishes with how many frames it took.
/// struct Countdown(u32);
///
/// impl Task for Countdown {
///     type Output = u64;
///
///     fn poll_task(
///         mut self: Pin<&mut Self>,
///         _cx: &mut Context<'_>,
///         task: &TaskContext<'_>,
///     ) -> Poll<Step<u64>> {
///         if self.0 == 0 {
///             return Poll::Ready(Step::Done(task.frame()));
///         }
///         self.0 -= 1;
///         Poll::Ready(Step::Cont)
///     }
/// }
///
/// let manager = TaskManager::new();
/// let countdown = manager.add_task(TaskBuilder::new(Countdown(3))).unwrap();
/// assert_eq!(manager.run_until(&countdown), Ok(3));
/// ```
///
/// # Panics
///
/// A `poll_task` that panics is caught by the chain: the task ends with
/// [`Error::Panicked`] and the chain goes on.
pub trait Task: 'static {
    /// What the task's future resolves to.
    type Output: 'static;

    /// Whether the task is a coroutine: one future polled until it ends,
    /// never returning a step between two polls but its last. A threaded
    /// chain free to (see [`ThreadedChain`](crate::ThreadedChain)) hands
    /// such a task of the default sort to its runtime to schedule, outside
    /// the chain's ordered epochs. The default, `false`, keeps a task in
    /// the epochs.
    fn is_coroutine() -> bool
    where
        Self: Sized,
    {
        false
    }

    /// Runs the task once.
    fn poll_task(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        task: &TaskContext<'_>,
    ) -> Poll<Step<Self::Output>>;
}

/// A recurring task: a closure called once per run, returning a
/// [`DoneStatus`] (or a `Result` of one, see [`RecurringOutput`]).
#[derive(Debug, Clone)]
pub struct Recurring<F>(pub F);

// The closure is never pinned structurally: it is only called through `&mut`.
impl<F> Unpin for Recurring<F> {}

impl<F, R> Task for Recurring<F>
where
    F: FnMut(&TaskContext<'_>) -> R + 'static,
    R: RecurringOutput,
{
    type Output = ();

    fn poll_task(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        task: &TaskContext<'_>,
    ) -> Poll<Step<()>> {
        Poll::Ready((self.get_mut().0)(task).into_step())
    }
}

pin_project_lite::pin_project! {
    /// A one-shot coroutine task: an `async` block whose output is the
    /// task's result. `Clone` when its future is (before its first poll:
    /// a task's work is never reachable after).
    #[derive(Debug, Clone)]
    pub struct Coroutine<F> {
        #[pin]
        future: F,
    }
}

impl<F> Coroutine<F> {
    /// Wraps a future as a task.
    pub fn new(future: F) -> Self {
        Coroutine { future }
    }
}

impl<F: Future + 'static> Task for Coroutine<F> {
    type Output = F::Output;

    fn is_coroutine() -> bool {
        true
    }

    fn poll_task(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _task: &TaskContext<'_>,
    ) -> Poll<Step<F::Output>> {
        let future = self.project().future;
        future.poll(cx).map(Step::Done)
    }
}

pin_project_lite::pin_project! {
    /// A one-shot coroutine task whose `async` block returns a
    /// `Result<T, Error>`: `Ok` is the task's output, and an error ends the
    /// task with that error, so that `?` propagates a cancellation
    /// ([`Error::Cancelled`] ends the task cancelled) or any other error
    /// out of the task (see [`Step::Fail`]). `Clone` when its future is.
    #[derive(Debug, Clone)]
    pub struct FallibleCoroutine<F> {
        #[pin]
        future: F,
    }
}

impl<F> FallibleCoroutine<F> {
    /// Wraps a fallible future as a task.
    pub fn new(future: F) -> Self {
        FallibleCoroutine { future }
    }
}

impl<F, T> Task for FallibleCoroutine<F>
where
    F: Future<Output = Result<T, Error>> + 'static,
    T: 'static,
{
    type Output = T;

    fn is_coroutine() -> bool {
        true
    }

    fn poll_task(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _task: &TaskContext<'_>,
    ) -> Poll<Step<T>> {
        self.project().future.poll(cx).map(|result| match result {
            Ok(value) => Step::Done(value),
            Err(error) => Step::Fail(Box::new(error)),
        })
    }
}

/// A recurring coroutine task: an async closure invoked once per epoch (or
/// after its delay), whose output is the [`DoneStatus`] for the next run
/// (or a `Result` of one, see [`RecurringOutput`]).
///
/// While an invocation awaits, the task is suspended and costs nothing per
/// frame; when it finishes, its status is applied as for a recurring task.
pub struct RecurringCoroutine<F, Fut> {
    make: F,
    current: Option<Pin<Box<Fut>>>,
}

impl<F, Fut> RecurringCoroutine<F, Fut> {
    /// Wraps an async closure as a recurring task.
    pub fn new(make: F) -> Self {
        RecurringCoroutine {
            make,
            current: None,
        }
    }
}

// The closure is never pinned structurally and the invocation is boxed.
impl<F, Fut> Unpin for RecurringCoroutine<F, Fut> {}

/// `Clone` when its closure is: the clone starts with no invocation under
/// way (a builder's work has none; an invocation in flight belongs to the
/// task running it).
impl<F: Clone, Fut> Clone for RecurringCoroutine<F, Fut> {
    fn clone(&self) -> Self {
        RecurringCoroutine::new(self.make.clone())
    }
}

impl<F, Fut> std::fmt::Debug for RecurringCoroutine<F, Fut> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecurringCoroutine")
            .field("running", &self.current.is_some())
            .finish()
    }
}

impl<F, Fut> Task for RecurringCoroutine<F, Fut>
where
    F: FnMut() -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: RecurringOutput,
{
    type Output = ();

    fn poll_task(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _task: &TaskContext<'_>,
    ) -> Poll<Step<()>> {
        let this = self.get_mut();
        let make = &mut this.make;
        let fut = this.current.get_or_insert_with(|| Box::pin(make()));
        match fut.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(status) => {
                this.current = None;
                Poll::Ready(status.into_step())
            }
        }
    }
}
