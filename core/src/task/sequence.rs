//! Task sequences: child tasks run one after another as one task on the
//! chain (Panda3D's `AsyncTaskSequence`), once through or in a loop.

use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::Error;
use crate::task::builder::{ScheduledTask, TaskBuilder};
use crate::task::context::TaskContext;
use crate::task::kinds::{Coroutine, Recurring, Step, Task};
use crate::task::status::DoneStatus;

/// A child task of a sequence, boxed so that children of different types
/// can follow one another.
type BoxTask<T> = Pin<Box<dyn Task<Output = T> + Send>>;

/// Where the running child started on its chain: its runs see their own
/// age, as they would alone, rather than the sequence's.
#[derive(Debug, Clone, Copy)]
struct ChildStart {
    now: Duration,
    epoch: u64,
}

/// Child tasks run one after another as one task: each child runs, epoch
/// after epoch, as it would alone, and when it finishes the next one starts
/// on the next epoch (the sequence is one task, run once per epoch).
///
/// | a child returns | the sequence |
/// |---|---|
/// | `Done` (or a coroutine ends) | keeps the output, moves on to the next child next epoch; after the last one it is done |
/// | `Exit` | keeps the output and is done at once: the remaining children never run |
/// | `Cont`, `Pickup`, `Again` | runs the same child again next epoch, this epoch, or after the sequence's delay |
///
/// Awaiting the sequence (or its task handle) yields the children's outputs
/// in order, so every child has the same output type `T`; for a sequence of
/// closures and coroutines that return nothing that is `Vec<()>`, which
/// costs nothing. A sequence ended by `Exit` ends with `Done` itself: an
/// `Exit` ends only the innermost enclosing sequence.
///
/// A child runs with the sequence's chain and [`TaskContext`] (id, name,
/// sort), except that [`TaskContext::time`] and [`TaskContext::frame`]
/// count from the child's own start. A coroutine child may await anything a
/// coroutine task may: [`pause`](crate::pause) puts the whole sequence to
/// sleep on its chain.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{pause, AsyncFuture, ManualClock, Sequence, TaskBuilder, TaskManager};
///
/// let clock = ManualClock::new();
/// let manager = TaskManager::with_clock(clock.clone());
/// let intro = Sequence::new()
///     .then_coroutine(async { "fade in" })
///     .then_coroutine(async {
///         pause(Duration::from_secs(1)).await.ok();
///         "title"
///     })
///     .then_coroutine(async { "menu" });
/// let handle = manager.add_task(TaskBuilder::new(intro)).unwrap();
/// while !handle.is_done() {
///     manager.poll().unwrap();
///     clock.advance(Duration::from_millis(250));
/// }
/// assert_eq!(handle.result(None), Ok(vec!["fade in", "title", "menu"]));
/// ```
///
/// A sequence with no children is done on its first run, with an empty
/// `Vec`.
///
/// # Cancellation
///
/// Cancelling the sequence's task cancels the running child: a queued or
/// sleeping sequence is dropped at once with its children; a coroutine
/// child suspended in an await gets [`Error::Cancelled`] there, as a
/// coroutine task would, and the sequence ends cancelled after that run.
/// The children that had not started never run.
///
/// # Panics
///
/// Never by itself. A child that panics is caught at the poll boundary like
/// any task: the sequence's task ends with [`Error::Panicked`] and the
/// children left are dropped.
#[must_use = "a sequence does nothing until it is added as a task"]
pub struct Sequence<T: 'static> {
    waiting: VecDeque<BoxTask<T>>,
    running: Option<(BoxTask<T>, Option<ChildStart>)>,
    results: Vec<T>,
}

/// A sequence made from `tasks`, in order: [`Sequence`] for the details.
///
/// Every task has the same type; [`Sequence::then`] and its siblings build
/// sequences of different kinds of tasks.
///
/// ```
/// use taskchain_core::{sequence, Coroutine, TaskManager};
///
/// let manager = TaskManager::new();
/// let squares = manager.spawn(async {
///     sequence((1..=3).map(|i| Coroutine::new(async move { i * i }))).await
/// });
/// assert_eq!(manager.run_until(&squares), Ok(Ok(vec![1, 4, 9])));
/// ```
pub fn sequence<W>(tasks: impl IntoIterator<Item = W>) -> Sequence<W::Output>
where
    W: Task + Send,
{
    tasks.into_iter().fold(Sequence::new(), Sequence::then)
}

