//! The synchronization primitives of the core's concurrent state machines,
//! from `std` in normal builds and from [loom] under `--cfg loom`.
//!
//! The future state (`future::state`), the task cells (`task::cell`), gathers,
//! shields, promises, the chain core's queues and the frame chain take their
//! mutexes, atomics, thread parking and thread-locals from here, so that
//! the loom models (`tests/loom_*.rs`) explore every interleaving of exactly
//! the code that ships. In normal builds everything here is a plain
//! re-export of `std`: no wrapper, no cost.
//!
//! Deliberately still from `std` under loom:
//! - `Arc`/`Weak`: loom's `Arc` cannot coerce to `dyn Trait` (`TaskRef`,
//!   `Dispatch`) and `std::task::Wake` needs std's. Loom runs every model
//!   thread on one OS thread, so std's reference counts stay correct; loom
//!   only does not explore their orderings.
//! - `OnceLock` (loom has none): it holds values set before a task or chain
//!   is shared (task metadata, a chain's owner thread, its listener).
//! - the static id counters (`NEXT_ID`): loom objects cannot live in
//!   statics, and ids only need to be unique.
//! - the threaded chain's own locks and condition variable: its workers run
//!   on a `Runtime`, which the core's models do not drive.
//!
//! [loom]: https://docs.rs/loom

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicI32, AtomicIsize, AtomicU32, AtomicU64, AtomicUsize},
    Mutex, MutexGuard,
};
#[cfg(not(loom))]
pub(crate) use std::thread::{current as current_thread, park, park_timeout, yield_now, Thread};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicI32, AtomicIsize, AtomicU32, AtomicU64, AtomicUsize},
    Mutex, MutexGuard,
};
#[cfg(loom)]
pub(crate) use loom::thread::{current as current_thread, park, yield_now, Thread};

/// Loom has no timed park. A timed park may return early for no reason, so
/// giving the other model threads a turn is one of its allowed behaviours.
#[cfg(loom)]
pub(crate) fn park_timeout(_timeout: std::time::Duration) {
    loom::thread::yield_now();
}

/// Declares a thread-local with a `const` initializer: `std`'s `const`
/// form (no lazy-initialization check on access) in normal builds, loom's
/// per-model-thread key under loom (which has no `const` form).
macro_rules! const_thread_local {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        #[cfg(not(loom))]
        std::thread_local! {
            $(#[$attr])* static $name: $t = const { $init };
        }
        #[cfg(loom)]
        loom::thread_local! {
            $(#[$attr])* static $name: $t = $init;
        }
    };
}
pub(crate) use const_thread_local;

/// Declares a lazily initialized thread-local: `std::thread_local!`, or
/// loom's under loom (std's would be shared by all model threads, which loom
/// runs on one OS thread).
macro_rules! lazy_thread_local {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        #[cfg(not(loom))]
        std::thread_local! {
            $(#[$attr])* static $name: $t = $init;
        }
        #[cfg(loom)]
        loom::thread_local! {
            $(#[$attr])* static $name: $t = $init;
        }
    };
}
pub(crate) use lazy_thread_local;
