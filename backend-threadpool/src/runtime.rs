//! The pool as a [`Runtime`] for threaded task chains.

use std::sync::Arc;
use std::time::Duration;

use taskchain_core::{BoxFuture, Runtime, Scheduler, TaskRunnable, TaskScheduling};

use crate::pool_state::PoolState;
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

    /// Runnables go to the pool's queues.
    fn task_scheduling(&self) -> Option<TaskScheduling> {
        Some(TaskScheduling::Runnables(Arc::new(PoolScheduler(
            self.state().clone(),
        ))))
    }
}

/// Queues a chain's runnables on the pool. It holds the pool's state, not
/// its owner handle: the pool's threads stop when the last handle goes, and
/// its shutdown drops what its queues hold.
struct PoolScheduler(Arc<PoolState>);

impl Scheduler for PoolScheduler {
    fn schedule(&self, runnable: TaskRunnable) {
        self.0.spawn(async move { runnable.run() }).detach();
    }
}
