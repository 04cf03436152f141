//! The executor-agnostic core of taskchain: Panda3D's task model (tasks,
//! task chains, futures, coroutine tasks) for Rust.
//!
//! - [`Task`], [`TaskChain`] and [`AsyncFuture`] are the three traits every
//!   backend and every library written against taskchain shares.
//! - [`Promise`], [`gather`], [`shield`] and every [`TaskHandle`] are
//!   [`AsyncFuture`]s: observable from any thread, awaitable from a
//!   coroutine, cancellable, with done callbacks.
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
//! # Panics
//!
//! No function of this crate panics on any argument: bad input comes back
//! as an [`Error`]. A task that panics is caught at the poll boundary; its
//! future holds [`Error::Panicked`] and the chain goes on.
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

mod async_future;
mod blocking;
mod builder;
mod cell;
mod chain;
mod chain_core;
mod clock;
mod context;
mod error;
mod event_done;
mod event_future;
mod event_receivers;
mod event_subscription;
mod frame_chain;
mod future_state;
mod gather;
mod glob;
mod handle;
mod interval;
mod interval_par;
mod interval_player;
mod interval_seq;
mod lerp;
mod local;
mod manager;
mod messenger;
mod pause;
mod promise;
mod run_queues;
mod runtime;
mod sequence;
mod settings;
mod shield;
mod status;
mod sync;
mod task;
mod threaded_chain;
mod wait_interval;

pub use async_future::AsyncFuture;
pub use blocking::Blocking;
pub use builder::{ScheduledTask, TaskBuilder};
pub use chain::{TaskChain, TaskChainExt};
pub use chain_core::ChainCore;
pub use clock::{duration_from_secs, Clock, ManualClock, RealClock};
pub use context::TaskContext;
pub use error::Error;
pub use event_future::EventFuture;
pub use event_subscription::Subscription;
pub use frame_chain::FrameChain;
pub use gather::{gather, Gather};
pub use handle::{AnyTask, LocalTaskHandle, TaskHandle};
pub use interval::Interval;
pub use interval_par::{par, IntervalPar};
pub use interval_player::{play, IntervalChainExt, IntervalHandle};
pub use interval_seq::{seq, IntervalSeq};
pub use lerp::{Lerp, LerpFn, Lerpable};
pub use local::LocalSpawner;
pub use manager::{TaskManager, DEFAULT_CHAIN};
pub use messenger::Messenger;
pub use pause::{next_frame, pause, pause_secs, NextFrame, Pause};
pub use promise::Promise;
pub use runtime::{check_thread_count, BoxFuture, Runtime, MAX_THREADS};
pub use sequence::{loop_sequence, sequence, LoopSequence, Sequence};
pub use settings::{ChainSettings, ChainStats};
pub use shield::{shield, Shield};
pub use status::DoneStatus;
pub use task::{Coroutine, Recurring, RecurringCoroutine, Step, Task};
pub use threaded_chain::ThreadedChain;
pub use wait_interval::Wait;
