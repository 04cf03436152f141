//! The pool as a [`Runtime`] for threaded task chains.

use std::time::Duration;

use taskchain_core::{BoxFuture, Runtime};

use crate::ThreadPool;

/// The pool lends its workers and its timer to a
/// [`ThreadedChain`](taskchain_core::ThreadedChain).
impl Runtime for ThreadPool {
    /// "threadpool".
    fn name(&self) -> &str {
        "threadpool"
    }

    fn threads(&self) -> usize {
        ThreadPool::threads(self)
    }

    /// Spawns `future` detached; after shutdown it is dropped unpolled.
    fn spawn(&self, future: BoxFuture) {
        ThreadPool::spawn(self, future).detach();
    }

    fn sleep(&self, duration: Duration) -> BoxFuture {
        Box::pin(ThreadPool::sleep(self, duration))
    }
}
