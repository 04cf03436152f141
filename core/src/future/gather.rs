//! `gather`: one future over many, done when all of them are.

use std::sync::Arc;
use std::task::{Context, Poll};

use crate::chain::core::ChainCore;
use crate::error::Error;
use crate::future::async_future::AsyncFuture;
use crate::future::gathering::{gathering_future, Children, Gathering};
use crate::task::current;

/// Gathers `futures` into one [`AsyncFuture`] whose value is their values
/// in argument order.
///
/// - An empty gather is done at once (with an empty vector).
/// - It is done when every child is done (finished or cancelled).
/// - Reading it yields the first child error (or cancellation) in argument
///   order, taking no child's value, else every value.
/// - A read that finds a child's value already taken returns
///   [`Error::AlreadyTaken`] and takes no other value; only a child's value
///   taken by another thread during that very read leaves the values taken
///   before it dropped.
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
/// ```
/// use taskchain_core::{gather, AsyncFuture, Error, TaskManager};
///
/// let manager = TaskManager::new();
/// let (a, b) = (manager.promise::<u32>(), manager.promise::<u32>());
/// let both = gather([a.clone(), b.clone()]);
/// a.set_result(1).unwrap();
/// assert!(!both.is_done()); // waits for every child
/// b.set_result(2).unwrap();
/// assert_eq!(both.try_take(), Some(Ok(vec![1, 2])));
///
/// // Cancelling it cancels the children still pending.
/// let c = manager.promise::<u32>();
/// let pending = gather([c.clone()]);
/// assert!(pending.cancel());
/// assert_eq!(c.try_take(), Some(Err(Error::Cancelled)));
/// ```
///
/// # Cancellation
///
/// Cancelling the gather (directly, or by cancelling a coroutine awaiting
/// it) cancels every child that is still pending.
pub struct Gather<F> {
    gathering: Gathering<Vec<F>>,
}

impl<F> Children for Vec<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    type Values = Vec<F::Value>;

    fn count(&self) -> usize {
        self.len()
    }
    fn poll_child_done(&self, index: usize, cx: &mut Context<'_>) -> Poll<()> {
        self[index].poll_done(cx)
    }
    fn first_error(&self) -> Option<Error> {
        self.iter().find_map(AsyncFuture::error)
    }
    fn all_have_values(&self) -> bool {
        self.iter().all(AsyncFuture::has_value)
    }
    fn take_values(&self) -> Result<Self::Values, Error> {
        self.iter()
            .map(|c| c.try_take().unwrap_or(Err(Error::Timeout)))
            .collect()
    }
    fn cancel_all(&self) {
        for child in self {
            child.cancel();
        }
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
        Gather {
            gathering: Gathering::new(futures.into_iter().collect(), home),
        }
    }

    /// The gathered futures, in argument order.
    ///
    /// The gather waits on each child through the child's own handle: read
    /// them here, but a `poll_done` on one would take its place (see
    /// [`AsyncFuture::poll_done`]); await a clone instead.
    pub fn children(&self) -> &[F] {
        &self.gathering.inner.children
    }
}

gathering_future!(
    impl<F> Gather<F>,
    where F: AsyncFuture + Send + Sync + 'static,
    value Vec<F::Value>
);

impl<F> std::fmt::Debug for Gather<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gather")
            .field("children", &self.gathering.inner.children.len())
            .field("remaining", &self.gathering.remaining())
            .finish()
    }
}
