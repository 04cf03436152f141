//! The pool as a [`Runtime`] for threaded task chains.

use std::sync::Arc;
use std::time::Duration;

use taskchain_core::{Runtime, RuntimeFuture, Scheduler, TaskRunnable, TaskScheduling};

use crate::job::Job;
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
    fn spawn(&self, future: RuntimeFuture) {
        ThreadPool::spawn(self, future).detach();
    }

    fn sleep(&self, duration: Duration) -> RuntimeFuture {
        Box::pin(ThreadPool::sleep(self, duration))
    }

    /// Runnables go to the pool's queues.
    fn task_scheduling(&self) -> Option<TaskScheduling> {
        Some(TaskScheduling::Runnables(Arc::new(PoolScheduler(
            self.state().clone(),
        ))))
    }
}

/// Queues a chain's runnables on the pool, as jobs of its own: a wake on
/// one of its workers goes to that worker's LIFO slot, a yield behind its
/// queue. It holds the pool's state, not its owner handle: the pool's
/// threads stop when the last handle goes, and its shutdown drops what its
/// queues hold (which cancels those tasks).
struct PoolScheduler(Arc<PoolState>);

impl Scheduler for PoolScheduler {
    fn schedule(&self, runnable: TaskRunnable) {
        let yielded = runnable.is_yield();
        self.0.schedule(Job::Chain(runnable), yielded);
    }
}
