//! [`Job`]: what the pool's queues hold and its workers run.

use async_task::Runnable;

/// One unit of work for a worker. Every queue of the pool (a worker's LIFO
/// slot and local queue, the injector, what thieves take) holds these.
#[derive(Debug)]
pub(crate) enum Job {
    /// A spawned future's task cell, scheduled to be polled.
    Future(Runnable),
}

impl Job {
    /// Runs the job on the calling worker.
    ///
    /// A future's panic is caught by its task cell (`propagate_panic`) and
    /// handed to its handle; the worker's own catch covers anything else.
    pub(crate) fn run(self) {
        match self {
            Job::Future(runnable) => {
                runnable.run();
            }
        }
    }
}
