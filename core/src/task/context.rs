//! `TaskContext`: what a recurring task sees of itself while it runs.

use std::time::Duration;

use crate::task::header::Header;

/// What a recurring task sees of itself while it runs: Panda3D's `task`
/// argument.
///
/// ```
/// use taskchain_core::{DoneStatus, TaskContext, TaskManager};
///
/// let manager = TaskManager::new();
/// let handle = manager.add(|task: &TaskContext<'_>| {
///     if task.frame() < 3 { DoneStatus::Cont } else { DoneStatus::Done }
/// });
/// manager.run_until(&handle).unwrap();
/// ```
pub struct TaskContext<'a> {
    pub(crate) header: &'a Header,
    pub(crate) now: Duration,
    pub(crate) epoch: u64,
}

impl TaskContext<'_> {
    /// The task's unique id.
    pub fn id(&self) -> u64 {
        self.header.id
    }

    /// The task's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.header.name()
    }

    /// Time since the task started (or since its last `Again`), read from
    /// the chain's clock at the start of this epoch.
    pub fn time(&self) -> Duration {
        self.header
            .start_time()
            .map_or(Duration::ZERO, |start| self.now.saturating_sub(start))
    }

    /// Epochs of its chain since the task started: 0 on its first run.
    pub fn frame(&self) -> u64 {
        self.header.frames_since_start(self.epoch)
    }

    /// The task's sort.
    pub fn sort(&self) -> i32 {
        self.header.sort()
    }

    /// The task's priority.
    pub fn priority(&self) -> i32 {
        self.header.priority()
    }

    /// The delay `Again` waits, if set.
    pub fn delay(&self) -> Option<Duration> {
        self.header.delay()
    }

    /// Sets the delay `Again` waits.
    pub fn set_delay(&self, delay: Option<Duration>) {
        self.header.set_delay(delay);
    }

    /// The name of the chain the task runs on.
    pub fn chain_name(&self) -> &str {
        self.header.chain.name()
    }
}

impl std::fmt::Debug for TaskContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskContext")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("frame", &self.frame())
            .finish()
    }
}
