//! [`Job`]: what the pool's queues hold and its workers run.

use async_task::Runnable;
use taskchain_core::TaskRunnable;

/// One unit of work for a worker. Every queue of the pool (a worker's LIFO
/// slot and local queue, the injector, what thieves take) holds these.
#[derive(Debug)]
pub(crate) enum Job {
    /// A spawned future's task cell, scheduled to be polled.
    Future(Runnable),
    /// A run of a threaded chain's coroutine, which the chain handed the
    /// pool (its queues hold it as they hold their own tasks, without an
    /// allocation per wake).
    Chain(TaskRunnable),
}

impl Job {
    /// Runs the job on the calling worker.
    ///
    /// A future's panic is caught by its task cell (`propagate_panic`) and
    /// handed to its handle, a chain task's by its chain; the worker's own
    /// catch covers anything else. Dropping a job unrun (shutdown) cancels
    /// its task.
    pub(crate) fn run(self) {
        match self {
            Job::Future(runnable) => {
                runnable.run();
            }
            Job::Chain(runnable) => runnable.run(),
        }
    }
}
