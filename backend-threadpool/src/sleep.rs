//! [`Sleep`]: the future of [`ThreadPool::sleep`](crate::ThreadPool::sleep).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::timer::{Registered, Timer};

/// A future that completes at a deadline, on the pool's timer thread.
///
/// Made by [`ThreadPool::sleep`](crate::ThreadPool::sleep) and
/// [`ThreadPool::sleep_until`](crate::ThreadPool::sleep_until). It can be
/// awaited anywhere, on the pool or on another executor; it holds the
/// timer, not the pool, so it does not keep the pool's threads alive.
///
/// - Dropping it before its deadline deregisters it at once.
/// - Once the pool is shut down there is no timer left to wait on: a
///   `Sleep` that is still pending then completes at its next poll (every
///   registered one is woken for that poll), rather than hang whoever
///   polls it.
/// - A deadline too far away to represent (`sleep(Duration::MAX)`) never
///   comes: such a `Sleep` stays pending, before and after shutdown, and
///   takes no room in the timer.
#[must_use = "a Sleep does nothing unless awaited"]
pub struct Sleep {
    timer: Arc<Timer>,
    /// `None`: never.
    deadline: Option<Instant>,
    /// The id the timer knows this sleeper by, once registered.
    id: Option<u64>,
}

impl Sleep {
    pub(crate) fn new(timer: Arc<Timer>, deadline: Option<Instant>) -> Self {
        Sleep {
            timer,
            deadline,
            id: None,
        }
    }

    /// When the sleep completes (`None` for never).
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    fn deregister(&mut self) {
        if let Some(id) = self.id.take() {
            self.timer.deregister(id);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(deadline) = this.deadline else {
            // Never due: nothing to register, nobody will wake it.
            return Poll::Pending;
        };
        if Instant::now() >= deadline {
            this.deregister();
            return Poll::Ready(());
        }
        match this.timer.register(this.id, deadline, cx.waker()) {
            Registered::Waiting(id) => {
                this.id = Some(id);
                Poll::Pending
            }
            Registered::Closed => {
                this.id = None;
                Poll::Ready(())
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.deregister();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.id.is_some())
            .finish()
    }
}
