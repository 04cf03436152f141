//! One join handle type over every subject's own, so that a workload's
//! code is written once.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

use taskchain::TaskHandle;

/// The handle of a task spawned by a [`Spawner`](super::spawner::Spawner):
/// awaiting it yields the task's output, or why there is none.
pub(crate) enum Join<T: 'static> {
    /// A taskchain task, on the frame chain or a threaded chain.
    Task(TaskHandle<T>),
    /// A task of the core built with `tracing` on.
    TracedTask(taskchain_core_traced::TaskHandle<T>),
    /// A tokio task.
    Tokio(tokio::task::JoinHandle<T>),
    /// An async-executor task.
    Executor(async_executor::Task<T>),
    /// An async-std task.
    AsyncStd(async_std::task::JoinHandle<T>),
    /// A task of taskchain's raw `ThreadPool`.
    Pool(taskchain::threadpool::JoinHandle<T>),
    /// A task of the floor (an async-task cell).
    Floor(async_task::Task<T>),
}

impl<T: 'static> Join<T> {
    /// Lets the task run on without its handle (dropping an async-executor
    /// or floor task would cancel it; the others detach on drop).
    pub(crate) fn detach(self) {
        match self {
            Join::Executor(task) => task.detach(),
            Join::Pool(handle) => handle.detach(),
            Join::Floor(task) => task.detach(),
            Join::Task(_) | Join::TracedTask(_) | Join::Tokio(_) | Join::AsyncStd(_) => {}
        }
    }
}

impl<T: 'static> Future for Join<T> {
    type Output = Result<T, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Every handle is `Unpin`, and so is `Join`.
        match self.get_mut() {
            Join::Task(handle) => Pin::new(handle)
                .poll(cx)
                .map(|r| r.map_err(|e| format!("task failed: {e}"))),
            Join::TracedTask(handle) => Pin::new(handle)
                .poll(cx)
                .map(|r| r.map_err(|e| format!("task failed: {e}"))),
            Join::Tokio(handle) => Pin::new(handle)
                .poll(cx)
                .map(|r| r.map_err(|e| format!("tokio task failed: {e}"))),
            Join::Executor(task) => Pin::new(task).poll(cx).map(Ok),
            Join::AsyncStd(handle) => Pin::new(handle).poll(cx).map(Ok),
            Join::Floor(task) => Pin::new(task).poll(cx).map(Ok),
            Join::Pool(handle) => Pin::new(handle)
                .poll(cx)
                .map(|r| r.map_err(|e| format!("thread pool task failed: {e}"))),
        }
    }
}

/// Awaits every handle in order; the first failure is returned.
pub(crate) async fn join_all<T: 'static>(joins: Vec<Join<T>>) -> Result<(), String> {
    for join in joins {
        join.await?;
    }
    Ok(())
}

/// Cancels every task through its handle: taskchain's `cancel`, tokio's
/// `abort`, dropping an async-executor or floor task, the pool's `cancel`; the
/// tasks go on their own soon after. async-std cancels only by awaiting
/// (dropping its handle detaches): every cancel is started first, then
/// each awaited until its task is gone, as tokio's aborts are issued
/// before anything waits.
pub(crate) async fn cancel_all<T: 'static>(joins: Vec<Join<T>>) {
    let mut waits = Vec::new();
    for join in joins {
        match join {
            Join::Task(handle) => {
                handle.cancel();
            }
            Join::TracedTask(handle) => {
                handle.cancel();
            }
            Join::Tokio(handle) => handle.abort(),
            Join::Executor(task) => drop(task),
            Join::Floor(task) => drop(task),
            Join::Pool(handle) => handle.cancel(),
            Join::AsyncStd(handle) => {
                let mut cancel = Box::pin(handle.cancel());
                // The first poll makes the request; the rest is waiting.
                let first = poll_fn(|cx| Poll::Ready(cancel.as_mut().poll(cx))).await;
                if first.is_pending() {
                    waits.push(cancel);
                }
            }
        }
    }
    for wait in waits {
        wait.await;
    }
}
