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
//! - `Arc`/`Weak`: loom's `Arc` cannot coerce to `dyn Trait` (`Dispatch`)
//!   and `std::task::Wake` needs std's. Loom runs every model thread on one
//!   OS thread, so std's reference counts stay correct; loom only does not
//!   explore their orderings. A task cell counts its references in its
//!   state word, which is loom's here, so those orderings are explored.
//! - `OnceLock` (loom has none): it holds values set before a chain is
//!   shared (its listener).
//! - the static id counters (`NEXT_ID`): loom objects cannot live in
//!   statics, and ids only need to be unique.
//! - the threaded chain's own locks and condition variable: its workers run
//!   on a `Runtime`, which the core's models do not drive (its idle-worker
//!   list, modelled on its own, takes loom's).
//!
//! [loom]: https://docs.rs/loom

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{
        fence, AtomicBool, AtomicI32, AtomicIsize, AtomicPtr, AtomicU32, AtomicU64, AtomicU8,
        AtomicUsize,
    },
    Mutex, MutexGuard,
};
#[cfg(not(loom))]
pub(crate) use std::thread::{current as current_thread, park, park_timeout, yield_now, Thread};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{
        fence, AtomicBool, AtomicI32, AtomicIsize, AtomicPtr, AtomicU32, AtomicU64, AtomicU8,
        AtomicUsize,
    },
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

/// A thread-local "current" pointer (the task being run, the chain being
/// polled, the worker being polled), set for the length of a scope.
///
/// Declared with [`scoped_thread_local!`]. Teardown-safe: once the
/// thread-local is destroyed, nothing is set and reads find nothing.
/// Storing a pointer is safe; dereferencing what [`get`](Self::get)
/// returns is the caller's `unsafe`, justified by the guard's scope.
pub(crate) struct ScopedKey<T: 'static> {
    slot: &'static LocalKey<std::cell::Cell<*const T>>,
}

#[cfg(not(loom))]
pub(crate) use std::thread::LocalKey;

#[cfg(loom)]
pub(crate) use loom::thread::LocalKey;

impl<T: 'static> ScopedKey<T> {
    pub(crate) const fn new(slot: &'static LocalKey<std::cell::Cell<*const T>>) -> Self {
        ScopedKey { slot }
    }

    /// Makes `ptr` current until the guard drops, which restores the
    /// previous one (scopes nest).
    #[inline]
    pub(crate) fn enter(&'static self, ptr: *const T) -> ScopeGuard<T> {
        let prev = self
            .slot
            .try_with(|c| c.replace(ptr))
            .unwrap_or(std::ptr::null());
        ScopeGuard { key: self, prev }
    }

    /// The current pointer; null outside every scope.
    #[inline]
    pub(crate) fn get(&'static self) -> *const T {
        self.slot.try_with(|c| c.get()).unwrap_or(std::ptr::null())
    }

    /// Whether `ptr` is current.
    pub(crate) fn is(&'static self, ptr: *const T) -> bool {
        std::ptr::eq(self.get(), ptr)
    }
}

/// Restores the previous current pointer when dropped (see
/// [`ScopedKey::enter`]).
pub(crate) struct ScopeGuard<T: 'static> {
    key: &'static ScopedKey<T>,
    prev: *const T,
}

impl<T: 'static> Drop for ScopeGuard<T> {
    #[inline]
    fn drop(&mut self) {
        let _ = self.key.slot.try_with(|c| c.set(self.prev));
    }
}

/// Declares a [`ScopedKey`] named `$name` holding `*const $t`.
macro_rules! scoped_thread_local {
    ($(#[$attr:meta])* static $name:ident: $t:ty) => {
        $(#[$attr])*
        static $name: $crate::sync::ScopedKey<$t> = {
            $crate::sync::const_thread_local! {
                static SLOT: std::cell::Cell<*const $t> = std::cell::Cell::new(std::ptr::null());
            }
            $crate::sync::ScopedKey::new(&SLOT)
        };
    };
}
pub(crate) use scoped_thread_local;

/// Reads an atomic pointer through `&mut` (no other reference to it
/// exists, as in a `Drop`): no synchronization is needed, and under loom
/// it is no scheduling point.
pub(crate) fn ptr_mut<T>(atomic: &mut AtomicPtr<T>) -> *mut T {
    #[cfg(not(loom))]
    {
        *atomic.get_mut()
    }
    #[cfg(loom)]
    {
        atomic.with_mut(|p| *p)
    }
}
