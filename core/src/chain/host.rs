//! [`TaskHost`]: a task of a runtime that runs one of a chain's
//! coroutines, for runtimes that schedule only their own tasks.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::chain::runnable::{dropped_by_runtime, run_outside_epochs};
use crate::task::raw::TaskRef;

/// A future that runs one coroutine of a threaded chain, which a runtime
/// spawns as one of its own tasks, once per coroutine (see
/// [`HostSpawner`](crate::HostSpawner)).
///
/// Each wake of the coroutine wakes its host, so the runtime schedules it
/// as it schedules its own tasks (a LIFO slot, work stealing, local
/// queues); each poll of the host runs the coroutine once. The host
/// completes when the coroutine's task has ended, however it ended.
///
/// # Cancellation
///
/// Dropping the host before it completed means the runtime is gone (shut
/// down, or dropped by its owner): the task is cancelled, and its chain
/// cancels its other tasks and takes no more, as when the runtime drops
/// the chain's workers ([`Error::RuntimeGone`](crate::Error::RuntimeGone)).
/// That runs user code (the task's `upon_death`, the drop of its future)
/// on the dropping thread, caught if it panics.
///
/// # Panics
///
/// Never: a panicking task is caught in its run, and its future holds
/// [`Error::Panicked`](crate::Error::Panicked).
///
/// ```
/// use std::sync::Arc;
/// use taskchain_core::{HostSpawner, TaskHost};
///
/// /// Spawns each host as a task of a tokio-like runtime.
/// struct Hosts<S: Fn(TaskHost) + Send + Sync + 'static>(S);
///
/// impl<S: Fn(TaskHost) + Send + Sync + 'static> HostSpawner for Hosts<S> {
///     fn spawn_host(&self, host: TaskHost) {
///         (self.0)(host)
///     }
/// }
/// ```
#[must_use = "a host runs its task only when spawned on a runtime"]
pub struct TaskHost {
    /// The task, until it ended.
    task: Option<TaskRef>,
}

impl TaskHost {
    /// The host of `task`, which its chain would otherwise queue.
    pub(crate) fn new(task: TaskRef) -> Self {
        TaskHost { task: Some(task) }
    }
}

impl Future for TaskHost {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(task) = &self.task else {
            return Poll::Ready(());
        };
        // A runtime task's waker wakes that task whichever poll it came
        // from: the first is kept. A completion on another thread wakes it
        // if it reads it kept; else this poll reads the completion below:
        // the run between (a reference dropped, or a run's start, each a
        // read-modify-write of the state word the completion also writes)
        // orders the keep before that read.
        task.header().host.keep(cx.waker());
        // A rerun it asks for wakes this host again (behind the runtime's
        // other work, as its own yields are) while its order is free. The
        // host's own reference keeps the cell, and the chain, alive.
        run_outside_epochs(task.clone(), &task.header().chain);
        if task.header().state.snapshot().is_complete() {
            self.task = None;
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Drop for TaskHost {
    fn drop(&mut self) {
        let Some(task) = self.task.take() else {
            return;
        };
        dropped_by_runtime(task);
    }
}

impl fmt::Debug for TaskHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHost")
            .field("task", &self.task.as_ref().map(|t| t.header().id))
            .finish()
    }
}
