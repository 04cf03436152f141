//! async-std (deprecated upstream, behind the `async-std` feature): its
//! global executor and timer lent to threaded chains.

use std::sync::Arc;
use std::time::Duration;

use taskchain_core::{
    ChainSettings, Error, HostSpawner, Runtime, RuntimeFuture, TaskHost, TaskManager,
    TaskScheduling, ThreadedChain,
};

/// The variable async-std reads its thread count from.
const THREAD_COUNT_VAR: &str = "ASYNC_STD_THREAD_COUNT";

/// async-std's global runtime for threaded chains: a chain's tasks can
/// await `async_std::task::sleep`, async-std channels and sockets.
///
/// The runtime is process-wide and lives as long as the process: there is
/// nothing to own, stop or join, so a chain's shutdown stops only the
/// chain's workers.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::Runtime;
/// use taskchain_smol::AsyncStdRuntime;
///
/// let (tx, rx) = std::sync::mpsc::channel();
/// AsyncStdRuntime.spawn(Box::pin(async move {
///     async_std::task::sleep(Duration::from_millis(1)).await;
///     let _ = tx.send(());
/// }));
/// assert_eq!(rx.recv(), Ok(()));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStdRuntime;

impl Runtime for AsyncStdRuntime {
    fn name(&self) -> &str {
        "async-std"
    }

    /// The global executor's thread count as async-std configures it:
    /// `ASYNC_STD_THREAD_COUNT` if set to a number, else the available
    /// parallelism, at least 1. (It may start more threads under load.)
    fn threads(&self) -> usize {
        std::env::var(THREAD_COUNT_VAR)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1)
    }

    fn spawn(&self, future: RuntimeFuture) {
        // Detached (dropping the handle detaches). `task::spawn` would
        // panic where the builder returns an error; async-std never
        // refuses today, and if it did the future is dropped, as the trait
        // allows.
        drop(async_std::task::Builder::new().spawn(future));
    }

    fn sleep(&self, duration: Duration) -> RuntimeFuture {
        Box::pin(async_std::task::sleep(duration))
    }

    /// Each coroutine a chain hands over runs in an async-std task of its
    /// own, which its wakes wake.
    fn task_scheduling(&self) -> Option<TaskScheduling> {
        Some(TaskScheduling::Hosts(Arc::new(AsyncStdHosts)))
    }
}

/// Spawns hosts as tasks of async-std's global runtime.
struct AsyncStdHosts;

impl HostSpawner for AsyncStdHosts {
    fn spawn_host(&self, host: TaskHost) {
        drop(async_std::task::Builder::new().spawn(host));
    }
}

/// Makes a threaded chain named `name` in `manager` on async-std's global
/// runtime, with `settings.num_threads` workers (0: as many as
/// [`AsyncStdRuntime::threads`](Runtime::threads)).
///
/// Returns [`Error::InvalidSetting`] for a frame budget and
/// [`Error::DuplicateChain`] if the name is taken.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{AsyncFuture, ChainSettings, TaskChainExt, TaskManager};
///
/// let manager = TaskManager::new();
/// let chain = taskchain_smol::make_async_std_chain(
///     &manager,
///     "legacy",
///     ChainSettings::default().num_threads(2),
/// )
/// .unwrap();
/// let task = chain.spawn(async {
///     async_std::task::sleep(Duration::from_millis(1)).await;
///     "slept"
/// });
/// assert_eq!(task.result(None), Ok("slept"));
/// ```
pub fn make_async_std_chain(
    manager: &TaskManager,
    name: &str,
    settings: ChainSettings,
) -> Result<Arc<ThreadedChain>, Error> {
    manager.make_threaded_chain(name, settings, Arc::new(AsyncStdRuntime))
}
