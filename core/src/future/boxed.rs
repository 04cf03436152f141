//! `BoxedAsyncFuture<T>`: any `AsyncFuture` of value `T` behind one type,
//! so futures of different kinds go in one gather or one collection.

use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::Error;
use crate::event::future::EventFuture;
use crate::future::async_future::AsyncFuture;
use crate::future::gather::Gather;
use crate::future::gather_tuple::{GatherTuple, GatherTupleChildren};
use crate::future::gathering::Children;
use crate::future::promise::Promise;
use crate::future::shield::Shield;
use crate::task::handle::TaskHandle;

/// A type-erased [`AsyncFuture`] whose value is `T`: a [`Promise<T>`], a
/// [`TaskHandle<T>`], a gather, a shield, an [`EventFuture<T>`] or any
/// other `AsyncFuture` with that value, behind one type.
///
/// Make one with [`AsyncFuture::into_boxed`] or `into()`. Every method
/// forwards to the future inside, which keeps its own behaviour: a boxed
/// task handle moves its output out once, a boxed promise clones it, and
/// awaiting either delivers a cancel request of the awaiting task as the
/// handle itself does.
///
/// ```
/// use taskchain_core::{gather, AsyncFuture, BoxedAsyncFuture, TaskManager};
///
/// let manager = TaskManager::new();
/// let promise = manager.promise::<u32>();
/// let task = manager.spawn(async { 2 });
/// let all = gather(vec![task.into_boxed(), promise.clone().into()]);
/// promise.set_result(1).unwrap();
/// manager.poll().unwrap();
/// assert_eq!(all.result(None), Ok(vec![2, 1]));
///
/// let any: BoxedAsyncFuture<u32> = manager.spawn(async { 3 }).into_boxed();
/// manager.poll().unwrap();
/// assert_eq!(any.try_take(), Some(Ok(3)));
/// ```
///
/// # Cancellation
///
/// [`cancel`](AsyncFuture::cancel) cancels the future inside, as
/// cancelling it directly would; so does a cancel request of a coroutine
/// awaiting the boxed future.
///
/// # Panics
///
/// Only where the future inside does (no taskchain future does).
pub struct BoxedAsyncFuture<T> {
    inner: Held<T>,
}

/// The future a [`BoxedAsyncFuture`] stands for.
enum Held<T> {
    /// Owned: the usual case.
    Owned(Box<dyn Erased<T>>),
    /// Lent for the length of a done callback: the future the callback
    /// was registered on gives its callback a reference to itself, and the
    /// callback of the boxed future must be given a boxed future.
    Lent(NonNull<dyn Erased<T>>),
}

// SAFETY: the two forms hold the same thing, a `dyn Erased<T>`, which is
// `Send + Sync` (a supertrait): owned in a box, or borrowed for the length
// of a done callback (see `Held::Lent`), during which it outlives every
// use of the lent `BoxedAsyncFuture`.
unsafe impl<T> Send for BoxedAsyncFuture<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for BoxedAsyncFuture<T> {}

// Nothing is pinned in place: every `AsyncFuture` is `Unpin`.
impl<T> Unpin for BoxedAsyncFuture<T> {}

/// The object-safe face of an [`AsyncFuture`] with value `T`.
trait Erased<T>: Send + Sync + 'static {
    fn poll_awaited(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, Error>>;
    fn is_done(&self) -> bool;
    fn is_cancelled(&self) -> bool;
    fn cancel(&self) -> bool;
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()>;
    fn try_take(&self) -> Option<Result<T, Error>>;
    fn has_value(&self) -> bool;
    fn error(&self) -> Option<Error>;
    fn add_done_callback(&self, callback: LentCallback<T>) -> Result<(), Error>;
    fn result(&self, timeout: Option<Duration>) -> Result<T, Error>;
    fn wait(&self) -> Result<T, Error>;
}

/// A done callback of a boxed future, as the future inside takes it.
type LentCallback<T> = Box<dyn FnOnce(&dyn Erased<T>) + Send>;

impl<F> Erased<F::Value> for F
where
    F: AsyncFuture + Send + Sync + 'static,
{
    fn poll_awaited(&mut self, cx: &mut Context<'_>) -> Poll<Result<F::Value, Error>> {
        Pin::new(self).poll(cx)
    }
    fn is_done(&self) -> bool {
        AsyncFuture::is_done(self)
    }
    fn is_cancelled(&self) -> bool {
        AsyncFuture::is_cancelled(self)
    }
    fn cancel(&self) -> bool {
        AsyncFuture::cancel(self)
    }
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        AsyncFuture::poll_done(self, cx)
    }
    fn try_take(&self) -> Option<Result<F::Value, Error>> {
        AsyncFuture::try_take(self)
    }
    fn has_value(&self) -> bool {
        AsyncFuture::has_value(self)
    }
    fn error(&self) -> Option<Error> {
        AsyncFuture::error(self)
    }
    fn add_done_callback(&self, callback: LentCallback<F::Value>) -> Result<(), Error> {
        AsyncFuture::add_done_callback(self, move |future: &F| callback(future))
    }
    fn result(&self, timeout: Option<Duration>) -> Result<F::Value, Error> {
        AsyncFuture::result(self, timeout)
    }
    fn wait(&self) -> Result<F::Value, Error> {
        AsyncFuture::wait(self)
    }
}