impl<T: 'static> Sequence<T> {
    /// An empty sequence; add children with [`then`](Self::then) and its
    /// siblings.
    pub fn new() -> Self {
        Sequence {
            waiting: VecDeque::new(),
            running: None,
            results: Vec::new(),
        }
    }

    /// Appends any [`Task`] whose output is `T`.
    pub fn then(mut self, task: impl Task<Output = T> + Send) -> Self {
        self.waiting.push_back(Box::pin(task));
        self
    }

    /// Appends a coroutine (an `async` block) whose output is `T`.
    pub fn then_coroutine(self, future: impl Future<Output = T> + Send + 'static) -> Self {
        self.then(Coroutine::new(future))
    }

    /// How many children have not finished yet (the running one included).
    pub fn len(&self) -> usize {
        self.waiting.len() + usize::from(self.running.is_some())
    }

    /// Whether no child is left to run.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs the current child once. Returns `Exit` (with the outputs so
    /// far) when a child exited, so that a loop can tell it from the natural
    /// end, `Done`.
    fn poll_children(&mut self, cx: &mut Context<'_>, tc: &TaskContext<'_>) -> Poll<Step<Vec<T>>> {
        // Polled where it lies, in its box, and dropped there as soon as it
        // is done, as it would be alone. A child that panics stays in place
        // for the task's end to drop.
        if self.running.is_none() {
            let Some(child) = self.waiting.pop_front() else {
                return Poll::Ready(Step::Done(std::mem::take(&mut self.results)));
            };
            self.running = Some((child, None));
        }
        let Some((child, start)) = &mut self.running else {
            unreachable!("a child was just set running");
        };
        let started = *start.get_or_insert(ChildStart {
            now: tc.now,
            epoch: tc.epoch,
        });
        let Poll::Ready(step) = child.as_mut().poll_task(cx, &child_context(tc, started)) else {
            return Poll::Pending;
        };
        Poll::Ready(match step {
            Step::Done(output) => {
                self.running = None;
                self.results.push(output);
                if self.waiting.is_empty() {
                    Step::Done(std::mem::take(&mut self.results))
                } else {
                    Step::Cont
                }
            }
            Step::Exit(output) => {
                // The children left are dropped with the sequence, which
                // this ends.
                self.running = None;
                self.results.push(output);
                Step::Exit(std::mem::take(&mut self.results))
            }
            Step::Again => {
                // `Again` restarts a task's age; the chain restarts the
                // sequence's, this restarts the child's.
                *start = Some(ChildStart {
                    now: tc.header.chain.now(),
                    epoch: tc.epoch,
                });
                Step::Again
            }
            Step::Cont => Step::Cont,
            Step::Pickup => Step::Pickup,
            Step::Fail(error) => {
                // The sequence ends with the child's error; the children
                // left are dropped with it.
                self.running = None;
                Step::Fail(error)
            }
        })
    }
}

impl Sequence<()> {
    /// Appends a recurring closure, run once per epoch until it returns
    /// `Done` (next child) or `Exit` (end of the sequence).
    ///
    /// ```
    /// use taskchain_core::{DoneStatus, Sequence, TaskBuilder, TaskContext, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let blink = Sequence::new()
    ///     .then_recurring(|t: &TaskContext<'_>| {
    ///         if t.frame() < 2 { DoneStatus::Cont } else { DoneStatus::Done }
    ///     })
    ///     .then_coroutine(async {});
    /// let handle = manager.add_task(TaskBuilder::new(blink)).unwrap();
    /// assert_eq!(manager.run_until(&handle), Ok(vec![(), ()]));
    /// ```
    pub fn then_recurring(
        self,
        f: impl FnMut(&TaskContext<'_>) -> DoneStatus + Send + 'static,
    ) -> Self {
        self.then(Recurring(f))
    }
}

/// The [`TaskContext`] a child sees: the sequence's, with its age counted
/// from the child's start.
fn child_context<'a>(tc: &TaskContext<'a>, start: ChildStart) -> TaskContext<'a> {
    // A context measures age against the task's own start (in its header),
    // which is the sequence's. Shifting `now` and the epoch back by the
    // child's head start makes `time()` and `frame()` the child's age.
    let seq_start = tc.header.start_time().unwrap_or(tc.now);
    let now = seq_start.saturating_add(tc.now.saturating_sub(start.now));
    // Epoch arithmetic wraps, as the header's does.
    let seq_start_epoch = tc.epoch.wrapping_sub(tc.frame());
    let epoch = seq_start_epoch.wrapping_add(tc.epoch.wrapping_sub(start.epoch));
    TaskContext {
        header: tc.header,
        now,
        epoch,
    }
}

// Children are pinned inside their boxes and outputs are never pinned:
// moving the sequence moves neither.
impl<T> Unpin for Sequence<T> {}
impl<T> Unpin for LoopSequence<T> {}

impl<T: 'static> Default for Sequence<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: 'static> Task for Sequence<T> {
    type Output = Vec<T>;

