//! Spawning on any subject through one cloneable handle.

use std::future::Future;
use std::sync::Arc;

use async_executor::Executor;
use taskchain::threadpool::ThreadPool;
use taskchain::{FrameChain, TaskChainExt, ThreadedChain};
use taskchain_core_traced::TaskChainExt as _;

use super::floor::FloorSpawner;
use super::join::Join;

/// Spawns tasks on a subject's runtime, from inside it or from any thread.
/// Cloning it is one reference count (or nothing).
#[derive(Clone)]
pub(crate) enum Spawner {
    /// The embedded frame chain (its tasks run inside `poll()`).
    Frame(Arc<FrameChain>),
    /// The frame chain of the core built with `tracing` on.
    FrameTraced(Arc<taskchain_core_traced::FrameChain>),
    /// A threaded chain.
    Chain(Arc<ThreadedChain>),
    /// A tokio runtime, current-thread or multi-thread.
    Tokio(tokio::runtime::Handle),
    /// async-executor run by its own threads.
    Executor(Arc<Executor<'static>>),
    /// async-std's global runtime.
    AsyncStd,
    /// taskchain's raw thread pool.
    Pool(ThreadPool),
    /// The floor (its tasks run inside its `block_on` or `run_until`).
    Floor(FloorSpawner),
}

impl Spawner {
    /// Spawns `future` as a task.
    pub(crate) fn spawn<F>(&self, future: F) -> Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Spawner::Frame(chain) => Join::Task(chain.spawn(future)),
            Spawner::FrameTraced(chain) => Join::TracedTask(chain.spawn(future)),
            Spawner::Chain(chain) => Join::Task(chain.spawn(future)),
            Spawner::Tokio(handle) => Join::Tokio(handle.spawn(future)),
            Spawner::Executor(executor) => Join::Executor(executor.spawn(future)),
            Spawner::AsyncStd => Join::AsyncStd(async_std::task::spawn(future)),
            Spawner::Pool(pool) => Join::Pool(pool.spawn(future)),
            Spawner::Floor(floor) => Join::Floor(floor.spawn(future)),
        }
    }
}
