//! `LocalSpawner`: spawning `!Send` tasks on a frame chain from the thread
//! that polls it.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::chain::core::ChainCore;
use crate::error::Error;
use crate::task::builder::TaskBuilder;
use crate::task::context::TaskContext;
use crate::task::handle::LocalTaskHandle;
use crate::task::kinds::{Recurring, Task};
use crate::task::status::DoneStatus;

/// Spawns `!Send` tasks (coroutines holding `Rc` game state) on a frame
/// chain. It is itself `!Send`: it exists only on the thread that owns the
/// chain, which is the only thread allowed to poll it.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use taskchain_core::TaskManager;
///
/// let manager = TaskManager::new();
/// let local = manager.local_spawner().unwrap();
/// let score = Rc::new(RefCell::new(0));
/// let s = score.clone();
/// let task = local.spawn(async move { *s.borrow_mut() += 10; });
/// manager.poll().unwrap();
/// assert!(task.is_done());
/// assert_eq!(*score.borrow(), 10);
/// ```
///
/// Neither the spawner nor the handles it gives can leave the thread:
///
/// ```compile_fail
/// let manager = taskchain_core::TaskManager::new();
/// let local = manager.local_spawner().unwrap();
/// let handle = local.spawn(async { std::rc::Rc::new(1) });
/// std::thread::spawn(move || drop(handle)); // LocalTaskHandle is !Send
/// ```
///
/// ```compile_fail
/// let manager = taskchain_core::TaskManager::new();
/// let local = manager.local_spawner().unwrap();
/// std::thread::spawn(move || drop(local)); // LocalSpawner is !Send
/// ```
pub struct LocalSpawner {
    core: Arc<ChainCore>,
    _not_send: PhantomData<*const ()>,
}

impl LocalSpawner {
    pub(crate) fn new(core: Arc<ChainCore>) -> Self {
        LocalSpawner {
            core,
            _not_send: PhantomData,
        }
    }

    /// Spawns a `!Send` coroutine task.
    pub fn spawn<F>(&self, future: F) -> LocalTaskHandle<F::Output>
    where
        F: Future + 'static,
    {
        LocalTaskHandle::new(TaskBuilder::coroutine(future).spawn_local_into(&self.core))
    }

    /// Spawns a `!Send` coroutine task whose `async` block returns a
    /// `Result` (see [`TaskBuilder::fallible`]).
    pub fn spawn_fallible<F, T>(&self, future: F) -> LocalTaskHandle<T>
    where
        F: Future<Output = Result<T, Error>> + 'static,
        T: 'static,
    {
        LocalTaskHandle::new(TaskBuilder::fallible(future).spawn_local_into(&self.core))
    }

    /// Adds a `!Send` recurring task.
    pub fn add<F>(&self, f: F) -> LocalTaskHandle<()>
    where
        F: FnMut(&TaskContext<'_>) -> DoneStatus + 'static,
    {
        LocalTaskHandle::new(TaskBuilder::new(Recurring(f)).spawn_local_into(&self.core))
    }

    /// Schedules a built `!Send` task on this chain.
    ///
    /// Returns [`Error::UnknownChain`] if the builder names another chain.
    pub fn add_task<W: Task>(
        &self,
        task: TaskBuilder<W>,
    ) -> Result<LocalTaskHandle<W::Output>, Error> {
        if let Some(other) = task.chain_name() {
            if other != self.core.name() {
                return Err(Error::UnknownChain(other.to_owned()));
            }
        }
        Ok(LocalTaskHandle::new(task.spawn_local_into(&self.core)))
    }
}

impl std::fmt::Debug for LocalSpawner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSpawner")
            .field("chain", &self.core.name())
            .finish()
    }
}
