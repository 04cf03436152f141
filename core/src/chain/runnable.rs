//! [`TaskRunnable`]: a run of a chain's task that the chain hands its
//! runtime, and what such a run does with what the task asks for next.

use std::fmt;
use std::mem::ManuallyDrop;
use std::time::Duration;

use crate::chain::core::{ChainCore, Placement};
use crate::error::isolated;
use crate::task::cell::RunResult;
use crate::task::raw::TaskRef;

/// One run of a threaded chain's task, handed to the chain's runtime
/// through its [`Scheduler`](crate::Scheduler) (see
/// [`TaskScheduling::Runnables`](crate::TaskScheduling::Runnables)): the runtime calls
/// [`run`](Self::run) once, on one of its threads, inside its context.
///
/// A threaded chain hands its runtime the coroutines whose order is free
/// (see [`ThreadedChain`](crate::ThreadedChain)), one `TaskRunnable` per
/// wake, so that they run as the runtime's own tasks do.
///
/// # Cancellation
///
/// Dropping it unrun means the runtime is gone (shut down, or dropped by
/// its owner): the task is cancelled, and its chain cancels its other
/// tasks and takes no more, as when the runtime drops the chain's workers
/// ([`Error::RuntimeGone`](crate::Error::RuntimeGone)). Its cancellation
/// runs user code (the task's `upon_death`, the drop of its future) on the
/// dropping thread, caught if it panics. A runnable whose task has ended
/// meanwhile is dropped or run to no effect.
///
/// # Panics
///
/// Never: a panicking task is caught in `run`, and its future holds
/// [`Error::Panicked`](crate::Error::Panicked).
///
/// ```
/// use std::sync::mpsc::{channel, Sender};
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use taskchain_core::{
///     AsyncFuture, ChainSettings, Runtime, RuntimeFuture, Scheduler, TaskChainExt, TaskManager,
///     TaskRunnable, TaskScheduling,
/// };
///
/// /// Hands runnables to a thread that runs them in order.
/// struct ToThread(Mutex<Sender<TaskRunnable>>);
///
/// impl Scheduler for ToThread {
///     fn schedule(&self, runnable: TaskRunnable) {
///         // A send to a stopped thread drops the runnable: the chain
///         // learns that its runtime is gone.
///         let _ = self.0.lock().unwrap().send(runnable);
///     }
/// }
///
/// /// One thread per spawned future, and one thread for runnables.
/// struct Toy(Arc<ToThread>);
///
/// impl Runtime for Toy {
///     fn name(&self) -> &str { "toy" }
///     fn threads(&self) -> usize { 2 }
///     fn spawn(&self, future: RuntimeFuture) { std::thread::spawn(move || block_on(future)); }
///     fn sleep(&self, _: Duration) -> RuntimeFuture { Box::pin(std::future::pending()) }
///     fn task_scheduling(&self) -> Option<TaskScheduling> {
///         Some(TaskScheduling::Runnables(self.0.clone()))
///     }
/// }
/// # fn block_on(mut f: RuntimeFuture) {
/// #     struct Unpark(std::thread::Thread);
/// #     impl std::task::Wake for Unpark { fn wake(self: Arc<Self>) { self.0.unpark() } }
/// #     let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
/// #     while f.as_mut().poll(&mut std::task::Context::from_waker(&waker)).is_pending() {
/// #         std::thread::park();
/// #     }
/// # }
///
/// let (tx, rx) = channel::<TaskRunnable>();
/// std::thread::spawn(move || rx.into_iter().for_each(TaskRunnable::run));
/// let runtime = Arc::new(Toy(Arc::new(ToThread(Mutex::new(tx)))));
/// let manager = TaskManager::new();
/// let chain = manager
///     .make_threaded_chain("toy", ChainSettings::default(), runtime)
///     .unwrap();
/// // A coroutine of the default sort: the runnable thread runs it.
/// let answer = chain.spawn(async { 6 * 7 });
/// assert_eq!(answer.result(Some(Duration::from_secs(10))), Ok(42));
/// ```
pub struct TaskRunnable {
    /// Taken by `run` or by the drop, once.
    task: ManuallyDrop<TaskRef>,
    /// See [`is_yield`](Self::is_yield).
    again: bool,
}

impl TaskRunnable {
    /// A run of `task`, which its chain's queue would otherwise hold;
    /// `again`: its last run asked for it.
    pub(crate) fn new(task: TaskRef, again: bool) -> Self {
        TaskRunnable {
            task: ManuallyDrop::new(task),
            again,
        }
    }

    /// Whether the task's last run asked for this one (it yielded with
    /// [`next_frame`](crate::next_frame), or was woken while it ran),
    /// rather than a wake or a spawn. A runtime queues it behind its other
    /// work, as it does a task of its own that yields: a slot that runs
    /// the newest task first would run this one at once, for ever.
    pub fn is_yield(&self) -> bool {
        self.again
    }

    /// Runs the task once, then hands it back to its chain for whatever it
    /// asks for next (its runtime again once woken, the chain's sleep heap
    /// for a `pause`).
    pub fn run(self) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the task is taken once.
        let task = unsafe { ManuallyDrop::take(&mut this.task) };
        run(task);
    }
}

