//! The state machine every taskchain future shares: pending, then exactly one
//! terminal state, with the wakers and done callbacks waiting on it.
//!
//! Promises, task cells, gathers and shields each embed one `FutureState`.
//! Completion never runs user code inline: wakers are woken (which only
//! queues tasks) and done callbacks are handed to the future's home chain,
//! which runs them on a later poll.

use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use slab::Slab;

use crate::error::isolated;
use crate::error::Error;
use crate::sync::{
    current_thread, lazy_thread_local, park, park_timeout, Mutex, MutexGuard, Thread,
};
use crate::task::awaited::{self, AwaitedHook};
use crate::task::current;

/// A unit of deferred work: a done callback bound to its future.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// A done callback waiting for its future: called at completion, it binds
/// the callback to the future (upgrading a weak reference, which the
/// completing caller keeps alive) and returns the job to dispatch. Holding
/// the future only weakly until then means a pending future dropped with
/// callbacks attached is freed, not kept alive by its own callbacks.
pub(crate) type Bind = Box<dyn FnOnce() -> Option<Job> + Send>;

/// The [`Bind`] of a done callback on a future whose handles share `inner`:
/// at completion it makes a fresh handle with `view` (if the future still
/// exists) and calls `callback` with it.
pub(crate) fn bind_callback<I, V>(
    inner: &Arc<I>,
    view: fn(Arc<I>) -> V,
    callback: impl FnOnce(&V) + Send + 'static,
) -> Bind
where
    I: Send + Sync + 'static,
    V: Send + 'static,
{
    let inner = Arc::downgrade(inner);
    Box::new(move || {
        let handle = view(inner.upgrade()?);
        Some(Box::new(move || callback(&handle)) as Job)
    })
}

/// Where a future's done callbacks run: a chain that runs them on its next
/// poll (or worker).
///
/// A future's waiters are woken and its callbacks run in the order they
/// registered, as far as the chain's own order allows: a callback
/// registered before every waker of its future runs at the start of the
/// chain's next poll, before the tasks the completion woke
/// (`dispatch`); one registered after a waker runs after the runs of the
/// chain's next epoch, which include every task woken before it was
/// queued (`dispatch_late`), so it finds those tasks' reactions done.
pub(crate) trait Dispatch: Send + Sync {
    /// Queues `job` to run on a later poll of this chain, before its runs.
    fn dispatch(&self, job: Job);
    /// Queues `job` to run after the runs of this chain's next epoch.
    fn dispatch_late(&self, job: Job) {
        self.dispatch(job);
    }
    /// Whether the chain is closed (shut down and drained): it takes no
    /// more callbacks.
    fn is_closed(&self) -> bool {
        false
    }
}

/// The value slot of a future.
pub(crate) enum Slot<T> {
    Pending,
    Ready(T),
    Taken,
    Cancelled,
    /// Ended with an error other than a cancellation (a panic, an error a
    /// task returned). The error is kept out of line (see `Overflow`), so
    /// that a slot is no bigger than its value and a tag.
    Failed,
}

/// What a future finishes with.
pub(crate) enum Outcome<T> {
    Ready(T),
    Cancelled,
    Panicked(String),
    /// An error other than a cancellation (which is `Cancelled`).
    Failed(Error),
}

struct Inner<T> {
    slot: Slot<T>,
    waiters: Waiters,
}

/// The place of one awaiting future's waker in a [`FutureState`]'s waiter
/// list: each future that awaits a state (a promise handle, a task handle,
/// a gather, a shield, a blocking read) holds one. A re-poll replaces the
/// waker under the same key, and the future removes its key when it is
/// dropped ([`FutureState::remove_waiter`]), so a future that stopped
/// awaiting leaves nothing behind.
///
/// Read and written only under the state's lock or through `&mut`, so
/// relaxed ordering is enough; atomic because `AsyncFuture::poll_done`
/// registers through `&self` on a `Sync` handle.
pub(crate) struct WaiterKey(std::sync::atomic::AtomicUsize);

/// No waker registered.
const NO_KEY: usize = usize::MAX;
/// The inline slot; overflow entry `i` has key `i + 1`.
const INLINE: usize = 0;

impl WaiterKey {
    pub(crate) const fn new() -> Self {
        WaiterKey(std::sync::atomic::AtomicUsize::new(NO_KEY))
    }

    fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the future holding the key registered a waker (it awaited).
    pub(crate) fn is_registered(&self) -> bool {
        self.get() != NO_KEY
    }

