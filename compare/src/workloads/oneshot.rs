//! A single-value channel, the same on every subject: a taskchain
//! `Promise`, shared by both halves. A promise awaits through its own
//! waiter node and the waker it is given, on any executor, so the workloads
//! that pass values (ping-pong, chained spawn, latency, wake and cancel
//! scaling) do the same work everywhere and only the scheduling differs.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use taskchain::Promise;

/// The sending half: sets the promise.
pub(crate) struct Sender<T>(Promise<T>);

/// The receiving half: awaiting it yields the value.
pub(crate) struct Receiver<T>(Promise<T>);

/// A fresh channel: one pending promise, seen from both ends.
pub(crate) fn channel<T: Clone + Send + 'static>() -> (Sender<T>, Receiver<T>) {
    let promise = Promise::new();
    (Sender(promise.clone()), Receiver(promise))
}

impl<T: Clone + Send + 'static> Sender<T> {
    /// Sends `value`.
    ///
    /// Returns an error if the promise was already set or cancelled.
    pub(crate) fn send(self, value: T) -> Result<(), String> {
        self.0
            .set_result(value)
            .map_err(|e| format!("cannot set the promise: {e}"))
    }
}

impl<T: Clone + Send + 'static> Future for Receiver<T> {
    type Output = Result<T, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // A promise is `Unpin`, and so is the receiver.
        Pin::new(&mut self.get_mut().0)
            .poll(cx)
            .map(|r| r.map_err(|e| format!("the promise failed: {e}")))
    }
}
