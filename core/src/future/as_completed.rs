//! `as_completed`: a stream of futures' results in the order they finish.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};

use concurrent_queue::ConcurrentQueue;
use futures_core::stream::{FusedStream, Stream};

use crate::error::{isolated, Error};
use crate::future::async_future::AsyncFuture;
use crate::sync::{AtomicBool, Mutex};

/// Takes `futures` as they finish: asyncio's `as_completed` (and, for its
/// first item, `wait(return_when=FIRST_COMPLETED)`). The stream yields
/// each future's index (in argument order) with its result, in the order
/// they finish; the futures already done come first, in argument order.
///
/// Each finishing future is queued by its own waker, so taking the next
/// one costs the same however many are still pending.
///
/// ```
/// use taskchain_core::{as_completed, AsyncFuture, TaskManager};
///
/// let manager = TaskManager::new();
/// let [slow, fast] = [manager.promise::<&str>(), manager.promise::<&str>()];
/// let first = {
///     let futures = vec![slow.clone(), fast.clone()];
///     manager.spawn(async move { as_completed(futures).next_completed().await })
/// };
/// manager.poll().unwrap();
/// fast.set_result("fast").unwrap();
/// assert_eq!(manager.run_until(&first), Ok(Some((1, Ok("fast")))));
/// assert!(!slow.is_done(), "the others are left pending");
/// ```
///
/// # Cancellation
///
/// Nothing is cancelled: the futures not taken yet are left as they are
/// (asyncio's `wait` leaves them too), and dropping the stream drops them
/// (a task handle detaches, a promise handle removes its waiter). Cancel
/// them through [`futures`](AsCompleted::futures) first to stop them.
///
/// The stream is not a taskchain await point: a cancel request of a
/// coroutine waiting on it is not delivered there, and ends the task
/// cancelled once that run is over, as waiting on any other foreign
/// future does.
///
/// # Panics
///
/// Never. A future that panicked (a task) is yielded with its
/// [`Error::Panicked`].
pub fn as_completed<F>(futures: impl IntoIterator<Item = F>) -> AsCompleted<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    let futures: Vec<F> = futures.into_iter().collect();
    let n = futures.len();
    let ready = Arc::new(Ready {
        queue: ConcurrentQueue::unbounded(),
        queued: (0..n).map(|_| AtomicBool::new(false)).collect(),
        waker: Mutex::new(None),
    });
    let wakers: Vec<Waker> = (0..n)
        .map(|index| {
            Waker::from(Arc::new(ChildWaker {
                ready: Arc::downgrade(&ready),
                index,
            }))
        })
        .collect();
    let stream = AsCompleted {
        futures,
        wakers,
        ready,
        left: n,
    };
    for index in 0..n {
        stream.watch(index);
    }
    stream
}

/// The stream [`as_completed`] returns: a [`Stream`] of `(index, result)`
/// in completion order, ending once every future was yielded.
///
/// ```
/// use taskchain_core::{as_completed, AsyncFuture, Error, TaskManager};
///
/// let manager = TaskManager::new();
/// let ps = [manager.promise::<u32>(), manager.promise::<u32>()];
/// let taking = {
///     let ps = ps.clone();
///     manager.spawn(async move {
///         let mut stream = as_completed(ps);
///         let mut order = Vec::new();
///         while let Some((index, result)) = stream.next_completed().await {
///             order.push((index, result));
///         }
///         order
///     })
/// };
/// manager.poll().unwrap();
/// ps[1].set_result(10).unwrap();
/// manager.poll().unwrap();
/// ps[0].cancel();
/// let order = manager.run_until(&taking).unwrap();
/// assert_eq!(order, [(1, Ok(10)), (0, Err(Error::Cancelled))]);
/// ```
///
/// # Cancellation
///
/// See [`as_completed`]: nothing is cancelled; the futures it still holds
/// are dropped with it.
///
/// # Panics
///
/// Never.
pub struct AsCompleted<F> {
    futures: Vec<F>,
    /// Child `i`'s waker queues `i`.
    wakers: Vec<Waker>,
    ready: Arc<Ready>,
    /// How many futures are not yielded yet.
    left: usize,
}

