//! [`JoinHandle`]: the handle of a future spawned on the pool.

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use async_task::{FallibleTask, Task};
use taskchain_core::Error;

use crate::sync::Parker;

/// The handle of a future spawned with
/// [`ThreadPool::spawn`](crate::ThreadPool::spawn): await it (or
/// [`join`](Self::join) it from a thread outside the pool) for the
/// future's output.
///
/// Its output is `Result<T, Error>`:
///
/// - `Ok(value)`: the future finished with `value`.
/// - `Err(Error::Panicked(message))`: the future panicked. The panic was
///   caught on the worker (which goes on running other tasks) and is
///   reported here, once, as a value: awaiting the handle does not panic.
/// - `Err(Error::Shutdown)`: the pool shut down before the future
///   finished (its future was dropped), or the future was spawned after
///   shutdown (it was dropped unpolled).
/// - `Err(Error::AlreadyTaken)`: the output was already returned by an
///   earlier poll or join.
///
/// Dropping the handle detaches the task: it runs on, its output is
/// dropped. [`cancel`](Self::cancel) stops it instead. This is the
/// convention of every task handle of taskchain (and of tokio's
/// `JoinHandle`), so a handle is not `#[must_use]`: spawning and dropping
/// the handle is a fire-and-forget spawn, and [`detach`](Self::detach)
/// only says so out loud.
pub struct JoinHandle<T> {
    state: State<T>,
}

enum State<T> {
    Running(FallibleTask<T>),
    /// Spawned after shutdown: never ran.
    Refused,
    /// The output was handed out.
    Taken,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: Task<T>) -> Self {
        JoinHandle {
            state: State::Running(task.fallible()),
        }
    }

    pub(crate) fn refused() -> Self {
        JoinHandle {
            state: State::Refused,
        }
    }

    /// Whether the task has finished (or will never run): awaiting the
    /// handle would not suspend.
    pub fn is_finished(&self) -> bool {
        match &self.state {
            State::Running(task) => task.is_finished(),
            State::Refused | State::Taken => true,
        }
    }

    /// Lets the task run on without a handle; its output is dropped. The
    /// same as dropping the handle, said out loud.
    pub fn detach(self) {
        drop(self);
    }

    /// Cancels the task: its future is dropped, at once if it is idle or
    /// queued, after its current poll if a worker is running it.
    pub fn cancel(mut self) {
        if let State::Running(task) = std::mem::replace(&mut self.state, State::Taken) {
            // Dropping (not detaching) the task handle cancels the task.
            drop(task);
        }
    }

    /// Blocks the calling thread until the task finishes; see the type's
    /// documentation for the output.
    ///
    /// Call it from outside the pool: on one of the pool's own workers it
    /// blocks that worker (await the handle there instead), and with a
    /// single worker the task could never run.
    pub fn join(mut self) -> Result<T, Error> {
        self.block(None)
    }

    /// Like [`join`](Self::join), but gives up after `timeout` with
    /// [`Error::Timeout`], leaving the handle usable: call it again, await
    /// it, or drop it.
    pub fn join_timeout(&mut self, timeout: Duration) -> Result<T, Error> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.block(Some(deadline)),
            None => self.block(None),
        }
    }

    fn block(&mut self, deadline: Option<Instant>) -> Result<T, Error> {
        let parker = Parker::new();
        let waker = Waker::from(parker.unparker());
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = Pin::new(&mut *self).poll(&mut cx) {
                return output;
            }
            match deadline {
                None => parker.park(),
                Some(deadline) => {
                    if Instant::now() >= deadline {
                        return Err(Error::Timeout);
                    }
                    parker.park_deadline(deadline);
                }
            }
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = match &mut self.state {
            State::Running(task) => task,
            State::Refused => {
                self.state = State::Taken;
                return Poll::Ready(Err(Error::Shutdown));
            }
            State::Taken => return Poll::Ready(Err(Error::AlreadyTaken)),
        };
        // The task cell re-raises the future's panic here (with
        // `resume_unwind`, so no second panic message); it becomes a value.
        let output = match catch_unwind(AssertUnwindSafe(|| Pin::new(task).poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Some(value))) => Ok(value),
            // The cell was closed before the future finished: only shutdown
            // (or a spawn refused by it) closes a cell a handle still holds.
            Ok(Poll::Ready(None)) => Err(Error::Shutdown),
            Err(payload) => Err(Error::from_panic(&*payload)),
        };
        self.state = State::Taken;
        Poll::Ready(output)
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let State::Running(task) = std::mem::replace(&mut self.state, State::Taken) {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Running(task) if task.is_finished() => "finished",
            State::Running(_) => "running",
            State::Refused => "refused",
            State::Taken => "taken",
        };
        f.debug_struct("JoinHandle").field("state", &state).finish()
    }
}
