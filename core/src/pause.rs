//! Await points that wait on the chain itself: `pause(d)` and
//! `next_frame()`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::context::{self, with_current};
use crate::{duration_from_secs, Error};

/// Suspends the awaiting task for `duration` on its chain's clock (not the
/// default chain's: the chain the task runs on). The task sleeps in the
/// chain's timer heap and costs nothing per frame meanwhile; it resumes at
/// the first epoch boundary at or after the deadline.
///
/// Awaited outside a task (on a foreign executor) it yields
/// [`Error::NoChain`].
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

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let duration = self.duration;
        let deadline = &mut self.deadline;
        with_current(|frame| {
            let now = frame.header.chain.now();
            let deadline = *deadline.get_or_insert_with(|| now.saturating_add(duration));
            if now >= deadline {
                return Poll::Ready(Ok(()));
            }
            if context::take_cancel() {
                return Poll::Ready(Err(Error::Cancelled));
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
        if with_current(|frame| frame.yield_next.set(true)).is_none() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}
