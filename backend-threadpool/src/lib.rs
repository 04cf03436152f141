//! taskchain's own executor: a work-stealing [`ThreadPool`] with a timer
//! thread, and threaded task chains on it ([`make_chain`]).
//!
//! - Spawned futures live in [`async_task`] cells; a cell woken on a worker
//!   goes to that worker's LIFO slot, to run next (or to its local queue),
//!   one woken elsewhere to a shared injector; idle workers steal from
//!   both ([`crossbeam_deque`]) and sleep when there is nothing to steal,
//!   and only one is woken at a time to look for work.
//! - A panicking future never takes a worker down: its [`JoinHandle`]
//!   gives [`Error::Panicked`](taskchain_core::Error::Panicked).
//! - [`ThreadPool::sleep`] runs on one timer thread that parks until just
//!   before the next deadline and yields for the last few microseconds
//!   (see [`ThreadPoolBuilder::timer_spin`]), so short sleeps are punctual.
//! - [`ThreadPool::shutdown`] (or dropping the last handle) drops every
//!   unfinished future and joins every thread.
//! - The pool is a [`taskchain_core::Runtime`], so a
//!   [`ThreadedChain`](taskchain_core::ThreadedChain) can run on it;
//!   [`make_chain`] builds one on a pool of its own.
//!
//! A coroutine task on a threaded chain:
//!
//! ```
//! use std::time::Duration;
//! use taskchain_core::{pause, AsyncFuture, ChainSettings, TaskChain, TaskChainExt, TaskManager};
//!
//! let manager = TaskManager::new();
//! let chain = taskchain_threadpool::make_chain(
//!     &manager,
//!     "workers",
//!     ChainSettings::default().num_threads(2),
//! )
//! .unwrap();
//! let loaded = chain.spawn(async {
//!     pause(Duration::from_millis(1)).await?;
//!     Ok::<_, taskchain_core::Error>("level 1")
//! });
//! assert_eq!(loaded.result(None), Ok(Ok("level 1")));
//! chain.shutdown();
//! ```
//!
//! The pool on its own:
//!
//! ```
//! use std::time::Duration;
//! use taskchain_threadpool::ThreadPool;
//!
//! let pool = ThreadPool::builder().threads(2).name("demo").build().unwrap();
//! let timer = pool.clone();
//! let handles: Vec<_> = (0..4u64)
//!     .map(|i| {
//!         let timer = timer.clone();
//!         pool.spawn(async move {
//!             timer.sleep(Duration::from_millis(i)).await;
//!             i * i
//!         })
//!     })
//!     .collect();
//! let squares: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
//! assert_eq!(squares, [0, 1, 4, 9]);
//! pool.shutdown();
//! ```
//!
//! # Panics
//!
//! No function of this crate panics. A panic inside a spawned future is
//! caught on its worker and reported by its handle.

mod active;
mod builder;
mod chain;
mod job;
mod join;
#[cfg(all(test, loom))]
mod loom_models;
mod pool;
mod pool_state;
mod remote;
mod runtime;
mod sleep;
mod sleepers;
mod sync;
mod threads;
mod timer;
mod worker;

pub use builder::{
    ThreadPoolBuilder, DEFAULT_PREFIX, DEFAULT_TIMER_SPIN, MAX_THREADS, MAX_TIMER_SPIN,
};
pub use chain::make_chain;
pub use join::JoinHandle;
pub use pool::ThreadPool;
pub use sleep::Sleep;
