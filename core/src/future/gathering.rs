//! The machinery every gather shares, whatever holds its children (a
//! vector of one future type, or a tuple of several): it counts the
//! children down as they finish, is done when all are, reads the first
//! failed child or every value, and cancels every child when cancelled.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::chain::core::ChainCore;
use crate::error::Error;
use crate::future::state::{Dispatch, FutureState, Outcome, WaiterKey};
use crate::sync::{AtomicBool, AtomicUsize};
use crate::task::awaited::{AwaitedHook, CancelAwaited};

/// The children of a gather, seen one by one by index and as a whole.
///
/// Public in a private module: [`GatherTupleChildren`](crate::GatherTupleChildren)
/// names it as its supertrait, which also seals that trait.
pub trait Children: Send + Sync + 'static {
    /// What reading the gather yields: every child's value.
    type Values;

    /// How many children there are.
    fn count(&self) -> usize;

    /// [`AsyncFuture::poll_done`](crate::AsyncFuture::poll_done) on child
    /// `index`.
    fn poll_child_done(&self, index: usize, cx: &mut Context<'_>) -> Poll<()>;

    /// The error of the first child, in argument order, that ended
    /// without a value.
    fn first_error(&self) -> Option<Error>;

    /// Whether every child holds a value a read can take.
    fn all_have_values(&self) -> bool;

    /// Takes every child's value.
    fn take_values(&self) -> Result<Self::Values, Error>;

    /// Cancels every child still pending.
    fn cancel_all(&self);
}

/// A handle to a gather over `C`: the state every handle of it shares, and
/// this handle's place among its waiters.
pub(crate) struct Gathering<C> {
    pub(crate) inner: Arc<Inner<C>>,
    /// This handle's place among the gather's waiters, while it awaits.
    waiter: WaiterKey,
}

impl<C> Drop for Gathering<C> {
    fn drop(&mut self) {
        let target = Arc::as_ptr(&self.inner).cast();
        self.inner.state.drop_awaiting(&mut self.waiter, target);
    }
}

/// `Future` and `AsyncFuture` for a handle type `$ty` whose only field is
/// `gathering: Gathering<_>`: every method forwards to it.
macro_rules! gathering_future {
    (impl<$g:ident> $ty:ident<$g2:ident>, where $($bound:tt)*) => {
        gathering_future!(@split [$g] [$ty] [] $($bound)*);
    };
    (@split [$g:ident] [$ty:ident] [$($bound:tt)*] value $value:ty) => {
        impl<$g> std::future::Future for $ty<$g>
        where
            $($bound)*
        {
            type Output = Result<$value, crate::error::Error>;

            fn poll(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Self::Output> {
                std::pin::Pin::new(&mut self.gathering).poll(cx)
            }
        }

        impl<$g> crate::future::async_future::AsyncFuture for $ty<$g>
        where
            $($bound)*
        {
            type Value = $value;

            fn is_done(&self) -> bool {
                self.gathering.is_done()
            }
            fn is_cancelled(&self) -> bool {
                self.gathering.is_cancelled()
            }
            fn cancel(&self) -> bool {
                self.gathering.cancel()
            }
            fn poll_done(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
                self.gathering.poll_done(cx)
            }
            fn try_take(&self) -> Option<Result<Self::Value, crate::error::Error>> {
                self.gathering.try_take()
            }
            fn has_value(&self) -> bool {
                self.gathering.has_value()
            }
            fn error(&self) -> Option<crate::error::Error> {
                self.gathering.error()
            }
            fn add_done_callback<C>(&self, callback: C) -> Result<(), crate::error::Error>
            where
                C: FnOnce(&Self) + Send + 'static,
            {
                let bind = crate::future::state::bind_callback(
                    &self.gathering.inner,
                    |inner| $ty {
                        gathering: crate::future::gathering::Gathering::view(inner),
                    },
                    callback,
                );
                self.gathering.add_callback(bind)
            }
            fn result(
                &self,
                timeout: Option<std::time::Duration>,
            ) -> Result<Self::Value, crate::error::Error> {
                self.gathering.result(timeout)
            }
        }
    };
    (@split [$g:ident] [$ty:ident] [$($bound:tt)*] $next:tt $($rest:tt)*) => {
        gathering_future!(@split [$g] [$ty] [$($bound)* $next] $($rest)*);
    };
}
pub(crate) use gathering_future;

pub(crate) struct Inner<C> {
    pub(crate) children: C,
    counted: Box<[AtomicBool]>,
    remaining: AtomicUsize,
    /// A cancel took the gather: the last child's end (its own, or the
    /// cancel's) no longer finishes it with values.
    cancelling: AtomicBool,
    state: FutureState<()>,
    home: Option<Arc<ChainCore>>,
}

/// Wakes the gather when child `index` is done. Weak, so a dropped gather
/// does not stay alive in its children's waiter lists.
struct ChildWaker<C> {
    gather: Weak<Inner<C>>,
    index: usize,
}

impl<C: Send + Sync + 'static> Wake for ChildWaker<C> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(gather) = self.gather.upgrade() {
            gather.child_done(self.index);
        }
    }
}

