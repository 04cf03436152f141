//! The executor-agnostic core of taskchain: Panda3D's task model (tasks,
//! task chains, futures, coroutine tasks) for Rust.
//!
//! - [`Task`], [`TaskChain`] and [`AsyncFuture`] are the three traits every
//!   backend and every library written against taskchain shares.
//! - [`Promise`], [`gather`], [`gather_tuple`], [`shield`] and every
//!   [`TaskHandle`] are [`AsyncFuture`]s: observable from any thread,
//!   awaitable from a coroutine, cancellable, with done callbacks. Any of
//!   them goes behind one type with [`AsyncFuture::into_boxed`]; a
//!   coroutine awaits one for at most some time with [`wait_for`], and
//!   takes several as they finish with [`as_completed`].
//! - A coroutine task may also be a struct implementing [`CoroutineTask`]
//!   (with [`async_trait`](macro@async_trait)), whose `async fn run` is the
//!   coroutine and whose fields are its state; tasks of different types
//!   spawn from one list of boxes.
//! - [`FrameChain`] is the embedded chain a game loop drives with
//!   [`TaskManager::poll`]: no runtime, no threads, one epoch per frame.
//!
//! ```
//! use std::time::Duration;
//! use taskchain_core::{pause, DoneStatus, ManualClock, TaskContext, TaskManager};
//!
//! let clock = ManualClock::new();
//! let manager = TaskManager::with_clock(clock.clone());
//!
//! // A recurring task, run once per frame.
//! manager.add(|task: &TaskContext<'_>| {
//!     if task.frame() < 10 { DoneStatus::Cont } else { DoneStatus::Done }
//! });
//! // A coroutine task that waits without stalling the frame loop.
//! let rocket = manager.spawn(async {
//!     pause(Duration::from_secs(3)).await?;
//!     Ok::<_, taskchain_core::Error>("Launch!")
//! });
//!
//! while !rocket.is_done() {
//!     manager.poll().unwrap();
//!     clock.advance(Duration::from_millis(100));
//! }
//! assert_eq!(manager.run_until(&rocket), Ok(Ok("Launch!")));
//! ```
//!
//! # Features
//!
//! - `tracing` (off by default): reports to [`tracing`](https://docs.rs/tracing),
//!   with the target `taskchain`. Each task run is a span `task` (level
//!   TRACE) with the fields `id`, `name` (empty if the task has none),
//!   `chain`, `sort` and `priority`. Events, each with the task's `task`
//!   (id) and `name` where one task is concerned:
//!   - `cancel requested` (DEBUG; `made`: the request took, `abort`: the
//!     chain's shutdown or the loss of its runtime made it);
//!   - `cancel delivered` (DEBUG; `at`: `await` when a coroutine reads
//!     [`Error::Cancelled`] at an await point, `end` when the task is ended
//!     with the request pending);
//!   - `task panicked` (WARN; `during`: `run`, `drop` or `upon_death`;
//!     `panic`: the message);
//!   - `upon_death` (DEBUG; `end`: the [`TaskEnd`] it is called with);
//!   - `chain shutdown` (DEBUG; `chain`, `tasks`: its live tasks), once per
//!     chain;
//!   - `frame budget overrun` (DEBUG; `chain`, `budget`, `spent`,
//!     `deferred`: runs were left for the next poll).
//!
//!   Without the feature none of this is compiled; with it and no
//!   subscriber, each span or event costs `tracing`'s check of its
//!   callsite.
//!
//! # Panics
//!
//! No function of this crate panics on any argument: bad input comes back
//! as an [`Error`]. A task that panics is caught at the poll boundary; its
//! future holds [`Error::Panicked`] and the chain goes on.

mod chain;
mod clock;
mod error;
mod event;
mod future;
mod interval;
mod manager;
mod sync;
mod task;
mod trace;

/// The attribute that implements [`CoroutineTask`] (and declares any other
/// object-safe async trait): re-exported from the `async-trait` crate, so
/// that code using taskchain needs no dependency of its own for it.
pub use async_trait::async_trait;
pub use chain::core::ChainCore;
pub use chain::frame::FrameChain;
pub use chain::host::TaskHost;
pub use chain::runnable::TaskRunnable;
pub use chain::runtime::{
    check_thread_count, HostSpawner, Runtime, RuntimeFuture, Scheduler, TaskScheduling, MAX_THREADS,
};
pub use chain::settings::{ChainSettings, ChainStats};
pub use chain::task_chain::{TaskChain, TaskChainExt};
pub use chain::threaded::ThreadedChain;
pub use chain::wake_gate::WakeGate;
pub use clock::{duration_from_secs, Clock, ManualClock, RealClock};
pub use error::Error;
pub use event::future::EventFuture;
pub use event::messenger::Messenger;
pub use event::stream::EventStream;
pub use event::subscription::Subscription;
pub use future::as_completed::{as_completed, AsCompleted, NextCompleted};
pub use future::async_future::AsyncFuture;
pub use future::boxed::BoxedAsyncFuture;
pub use future::gather::{gather, Gather};
pub use future::gather_tuple::{gather_tuple, GatherTuple, GatherTupleChildren};
pub use future::pending_call::PendingCall;
pub use future::promise::Promise;
pub use future::shield::{shield, Shield};
pub use interval::interval_trait::Interval;
pub use interval::lerp::{Lerp, LerpFn, Lerpable};
pub use interval::par::{par, IntervalPar};
pub use interval::player::{play, IntervalChainExt, IntervalHandle};
pub use interval::seq::{seq, IntervalSeq};
pub use interval::wait::Wait;
pub use manager::{TaskManager, DEFAULT_CHAIN};
pub use task::blocking::Blocking;
pub use task::builder::{ScheduledTask, TaskBuilder};
pub use task::context::TaskContext;
pub use task::coroutine_task::CoroutineTask;
pub use task::current::current_task;
pub use task::death::{TaskDeath, TaskEnd};
pub use task::group::join::GroupJoin;
pub use task::group::TaskGroup;
pub use task::handle::{AnyTask, LocalTaskHandle, TaskHandle};
pub use task::kinds::{
    Coroutine, FallibleCoroutine, Recurring, RecurringCoroutine, RecurringOutput, Step, Task,
};
pub use task::local::LocalSpawner;
pub use task::pause::{next_frame, pause, pause_secs, NextFrame, Pause};
pub use task::sequence::{loop_sequence, sequence, LoopSequence, Sequence};
pub use task::status::DoneStatus;
pub use task::wait_for::{wait_for, WaitFor};