    fn set(&self, key: usize) {
        self.0.store(key, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Default for WaiterKey {
    fn default() -> Self {
        Self::new()
    }
}

/// Who waits for completion: one waker inline (a future awaited by one
/// future allocates nothing), more wakers and any done callbacks in an
/// overflow made when they come and freed when it empties.
#[derive(Default)]
struct Waiters {
    first: Option<Waker>,
    overflow: Option<Box<Overflow>>,
}

/// The rarely needed part of a future state, out of line.
#[derive(Default)]
struct Overflow {
    /// Keyed: registering, replacing and removing are O(1).
    wakers: Slab<Waker>,
    /// Each with whether a waker was registered before it.
    callbacks: Vec<(Bind, bool)>,
    /// The error of a failed future: the waiters are gone by then, so this
    /// is the only use of the box.
    error: Option<Error>,
}

impl Waiters {
    fn overflow(&mut self) -> &mut Overflow {
        self.overflow.get_or_insert_with(Box::default)
    }

    /// Stores `waker` in a free place; returns its key.
    fn insert(&mut self, waker: &Waker) -> usize {
        if self.first.is_none() {
            self.first = Some(waker.clone());
            INLINE
        } else {
            self.overflow().wakers.insert(waker.clone()) + 1
        }
    }

    /// Registers `waker` under `key`, replacing the waker it held; returns
    /// the replaced one, for the caller to drop outside the lock.
    fn register(&mut self, key: &WaiterKey, waker: &Waker) -> Option<Waker> {
        let held = match key.get() {
            NO_KEY => None,
            INLINE => self.first.as_mut(),
            k => self
                .overflow
                .as_mut()
                .and_then(|overflow| overflow.wakers.get_mut(k - 1)),
        };
        match held {
            Some(held) if held.will_wake(waker) => None,
            Some(held) => Some(std::mem::replace(held, waker.clone())),
            None => {
                key.set(self.insert(waker));
                None
            }
        }
    }

    /// Removes `key`'s waker and returns it, for the caller to drop outside
    /// the lock.
    fn remove(&mut self, key: usize) -> Option<Waker> {
        match key {
            NO_KEY => None,
            INLINE => self.first.take(),
            k => {
                let overflow = self.overflow.as_mut()?;
                let waker = overflow.wakers.try_remove(k - 1);
                if overflow.wakers.is_empty() && overflow.callbacks.is_empty() {
                    self.overflow = None;
                }
                waker
            }
        }
    }

    /// Wakes every waker; hands the done callbacks to `home`: those
    /// registered before every waker first, so that a chain finds them
    /// queued before the tasks the wakers queue (see `Dispatch`). A waker
    /// that panics (it is user code) is skipped; the others are still
    /// woken.
    fn wake_all(mut self, home: Option<&dyn Dispatch>) {
        let mut overflow = self.overflow.take();
        let mut late = Vec::new();
        if let (Some(overflow), Some(home)) = (overflow.as_mut(), home) {
            for (bind, after_a_waker) in overflow.callbacks.drain(..) {
                if after_a_waker {
                    late.push(bind);
                } else if let Some(job) = bind() {
                    home.dispatch(job);
                }
            }
        }
        if let Some(first) = self.first.take() {
            isolated(|| first.wake());
        }
        if let Some(overflow) = overflow.as_mut() {
            for waker in overflow.wakers.drain() {
                isolated(|| waker.wake());
            }
        }
        if let Some(home) = home {
            for bind in late {
                if let Some(job) = bind() {
                    home.dispatch_late(job);
                }
            }
        }
        // Callbacks without a home are dropped by `Drop`, isolated.
        self.overflow = overflow;
    }
}

impl Drop for Waiters {
    /// Wakers and callbacks are user code: each is dropped on its own, and
    /// one that panics does not keep the rest from being dropped.
    fn drop(&mut self) {
        if let Some(first) = self.first.take() {
            drop_isolated(first);
        }
        if let Some(mut overflow) = self.overflow.take() {
            for waker in overflow.wakers.drain() {
                drop_isolated(waker);
            }
            for (bind, _) in overflow.callbacks.drain(..) {
                drop_isolated(bind);
            }
        }
    }
}

/// Drops `value` (user code in its destructor), ignoring a panic.
fn drop_isolated<V>(value: V) {
    isolated(move || drop(value));
}

/// Pending, then one terminal state; see the module docs.
pub(crate) struct FutureState<T> {
    inner: Mutex<Inner<T>>,
}

impl<T> Default for FutureState<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> FutureState<T> {
    pub(crate) fn new() -> Self {
        FutureState {
            inner: Mutex::new(Inner {
                slot: Slot::Pending,
                waiters: Waiters::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        // A poisoned lock only means a waker or a value's destructor panicked
        // elsewhere; the state itself is always consistent between statements.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn is_done(&self) -> bool {
        !matches!(self.lock().slot, Slot::Pending)
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        matches!(self.lock().slot, Slot::Cancelled)
    }

    /// Moves the future to its terminal state. Errors with `AlreadyDone` if it
    /// had one; the outcome is then dropped by the caller's `Err`.
    pub(crate) fn complete(
        &self,
        outcome: Outcome<T>,
        home: Option<&dyn Dispatch>,
    ) -> Result<(), (Error, Outcome<T>)> {
        let mut inner = self.lock();
        if !matches!(inner.slot, Slot::Pending) {
            return Err((Error::AlreadyDone, outcome));
        }
        let waiters = std::mem::take(&mut inner.waiters);
        inner.slot = match outcome {
            Outcome::Ready(v) => Slot::Ready(v),
            Outcome::Cancelled => Slot::Cancelled,
            Outcome::Panicked(message) => {
                inner.waiters.overflow().error = Some(Error::Panicked(message));
                Slot::Failed
            }
            Outcome::Failed(error) => {
                inner.waiters.overflow().error = Some(error);
                Slot::Failed
            }
        };
        drop(inner);
        waiters.wake_all(home);
        Ok(())
    }

    /// Queues a done callback, or dispatches it at once if the future is done.
    /// Errors with `NoChain` when the future has no home to run it on, and
    /// with `Shutdown` when that home is closed (the callback is dropped).
    pub(crate) fn add_callback(
        &self,
        bind: Bind,
        home: Option<&dyn Dispatch>,
    ) -> Result<(), Error> {
        let Some(home) = home else {
            return Err(Error::NoChain);
        };
        if home.is_closed() {
            // Its captures' destructors are user code.
            drop_isolated(bind);
            return Err(Error::Shutdown);
        }
        let mut inner = self.lock();
        if matches!(inner.slot, Slot::Pending) {
            let waiters = &mut inner.waiters;
            let after_a_waker = waiters.first.is_some()
                || waiters
                    .overflow
                    .as_ref()
                    .is_some_and(|o| !o.wakers.is_empty());
            waiters.overflow().callbacks.push((bind, after_a_waker));
        } else {
            drop(inner);
            if let Some(job) = bind() {
                home.dispatch(job);
            }
        }
        Ok(())
    }

    /// Polls a handle awaiting this future, `read` giving its result once
    /// done. A cancel request of the awaiting task delivered at this await
    /// point cancels the future (`cancel`) and yields `Cancelled`; if the
    /// task suspends here, `hook` is what its cancel cancels at once.
    pub(crate) fn poll_awaited<R>(
        &self,
        key: &WaiterKey,
        cx: &mut Context<'_>,
        cancel: impl FnOnce(),
        hook: impl FnOnce() -> AwaitedHook,
        read: impl FnOnce() -> Result<R, Error>,
    ) -> Poll<Result<R, Error>> {
        if self.is_done() {
            return Poll::Ready(awaited::read(read()));
        }
        if current::take_cancel() {
            cancel();
            return Poll::Ready(Err(Error::Cancelled));
        }
        match self.poll_done(key, cx) {
            Poll::Ready(()) => Poll::Ready(awaited::read(read())),
            Poll::Pending => {
                awaited::publish(cx.waker(), hook);
                Poll::Pending
            }
        }
    }

    /// Registers `cx`'s waker as `key`'s (replacing the one it had) unless
    /// the future is done.
    pub(crate) fn poll_done(&self, key: &WaiterKey, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.lock();
        if !matches!(inner.slot, Slot::Pending) {
            return Poll::Ready(());
        }
        let replaced = inner.waiters.register(key, cx.waker());
        drop(inner);
        if let Some(replaced) = replaced {
            drop_isolated(replaced);
        }
        Poll::Pending
    }

    /// Reads the terminal state with `read`, or registers the waker as
    /// `key`'s.
    pub(crate) fn poll_read<R>(
        &self,
        key: &WaiterKey,
        cx: &mut Context<'_>,
        read: impl FnOnce(&mut Slot<T>) -> Result<R, Error>,
    ) -> Poll<Result<R, Error>> {
        let mut inner = self.lock();
        if !matches!(inner.slot, Slot::Pending) {
            return Poll::Ready(inner.read(read));
        }
        let replaced = inner.waiters.register(key, cx.waker());
        drop(inner);
        if let Some(replaced) = replaced {
            drop_isolated(replaced);
        }
        Poll::Pending
    }

    /// The future holding `key` is dropped: removes its waker, and, if it
    /// awaited inside a task, the task's hook to it (`target`: the shared
    /// part the hook points to; see `awaited::withdraw`).
    #[inline]
    pub(crate) fn drop_awaiting(&self, key: &mut WaiterKey, target: *const ()) {
        if key.is_registered() {
            awaited::withdraw(target);
            self.remove_waiter(key);
        }
    }

    /// Removes `key`'s waker, if it has one: called when the future holding
    /// the key is dropped (or stops waiting).
    pub(crate) fn remove_waiter(&self, key: &mut WaiterKey) {
        let k = std::mem::take(key).get();
        if k == NO_KEY {
            return;
        }
        let mut inner = self.lock();
        // A done future's waiters are already gone (woken).
        if !matches!(inner.slot, Slot::Pending) {
            return;
        }
        let removed = inner.waiters.remove(k);
        drop(inner);
        if let Some(removed) = removed {
            drop_isolated(removed);
        }
    }

    /// Reads the terminal state if there is one, without waiting.
    pub(crate) fn try_read<R>(
        &self,
        read: impl FnOnce(&mut Slot<T>) -> Result<R, Error>,
    ) -> Option<Result<R, Error>> {
        let mut inner = self.lock();
        if matches!(inner.slot, Slot::Pending) {
            None
        } else {
            Some(inner.read(read))
        }
    }

    /// Whether the future finished with a value still in its slot.
    pub(crate) fn has_value(&self) -> bool {
        matches!(self.lock().slot, Slot::Ready(_))
    }

    /// Blocks the calling thread until the future is done (or `timeout`
    /// passes), then reads it with `read`.
    pub(crate) fn wait<R>(
        &self,
        timeout: Option<Duration>,
        read: impl FnOnce(&mut Slot<T>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        self.wait_done(timeout)?;
        self.try_read(read).unwrap_or(Err(Error::Timeout))
    }

    /// Blocks the calling thread until the future is done (or `timeout`
    /// passes: `Err(Timeout)`); the thread's waker is removed either way.
    pub(crate) fn wait_done(&self, timeout: Option<Duration>) -> Result<(), Error> {
        let mut key = WaiterKey::new();
        let done = block_until(timeout, |cx| self.poll_done(&key, cx));
        self.remove_waiter(&mut key);
        done
    }

    /// The error a reader would get (cancelled or failed), if the future
    /// ended without a value; `None` while pending or if it has a value.
    pub(crate) fn error(&self) -> Option<Error> {
        self.lock().error()
    }

    /// Changes a value's mark from `Ready` to `Taken`; true if it was
    /// `Ready` (the caller now owns the value the mark stands for).
    pub(crate) fn take_ready_mark(&self) -> bool {
        let mut inner = self.lock();
        if !matches!(inner.slot, Slot::Ready(_)) {
            return false;
        }
        inner.slot = Slot::Taken;
        true
    }
}

impl<T> Inner<T> {
    /// The error a reader gets from a future that ended without a value.
    fn error(&self) -> Option<Error> {
        match self.slot {
            Slot::Cancelled => Some(Error::Cancelled),
            Slot::Failed => {
                let error = self.waiters.overflow.as_ref().and_then(|o| o.error.clone());
                Some(error.unwrap_or_else(|| Error::Panicked(String::new())))
            }
            _ => None,
        }
    }

    /// Reads a done future: its error, or what `read` makes of its slot
    /// (`Ready` or `Taken`).
    fn read<R>(&mut self, read: impl FnOnce(&mut Slot<T>) -> Result<R, Error>) -> Result<R, Error> {
        match self.error() {
            Some(error) => Err(error),
            None => read(&mut self.slot),
        }
    }
}

/// Reads a slot with a value by moving the value out (a task output's
/// mark); `AlreadyTaken` once it was.
pub(crate) fn take<T>(slot: &mut Slot<T>) -> Result<T, Error> {
    match std::mem::replace(slot, Slot::Taken) {
        Slot::Ready(v) => Ok(v),
        _ => Err(Error::AlreadyTaken),
    }
}

/// Reads a slot with a value by cloning the value (shared promises).
pub(crate) fn clone_out<T: Clone>(slot: &mut Slot<T>) -> Result<T, Error> {
    match slot {
        Slot::Ready(v) => Ok(v.clone()),
        _ => Err(Error::AlreadyTaken),
    }
}

/// Unparks the waiting thread. One per thread, so repeated waits register
/// the same waker (`will_wake` deduplicates it) instead of piling up.
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

lazy_thread_local! {
    static THREAD_WAKER: Waker = Waker::from(Arc::new(ThreadWaker(current_thread())));
}

/// Parks the calling thread until `poll` is ready or `timeout` passes
/// (`Err(Timeout)`).
pub(crate) fn block_until(
    timeout: Option<Duration>,
    mut poll: impl FnMut(&mut Context<'_>) -> Poll<()>,
) -> Result<(), Error> {
    // A timeout too long to represent means no timeout.
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    // During thread teardown the thread's waker may be gone: use a fresh one.
    let waker = THREAD_WAKER
        .try_with(Waker::clone)
        .unwrap_or_else(|_| Waker::from(Arc::new(ThreadWaker(current_thread()))));
    let mut cx = Context::from_waker(&waker);
    loop {
        if poll(&mut cx).is_ready() {
            return Ok(());
        }
        match deadline {
            None => park(),
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(Error::Timeout);
                }
                park_timeout(deadline - now);
            }
        }
    }
}
