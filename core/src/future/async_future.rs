//! The `AsyncFuture` trait: a completion handle any thread can observe.

use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::Error;
use crate::future::boxed::BoxedAsyncFuture;
use crate::future::pending_call::PendingCall;

/// A completion handle that any thread can observe, and a `Future` that a
/// coroutine can await.
///
/// Implemented by [`Promise`](crate::Promise), every
/// [`TaskHandle`](crate::TaskHandle), [`Gather`](crate::Gather) and
/// [`Shield`](crate::Shield). Awaiting one yields `Result<Self::Value,
/// Error>`, as does [`result`](AsyncFuture::result).
///
/// A future is pending, then reaches exactly one terminal state — finished
/// with a value, cancelled, or (a task) panicked — which never changes.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{AsyncFuture, Error, TaskManager};
///
/// let manager = TaskManager::new();
/// let promise = manager.promise::<u32>();
/// assert_eq!(promise.result(Some(Duration::ZERO)), Err(Error::Timeout));
/// promise.set_result(7).unwrap();
/// assert_eq!(promise.result(None), Ok(7));
/// assert_eq!(promise.set_result(8), Err(Error::AlreadyDone));
/// ```
///
/// Its output is bound, so generic code awaits any of them:
///
/// ```
/// use taskchain_core::{AsyncFuture, TaskManager};
///
/// async fn value_or<F: AsyncFuture>(future: F, default: F::Value) -> F::Value {
///     future.await.unwrap_or(default)
/// }
///
/// let manager = TaskManager::new();
/// let promise = manager.promise::<u32>();
/// promise.cancel();
/// let task = manager.spawn(value_or(promise, 9));
/// assert_eq!(manager.run_until(&task), Ok(9));
/// ```
///
/// # Implementing it
///
/// A future of your own keeps the contract that done callbacks run later,
/// never inline in the call that completed the future, by queueing them on
/// a chain with [`call_soon`](crate::TaskChainExt::call_soon):
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::sync::{Arc, Mutex};
/// use std::task::{Context, Poll, Waker};
/// use std::time::{Duration, Instant};
/// use taskchain_core::{AsyncFuture, Error, TaskChain, TaskChainExt, TaskManager};
///
/// type Callback = Box<dyn FnOnce(&Flag) + Send>;
///
/// #[derive(Default)]
/// struct FlagState {
///     set: bool,
///     wakers: Vec<Waker>,
///     callbacks: Vec<Callback>,
/// }
///
/// /// Set once; its done callbacks run on `chain`.
/// #[derive(Clone)]
/// struct Flag {
///     chain: Arc<dyn TaskChain>,
///     state: Arc<Mutex<FlagState>>,
/// }
///
/// impl Flag {
///     fn set(&self) {
///         let (wakers, callbacks) = {
///             let mut state = self.state.lock().unwrap();
///             if state.set {
///                 return;
///             }
///             state.set = true;
///             (std::mem::take(&mut state.wakers), std::mem::take(&mut state.callbacks))
///         };
///         wakers.into_iter().for_each(Waker::wake);
///         for callback in callbacks {
///             let flag = self.clone();
///             // On the chain's next poll, not here.
///             let _ = self.chain.call_soon(move || callback(&flag));
///         }
///     }
/// }
///
/// impl Future for Flag {
///     type Output = Result<(), Error>;
///     fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
///         self.poll_done(cx).map(Ok)
///     }
/// }
///
/// impl AsyncFuture for Flag {
///     type Value = ();
///     fn is_done(&self) -> bool {
///         self.state.lock().unwrap().set
///     }
///     fn is_cancelled(&self) -> bool {
///         false
///     }
///     fn cancel(&self) -> bool {
///         false
///     }
///     fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
///         let mut state = self.state.lock().unwrap();
///         if state.set {
///             return Poll::Ready(());
///         }
///         state.wakers.push(cx.waker().clone());
///         Poll::Pending
///     }
///     fn try_take(&self) -> Option<Result<(), Error>> {
///         self.is_done().then_some(Ok(()))
///     }
///     fn error(&self) -> Option<Error> {
///         None
///     }
///     fn add_done_callback<F>(&self, callback: F) -> Result<(), Error>
///     where
///         F: FnOnce(&Self) + Send + 'static,
///     {
///         let mut state = self.state.lock().unwrap();
///         if !state.set {
///             state.callbacks.push(Box::new(callback));
///             return Ok(());
///         }
///         drop(state);
///         let flag = self.clone();
///         self.chain.call_soon(move || callback(&flag)).map(drop)
///     }
///     fn result(&self, timeout: Option<Duration>) -> Result<(), Error> {
///         let start = Instant::now();
///         while !self.is_done() {
///             if timeout.is_some_and(|t| start.elapsed() >= t) {
///                 return Err(Error::Timeout);
///             }
///             std::thread::sleep(Duration::from_millis(1));
///         }
///         Ok(())
///     }
/// }
///
/// let manager = TaskManager::new();
/// let flag = Flag {
///     chain: manager.default_chain().clone(),
///     state: Arc::default(),
/// };
/// let seen = Arc::new(Mutex::new(false));
/// let mark = seen.clone();
/// flag.add_done_callback(move |f| *mark.lock().unwrap() = f.is_done()).unwrap();
/// let waiter = manager.spawn(flag.clone());
/// manager.poll().unwrap();
/// flag.set();
/// assert!(!*seen.lock().unwrap(), "not inline in set");
/// manager.poll().unwrap();
/// assert!(*seen.lock().unwrap());
/// assert_eq!(waiter.result(None), Ok(Ok(())));
/// ```
pub trait AsyncFuture:
    std::future::Future<Output = Result<<Self as AsyncFuture>::Value, Error>> + Unpin
{
    /// The value of a future that finished.
    type Value;

    /// Whether the future reached its terminal state.
    fn is_done(&self) -> bool;

    /// Whether the future ended cancelled.
    fn is_cancelled(&self) -> bool;

    /// Cancels the future. Returns true if this call moved it to cancelled
    /// (for a running task: if it made the cancel request), false if it was
    /// already done or being cancelled.
    fn cancel(&self) -> bool;

    /// Registers `cx`'s waker to be woken when the future is done, without
    /// reading it; `Ready` if it is done already.
    ///
    /// Like a `Future`'s poll, each handle keeps one waker: a later
    /// `poll_done` or poll through the same handle replaces it, and dropping
    /// the handle removes it. Waiters that must all be woken use handles of
    /// their own (clones of a promise, separate gathers or shields).
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()>;

    /// Reads the terminal state without waiting: `None` while pending.
    fn try_take(&self) -> Option<Result<Self::Value, Error>>;

    /// Whether a read would now get a value: the future finished with one
    /// and (for a task's output, which is moved out once) it was not taken.
    ///
    /// The default says so for any future done without an error; a future
    /// whose value can be taken overrides it.
    fn has_value(&self) -> bool {
        self.is_done() && self.error().is_none()
    }

    /// Why the future ended without a value, without reading it:
    /// `Some(Cancelled)` or `Some(Panicked(..))` once it ended so (for a
    /// gather, its first failed child), `None` while pending or if it has a
    /// value.
    fn error(&self) -> Option<Error>;

    /// Runs `callback` with this future once it is done (finished or
    /// cancelled), on a later poll of the chain it belongs to: never inline
    /// in `set_result` or `cancel`.
    ///
    /// Callbacks and the tasks awaiting the future run in the order they
    /// registered, as far as the chain's order allows (with at most one
    /// worker): a callback registered before any task awaited the future
    /// runs at the start of the chain's next poll, before those tasks
    /// resume; one registered after a task awaited it runs after the runs
    /// of the chain's next poll, so it finds that task's reaction done.
    ///
    /// Returns [`Error::NoChain`] for a future that belongs to no chain (a
    /// promise made outside any task with [`Promise::new`](crate::Promise::new)).
    ///
    /// # After the chain shuts down
    ///
    /// A chain's shutdown is its last poll: the done callbacks of the tasks
    /// it cancels, and those already queued, run during
    /// [`shutdown`](crate::TaskChain::shutdown) (or the manager's drop),
    /// once each. The chain is then closed: a callback whose future
    /// completes later is dropped without running (its captures are
    /// dropped, a panicking destructor caught), never run inline in the
    /// call that completed the future, which could deadlock on a lock that
    /// caller holds. Adding a callback once the chain is closed returns
    /// [`Error::Shutdown`] (the callback is dropped).
    fn add_done_callback<F>(&self, callback: F) -> Result<(), Error>
    where
        F: FnOnce(&Self) + Send + 'static,
        Self: Sized;

    /// [`add_done_callback`](AsyncFuture::add_done_callback), returning a
    /// [`PendingCall`] that removes the callback again (asyncio's
    /// `remove_done_callback`): a callback removed before it starts never
    /// runs, and what it captured is dropped then.
    ///
    /// ```
    /// use taskchain_core::{AsyncFuture, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let promise = manager.promise::<u32>();
    /// let callback = promise
    ///     .add_removable_done_callback(|_| unreachable!("removed"))
    ///     .unwrap();
    /// assert!(callback.cancel());
    /// promise.set_result(1).unwrap();
    /// manager.poll().unwrap();
    /// ```
    fn add_removable_done_callback<F>(&self, callback: F) -> Result<PendingCall, Error>
    where
        F: FnOnce(&Self) + Send + 'static,
        Self: Sized,
    {
        let (pending, slot) = PendingCall::new(callback);
        self.add_done_callback(move |future| {
            if let Some(callback) = slot.take() {
                callback(future);
            }
        })?;
        Ok(pending)
    }

    /// Blocks the calling thread until the future is done or `timeout`
    /// passes, then reads it: the value, [`Error::Cancelled`],
    /// [`Error::Panicked`], or [`Error::Timeout`] (the future stays pending
    /// and may be waited on again).
    ///
    /// On a task handle, called by the task's own chain (from one of its
    /// tasks, or a done callback, handler or `upon_death` the chain runs)
    /// while the task is pending, it returns [`Error::WouldDeadlock`] at
    /// once, whatever the chain's number of workers: the chain could not run
    /// the task before this call returned. Await the handle instead.
    fn result(&self, timeout: Option<Duration>) -> Result<Self::Value, Error>;

    /// Blocks until the future is done, then reads it.
    fn wait(&self) -> Result<Self::Value, Error> {
        self.result(None)
    }

    /// This future behind the one type [`BoxedAsyncFuture<Self::Value>`],
    /// so futures of different kinds with the same value go in one
    /// [`gather`](crate::gather) or one collection. A future already boxed
    /// is returned as it is.
    ///
    /// (Not `boxed`, which `futures::FutureExt` gives every future too.)
    ///
    /// ```
    /// use taskchain_core::{gather, AsyncFuture, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let promise = manager.promise::<u32>();
    /// let task = manager.spawn(async { 2 });
    /// let both = gather(vec![promise.clone().into_boxed(), task.into_boxed()]);
    /// promise.set_result(1).unwrap();
    /// manager.poll().unwrap();
    /// assert_eq!(both.result(None), Ok(vec![1, 2]));
    /// ```
    fn into_boxed(self) -> BoxedAsyncFuture<Self::Value>
    where
        Self: Sized + Send + Sync + 'static,
    {
        BoxedAsyncFuture::new(self)
    }
}
