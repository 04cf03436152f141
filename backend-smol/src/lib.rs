//! Threaded taskchain chains on the smol stack (`async-executor` +
//! `async-io`), and on async-std behind the `async-std` feature.
//!
//! A chain made here runs its workers on a [`SmolRuntime`]: an executor
//! run by threads of its own, each driving async-io's reactor, so a
//! coroutine task can await `async_io::Timer` or an `async_io::Async`
//! socket as well as taskchain's own pauses, promises and other tasks. The
//! scheduling semantics (order, sort barriers, frame sync, cancellation,
//! shutdown) are `taskchain-core`'s [`ThreadedChain`]; this crate only
//! lends it threads, a timer and the executor: a coroutine of sort 0 on a
//! free-running chain that uses every thread of the runtime runs in an
//! executor task of its own (a [`TaskHost`](taskchain_core::TaskHost)).
//!
//! ```
//! use std::time::Duration;
//! use taskchain_core::{pause, AsyncFuture, ChainSettings, TaskChainExt, TaskManager};
//!
//! let manager = TaskManager::new();
//! let chain = taskchain_smol::make_chain(
//!     &manager,
//!     "io",
//!     ChainSettings::default().num_threads(2),
//! )
//! .unwrap();
//!
//! let promise = chain.promise::<u32>();
//! let task = {
//!     let promise = promise.clone();
//!     chain.spawn(async move {
//!         // async-io's timer...
//!         async_io::Timer::after(Duration::from_millis(1)).await;
//!         // ...and taskchain's promise and pause, on the chain's clock.
//!         let n = promise.await?;
//!         pause(Duration::from_millis(1)).await?;
//!         Ok::<_, taskchain_core::Error>(n * 2)
//!     })
//! };
//! promise.set_result(21).unwrap();
//! assert_eq!(task.result(None), Ok(Ok(42)));
//!
//! // Cancels what is left and joins the runtime's threads.
//! manager.shutdown();
//! ```
//!
//! # async-std
//!
//! async-std is deprecated upstream; the `async-std` feature (never a
//! default) adds `AsyncStdRuntime` and `make_async_std_chain`, which run
//! the same chain on async-std's global executor and timer.
//!
//! # Panics
//!
//! No function of this crate panics: bad settings and threads the OS
//! refuses come back as an [`Error`](taskchain_core::Error).
//!
//! [`ThreadedChain`]: taskchain_core::ThreadedChain
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "async-std")]
mod async_std_runtime;
mod make_chain;
mod runtime;
mod stop;

#[cfg(feature = "async-std")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-std")))]
pub use async_std_runtime::{make_async_std_chain, AsyncStdRuntime};
pub use make_chain::make_chain;
pub use runtime::SmolRuntime;
