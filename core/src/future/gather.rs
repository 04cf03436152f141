//! `gather`: one future over many, done when all of them are.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::chain::core::ChainCore;
use crate::error::Error;
use crate::future::async_future::AsyncFuture;
use crate::future::state::{bind_callback, Dispatch, FutureState, Outcome, WaiterKey};
use crate::sync::{AtomicBool, AtomicUsize};
use crate::task::awaited::{AwaitedHook, CancelAwaited};
use crate::task::current;

/// Gathers `futures` into one [`AsyncFuture`] whose value is their values
/// in argument order.
///
/// - An empty gather is done at once (with an empty vector).
/// - It is done when every child is done (finished or cancelled).
/// - Reading it yields the first child error (or cancellation) in argument
///   order, taking no child's value, else every value.
/// - A cancelled child does not cancel the gather; cancelling the gather
///   cancels every child.
///
/// Inside a task the gather belongs to that task's chain (where its done
/// callbacks run).
///
/// ```
/// use taskchain_core::{gather, TaskManager};
///
/// let manager = TaskManager::new();
/// let cubes = [3u64, 4, 5].map(|x| manager.spawn(async move { x * x * x }));
/// let all = manager.spawn(async move { gather(cubes).await });
/// assert_eq!(manager.run_until(&all).unwrap(), Ok(vec![27, 64, 125]));
/// ```
pub fn gather<F>(futures: impl IntoIterator<Item = F>) -> Gather<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    Gather::with_home(futures, current::current_chain())
}

/// The future [`gather`] returns.
///
/// # Cancellation
///
/// Cancelling the gather (directly, or by cancelling a coroutine awaiting
/// it) cancels every child that is still pending.
pub struct Gather<F> {
    inner: Arc<Inner<F>>,
    /// This handle's place among the gather's waiters, while it awaits.
    waiter: WaiterKey,
}

impl<F> Drop for Gather<F> {
    fn drop(&mut self) {
        self.inner.state.remove_waiter(&mut self.waiter);
    }
}

struct Inner<F> {
    children: Vec<F>,
    counted: Vec<AtomicBool>,
    remaining: AtomicUsize,
    state: FutureState<()>,
    home: Option<Arc<ChainCore>>,
}

/// Wakes the gather when child `index` is done. Weak, so a dropped gather
/// does not stay alive in its children's waiter lists.
struct ChildWaker<F> {
    gather: Weak<Inner<F>>,
    index: usize,
}

impl<F: Send + Sync + 'static> Wake for ChildWaker<F> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(gather) = self.gather.upgrade() {
            gather.child_done(self.index);
        }
    }
}

impl<F> Inner<F> {
    fn home(&self) -> Option<&dyn Dispatch> {
        self.home.as_deref().map(|c| c as &dyn Dispatch)
    }

    fn child_done(&self, index: usize) {
        if !self.counted[index].swap(true, Ordering::AcqRel)
            && self.remaining.fetch_sub(1, Ordering::AcqRel) == 1
        {
            let _ = self.state.complete(Outcome::Ready(()), self.home());
        }
    }
}

impl<F: AsyncFuture + Send + Sync + 'static> CancelAwaited for Inner<F> {
    /// Cancels the gather and every child still pending.
    fn cancel_awaited(&self) -> bool {
        let moved = self.state.complete(Outcome::Cancelled, self.home()).is_ok();
        if moved {
            for child in &self.children {
                child.cancel();
            }
        }
        moved
    }
}

impl<F> Gather<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    pub(crate) fn with_home(
        futures: impl IntoIterator<Item = F>,
        home: Option<Arc<ChainCore>>,
    ) -> Self {
        let children: Vec<F> = futures.into_iter().collect();
        let n = children.len();
        let inner = Arc::new(Inner {
            counted: (0..n).map(|_| AtomicBool::new(false)).collect(),
            remaining: AtomicUsize::new(n),
            children,
            state: FutureState::new(),
            home,
        });
        if n == 0 {
            let _ = inner.state.complete(Outcome::Ready(()), inner.home());
        }
        for index in 0..n {
            let waker = Waker::from(Arc::new(ChildWaker {
                gather: Arc::downgrade(&inner),
                index,
            }));
            if inner.children[index]
                .poll_done(&mut Context::from_waker(&waker))
                .is_ready()
            {
                inner.child_done(index);
            }
        }
        Gather {
            inner,
            waiter: WaiterKey::new(),
        }
    }

    /// The gathered futures, in argument order.
    ///
    /// The gather waits on each child through the child's own handle: read
    /// them here, but a `poll_done` on one would take its place (see
    /// [`AsyncFuture::poll_done`]); await a clone instead.
    pub fn children(&self) -> &[F] {
        &self.inner.children
    }

    /// The gather's own cancellation, else its first failed child.
    fn first_error(&self) -> Option<Error> {
        if self.inner.state.is_cancelled() {
            return Some(Error::Cancelled);
        }
        self.inner.children.iter().find_map(AsyncFuture::error)
    }

    fn read(&self) -> Result<Vec<F::Value>, Error> {
        // Every child checked first: on failure no child's value is taken,
        // so the values stay readable from `children()`.
        if let Some(e) = self.first_error() {
            return Err(e);
        }
        if !self.inner.children.iter().all(AsyncFuture::has_value) {
            return Err(Error::AlreadyTaken);
        }
        self.inner
            .children
            .iter()
            .map(|c| c.try_take().unwrap_or(Err(Error::Timeout)))
            .collect()
    }
}

impl<F> Future for Gather<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    type Output = Result<Vec<F::Value>, Error>;

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

impl<F> AsyncFuture for Gather<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    type Value = Vec<F::Value>;

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
    fn try_take(&self) -> Option<Result<Self::Value, Error>> {
        self.inner.state.is_done().then(|| self.read())
    }
    fn has_value(&self) -> bool {
        self.inner.state.has_value() && self.inner.children.iter().all(AsyncFuture::has_value)
    }
    fn error(&self) -> Option<Error> {
        if self.inner.state.is_done() {
            self.first_error()
        } else {
            None
        }
    }
    fn add_done_callback<C>(&self, callback: C) -> Result<(), Error>
    where
        C: FnOnce(&Self) + Send + 'static,
    {
        let bind = bind_callback(
            &self.inner,
            |inner| Gather {
                inner,
                waiter: WaiterKey::new(),
            },
            callback,
        );
        self.inner.state.add_callback(bind, self.inner.home())
    }
    fn result(&self, timeout: Option<Duration>) -> Result<Self::Value, Error> {
        self.inner.state.wait_done(timeout)?;
        self.read()
    }
}

impl<F> std::fmt::Debug for Gather<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gather")
            .field("children", &self.inner.children.len())
            .field("remaining", &self.inner.remaining.load(Ordering::Relaxed))
            .finish()
    }
}