    fn poll_task(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        task: &TaskContext<'_>,
    ) -> Poll<Step<Vec<T>>> {
        self.get_mut()
            .poll_children(cx, task)
            .map(|step| match step {
                // The exit ended this sequence; an enclosing one goes on.
                Step::Exit(outputs) => Step::Done(outputs),
                other => other,
            })
    }
}

impl<T: Send + 'static> IntoFuture for Sequence<T> {
    type Output = Result<Vec<T>, Error>;
    type IntoFuture = ScheduledTask<Vec<T>>;

    /// Schedules the sequence on the awaiting task's chain, as an awaited
    /// [`TaskBuilder`] is; outside a task the await yields
    /// [`Error::NoChain`].
    fn into_future(self) -> Self::IntoFuture {
        TaskBuilder::new(self).into_future()
    }
}

impl<T: 'static> std::fmt::Debug for Sequence<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequence")
            .field("left", &self.len())
            .field("finished", &self.results.len())
            .finish()
    }
}

/// A sequence run over and over until a child returns `Exit` or the task is
/// cancelled: Panda3D's looping `AsyncTaskSequence`.
///
/// Each pass runs a fresh [`Sequence`] made by the closure given to
/// [`loop_sequence`]: a finished coroutine cannot run again, so the loop
/// remakes its children rather than rerunning them. A pass starts on the
/// epoch after the previous one ended. Awaiting the loop yields the outputs
/// of its last pass, the one a child ended with `Exit`; earlier passes'
/// outputs are dropped as each pass ends, so a long loop does not grow.
///
/// A pass with no children ends the loop at once, with an empty `Vec`: no
/// child could ever `Exit`, and the loop would run forever doing nothing.
///
/// # Cancellation
///
/// As for [`Sequence`]: cancelling the loop's task cancels the running
/// child, and no further pass is made.
///
/// # Panics
///
/// Never by itself; a panicking child, or a panicking `make`, ends the
/// loop's task with [`Error::Panicked`].
#[must_use = "a sequence does nothing until it is added as a task"]
pub struct LoopSequence<T: 'static> {
    make: Box<dyn FnMut() -> Sequence<T> + Send>,
    pass: Option<Sequence<T>>,
}

/// A loop that runs the sequence `make()` returns, again and again, until a
/// child returns `Exit`: [`LoopSequence`] for the details.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
/// use taskchain_core::{loop_sequence, DoneStatus, Sequence, TaskBuilder, TaskContext, TaskManager};
///
/// let manager = TaskManager::new();
/// let blinks = Arc::new(AtomicU32::new(0));
/// let b = blinks.clone();
/// let blinker = loop_sequence(move || {
///     let b = b.clone();
///     Sequence::new()
///         .then_recurring(|_: &TaskContext<'_>| DoneStatus::Done) // light on
///         .then_recurring(move |_: &TaskContext<'_>| {
///             // light off; stop after three blinks
///             if b.fetch_add(1, Ordering::SeqCst) == 2 { DoneStatus::Exit } else { DoneStatus::Done }
///         })
/// });
/// let handle = manager.add_task(TaskBuilder::new(blinker)).unwrap();
/// manager.run_until(&handle).unwrap();
/// assert_eq!(blinks.load(Ordering::SeqCst), 3);
/// ```
pub fn loop_sequence<T, F>(make: F) -> LoopSequence<T>
where
    T: 'static,
    F: FnMut() -> Sequence<T> + Send + 'static,
{
    LoopSequence {
        make: Box::new(make),
        pass: None,
    }
}

impl<T: 'static> Task for LoopSequence<T> {
    type Output = Vec<T>;

    fn poll_task(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        task: &TaskContext<'_>,
    ) -> Poll<Step<Vec<T>>> {
        let this = self.get_mut();
        let pass = match &mut this.pass {
            Some(pass) => pass,
            None => {
                let fresh = (this.make)();
                if fresh.is_empty() {
                    return Poll::Ready(Step::Done(Vec::new()));
                }
                this.pass.insert(fresh)
            }
        };
        pass.poll_children(cx, task).map(|step| match step {
            Step::Done(_) => {
                // The pass ran through: the next one starts next epoch, so
                // a loop of instant children still yields every frame.
                this.pass = None;
                Step::Cont
            }
            Step::Exit(outputs) => Step::Done(outputs),
            other => other,
        })
    }
}

impl<T: Send + 'static> IntoFuture for LoopSequence<T> {
    type Output = Result<Vec<T>, Error>;
    type IntoFuture = ScheduledTask<Vec<T>>;

    /// Schedules the loop on the awaiting task's chain; outside a task the
    /// await yields [`Error::NoChain`].
    fn into_future(self) -> Self::IntoFuture {
        TaskBuilder::new(self).into_future()
    }
}

impl<T: 'static> std::fmt::Debug for LoopSequence<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopSequence")
            .field("pass", &self.pass)
            .finish_non_exhaustive()
    }
}
