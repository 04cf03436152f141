//! `GroupJoin`: the future that awaits every child of a task group.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::error::Error;
use crate::future::state::WaiterKey;
use crate::task::awaited::{self, AwaitedHook};
use crate::task::current;

use super::book::Shared;

/// The future [`TaskGroup::join`](crate::TaskGroup::join) returns: every
/// child's value in spawn order, or the group's error.
///
/// # Cancellation
///
/// A cancel request of the awaiting task cancels the group's running
/// children (before `cancel()` returns, if the task is suspended here);
/// the join then waits for them to end and yields `Err(Cancelled)`,
/// whatever the children ended with. Dropping the
/// join only stops the waiting.
#[must_use = "a join does nothing unless awaited"]
pub struct GroupJoin<'a, T: Send + 'static> {
    shared: &'a Arc<Shared<T>>,
    /// This join's place among the waiters of the group's end.
    waiter: WaiterKey,
    /// A cancel of the awaiting task was delivered here: the join yields
    /// `Cancelled`, the answer to that request.
    delivered: bool,
}

impl<'a, T: Send + 'static> GroupJoin<'a, T> {
    pub(super) fn new(shared: &'a Arc<Shared<T>>) -> Self {
        GroupJoin {
            shared,
            waiter: WaiterKey::new(),
            delivered: false,
        }
    }
}

impl<T: Send + 'static> Future for GroupJoin<'_, T> {
    type Output = Result<Vec<T>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = this.shared;
        if !shared.is_done() {
            // A request is delivered only while there is something to
            // cancel: an ended group is read as it is.
            if current::take_cancel() {
                this.delivered = true;
                shared.cancel(true);
            }
            shared.start_join();
        }
        match shared.poll_ended(&this.waiter, cx) {
            Poll::Pending => {
                // The awaiting task's cancel cancels the group at once.
                awaited::publish(cx.waker(), || AwaitedHook::Shared(shared.clone()));
                Poll::Pending
            }
            Poll::Ready(()) if this.delivered => Poll::Ready(Err(Error::Cancelled)),
            // Cancelled by the awaiting task's cancel while it waited here
            // (see `awaited`): the join answers that request.
            Poll::Ready(()) if shared.is_cancelled() && current::take_cancel() => {
                Poll::Ready(Err(Error::Cancelled))
            }
            Poll::Ready(()) => Poll::Ready(awaited::read(shared.read())),
        }
    }
}

impl<T: Send + 'static> Drop for GroupJoin<'_, T> {
    fn drop(&mut self) {
        if self.waiter.is_registered() {
            awaited::withdraw(Arc::as_ptr(self.shared).cast());
        }
        self.shared.remove_waiter(&mut self.waiter);
    }
}

impl<T: Send + 'static> std::fmt::Debug for GroupJoin<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupJoin")
            .field("done", &self.shared.is_done())
            .finish()
    }
}
