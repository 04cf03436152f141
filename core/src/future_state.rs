//! The state machine every taskchain future shares: pending, then exactly one
//! terminal state, with the wakers and done callbacks waiting on it.
//!
//! Promises, task cells, gathers and shields each embed one `FutureState`.
//! Completion never runs user code inline: wakers are woken (which only
//! queues tasks) and done callbacks are handed to the future's home chain,
//! which runs them on a later poll.

use std::collections::HashSet;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::sync::{
    current_thread, lazy_thread_local, park, park_timeout, Mutex, MutexGuard, Thread,
};
use crate::Error;

/// A unit of deferred work: a done callback bound to its future.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// A done callback waiting for its future: called at completion, it binds
/// the callback to the future (upgrading a weak reference, which the
/// completing caller keeps alive) and returns the job to dispatch. Holding
/// the future only weakly until then means a pending future dropped with
/// callbacks attached is freed, not kept alive by its own callbacks.
pub(crate) type Bind = Box<dyn FnOnce() -> Option<Job> + Send>;

/// Where a future's done callbacks run: a chain that runs them on its next
/// poll (or worker).
pub(crate) trait Dispatch: Send + Sync {
    /// Queues `job` to run on a later poll of this chain.
    fn dispatch(&self, job: Job);
}

/// The value slot of a future.
pub(crate) enum Slot<T> {
    Pending,
    Ready(T),
    Taken,
    Cancelled,
    /// Boxed so that a slot is no bigger than its value and a tag.
    Panicked(Box<PanicMessage>),
}

/// A panic's message, behind one thin pointer.
pub(crate) struct PanicMessage(String);

/// What a future finishes with.
pub(crate) enum Outcome<T> {
    Ready(T),
    Cancelled,
    Panicked(String),
}

struct Inner<T> {
    slot: Slot<T>,
    waiters: Waiters,
}

/// Who waits for completion: one waker inline (a future awaited by one
/// task allocates nothing), more wakers and any done callbacks in a list.
enum Waiters {
    None,
    One(Waker),
    Many(Box<WaitList>),
}

#[derive(Default)]
struct WaitList {
    wakers: Vec<Waker>,
    callbacks: Vec<Bind>,
    /// Length at which a long list is next deduplicated.
    compact_at: usize,
}

/// Up to this many wakers, registering checks them all for a duplicate.
const SCAN_LIMIT: usize = 16;

impl Waiters {
    fn list(&mut self) -> &mut WaitList {
        if !matches!(self, Waiters::Many(_)) {
            let mut list = Box::<WaitList>::default();
            if let Waiters::One(first) = std::mem::replace(self, Waiters::None) {
                list.wakers.push(first);
            }
            *self = Waiters::Many(list);
        }
        match self {
            Waiters::Many(list) => list,
            _ => unreachable!("just made a list"),
        }
    }

    fn register(&mut self, waker: &Waker) {
        match self {
            Waiters::None => *self = Waiters::One(waker.clone()),
            Waiters::One(w) if w.will_wake(waker) => {}
            _ => {
                let list = self.list();
                let wakers = &mut list.wakers;
                // A short list is checked whole. A long one (many tasks on one
                // promise) only against its newest entry, and deduplicated
                // whenever it doubles, so registering stays O(1) amortized and
                // waiters that re-poll in turn cannot grow it without bound.
                let scan = wakers.len().min(SCAN_LIMIT);
                if wakers[wakers.len() - scan..]
                    .iter()
                    .any(|w| w.will_wake(waker))
                {
                    return;
                }
                wakers.push(waker.clone());
                if wakers.len() > SCAN_LIMIT && wakers.len() >= list.compact_at {
                    let mut seen = HashSet::with_capacity(wakers.len());
                    wakers.retain(|w| seen.insert((w.data(), w.vtable() as *const _)));
                    list.compact_at = 2 * wakers.len().max(SCAN_LIMIT);
                }
            }
        }
    }

