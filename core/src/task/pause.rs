//! Await points that wait on the chain itself: `pause(d)` and
//! `next_frame()`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::clock::duration_from_secs;
use crate::error::Error;
use crate::task::current::{self, with_current};

/// Suspends the awaiting task for `duration` on its chain's clock (not the
/// default chain's: the chain the task runs on). The task sleeps in the
/// chain's timer heap and costs nothing per frame meanwhile; it resumes at
/// the first epoch boundary at or after the deadline.
///
/// Awaited outside a task (on a foreign executor) it yields
/// [`Error::NoChain`].
///
/// Await it directly in the task, or through combinators that poll it with
/// the task's own waker (`join!`, `select!`, `or`, `join_all` of a few).
/// Polled with another waker, by a nested executor (`block_on(pause(..))`
/// inside a task) or a combinator with wakers of its own
/// (`FuturesUnordered`, `join_all` of more than 30), it yields
/// [`Error::WouldDeadlock`] at once: the chain wakes the task when the
/// pause ends, never that other waker, so it would wait for ever.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{pause, ManualClock, TaskManager};
///
/// let clock = ManualClock::new();
/// let manager = TaskManager::with_clock(clock.clone());
/// let nap = manager.spawn(async { pause(Duration::from_secs(1)).await });
/// manager.poll().unwrap();
/// assert!(!nap.is_done());
/// clock.advance(Duration::from_secs(1));
/// manager.poll().unwrap();
/// assert!(nap.is_done());
/// ```
///
/// # Cancellation
///
/// Cancelling the task wakes it; the pause returns [`Error::Cancelled`].
pub fn pause(duration: Duration) -> Pause {
    Pause {
        duration,
        deadline: None,
    }
}

/// [`pause`] with the duration in seconds.
///
/// Returns [`Error::InvalidDuration`] for a negative, NaN or infinite value.
pub fn pause_secs(secs: f64) -> Result<Pause, Error> {
    Ok(pause(duration_from_secs(secs)?))
}

/// The future of [`pause`].
#[derive(Debug)]
#[must_use = "a pause does nothing unless awaited"]
pub struct Pause {
    duration: Duration,
    deadline: Option<Duration>,
}

impl Future for Pause {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let duration = self.duration;
        let deadline = &mut self.deadline;
        with_current(|frame| {
            let now = frame.header().chain.now();
            let deadline = *deadline.get_or_insert_with(|| now.saturating_add(duration));
            if now >= deadline {
                return Poll::Ready(Ok(()));
            }
            if current::take_cancel() {
                return Poll::Ready(Err(Error::Cancelled));
            }
            if current::is_foreign_waker(cx.waker()) {
                // The chain would wake the task, not whoever polls this.
                return Poll::Ready(Err(Error::WouldDeadlock));
            }
            frame.sleep_until.set(Some(deadline));
            Poll::Pending
        })
        .unwrap_or(Poll::Ready(Err(Error::NoChain)))
    }
}

/// Suspends the awaiting task until the next epoch of its chain (the next
/// frame), like Panda3D's `yield` in a coroutine task. Outside a task it
/// yields once to the executor.
///
/// As with [`pause`], await it directly in the task or through
/// combinators that pass the task's waker. Polled with another waker (a
/// nested `block_on`, a `FuturesUnordered` inside a task) it cannot wait
/// for a frame, which the chain would signal to the task alone: it yields
/// once to whatever polls it, as outside a task, instead of never
/// returning.
///
/// # Cancellation
///
/// It returns no error, so it delivers no cancel request: a run that ends
/// at it with a request pending ends the task cancelled (as one awaiting a
/// foreign future does), without the coroutine seeing `Error::Cancelled`.
/// Await a [`pause`] to give the coroutine the chance to handle it.
pub fn next_frame() -> NextFrame {
    NextFrame { yielded: false }
}

/// The future of [`next_frame`].
#[derive(Debug)]
#[must_use = "next_frame does nothing unless awaited"]
pub struct NextFrame {
    yielded: bool,
}

impl Future for NextFrame {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        let filed = !current::is_foreign_waker(cx.waker())
            && with_current(|frame| frame.yield_next.set(true)).is_some();
        if !filed {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}
