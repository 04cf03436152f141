#![doc = include_str!("guide.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backend;

pub use backend::Backend;
#[doc(inline)]
pub use taskchain_core::*;

/// taskchain's own thread pool and threaded chains on it (feature
/// `threadpool`, the default).
#[cfg(feature = "threadpool")]
#[cfg_attr(docsrs, doc(cfg(feature = "threadpool")))]
#[doc(inline)]
pub use taskchain_threadpool as threadpool;

/// Threaded chains on tokio (feature `tokio`).
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[doc(inline)]
pub use taskchain_tokio as tokio;

/// Threaded chains on smol, and on async-std with its feature (features
/// `smol`, `async-std`).
#[cfg(any(feature = "smol", feature = "async-std"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "smol", feature = "async-std"))))]
#[doc(inline)]
pub use taskchain_smol as smol;
