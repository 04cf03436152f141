//! The backend boundary of threaded chains: what an async runtime lends a
//! [`ThreadedChain`](crate::ThreadedChain).
//!
//! A runtime supplies threads (it runs the chain's worker futures, inside
//! its own context, so a task can await the runtime's timers and sockets)
//! and a timer (for delays and pauses). Everything else, ordering, sort
//! barriers, frame sync, cancellation, shutdown, lives in the chain, once.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::Error;

/// The most threads a runtime or a threaded chain takes: more is a
/// mistake, not a configuration (the thread stacks alone would exhaust
/// memory before the operating system said no).
pub const MAX_THREADS: usize = 4096;

/// Checks a thread count for a runtime (or a chain's workers) named
/// `what`: 1 to [`MAX_THREADS`]. For backends, so that every runtime
/// refuses the same counts with the same error.
///
/// Returns [`Error::InvalidSetting`] for 0 or more than [`MAX_THREADS`].
///
/// ```
/// use taskchain_core::{check_thread_count, Error, MAX_THREADS};
///
/// assert_eq!(check_thread_count(2, "my runtime"), Ok(()));
/// assert!(matches!(check_thread_count(0, "my runtime"), Err(Error::InvalidSetting(_))));
/// assert!(matches!(check_thread_count(MAX_THREADS + 1, "my runtime"), Err(Error::InvalidSetting(_))));
/// ```
pub fn check_thread_count(threads: usize, what: &str) -> Result<(), Error> {
    if threads == 0 {
        return Err(Error::InvalidSetting(format!(
            "{what} needs at least one thread"
        )));
    }
    if threads > MAX_THREADS {
        return Err(Error::InvalidSetting(format!(
            "{what} takes at most {MAX_THREADS} threads, not {threads}"
        )));
    }
    Ok(())
}

/// A boxed, sendable future with no output: what a chain hands a runtime.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// An async runtime a [`ThreadedChain`](crate::ThreadedChain) runs on.
///
/// Backends implement it (`taskchain-tokio`, `taskchain-smol`,
/// `taskchain-threadpool`); a library author can implement it for any
/// other executor with a timer.
///
/// A runtime that owns its threads stops and joins them when its last
/// reference drops; a chain drops its reference at shutdown.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{BoxFuture, Runtime};
///
/// /// One thread per spawned future: slow, but a complete runtime.
/// struct ThreadPerFuture;
///
/// impl Runtime for ThreadPerFuture {
///     fn name(&self) -> &str {
///         "thread-per-future"
///     }
///     fn threads(&self) -> usize {
///         1
///     }
///     fn spawn(&self, future: BoxFuture) {
///         std::thread::spawn(move || futures_lite_block_on(future));
///     }
///     fn sleep(&self, duration: Duration) -> BoxFuture {
///         let (tx, rx) = std::sync::mpsc::channel::<()>();
///         std::thread::spawn(move || {
///             std::thread::sleep(duration);
///             let _ = tx.send(());
///         });
///         Box::pin(async move {
///             // (a real runtime wakes the waker instead of blocking)
///             let _ = rx.recv();
///         })
///     }
/// }
/// # fn futures_lite_block_on(f: BoxFuture) {
/// #     use std::task::{Context, Poll, Wake, Waker};
/// #     struct Unpark(std::thread::Thread);
/// #     impl Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
/// #     let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
/// #     let mut f = f;
/// #     while f.as_mut().poll(&mut Context::from_waker(&waker)).is_pending() {
/// #         std::thread::park();
/// #     }
/// # }
/// ```
pub trait Runtime: Send + Sync + 'static {
    /// A short name for reports: "tokio", "smol", "async-std",
    /// "threadpool".
    fn name(&self) -> &str;

    /// How many threads run futures: a chain with no explicit
    /// `num_threads` runs this many workers.
    fn threads(&self) -> usize;

    /// Runs `future` to completion on the runtime's threads, inside the
    /// runtime's context, detached. A runtime that is shutting down may
    /// drop it instead.
    fn spawn(&self, future: BoxFuture);

    /// A future that completes once `duration` has passed, on the
    /// runtime's timer.
    fn sleep(&self, duration: Duration) -> BoxFuture;
}
