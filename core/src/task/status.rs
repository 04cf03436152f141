//! What a recurring task asks of its chain after each run.

/// The value a recurring task returns from each run.
///
/// | status | meaning |
/// |---|---|
/// | `Done` | the task is finished |
/// | `Cont` | run again next epoch |
/// | `Again` | run again after the task's delay; its elapsed time restarts |
/// | `Pickup` | run again this epoch while the chain's frame budget lasts, else like `Cont` |
/// | `Exit` | end the enclosing sequence; elsewhere like `Done` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DoneStatus {
    /// The task is finished.
    Done,
    /// Run again next epoch.
    Cont,
    /// Run again after the task's delay (next epoch if it has none); the
    /// task's elapsed time restarts.
    Again,
    /// Run again this epoch, after every other task of the epoch has run,
    /// while the chain's frame budget lasts (tasks that pick up take turns);
    /// without a budget, or once it is spent, like [`DoneStatus::Cont`].
    Pickup,
    /// End the enclosing sequence; outside a sequence, like
    /// [`DoneStatus::Done`].
    Exit,
}
