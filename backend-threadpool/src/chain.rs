//! Threaded task chains on a pool of their own.

use std::sync::Arc;

use taskchain_core::{ChainSettings, Error, TaskManager, ThreadedChain};

use crate::ThreadPool;

/// Makes a threaded chain named `name` in `manager`, on a new pool of
/// `settings.num_threads` workers named `taskchain-{name}-{i}` (and a
/// timer thread `taskchain-{name}-timer`). The chain owns the pool: its
/// threads stop when the chain shuts down.
///
/// The same function exists in `taskchain-tokio` and `taskchain-smol`.
///
/// Returns [`Error::InvalidSetting`] for `num_threads == 0` (a chain
/// without threads is a frame chain: see
/// [`TaskManager::make_task_chain`]) or a frame budget, [`Error::Runtime`]
/// when a thread cannot be started, and [`Error::DuplicateChain`] if the
/// name is taken.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{AsyncFuture, ChainSettings, TaskChainExt, TaskManager};
///
/// let manager = TaskManager::new();
/// let chain = taskchain_threadpool::make_chain(
///     &manager,
///     "loader",
///     ChainSettings::default().num_threads(2),
/// )
/// .unwrap();
/// let answer = chain.spawn(async { 6 * 7 });
/// assert_eq!(answer.result(Some(Duration::from_secs(10))), Ok(42));
/// ```
pub fn make_chain(
    manager: &TaskManager,
    name: &str,
    settings: ChainSettings,
) -> Result<Arc<ThreadedChain>, Error> {
    if settings.num_threads == 0 {
        return Err(Error::InvalidSetting(format!(
            "a threaded chain needs at least one thread; chain {name:?} asked for 0"
        )));
    }
    let pool = ThreadPool::builder()
        .threads(settings.num_threads)
        .name(format!("taskchain-{name}"))
        .build()?;
    manager.make_threaded_chain(name, settings, Arc::new(pool))
}
