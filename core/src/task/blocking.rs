//! Background jobs: a blocking closure run once as a task, so that heavy
//! work (loading a level, decoding assets) runs on a threaded chain while a
//! coroutine on the frame chain awaits its handle and the frames go on.

use std::pin::Pin;
use std::task::{Context, Poll};

use crate::task::context::TaskContext;
use crate::task::kinds::{Step, Task};

/// The task of [`TaskChainExt::spawn_blocking`](crate::TaskChainExt::spawn_blocking):
/// runs its closure once, in one run, and finishes with its result.
#[derive(Debug, Clone)]
pub struct Blocking<F>(Option<F>);

impl<F> Blocking<F> {
    /// A task that calls `job` once.
    pub fn new(job: F) -> Self {
        Blocking(Some(job))
    }
}

// The closure is never pinned structurally: it is moved out to be called.
impl<F> Unpin for Blocking<F> {}

impl<F, T> Task for Blocking<F>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    type Output = T;

    fn poll_task(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _task: &TaskContext<'_>,
    ) -> Poll<Step<T>> {
        match self.get_mut().0.take() {
            Some(job) => Poll::Ready(Step::Done(job())),
            // Never reached: a task that returned `Done` is not run again.
            None => Poll::Pending,
        }
    }
}
