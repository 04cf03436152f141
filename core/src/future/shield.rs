//! `shield`: a future whose cancellation leaves the future it wraps alone.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::chain::core::ChainCore;
use crate::error::Error;
use crate::future::async_future::AsyncFuture;
use crate::future::state::{bind_callback, Dispatch, FutureState, Outcome, WaiterKey};
use crate::task::awaited::{AwaitedHook, CancelAwaited};
use crate::task::current;

/// Shields `future` from cancellation: cancelling the shield (or a
/// coroutine awaiting it) cancels only the shield; `future` keeps running.
/// `future` finishing or being cancelled finishes or cancels the shield.
///
/// ```
/// use taskchain_core::{shield, AsyncFuture, TaskManager};
///
/// let manager = TaskManager::new();
/// let save = manager.promise::<u32>();
/// let guard = shield(save.clone());
/// assert!(guard.cancel());
/// assert!(!save.is_cancelled());  // the shielded promise goes on
/// save.set_result(1).unwrap();
/// ```
pub fn shield<F>(future: F) -> Shield<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    Shield::with_home(future, current::current_chain())
}

/// The future [`shield`] returns.
///
/// ```
/// use taskchain_core::{shield, AsyncFuture, Error, TaskManager};
///
/// let manager = TaskManager::new();
/// let save = manager.spawn(async { "saved" });
/// // A coroutine that must not interrupt the save when it is cancelled.
/// let quit = manager.spawn(async move { shield(save).await });
/// assert_eq!(manager.run_until(&quit), Ok(Ok("saved")));
///
/// let slow = manager.promise::<u32>();
/// let guarded = shield(slow.clone());
/// assert!(guarded.cancel());
/// assert_eq!(guarded.try_take(), Some(Err(Error::Cancelled)));
/// assert!(!slow.is_done()); // untouched
/// ```
///
/// # Cancellation
///
/// Cancelling it moves only the shield to cancelled; the wrapped future is
/// untouched.
pub struct Shield<F> {
    inner: Arc<Inner<F>>,
    /// This handle's place among the shield's waiters, while it awaits.
    waiter: WaiterKey,
}

impl<F> Drop for Shield<F> {
    fn drop(&mut self) {
        let target = Arc::as_ptr(&self.inner).cast();
        self.inner.state.drop_awaiting(&mut self.waiter, target);
    }
}

struct Inner<F> {
    future: F,
    state: FutureState<()>,
    home: Option<Arc<ChainCore>>,
}

impl<F: AsyncFuture + Send + Sync + 'static> CancelAwaited for Inner<F> {
    /// Cancels the shield only: the wrapped future is left alone.
    fn cancel_awaited(&self) -> bool {
        self.state.complete(Outcome::Cancelled, self.home()).is_ok()
    }
}

struct InnerWaker<F>(Weak<Inner<F>>);

impl<F: AsyncFuture + Send + Sync + 'static> Wake for InnerWaker<F> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(inner) = self.0.upgrade() {
            inner.inner_done();
        }
    }
}

impl<F: AsyncFuture> Inner<F> {
    fn home(&self) -> Option<&dyn Dispatch> {
        self.home.as_deref().map(|c| c as &dyn Dispatch)
    }

    fn inner_done(&self) {
        let outcome = if self.future.is_cancelled() {
            Outcome::Cancelled
        } else {
            Outcome::Ready(())
        };
        let _ = self.state.complete(outcome, self.home());
    }
}

impl<F> Shield<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    pub(crate) fn with_home(future: F, home: Option<Arc<ChainCore>>) -> Self {
        let inner = Arc::new(Inner {
            future,
            state: FutureState::new(),
            home,
        });
        let waker = Waker::from(Arc::new(InnerWaker(Arc::downgrade(&inner))));
        if inner
            .future
            .poll_done(&mut Context::from_waker(&waker))
            .is_ready()
        {
            inner.inner_done();
        }
        Shield {
            inner,
            waiter: WaiterKey::new(),
        }
    }

    /// The shielded future.
    ///
    /// The shield waits on it through this handle: read it here, but a
    /// `poll_done` on it would take the shield's place (see
    /// [`AsyncFuture::poll_done`]); await a clone instead.
    pub fn get_ref(&self) -> &F {
        &self.inner.future
    }

    fn read(&self) -> Result<F::Value, Error> {
        if self.inner.state.is_cancelled() {
            return Err(Error::Cancelled);
        }
        self.inner.future.try_take().unwrap_or(Err(Error::Timeout))
    }
}

impl<F> Future for Shield<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    type Output = Result<F::Value, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.state.poll_awaited(
            &self.waiter,
            cx,
            || {
                self.cancel();
            },
            || AwaitedHook::Shared(self.inner.clone()),
            || self.read(),
        )
    }
}

impl<F> AsyncFuture for Shield<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    type Value = F::Value;

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
    fn try_take(&self) -> Option<Result<F::Value, Error>> {
        self.inner.state.is_done().then(|| self.read())
    }
    fn has_value(&self) -> bool {
        self.inner.state.has_value() && self.inner.future.has_value()
    }
    fn error(&self) -> Option<Error> {
        match self.inner.state.error() {
            Some(e) => Some(e),
            None if self.inner.state.is_done() => self.inner.future.error(),
            None => None,
        }
    }
    fn add_done_callback<C>(&self, callback: C) -> Result<(), Error>
    where
        C: FnOnce(&Self) + Send + 'static,
    {
        let bind = bind_callback(
            &self.inner,
            |inner| Shield {
                inner,
                waiter: WaiterKey::new(),
            },
            callback,
        );
        self.inner.state.add_callback(bind, self.inner.home())
    }
    fn result(&self, timeout: Option<Duration>) -> Result<F::Value, Error> {
        self.inner.state.wait_done(timeout)?;
        self.read()
    }
}

impl<F> std::fmt::Debug for Shield<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shield")
            .field("done", &self.inner.state.is_done())
            .finish()
    }
}
