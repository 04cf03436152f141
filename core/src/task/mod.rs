//! Tasks: the unit of scheduled work, from its trait and kinds to the cell
//! a spawned task lives in and the handles that observe it.
//!
//! - `kinds`: the `Task` trait, `Step`, and the kinds taskchain provides
//!   (recurring closures, coroutines, recurring coroutines).
//! - `status`: `DoneStatus`, what a recurring task asks of its chain.
//! - `blocking`: `Blocking`, a blocking closure run once as a task.
//! - `sequence`: task sequences, child tasks run one after another as one.
//! - `builder`: `TaskBuilder`, a task with its properties, not yet scheduled.
//! - `cell`: the task cell (header, state bits, work, result), one
//!   allocation per spawned task.
//! - `context`: the current run (the thread-local frame a chain sets while it
//!   polls a task) and `TaskContext`.
//! - `handle`: `TaskHandle`, `LocalTaskHandle` and `AnyTask`.
//! - `local`: `LocalSpawner`, spawning `!Send` tasks on a frame chain.
//! - `pause`: await points on the chain itself, `pause` and `next_frame`.

pub(crate) mod blocking;
pub(crate) mod builder;
pub(crate) mod cell;
pub(crate) mod context;
pub(crate) mod handle;
pub(crate) mod kinds;
pub(crate) mod local;
pub(crate) mod pause;
pub(crate) mod sequence;
pub(crate) mod status;