impl<T> BoxedAsyncFuture<T> {
    /// Boxes `future`. [`AsyncFuture::into_boxed`] says the same, and
    /// leaves an already boxed future as it is.
    pub fn new<F>(future: F) -> Self
    where
        F: AsyncFuture<Value = T> + Send + Sync + 'static,
    {
        BoxedAsyncFuture {
            inner: Held::Owned(Box::new(future)),
        }
    }

    fn get(&self) -> &dyn Erased<T> {
        match &self.inner {
            Held::Owned(future) => &**future,
            // SAFETY: a lent future outlives the `BoxedAsyncFuture` made
            // for it (`with_lent`).
            Held::Lent(future) => unsafe { future.as_ref() },
        }
    }

    /// Calls `f` with a boxed future standing for `future`, which it
    /// borrows for the call.
    fn with_lent<R>(future: &dyn Erased<T>, f: impl FnOnce(&Self) -> R) -> R {
        // Sound (see `get`): `lent` lives in this frame and `f` only gets
        // a shared reference to it, which cannot outlive the call nor give
        // `lent` away (it is neither `Clone` nor `Copy`, and `into_boxed`
        // takes it by value), while `future` outlives the call.
        let lent = BoxedAsyncFuture {
            inner: Held::Lent(NonNull::from(future)),
        };
        f(&lent)
    }
}

impl<T: 'static> Future for BoxedAsyncFuture<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.inner {
            Held::Owned(future) => future.poll_awaited(cx),
            // Unreachable: a lent one is only ever seen through `&`.
            Held::Lent(_) => Poll::Ready(Err(Error::AlreadyTaken)),
        }
    }
}

impl<T: 'static> AsyncFuture for BoxedAsyncFuture<T> {
    type Value = T;

    fn is_done(&self) -> bool {
        self.get().is_done()
    }
    fn is_cancelled(&self) -> bool {
        self.get().is_cancelled()
    }
    fn cancel(&self) -> bool {
        self.get().cancel()
    }
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.get().poll_done(cx)
    }
    fn try_take(&self) -> Option<Result<T, Error>> {
        self.get().try_take()
    }
    fn has_value(&self) -> bool {
        self.get().has_value()
    }
    fn error(&self) -> Option<Error> {
        self.get().error()
    }
    /// Registers `callback` on the future inside: it runs when that future
    /// is done, even if this boxed handle was dropped meanwhile (as a
    /// promise's callback runs whichever of its handles is dropped), and
    /// gets a boxed handle lent to it for the call.
    fn add_done_callback<F>(&self, callback: F) -> Result<(), Error>
    where
        F: FnOnce(&Self) + Send + 'static,
    {
        self.get()
            .add_done_callback(Box::new(move |future: &dyn Erased<T>| {
                Self::with_lent(future, callback)
            }))
    }
    fn result(&self, timeout: Option<Duration>) -> Result<T, Error> {
        self.get().result(timeout)
    }
    fn wait(&self) -> Result<T, Error> {
        self.get().wait()
    }
    fn into_boxed(self) -> BoxedAsyncFuture<T> {
        self
    }
}

impl<T> std::fmt::Debug for BoxedAsyncFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoxedAsyncFuture").finish_non_exhaustive()
    }
}

impl<T: Clone + Send + 'static> From<Promise<T>> for BoxedAsyncFuture<T> {
    fn from(future: Promise<T>) -> Self {
        Self::new(future)
    }
}

impl<T: Send + 'static> From<TaskHandle<T>> for BoxedAsyncFuture<T> {
    fn from(future: TaskHandle<T>) -> Self {
        Self::new(future)
    }
}

impl<T: Clone + Send + 'static> From<EventFuture<T>> for BoxedAsyncFuture<T> {
    fn from(future: EventFuture<T>) -> Self {
        Self::new(future)
    }
}

impl<F> From<Gather<F>> for BoxedAsyncFuture<Vec<F::Value>>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    fn from(future: Gather<F>) -> Self {
        Self::new(future)
    }
}

impl<C: GatherTupleChildren> From<GatherTuple<C>> for BoxedAsyncFuture<<C as Children>::Values> {
    fn from(future: GatherTuple<C>) -> Self {
        Self::new(future)
    }
}

impl<F> From<Shield<F>> for BoxedAsyncFuture<F::Value>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    fn from(future: Shield<F>) -> Self {
        Self::new(future)
    }
}
