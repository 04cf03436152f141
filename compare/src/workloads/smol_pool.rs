//! async-executor run by [`THREADS`] threads on async-io's `block_on`: the
//! smol stack, as the raw runtime beneath taskchain-smol.

use std::sync::Arc;
use std::thread::JoinHandle;

use async_executor::Executor;

use crate::THREADS;

/// An [`Executor`] with [`THREADS`] threads running it until the pool is
/// dropped.
#[derive(Debug)]
pub struct SmolPool {
    executor: Arc<Executor<'static>>,
    /// Dropping the sender ends every thread's `run`.
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl SmolPool {
    /// Starts the threads.
    ///
    /// Returns an error if a thread cannot be spawned (the ones already
    /// started are stopped first).
    pub fn new() -> Result<Self, String> {
        let executor = Arc::new(Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let mut pool = SmolPool {
            executor,
            stop: Some(stop),
            threads: Vec::with_capacity(THREADS),
        };
        for i in 0..THREADS {
            let executor = pool.executor.clone();
            let stopped = stopped.clone();
            let thread = std::thread::Builder::new()
                .name(format!("smol-pool-{i}"))
                .spawn(move || {
                    // `recv` fails once the sender is dropped: that is the
                    // stop signal, not an error.
                    let _ = async_io::block_on(executor.run(stopped.recv()));
                })
                .map_err(|e| format!("cannot start an async-executor thread: {e}"))?;
            pool.threads.push(thread);
        }
        Ok(pool)
    }

    /// The executor, to spawn on.
    pub fn executor(&self) -> &Arc<Executor<'static>> {
        &self.executor
    }
}

impl Drop for SmolPool {
    fn drop(&mut self) {
        drop(self.stop.take());
        for thread in self.threads.drain(..) {
            // A thread that panicked has stopped all the same.
            let _ = thread.join();
        }
    }
}
