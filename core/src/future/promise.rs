//! `Promise<T>`: a future completed by hand with `set_result`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::chain::core::ChainCore;
use crate::error::Error;
use crate::future::async_future::AsyncFuture;
use crate::future::state::{bind_callback, clone_out, Dispatch, FutureState, Outcome, WaiterKey};
use crate::task::awaited::{self, AwaitedHook, CancelAwaited};
use crate::task::current;

/// A settable future: one side calls [`set_result`](Promise::set_result),
/// any number of others await it or wait on it.
///
/// Clones are handles to the same promise. Every reader gets a clone of the
/// value, so `T: Clone` to read it.
///
/// ```
/// use taskchain_core::{AsyncFuture, TaskManager};
///
/// let manager = TaskManager::new();
/// let ready = manager.promise::<&'static str>();
/// let waiter = {
///     let ready = ready.clone();
///     manager.spawn(async move { ready.await.unwrap().len() })
/// };
/// manager.poll().unwrap();          // the coroutine suspends on the promise
/// ready.set_result("go").unwrap();
/// manager.poll().unwrap();          // and resumes
/// assert_eq!(waiter.result(None), Ok(2));
/// ```
///
/// # Cancellation
///
/// [`cancel`](AsyncFuture::cancel) moves a pending promise to cancelled;
/// its awaiters get [`Error::Cancelled`]. A coroutine cancelled while it
/// awaits a promise cancels that promise.
pub struct Promise<T> {
    inner: Arc<Inner<T>>,
    /// This handle's place among the promise's waiters, while it awaits.
    waiter: WaiterKey,
}

struct Inner<T> {
    state: FutureState<T>,
    home: Option<Arc<ChainCore>>,
}

impl<T> Clone for Promise<T> {
    fn clone(&self) -> Self {
        Promise {
            inner: self.inner.clone(),
            waiter: WaiterKey::new(),
        }
    }
}

impl<T: Send + 'static> Default for Promise<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> Promise<T> {
    /// A pending promise. Inside a task it belongs to that task's chain
    /// (where its done callbacks run); elsewhere it belongs to none (use
    /// `manager.promise()` or `chain.promise()` for that).
    pub fn new() -> Self {
        Self::with_home(current::current_chain())
    }

    pub(crate) fn with_home(home: Option<Arc<ChainCore>>) -> Self {
        Promise {
            inner: Arc::new(Inner {
                state: FutureState::new(),
                home,
            }),
            waiter: WaiterKey::new(),
        }
    }

    /// Finishes the promise with `value`, waking its awaiters and queueing
    /// its done callbacks.
    ///
    /// Returns [`Error::AlreadyDone`] if it was already finished or
    /// cancelled; `value` is dropped and the promise keeps its state.
    pub fn set_result(&self, value: T) -> Result<(), Error> {
        self.inner
            .state
            .complete(Outcome::Ready(value), self.home())
            .map_err(|(e, _)| e)
    }

    fn home(&self) -> Option<&dyn Dispatch> {
        self.inner.home.as_deref().map(|c| c as &dyn Dispatch)
    }
}

impl<T> Promise<T> {
    /// Whether `self` and `other` are handles to the same promise (clones
    /// of one another), as [`EventFuture::same_future`] tells for event
    /// futures.
    ///
    /// ```
    /// use taskchain_core::Promise;
    ///
    /// let a: Promise<u32> = Promise::new();
    /// assert!(a.same_promise(&a.clone()));
    /// assert!(!a.same_promise(&Promise::new()));
    /// ```
    ///
    /// [`EventFuture::same_future`]: crate::EventFuture::same_future
    pub fn same_promise(&self, other: &Promise<T>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl<T> Drop for Promise<T> {
    fn drop(&mut self) {
        let target = Arc::as_ptr(&self.inner).cast();
        self.inner.state.drop_awaiting(&mut self.waiter, target);
    }
}

impl<T: Clone + Send + 'static> Future for Promise<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(r) = self.inner.state.try_read(clone_out) {
            return Poll::Ready(awaited::read(r));
        }
        if current::take_cancel() {
            self.cancel();
            return Poll::Ready(Err(Error::Cancelled));
        }
        match self.inner.state.poll_read(&self.waiter, cx, clone_out) {
            Poll::Ready(r) => Poll::Ready(awaited::read(r)),
            Poll::Pending => {
                awaited::publish(cx.waker(), || AwaitedHook::Shared(self.inner.clone()));
                Poll::Pending
            }
        }
    }
}

impl<T: Clone + Send + 'static> AsyncFuture for Promise<T> {
    type Value = T;

    fn is_done(&self) -> bool {
        self.inner.state.is_done()
    }
    fn is_cancelled(&self) -> bool {
        self.inner.state.is_cancelled()
    }
    fn cancel(&self) -> bool {
        self.inner.cancel_awaited()
    }
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.inner.state.poll_done(&self.waiter, cx)
    }
    fn try_take(&self) -> Option<Result<T, Error>> {
        self.inner.state.try_read(clone_out)
    }
    fn has_value(&self) -> bool {
        self.inner.state.has_value()
    }
    fn error(&self) -> Option<Error> {
        self.inner.state.error()
    }
    fn add_done_callback<F>(&self, callback: F) -> Result<(), Error>
    where
        F: FnOnce(&Self) + Send + 'static,
    {
        let bind = bind_callback(
            &self.inner,
            |inner| Promise {
                inner,
                waiter: WaiterKey::new(),
            },
            callback,
        );
        self.inner.state.add_callback(bind, self.home())
    }
    fn result(&self, timeout: Option<Duration>) -> Result<T, Error> {
        self.inner.state.wait(timeout, clone_out)
    }
}

impl<T: Send + 'static> CancelAwaited for Inner<T> {
    fn cancel_awaited(&self) -> bool {
        let home = self.home.as_deref().map(|c| c as &dyn Dispatch);
        self.state.complete(Outcome::Cancelled, home).is_ok()
    }
}

impl<T> std::fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Promise")
            .field("done", &self.inner.state.is_done())
            .finish()
    }
}
