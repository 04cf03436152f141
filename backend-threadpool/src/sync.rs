//! The synchronisation primitives of the pool's hand-off and sleep/wake
//! protocols, in one place so that the loom models can swap them.
//!
//! A normal build re-exports std's mutex and atomics, crossbeam-deque's
//! queues, crossbeam-utils' `AtomicCell` (as the one-item [`Slot`]) and
//! parking's parker, and reads the system clock: nothing is wrapped, so
//! the pool pays nothing for this module.
//!
//! Under `--cfg loom` (only for `src/loom_models/`) they come from loom
//! instead, so that loom explores every interleaving of our protocol:
//!
//! - `Mutex`, atomics and `fence` are loom's (and the worker's
//!   thread-local is `loom::thread_local!`);
//! - the parker is parking's own, built with its `loom` feature (the same
//!   code, on loom's mutex and condvar: an unpark before a park is kept);
//!   its deadline park waits for an unpark only, as the model clock stands
//!   still (see [`now`]); a worker's timed park returns at once, as if
//!   its timeout had passed (see `loom_parker`);
//! - the one-item slot is a loom mutex around an `Option` (see
//!   `loom_slot`): one step loom can reorder, as a lock-free swap is;
//! - the queues are stand-ins with crossbeam-deque's interface (see
//!   `loom_deque`): crossbeam-deque is not loom-aware, and its queues are
//!   linearizable and tested upstream; what the models check is our use of
//!   them.
//!
//! Under loom the crate is only good for its models: a pool built with
//! [`ThreadPool::builder`](crate::ThreadPool::builder) would run loom
//! primitives outside a loom model.

#[cfg(not(loom))]
pub(crate) use crossbeam_deque::{Injector, Steal, Stealer, Worker};
#[cfg(not(loom))]
pub(crate) use parking::{Parker, Unparker};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

/// A one-item slot that any thread may swap into or take from: lock-free
/// while `Option<T>` fits an atomic word (a [`Job`](crate::job::Job) of a
/// task cell does).
#[cfg(not(loom))]
pub(crate) type Slot<T> = crossbeam_utils::atomic::AtomicCell<Option<T>>;

/// The time now, for the timer.
#[cfg(not(loom))]
#[inline]
pub(crate) fn now() -> std::time::Instant {
    std::time::Instant::now()
}

#[cfg(loom)]
mod loom_deque;
#[cfg(loom)]
mod loom_parker;
#[cfg(loom)]
mod loom_slot;

#[cfg(loom)]
pub(crate) use crossbeam_deque::Steal;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use loom_deque::{Injector, Stealer, Worker};
#[cfg(loom)]
pub(crate) use loom_parker::{Parker, Unparker};
#[cfg(loom)]
pub(crate) use loom_slot::Slot;

#[cfg(loom)]
loom::lazy_static! {
    /// The model clock: one instant per loom execution, that never moves.
    static ref MODEL_NOW: std::time::Instant = std::time::Instant::now();
}

/// The time now, for the timer: under loom a clock that stands still for
/// the whole execution, so that a deadline at or before it is due and one
/// after it never comes (loom does not model time; this keeps every
/// execution deterministic).
#[cfg(loom)]
pub(crate) fn now() -> std::time::Instant {
    *MODEL_NOW
}
