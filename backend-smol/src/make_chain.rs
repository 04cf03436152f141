//! Making threaded chains on the smol stack.

use std::sync::Arc;

use taskchain_core::{ChainSettings, Error, TaskManager, ThreadedChain};

use crate::SmolRuntime;

/// Makes a threaded chain named `name` in `manager`, on a [`SmolRuntime`]
/// of its own with `settings.num_threads` threads. The chain owns the
/// runtime: shutting the chain down stops and joins its threads.
///
/// Returns [`Error::InvalidSetting`] for 0 threads or more than
/// [`MAX_THREADS`](taskchain_core::MAX_THREADS) (a chain without threads
/// is a frame chain: `manager.make_task_chain`) or a frame budget,
/// [`Error::Runtime`] when the OS refuses a thread, and
/// [`Error::DuplicateChain`] if the name is taken.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{AsyncFuture, ChainSettings, TaskChainExt, TaskManager};
///
/// let manager = TaskManager::new();
/// let chain = taskchain_smol::make_chain(
///     &manager,
///     "io",
///     ChainSettings::default().num_threads(2),
/// )
/// .unwrap();
/// let task = chain.spawn(async {
///     async_io::Timer::after(Duration::from_millis(1)).await;
///     "slept"
/// });
/// assert_eq!(task.result(None), Ok("slept"));
/// ```
pub fn make_chain(
    manager: &TaskManager,
    name: &str,
    settings: ChainSettings,
) -> Result<Arc<ThreadedChain>, Error> {
    let runtime = SmolRuntime::new(settings.num_threads)?;
    manager.make_threaded_chain(name, settings, Arc::new(runtime))
}
