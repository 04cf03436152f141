//! `wait_for(future, d)`: awaits a future for at most `d` on the awaiting
//! task's chain clock, cancelling it when the time runs out.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::Error;
use crate::future::async_future::AsyncFuture;
use crate::task::current::{self, with_current};

/// Awaits `future` for at most `duration` on the awaiting task's chain
/// clock (as [`pause`](crate::pause) sleeps): asyncio's `wait_for`.
///
/// It yields what awaiting `future` yields if `future` is done before the
/// time runs out (a future done when the time runs out still gives its
/// result). Otherwise it cancels `future` and yields [`Error::Timeout`].
/// The time counts from the first poll; a zero duration reads a future
/// that is already done and cancels one that is not.
///
/// Awaited outside a task (on a foreign executor) it yields
/// [`Error::NoChain`] and leaves `future` alone. Polled inside a task with
/// a waker other than the task's, while `future` is pending (see
/// [`pause`](crate::pause)), it yields [`Error::WouldDeadlock`] and leaves
/// `future` alone: the chain would wake the task when the time runs out,
/// never that other waker.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{wait_for, AsyncFuture, Error, ManualClock, TaskManager};
///
/// let clock = ManualClock::new();
/// let manager = TaskManager::with_clock(clock.clone());
/// let reply = manager.promise::<u32>();
/// let asking = {
///     let reply = reply.clone();
///     manager.spawn(async move { wait_for(reply, Duration::from_secs(2)).await })
/// };
/// manager.poll().unwrap();
/// clock.advance(Duration::from_secs(2));
/// manager.poll().unwrap();
/// assert_eq!(asking.result(None), Ok(Err(Error::Timeout)));
/// assert!(reply.is_cancelled(), "the future that took too long is cancelled");
/// ```
///
/// # Cancellation
///
/// A cancel request of the awaiting task delivered while it waits cancels
/// `future` and yields [`Error::Cancelled`]. Dropping the `WaitFor` drops
/// `future` without cancelling it (a task handle then detaches, as
/// dropping it does).
///
/// # Panics
///
/// Never. A future that panicked (a task) yields its
/// [`Error::Panicked`].
pub fn wait_for<F: AsyncFuture>(future: F, duration: Duration) -> WaitFor<F> {
    WaitFor {
        future,
        duration,
        deadline: None,
    }
}

/// The future of [`wait_for`]: awaited in a task, the future's result, or
/// [`Error::Timeout`] once the chain's clock passed the deadline.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{wait_for, TaskManager};
///
/// let manager = TaskManager::new();
/// let quick = manager.spawn(async { 5 });
/// let asking = manager.spawn(async move { wait_for(quick, Duration::from_secs(1)).await });
/// assert_eq!(manager.run_until(&asking), Ok(Ok(5)));
/// ```
///
/// # Cancellation
///
/// As for [`wait_for`]: a cancel request of the awaiting task cancels the
/// future it waits for; dropping it drops that future uncancelled.
///
/// # Panics
///
/// Never.
#[derive(Debug)]
#[must_use = "wait_for does nothing unless awaited"]
pub struct WaitFor<F> {
    future: F,
    duration: Duration,
    /// On the chain's clock, from the first poll.
    deadline: Option<Duration>,
}

impl<F> WaitFor<F> {
    /// The future it waits for.
    pub fn get_ref(&self) -> &F {
        &self.future
    }
}

impl<F: AsyncFuture> Future for WaitFor<F> {
    type Output = Result<F::Value, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let Some(now) = with_current(|frame| frame.header().chain.now()) else {
            return Poll::Ready(Err(Error::NoChain));
        };
        // A taskchain future delivers a pending cancel request here,
        // cancelling itself.
        if let Poll::Ready(result) = Pin::new(&mut this.future).poll(cx) {
            return Poll::Ready(result);
        }
        // Any other future does not: deliver it in its place.
        if current::take_cancel() {
            this.future.cancel();
            return Poll::Ready(Err(Error::Cancelled));
        }
        let duration = this.duration;
        let deadline = *this
            .deadline
            .get_or_insert_with(|| now.saturating_add(duration));
        if now >= deadline {
            this.future.cancel();
            return Poll::Ready(Err(Error::Timeout));
        }
        if current::is_foreign_waker(cx.waker()) {
            return Poll::Ready(Err(Error::WouldDeadlock));
        }
        // Asleep until the deadline, or until the future wakes the task.
        // Another await point of the same run (a `join!`) may have asked
        // for an earlier wake-up: the earlier one wins.
        with_current(|frame| {
            let until = frame
                .sleep_until
                .get()
                .map_or(deadline, |other| other.min(deadline));
            frame.sleep_until.set(Some(until));
        });
        Poll::Pending
    }
}
