//! A task's death as its `upon_death` callback sees it (Panda3D passes the
//! task to `uponDeath`): which task ended, on which chain, and how.

use crate::task::header::Header;

/// How a task ended, as [`TaskDeath::end`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskEnd {
    /// It finished with its value (it returned `Done` or `Exit`, or its
    /// coroutine completed): the one clean exit.
    Finished,
    /// It was cancelled or removed, or its chain shut down.
    Cancelled,
    /// Its body, the drop of its work or its `upon_death` panicked.
    Panicked,
    /// It ended with an error other than a cancellation (a fallible task's
    /// `Err`).
    Failed,
}

/// The task an `upon_death` callback is called for (see
/// [`TaskBuilder::upon_death_with`](crate::TaskBuilder::upon_death_with)),
/// borrowed for the call.
///
/// ```
/// use taskchain_core::{TaskBuilder, TaskEnd, TaskManager};
/// use std::sync::{Arc, Mutex};
///
/// let manager = TaskManager::new();
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let task = manager
///     .add_task(TaskBuilder::coroutine(async { 7 }).name("loader").upon_death_with(
///         move |death| {
///             let name = death.name().unwrap_or("").to_owned();
///             log.lock().unwrap().push((death.id(), name, death.end()));
///         },
///     ))
///     .unwrap();
/// manager.run_until(&task).unwrap();
/// let seen = seen.lock().unwrap();
/// assert_eq!(*seen, [(task.id(), "loader".to_owned(), TaskEnd::Finished)]);
/// ```
pub struct TaskDeath<'a> {
    header: &'a Header,
    end: TaskEnd,
}

impl<'a> TaskDeath<'a> {
    pub(crate) fn new(header: &'a Header, end: TaskEnd) -> Self {
        TaskDeath { header, end }
    }

    /// The task's unique id, as [`TaskHandle::id`](crate::TaskHandle::id)
    /// reads it.
    pub fn id(&self) -> u64 {
        self.header.id
    }

    /// The task's name when it ended (a task renamed while it lived
    /// reports its last name), if it has one.
    pub fn name(&self) -> Option<&'a str> {
        self.header.name()
    }

    /// The name of the chain the task ran on.
    pub fn chain_name(&self) -> &'a str {
        self.header.chain.name()
    }

    /// How the task ended.
    pub fn end(&self) -> TaskEnd {
        self.end
    }

    /// Whether the task finished normally ([`TaskEnd::Finished`]): `false`
    /// if it was removed, cancelled, failed or panicked. What the plain
    /// [`upon_death`](crate::TaskBuilder::upon_death) callback receives.
    pub fn clean_exit(&self) -> bool {
        self.end == TaskEnd::Finished
    }
}

impl std::fmt::Debug for TaskDeath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskDeath")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("chain", &self.chain_name())
            .field("end", &self.end)
            .finish()
    }
}

/// The callback a task runs once when it ends: boxed once, and cloned with
/// the builder that holds it (each clone's task gets its own).
pub(crate) trait DeathHook: Send {
    /// Runs the callback, consuming it.
    fn call(self: Box<Self>, death: &TaskDeath<'_>);

    /// A copy for a cloned builder.
    fn clone_hook(&self) -> Box<dyn DeathHook>;
}

impl<F> DeathHook for F
where
    F: FnOnce(&TaskDeath<'_>) + Clone + Send + 'static,
{
    fn call(self: Box<Self>, death: &TaskDeath<'_>) {
        (*self)(death)
    }

    fn clone_hook(&self) -> Box<dyn DeathHook> {
        Box::new(self.clone())
    }
}