/// Runs `task` outside its chain's epochs.
fn run(task: TaskRef) {
    // Keeps the cell, and with it the chain, for the bookkeeping after the
    // run (a clone of the task's own count, not of the chain's).
    let keep = task.clone();
    run_outside_epochs(task, &keep.header().chain);
}

/// Runs `task` once outside its chain, `chain`'s, epochs (if it is
/// scheduled: a stale run does nothing) and files what it asks for next,
/// still inside the run (a shut-down chain closes only once it is over): a
/// sleep goes to the chain's sleep heap; a rerun (it yielded with
/// `next_frame`, or was woken while it ran) goes through the chain as a
/// wake does, to the runtime behind its other work while the task's order
/// is free, to the epochs once its sort or the chain's settings ask for
/// order. The caller keeps the chain alive.
pub(crate) fn run_outside_epochs(task: TaskRef, chain: &ChainCore) {
    let runner = chain.enter_runner();
    let mut task = task;
    loop {
        // A coroutine reads the time only to stamp its first run (its own
        // reads, `pause` and `elapsed`, ask the clock themselves).
        let now = match task.header().has_started() {
            true => Duration::ZERO,
            false => chain.now(),
        };
        match task.run(now, chain.epoch()) {
            RunResult::Idle => {}
            // A shutdown that aborted the task during this run left its end
            // to the runner: it ends in a rerun here, while the run still
            // holds the chain open, so that the close runs its done
            // callbacks (queued to the runtime, it would end after the
            // close, its callbacks dropped). The rerun ends it: it finds
            // the abort, or its suspension finds the chain shut down.
            RunResult::Next(next) | RunResult::Pickup(next) if chain.is_shut_down() => {
                task = next;
                continue;
            }
            RunResult::Next(next) | RunResult::Pickup(next) => chain.schedule_again(next),
            // Filed in the sleep heap, unless woken meanwhile: that wake
            // scheduled it already.
            RunResult::Sleep(next, until) => chain.schedule(next, Placement::SleepUntil(until)),
        }
        break;
    }
    drop(runner);
}

impl Drop for TaskRunnable {
    fn drop(&mut self) {
        // SAFETY: `run` forgets `self`: this is the only take.
        let task = unsafe { ManuallyDrop::take(&mut self.task) };
        dropped_by_runtime(task);
    }
}

/// Ends `task`, whose runtime dropped its run (a runnable, or a host)
/// unfinished: the runtime is gone, so the chain takes no more either.
/// Both end tasks: user code, caught. The run of a task that has ended
/// meanwhile (a stale one) is dropped to no effect.
pub(crate) fn dropped_by_runtime(task: TaskRef) {
    if task.header().state.snapshot().is_complete() {
        return;
    }
    isolated(move || {
        task.abort();
        task.header().chain.runtime_gone();
    });
}

impl fmt::Debug for TaskRunnable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskRunnable")
            .field("task", &self.task.header().id)
            .field("chain", &self.task.header().chain.name())
            .field("yield", &self.again)
            .finish()
    }
}
