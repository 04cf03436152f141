//! `gather_tuple`: one future over a tuple of futures of different value
//! types, done when all of them are.

use std::sync::Arc;
use std::task::{Context, Poll};

use crate::chain::core::ChainCore;
use crate::error::Error;
use crate::future::async_future::AsyncFuture;
use crate::future::gathering::{gathering_future, Children, Gathering};
use crate::task::current;

/// Gathers a tuple of 2 to 8 futures, whose value types may differ, into
/// one [`AsyncFuture`] whose value is the tuple of their values:
/// asyncio's `gather(a, b, c)`.
///
/// It behaves as [`gather`](crate::gather) does:
///
/// - It is done when every child is done (finished or cancelled).
/// - Reading it yields the first child error (or cancellation) in argument
///   order, taking no child's value, else every value.
/// - A read that finds a child's value already taken returns
///   [`Error::AlreadyTaken`] and takes no other value; only a child's value
///   taken by another thread during that very read leaves the values taken
///   before it dropped.
/// - A cancelled child does not cancel it; cancelling it cancels every
///   child.
///
/// Inside a task it belongs to that task's chain (where its done callbacks
/// run); elsewhere to none, as with [`gather`](crate::gather).
///
/// It is a function of its own rather than another form of `gather`
/// because `gather` takes any `IntoIterator`, and the standard library
/// could one day make tuples iterable: one function cannot take both.
///
/// ```
/// use taskchain_core::{gather_tuple, AsyncFuture, TaskManager};
///
/// let manager = TaskManager::new();
/// let name = manager.promise::<&'static str>();
/// let score = manager.spawn(async { 40 + 2 });
/// let both = {
///     let name = name.clone();
///     manager.spawn(async move { gather_tuple((name, score)).await })
/// };
/// manager.poll().unwrap();
/// name.set_result("ada").unwrap();
/// assert_eq!(manager.run_until(&both), Ok(Ok(("ada", 42))));
/// ```
///
/// # Cancellation
///
/// Cancelling the gather (directly, or by cancelling a coroutine awaiting
/// it) cancels every child that is still pending.
///
/// # Panics
///
/// Never. A child that panicked (a task) makes the read yield its
/// [`Error::Panicked`].
pub fn gather_tuple<T: GatherTupleChildren>(futures: T) -> GatherTuple<T> {
    GatherTuple::with_home(futures, current::current_chain())
}

/// A tuple of 2 to 8 [`AsyncFuture`]s that [`gather_tuple`] takes: every
/// element `Send + Sync + 'static`, as for [`gather`](crate::gather). Its
/// `Values` are the tuple of the elements' values, in the same order.
///
/// Sealed: it is implemented for those tuples only.
pub trait GatherTupleChildren: Children {}

/// The future [`gather_tuple`] returns; its value is the tuple of the
/// children's values.
///
/// ```
/// use taskchain_core::{gather_tuple, AsyncFuture, Error, TaskManager};
///
/// let manager = TaskManager::new();
/// let (a, b) = (manager.promise::<u32>(), manager.promise::<String>());
/// let both = gather_tuple((a.clone(), b.clone()));
/// a.set_result(1).unwrap();
/// assert!(!both.is_done());
/// assert!(b.cancel());
/// assert_eq!(both.try_take(), Some(Err(Error::Cancelled)));
/// assert_eq!(both.children().0.try_take(), Some(Ok(1)));
/// ```
///
/// # Cancellation
///
/// Cancelling it (directly, or by cancelling a coroutine awaiting it)
/// cancels every child that is still pending.
///
/// # Panics
///
/// Never; a child that panicked makes the read yield its
/// [`Error::Panicked`].
pub struct GatherTuple<T> {
    gathering: Gathering<T>,
}

impl<T: GatherTupleChildren> GatherTuple<T> {
    pub(crate) fn with_home(futures: T, home: Option<Arc<ChainCore>>) -> Self {
        GatherTuple {
            gathering: Gathering::new(futures, home),
        }
    }

    /// The gathered futures, as given.
    ///
    /// The gather waits on each child through the child's own handle: read
    /// them here, but a `poll_done` on one would take its place (see
    /// [`AsyncFuture::poll_done`]); await a clone instead.
    pub fn children(&self) -> &T {
        &self.gathering.inner.children
    }
}

/// Implements `Children` for the tuple of futures named `$f` at indices
/// `$i`.
macro_rules! tuple_children {
    ($($f:ident $i:tt),+) => {
        impl<$($f),+> Children for ($($f,)+)
        where
            $($f: AsyncFuture + Send + Sync + 'static,)+
        {
            type Values = ($($f::Value,)+);

            fn count(&self) -> usize {
                [$($i),+].len()
            }
            fn poll_child_done(&self, index: usize, cx: &mut Context<'_>) -> Poll<()> {
                match index {
                    $($i => self.$i.poll_done(cx),)+
                    _ => Poll::Ready(()),
                }
            }
            fn first_error(&self) -> Option<Error> {
                None $(.or_else(|| self.$i.error()))+
            }
            fn all_have_values(&self) -> bool {
                true $(&& self.$i.has_value())+
            }
            fn take_values(&self) -> Result<Self::Values, Error> {
                Ok(($(self.$i.try_take().unwrap_or(Err(Error::Timeout))?,)+))
            }
            fn cancel_all(&self) {
                $(self.$i.cancel();)+
            }
        }

        impl<$($f),+> GatherTupleChildren for ($($f,)+)
        where
            $($f: AsyncFuture + Send + Sync + 'static,)+
        {
        }
    };
}

tuple_children!(A 0, B 1);
tuple_children!(A 0, B 1, C 2);
tuple_children!(A 0, B 1, C 2, D 3);
tuple_children!(A 0, B 1, C 2, D 3, E 4);
tuple_children!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_children!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_children!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

gathering_future!(
    impl<T> GatherTuple<T>,
    where T: GatherTupleChildren,
    value T::Values
);

impl<T> std::fmt::Debug for GatherTuple<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatherTuple")
            .field("remaining", &self.gathering.remaining())
            .finish()
    }
}
