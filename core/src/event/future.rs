//! `EventFuture<T>`: the shared future of one firing of a named event.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::Error;
use crate::future::async_future::AsyncFuture;
use crate::future::promise::Promise;

/// Numbers every event future ever made, so that handles can tell whether
/// they stand for the same firing (a promise cannot be compared by
/// address from outside its module). A counter, like task ids: nothing
/// is registered anywhere.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The future of the next firing of a named event, as given by
/// [`Messenger::future`](crate::Messenger::future): it finishes with the
/// payload of the next [`send`](crate::Messenger::send) of that event.
///
/// Every caller asking for the same event before it fires gets a clone of
/// the same future ([`same_future`](Self::same_future) tells); after it
/// fires, the next call makes a fresh one. Awaiting it (or
/// [`result`](AsyncFuture::result)) yields `Result<T, Error>`, each reader
/// getting a clone of the payload.
///
/// Unlike a [`Promise`], it cannot be completed by hand: only a send of its
/// event finishes it, so every holder sees the same firing.
///
/// ```
/// use taskchain_core::{AsyncFuture, TaskManager};
///
/// let manager = TaskManager::new();
/// let messenger = manager.messenger();
/// let a = messenger.future::<u32>("score").unwrap();
/// let b = messenger.future::<u32>("score").unwrap();
/// assert!(a.same_future(&b));
/// messenger.send("score", 10_u32).unwrap();
/// assert_eq!(b.result(None), Ok(10));
/// let next = messenger.future::<u32>("score").unwrap();
/// assert!(!next.same_future(&a));
/// assert!(!next.is_done());
/// ```
///
/// # Cancellation
///
/// [`cancel`](AsyncFuture::cancel) cancels the shared future for every
/// holder: they all get [`Error::Cancelled`], and the next
/// [`Messenger::future`](crate::Messenger::future) call makes a fresh one.
/// As with any taskchain future, cancelling a coroutine task while it
/// awaits an event future cancels that future; a coroutine that must not
/// affect the other holders awaits a [`shield`](crate::shield) of it.
pub struct EventFuture<T> {
    promise: Promise<T>,
    name: Arc<str>,
    id: u64,
}

impl<T: Send + 'static> EventFuture<T> {
    /// A fresh pending future for the event `name`, finished through
    /// `promise` (whose home chain runs its done callbacks).
    pub(crate) fn new(name: Arc<str>, promise: Promise<T>) -> Self {
        EventFuture {
            promise,
            name,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Finishes the future with the event's payload. A future cancelled
    /// meanwhile stays cancelled: that firing had nobody left to reach.
    pub(crate) fn fire(&self, payload: T) {
        let _ = self.promise.set_result(payload);
    }
}

impl<T> EventFuture<T> {
    /// The name of the event this future waits for.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether `self` and `other` are handles to the same future (the same
    /// firing of the same event, on the same messenger).
    pub fn same_future(&self, other: &EventFuture<T>) -> bool {
        self.id == other.id
    }
}

impl<T> Clone for EventFuture<T> {
    fn clone(&self) -> Self {
        EventFuture {
            promise: self.promise.clone(),
            name: self.name.clone(),
            id: self.id,
        }
    }
}

impl<T: Clone + Send + 'static> Future for EventFuture<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The promise delivers a pending cancel request of the awaiting
        // task at this await point, as every taskchain future does.
        Pin::new(&mut self.promise).poll(cx)
    }
}

impl<T: Clone + Send + 'static> AsyncFuture for EventFuture<T> {
    type Value = T;

    fn is_done(&self) -> bool {
        self.promise.is_done()
    }
    fn is_cancelled(&self) -> bool {
        self.promise.is_cancelled()
    }
    fn cancel(&self) -> bool {
        self.promise.cancel()
    }
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.promise.poll_done(cx)
    }
    fn try_take(&self) -> Option<Result<T, Error>> {
        self.promise.try_take()
    }
    fn has_value(&self) -> bool {
        self.promise.has_value()
    }
    fn error(&self) -> Option<Error> {
        self.promise.error()
    }
    /// Runs `callback` on a later poll of the messenger's chain once the
    /// event fired or the future was cancelled.
    fn add_done_callback<F>(&self, callback: F) -> Result<(), Error>
    where
        F: FnOnce(&Self) + Send + 'static,
    {
        // The callback gets a handle rebuilt around the promise it is
        // given rather than a clone of `self`: holding `self` in the
        // promise's own callback list would keep an unfired future alive
        // through itself.
        let (name, id) = (self.name.clone(), self.id);
        self.promise.add_done_callback(move |promise| {
            callback(&EventFuture {
                promise: promise.clone(),
                name,
                id,
            })
        })
    }
    fn result(&self, timeout: Option<Duration>) -> Result<T, Error> {
        self.promise.result(timeout)
    }
}

impl<T> std::fmt::Debug for EventFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventFuture")
            .field("name", &self.name)
            .field("id", &self.id)
            .field("promise", &self.promise)
            .finish()
    }
}
