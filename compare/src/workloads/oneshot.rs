//! A single-value channel over both kinds of subject: a taskchain
//! `Promise` on taskchain's chains, tokio's runtime-agnostic oneshot on the
//! raw runtimes (the same on each of them, so only scheduling differs).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use taskchain::Promise;

use crate::Subject;

/// The sending half: sets the promise or sends on the oneshot.
pub(crate) enum Sender<T> {
    /// A taskchain promise (shared with the receiver).
    Promise(Promise<T>),
    /// tokio's oneshot.
    Tokio(tokio::sync::oneshot::Sender<T>),
}

/// The receiving half: awaiting it yields the value.
pub(crate) enum Receiver<T> {
    /// A taskchain promise (shared with the sender).
    Promise(Promise<T>),
    /// tokio's oneshot.
    Tokio(tokio::sync::oneshot::Receiver<T>),
}

/// A channel of the kind `subject` uses.
pub(crate) fn channel<T: Clone + Send + 'static>(subject: Subject) -> (Sender<T>, Receiver<T>) {
    if subject.is_taskchain() {
        let promise = Promise::new();
        (Sender::Promise(promise.clone()), Receiver::Promise(promise))
    } else {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (Sender::Tokio(tx), Receiver::Tokio(rx))
    }
}

impl<T: Clone + Send + 'static> Sender<T> {
    /// Sends `value`.
    ///
    /// Returns an error if it cannot be delivered (the promise was already
    /// set or cancelled, or the receiver is gone).
    pub(crate) fn send(self, value: T) -> Result<(), String> {
        match self {
            Sender::Promise(promise) => promise
                .set_result(value)
                .map_err(|e| format!("cannot set the promise: {e}")),
            Sender::Tokio(tx) => tx
                .send(value)
                .map_err(|_| "the oneshot's receiver is gone".to_owned()),
        }
    }
}

impl<T: Clone + Send + 'static> Future for Receiver<T> {
    type Output = Result<T, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Both halves are `Unpin`, and so is the receiver.
        match self.get_mut() {
            Receiver::Promise(promise) => Pin::new(promise)
                .poll(cx)
                .map(|r| r.map_err(|e| format!("the promise failed: {e}"))),
            Receiver::Tokio(rx) => Pin::new(rx)
                .poll(cx)
                .map(|r| r.map_err(|_| "the oneshot's sender is gone".to_owned())),
        }
    }
}
