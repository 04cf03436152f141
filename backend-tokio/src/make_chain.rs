//! Making threaded chains on tokio: on a runtime of their own, or on the
//! caller's.

use std::sync::Arc;

use taskchain_core::{ChainSettings, Error, TaskManager, ThreadedChain};
use tokio::runtime::Handle;

use crate::TokioRuntime;

/// Makes a threaded chain named `name` in `manager`, on a tokio runtime of
/// its own with `settings.num_threads` worker threads. The chain owns the
/// runtime: shutting the chain down shuts the runtime down and joins its
/// threads.
///
/// Returns [`Error::InvalidSetting`] for 0 threads or more than
/// [`MAX_THREADS`](taskchain_core::MAX_THREADS) (a chain without threads
/// is a frame chain: `manager.make_task_chain`) or a frame budget,
/// [`Error::Runtime`] when tokio cannot build the runtime, and
/// [`Error::DuplicateChain`] if the name is taken.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{AsyncFuture, ChainSettings, TaskChainExt, TaskManager};
///
/// let manager = TaskManager::new();
/// let chain = taskchain_tokio::make_chain(
///     &manager,
///     "net",
///     ChainSettings::default().num_threads(2),
/// )
/// .unwrap();
/// let task = chain.spawn(async {
///     tokio::time::sleep(Duration::from_millis(1)).await;
///     "slept"
/// });
/// assert_eq!(task.result(None), Ok("slept"));
/// ```
pub fn make_chain(
    manager: &TaskManager,
    name: &str,
    settings: ChainSettings,
) -> Result<Arc<ThreadedChain>, Error> {
    let runtime = TokioRuntime::new(settings.num_threads)?;
    manager.make_threaded_chain(name, settings, Arc::new(runtime))
}

/// Makes a threaded chain named `name` in `manager` on the tokio runtime
/// behind `handle`, which the caller owns and keeps running.
/// `settings.num_threads` workers run on it; 0 means one per worker thread
/// of the runtime.
///
/// See [`TokioRuntime::from_handle`] for current-thread runtimes.
///
/// Returns [`Error::InvalidSetting`] for a runtime without timers or a
/// frame budget, and [`Error::DuplicateChain`] if the name is taken.
pub fn make_chain_on(
    manager: &TaskManager,
    name: &str,
    settings: ChainSettings,
    handle: Handle,
) -> Result<Arc<ThreadedChain>, Error> {
    let runtime = TokioRuntime::from_handle(handle)?;
    manager.make_threaded_chain(name, settings, Arc::new(runtime))
}