    /// Wakes every waker; hands the done callbacks to `home`.
    fn wake_all(self, home: Option<&dyn Dispatch>) {
        match self {
            Waiters::None => {}
            Waiters::One(w) => w.wake(),
            Waiters::Many(list) => {
                let WaitList {
                    wakers, callbacks, ..
                } = *list;
                wakers.into_iter().for_each(Waker::wake);
                if let Some(home) = home {
                    for job in callbacks.into_iter().filter_map(|bind| bind()) {
                        home.dispatch(job);
                    }
                }
            }
        }
    }
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
                waiters: Waiters::None,
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
        inner.slot = match outcome {
            Outcome::Ready(v) => Slot::Ready(v),
            Outcome::Cancelled => Slot::Cancelled,
            Outcome::Panicked(m) => Slot::Panicked(Box::new(PanicMessage(m))),
        };
        let waiters = std::mem::replace(&mut inner.waiters, Waiters::None);
        drop(inner);
        waiters.wake_all(home);
        Ok(())
    }

    /// Queues a done callback, or dispatches it at once if the future is done.
    /// Errors with `NoChain` when the future has no home to run it on.
    pub(crate) fn add_callback(
        &self,
        bind: Bind,
        home: Option<&dyn Dispatch>,
    ) -> Result<(), Error> {
        let Some(home) = home else {
            return Err(Error::NoChain);
        };
        let mut inner = self.lock();
        if matches!(inner.slot, Slot::Pending) {
            inner.waiters.list().callbacks.push(bind);
        } else {
            drop(inner);
            if let Some(job) = bind() {
                home.dispatch(job);
            }
        }
        Ok(())
    }

    /// Registers `cx`'s waker unless the future is done.
    pub(crate) fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.lock();
        if matches!(inner.slot, Slot::Pending) {
            inner.waiters.register(cx.waker());
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }

    /// Reads the terminal state with `read`, or registers the waker.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        read: impl FnOnce(&mut Slot<T>) -> Result<T, Error>,
    ) -> Poll<Result<T, Error>> {
        let mut inner = self.lock();
        if matches!(inner.slot, Slot::Pending) {
            inner.waiters.register(cx.waker());
            Poll::Pending
        } else {
            Poll::Ready(read(&mut inner.slot))
        }
    }

    /// Reads the terminal state if there is one, without waiting.
    pub(crate) fn try_read(
        &self,
        read: impl FnOnce(&mut Slot<T>) -> Result<T, Error>,
    ) -> Option<Result<T, Error>> {
        let mut inner = self.lock();
        if matches!(inner.slot, Slot::Pending) {
            None
        } else {
            Some(read(&mut inner.slot))
        }
    }

    /// Blocks the calling thread until the future is done (or `timeout`
    /// passes), then reads it with `read`.
    pub(crate) fn wait(
        &self,
        timeout: Option<Duration>,
        read: impl FnOnce(&mut Slot<T>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        block_until(timeout, |cx| self.poll_done(cx))?;
        self.try_read(read).unwrap_or(Err(Error::Timeout))
    }

    /// The error a reader would get (cancelled or panicked), if the future
    /// ended without a value; `None` while pending or if it has a value.
    pub(crate) fn error(&self) -> Option<Error> {
        match &self.lock().slot {
            Slot::Cancelled => Some(Error::Cancelled),
            Slot::Panicked(m) => Some(Error::Panicked(m.0.clone())),
            _ => None,
        }
    }

    /// Drops whatever value the slot holds (used where a value must be
    /// dropped on a particular thread).
    pub(crate) fn clear_value(&self) {
        let value = {
            let mut inner = self.lock();
            if !matches!(inner.slot, Slot::Ready(_)) {
                return;
            }
            std::mem::replace(&mut inner.slot, Slot::Taken)
        };
        // Dropped outside the lock: the value's destructor is user code.
        drop(value);
    }
}

/// Reads a terminal slot by moving the value out (task outputs).
pub(crate) fn take<T>(slot: &mut Slot<T>) -> Result<T, Error> {
    match std::mem::replace(slot, Slot::Taken) {
        Slot::Ready(v) => Ok(v),
        other => {
            let err = slot_error(&other);
            *slot = other;
            Err(err)
        }
    }
}

/// Reads a terminal slot by cloning the value (shared promises).
pub(crate) fn clone_out<T: Clone>(slot: &mut Slot<T>) -> Result<T, Error> {
    match slot {
        Slot::Ready(v) => Ok(v.clone()),
        other => Err(slot_error(other)),
    }
}

fn slot_error<T>(slot: &Slot<T>) -> Error {
    match slot {
        Slot::Pending => Error::Timeout,
        Slot::Ready(_) | Slot::Taken => Error::AlreadyTaken,
        Slot::Cancelled => Error::Cancelled,
        Slot::Panicked(m) => Error::Panicked(m.0.clone()),
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
    // During thread teardown THREAD_WAKER may be gone: a waker of its own.
    let waker = THREAD_WAKER
        .try_with(Waker::clone)
        .unwrap_or_else(|_| Waker::from(Arc::new(ThreadWaker(current_thread()))));
    {
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
}
