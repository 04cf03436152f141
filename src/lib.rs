#![doc = include_str!("../README.md")]

mod backend;

pub use backend::Backend;
pub use taskchain_core::*;

/// taskchain's own thread pool and threaded chains on it (feature
/// `threadpool`, the default).
#[cfg(feature = "threadpool")]
pub use taskchain_threadpool as threadpool;

/// Threaded chains on tokio (feature `tokio`).
#[cfg(feature = "tokio")]
pub use taskchain_tokio as tokio;

/// Threaded chains on smol, and on async-std with its feature (features
/// `smol`, `async-std`).
#[cfg(any(feature = "smol", feature = "async-std"))]
pub use taskchain_smol as smol;