/// The finished futures not yet yielded, and who waits for them.
struct Ready {
    queue: ConcurrentQueue<usize>,
    /// Whether child `i` was queued (so it is queued once).
    queued: Box<[AtomicBool]>,
    waker: Mutex<Option<Waker>>,
}

impl Ready {
    fn push(&self, index: usize) {
        if self.queued[index].swap(true, Ordering::AcqRel) {
            return;
        }
        // Unbounded and never closed: the push cannot fail.
        let _ = self.queue.push(index);
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waker) = waker {
            // User code: a panic is the waker's, not this child's.
            isolated(|| waker.wake());
        }
    }
}

impl Drop for Ready {
    /// The stream's waker is user code: its drop may panic, on whichever
    /// thread lets go of this last (a child's waker, on completion).
    fn drop(&mut self) {
        let waker = self
            .waker
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(waker) = waker {
            isolated(move || drop(waker));
        }
    }
}

/// Queues child `index` when it is done. Weak, so a dropped stream does not
/// stay alive in its futures' waiter lists.
struct ChildWaker {
    ready: Weak<Ready>,
    index: usize,
}

impl Wake for ChildWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(ready) = self.ready.upgrade() {
            ready.push(self.index);
        }
    }
}

impl<F> AsCompleted<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    /// Registers child `index`'s waker, queueing it at once if it is done.
    fn watch(&self, index: usize) {
        let mut cx = Context::from_waker(&self.wakers[index]);
        if self.futures[index].poll_done(&mut cx).is_ready() {
            self.ready.push(index);
        }
    }

    /// The futures, in argument order, those already yielded included.
    ///
    /// The stream waits on each through its own handle: read them here,
    /// but a `poll_done` on one would take the stream's place (see
    /// [`AsyncFuture::poll_done`]); await a clone instead.
    pub fn futures(&self) -> &[F] {
        &self.futures
    }

    /// The next future to finish, with its index: what the stream's next
    /// item is, as a future, for code without a `StreamExt`. `None` once
    /// every future was yielded.
    pub fn next_completed(&mut self) -> NextCompleted<'_, F> {
        NextCompleted { stream: self }
    }
}

impl<F> Stream for AsCompleted<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    type Item = (usize, Result<F::Value, Error>);

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.left == 0 {
                return Poll::Ready(None);
            }
            if let Ok(index) = this.ready.queue.pop() {
                if let Some(result) = this.futures[index].try_take() {
                    this.left -= 1;
                    return Poll::Ready(Some((index, result)));
                }
                // Woken, but not done (a future of another kind may wake
                // early): wait for it again.
                this.ready.queued[index].store(false, Ordering::Release);
                this.watch(index);
                continue;
            }
            let replaced = {
                let mut waker = this.ready.waker.lock().unwrap_or_else(|e| e.into_inner());
                match &*waker {
                    Some(held) if held.will_wake(cx.waker()) => None,
                    _ => waker.replace(cx.waker().clone()),
                }
            };
            if let Some(replaced) = replaced {
                isolated(move || drop(replaced));
            }
            // A child queued before the waker was in place found none.
            if this.ready.queue.is_empty() {
                return Poll::Pending;
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<F> FusedStream for AsCompleted<F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    fn is_terminated(&self) -> bool {
        self.left == 0
    }
}

impl<F> std::fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsCompleted")
            .field("futures", &self.futures.len())
            .field("left", &self.left)
            .finish()
    }
}

/// The future of [`AsCompleted::next_completed`] (see the example on
/// [`AsCompleted`]).
///
/// # Cancellation
///
/// Dropping it takes nothing: the next future to finish stays for the
/// next call. See [`as_completed`] for the futures themselves.
///
/// # Panics
///
/// Never.
#[must_use = "next_completed does nothing unless awaited"]
pub struct NextCompleted<'a, F> {
    stream: &'a mut AsCompleted<F>,
}

impl<F> Future for NextCompleted<'_, F>
where
    F: AsyncFuture + Send + Sync + 'static,
{
    type Output = Option<(usize, Result<F::Value, Error>)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}

impl<F> std::fmt::Debug for NextCompleted<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NextCompleted")
            .field("stream", &self.stream)
            .finish()
    }
}
