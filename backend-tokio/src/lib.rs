//! Threaded taskchain chains on tokio.
//!
//! A chain made here runs its workers as tokio tasks, so its tasks run
//! inside the tokio runtime's context: a coroutine task can await
//! `tokio::time::sleep`, a tokio channel or a tokio socket as well as
//! taskchain's own pauses, promises and other tasks. The scheduling
//! semantics (order, sort barriers, frame sync, cancellation, shutdown)
//! are `taskchain-core`'s [`ThreadedChain`]; this crate only lends it
//! tokio's threads, timer and scheduler through [`TokioRuntime`]: a
//! coroutine of sort 0 on a free-running chain that uses every thread of
//! the runtime runs in a tokio task of its own (a
//! [`TaskHost`](taskchain_core::TaskHost)), scheduled by tokio.
//!
//! - [`make_chain`]: a chain on a runtime of its own with
//!   `settings.num_threads` threads, shut down with the chain.
//! - [`make_chain_on`]: a chain on a runtime the caller owns.
//!
//! ```
//! use std::time::Duration;
//! use taskchain_core::{pause, AsyncFuture, ChainSettings, TaskChainExt, TaskManager};
//!
//! let manager = TaskManager::new();
//! let chain = taskchain_tokio::make_chain(
//!     &manager,
//!     "io",
//!     ChainSettings::default().num_threads(2),
//! )
//! .unwrap();
//!
//! let (tx, rx) = tokio::sync::oneshot::channel();
//! let task = chain.spawn(async move {
//!     // The runtime's own timer and channels...
//!     tokio::time::sleep(Duration::from_millis(1)).await;
//!     let n: u32 = rx.await.unwrap_or(0);
//!     // ...and taskchain's pause, on the chain's clock.
//!     pause(Duration::from_millis(1)).await?;
//!     Ok::<_, taskchain_core::Error>(n * 2)
//! });
//! tx.send(21).unwrap();
//! assert_eq!(task.result(None), Ok(Ok(42)));
//!
//! // Cancels what is left and joins the runtime's threads.
//! manager.shutdown();
//! ```
//!
//! # Panics
//!
//! No function of this crate panics: bad settings and runtimes that cannot
//! be built come back as an [`Error`](taskchain_core::Error).
//!
//! [`ThreadedChain`]: taskchain_core::ThreadedChain

mod make_chain;
mod runtime;

pub use make_chain::{make_chain, make_chain_on};
pub use runtime::TokioRuntime;
