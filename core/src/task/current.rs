//! The current run: the thread-local frame a chain sets while it polls a
//! task.
//!
//! Futures of this crate read the frame to deliver a cancel request at their
//! await point, to ask the chain to put the task to sleep (`pause`) or to
//! run it next frame (`next_frame`), and to find the chain a new promise or
//! an awaited, not yet scheduled task belongs to.

use std::cell::Cell;
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use crate::chain::core::ChainCore;
use crate::sync::{scoped_thread_local, ScopeGuard};
use crate::task::header::Header;

/// The current run: the task, the waker the chain polls it with, and the
/// requests its futures leave for the chain.
pub(crate) struct RunFrame<'a> {
    pub(crate) header: &'a Header,
    /// The task's own waker: an await point of the chain (`pause`,
    /// `next_frame`) polled with another one is driven by something else.
    pub(crate) waker: &'a Waker,
    pub(crate) sleep_until: Cell<Option<Duration>>,
    pub(crate) yield_next: Cell<bool>,
}

scoped_thread_local! {
    /// The frame of the task being run on this thread.
    static CURRENT: RunFrame<'static>
}

/// Makes `frame` the current frame until the guard drops (a nested run
/// has its own, and restores this one). During thread teardown the task
/// runs without a frame, as if polled off any chain.
#[inline]
pub(crate) fn enter(frame: &RunFrame<'_>) -> ScopeGuard<RunFrame<'static>> {
    CURRENT.enter((frame as *const RunFrame<'_>).cast::<RunFrame<'static>>())
}

/// Whether `waker` is not the current task's own waker: a chain await
/// point polled with it is being driven by something other than the task
/// (a nested `block_on`, a `FuturesUnordered`) that the chain will never
/// wake. False outside a task.
pub(crate) fn is_foreign_waker(waker: &Waker) -> bool {
    with_current(|frame| !waker.will_wake(frame.waker)).unwrap_or(false)
}

/// Calls `f` with the current frame, if a task is running on this thread.
pub(crate) fn with_current<R>(f: impl FnOnce(&RunFrame<'_>) -> R) -> Option<R> {
    let ptr = CURRENT.get();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was set by `enter` from a `RunFrame` that outlives the
    // guard, and the guard resets it before that frame goes out of scope; it
    // is thread-local, so no other thread sees it. The `'static` is a lie
    // confined to this module: `f` only gets the frame for the call.
    Some(f(unsafe { &*ptr }))
}

/// Delivers a pending cancel request of the current task, once: returns true
/// if the caller's await should end with `Error::Cancelled` (and cancel what
/// it awaits).
pub(crate) fn take_cancel() -> bool {
    with_current(|frame| frame.header.state.deliver_cancel()).unwrap_or(false)
}

/// The id of the task running on this thread.
pub(crate) fn current_id() -> Option<u64> {
    with_current(|frame| frame.header.id)
}

/// The chain of the task running on this thread.
pub(crate) fn current_chain() -> Option<Arc<ChainCore>> {
    with_current(|frame| frame.header.chain.clone())
}
