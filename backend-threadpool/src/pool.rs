//! [`ThreadPool`]: the handle users hold.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskchain_core::Error;

use crate::pool_state::PoolState;
use crate::{JoinHandle, Sleep, ThreadPoolBuilder};

/// A work-stealing executor with its own timer.
///
/// Each worker thread has a local FIFO queue; futures woken on a worker go
/// to its queue, futures spawned or woken elsewhere go to a shared
/// injector queue; an idle worker steals from the injector and from the
/// other workers, and sleeps when there is nothing to steal. One more
/// thread keeps the timers of [`sleep`](Self::sleep).
///
/// The handle is cheap to clone; all clones drive the same pool. When the
/// last clone is dropped, the pool [shuts down](Self::shutdown). A clone
/// moved into one of the pool's own futures counts too: a pool whose last
/// clones are held by its own futures stays up until `shutdown` is called.
/// (A [`Sleep`] holds the timer, not the pool: make it outside and move it
/// in to keep a future from holding the pool.)
///
/// ```
/// use std::time::Duration;
/// use taskchain_threadpool::ThreadPool;
///
/// let pool = ThreadPool::new(2).unwrap();
/// let sleeper = pool.clone();
/// let answer = pool.spawn(async move {
///     sleeper.sleep(Duration::from_millis(1)).await;
///     6 * 7
/// });
/// assert_eq!(answer.join(), Ok(42));
/// ```
#[derive(Clone)]
pub struct ThreadPool {
    handle: Arc<Handle>,
}

/// The owner of the pool: shuts it down when the last [`ThreadPool`] goes.
struct Handle {
    shared: Arc<PoolState>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.shutdown();
    }
}

impl ThreadPool {
    /// A pool of `threads` workers named `taskchain-pool-{i}`.
    ///
    /// Returns [`Error::InvalidSetting`] for 0 threads or more than
    /// [`MAX_THREADS`](crate::MAX_THREADS), and [`Error::Runtime`] when a
    /// thread cannot be started.
    pub fn new(threads: usize) -> Result<Self, Error> {
        Self::builder().threads(threads).build()
    }

    /// A builder, to name the threads.
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::new()
    }

    pub(crate) fn from_shared(shared: Arc<PoolState>) -> Self {
        ThreadPool {
            handle: Arc::new(Handle { shared }),
        }
    }

    pub(crate) fn state(&self) -> &Arc<PoolState> {
        &self.handle.shared
    }

    fn shared(&self) -> &Arc<PoolState> {
        &self.handle.shared
    }

    /// Runs `future` on the pool; the handle gives its output.
    ///
    /// A panic of the future is caught on its worker and comes out of the
    /// handle as [`Error::Panicked`]. After [`shutdown`](Self::shutdown)
    /// the future is dropped unpolled and the handle gives
    /// [`Error::Shutdown`]; spawning never panics.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared().spawn(future)
    }

    /// A future that completes after `duration`, on the pool's timer. A
    /// duration too long to represent never completes.
    pub fn sleep(&self, duration: Duration) -> Sleep {
        Sleep::new(
            self.shared().timer.clone(),
            Instant::now().checked_add(duration),
        )
    }

    /// A future that completes at `deadline`, on the pool's timer (at its
    /// first poll if `deadline` has passed).
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::new(self.shared().timer.clone(), Some(deadline))
    }

    /// The number of worker threads.
    pub fn threads(&self) -> usize {
        self.shared().remotes.len()
    }

    /// The thread-name prefix.
    pub fn thread_prefix(&self) -> &str {
        &self.shared().prefix
    }

    /// Stops the pool, for every clone of the handle:
    ///
    /// - no more futures are admitted (see [`spawn`](Self::spawn));
    /// - every future that has not finished is dropped (cancelled): queued
    ///   ones, sleeping ones, ones waiting on anything at all; one that a
    ///   worker is polling is dropped when that poll returns, and its
    ///   handle gives [`Error::Shutdown`];
    /// - pending [`Sleep`]s complete at their next poll;
    /// - the worker threads and the timer thread stop and are joined.
    ///
    /// Returns once the threads are joined, or after ten seconds if a
    /// future blocks its worker that long (that thread is then detached).
    /// Called from one of the pool's own threads, it does not wait for that
    /// one, which stops when the caller returns to it. A second call
    /// returns at once.
    pub fn shutdown(&self) {
        self.shared().shutdown();
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutdown(&self) -> bool {
        self.shared().is_closed()
    }

    /// Futures spawned and not yet finished or dropped (for tests).
    #[doc(hidden)]
    pub fn live_tasks(&self) -> usize {
        self.shared().active.len()
    }

    /// Timer heap entries, live and stale (for tests of the sweep).
    #[doc(hidden)]
    pub fn timer_entries(&self) -> usize {
        self.shared().timer.entries()
    }

    /// Pool threads (workers and timer) whose body has not returned (for
    /// tests of shutdown).
    #[doc(hidden)]
    pub fn live_threads(&self) -> usize {
        self.shared().threads.live()
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("prefix", &self.thread_prefix())
            .field("threads", &self.threads())
            .field("shut_down", &self.is_shutdown())
            .finish()
    }
}