impl<C> Inner<C> {
    pub(crate) fn home(&self) -> Option<&dyn Dispatch> {
        self.home.as_deref().map(|c| c as &dyn Dispatch)
    }

    fn child_done(&self, index: usize) {
        if !self.counted[index].swap(true, Ordering::AcqRel)
            && self.remaining.fetch_sub(1, Ordering::AcqRel) == 1
            && !self.cancelling.load(Ordering::Acquire)
        {
            let _ = self.state.complete(Outcome::Ready(()), self.home());
        }
    }
}

impl<C: Children> CancelAwaited for Inner<C> {
    /// Cancels every child still pending, then the gather: whoever the
    /// gather's cancellation wakes (on any thread) finds its children done.
    fn cancel_awaited(&self) -> bool {
        if self.state.is_done() || self.cancelling.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.children.cancel_all();
        self.state.complete(Outcome::Cancelled, self.home()).is_ok()
    }
}

impl<C> Gathering<C> {
    /// How many children are not done yet (for `Debug`).
    pub(crate) fn remaining(&self) -> usize {
        self.inner.remaining.load(Ordering::Relaxed)
    }
}

impl<C: Children> Gathering<C> {
    /// A gather over `children`, whose done callbacks run on `home`.
    pub(crate) fn new(children: C, home: Option<Arc<ChainCore>>) -> Self {
        let n = children.count();
        let inner = Arc::new(Inner {
            counted: (0..n).map(|_| AtomicBool::new(false)).collect(),
            remaining: AtomicUsize::new(n),
            cancelling: AtomicBool::new(false),
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
            if inner
                .children
                .poll_child_done(index, &mut Context::from_waker(&waker))
                .is_ready()
            {
                inner.child_done(index);
            }
        }
        Self::view(inner)
    }

    /// Another handle to the gather `inner`, with no waker of its own yet
    /// (what a done callback gets).
    pub(crate) fn view(inner: Arc<Inner<C>>) -> Self {
        Gathering {
            inner,
            waiter: WaiterKey::new(),
        }
    }

    /// The gather's own cancellation, else its first failed child.
    fn first_error(&self) -> Option<Error> {
        if self.inner.state.is_cancelled() {
            return Some(Error::Cancelled);
        }
        self.inner.children.first_error()
    }

    fn read(&self) -> Result<C::Values, Error> {
        // Every child checked first: on failure no child's value is taken,
        // so the values stay readable from the children.
        if let Some(e) = self.first_error() {
            return Err(e);
        }
        if !self.inner.children.all_have_values() {
            return Err(Error::AlreadyTaken);
        }
        self.inner.children.take_values()
    }

    pub(crate) fn is_done(&self) -> bool {
        self.inner.state.is_done()
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.inner.state.is_cancelled()
    }

    pub(crate) fn cancel(&self) -> bool {
        self.inner.cancel_awaited()
    }

    pub(crate) fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.inner.state.poll_done(&self.waiter, cx)
    }

    pub(crate) fn try_take(&self) -> Option<Result<C::Values, Error>> {
        self.inner.state.is_done().then(|| self.read())
    }

    pub(crate) fn has_value(&self) -> bool {
        self.inner.state.has_value() && self.inner.children.all_have_values()
    }

    pub(crate) fn error(&self) -> Option<Error> {
        if self.inner.state.is_done() {
            self.first_error()
        } else {
            None
        }
    }

    pub(crate) fn add_callback(&self, bind: crate::future::state::Bind) -> Result<(), Error> {
        self.inner.state.add_callback(bind, self.inner.home())
    }

    pub(crate) fn result(&self, timeout: Option<Duration>) -> Result<C::Values, Error> {
        self.inner.state.wait_done(timeout)?;
        self.read()
    }
}

impl<C: Children> Future for Gathering<C> {
    type Output = Result<C::Values, Error>;

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
