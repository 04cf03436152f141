//! The current run: the thread-local frame a chain sets while it polls a
//! task, and the task's own waker.
//!
//! Futures of this crate read the frame to deliver a cancel request at their
//! await point, to ask the chain to put the task to sleep (`pause`) or to
//! run it next frame (`next_frame`), and to find the chain a new promise or
//! an awaited, not yet scheduled task belongs to.

use std::cell::Cell;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::Duration;

use crate::chain::core::ChainCore;
use crate::sync::{scoped_thread_local, ScopeGuard};
use crate::task::header::Header;

/// Per-run requests a task's futures leave for the chain.
pub(crate) struct RunFrame<'a> {
    pub(crate) header: &'a Header,
    pub(crate) sleep_until: Cell<Option<Duration>>,
    pub(crate) yield_next: Cell<bool>,
}

scoped_thread_local! {
    /// The frame of the task being run on this thread.
    static CURRENT: RunFrame<'static>
}

scoped_thread_local! {
    /// The waker the chain polls the current task with (null: unknown).
    static TASK_WAKER: Waker
}

/// Restores the previous frame when a run ends, even by panic.
pub(crate) struct EnterGuard {
    _frame: ScopeGuard<RunFrame<'static>>,
    _waker: ScopeGuard<Waker>,
}

/// Makes `frame` the current frame until the guard drops. During thread
/// teardown the task runs without a frame, as if polled off any chain.
pub(crate) fn enter(frame: &RunFrame<'_>) -> EnterGuard {
    let ptr = (frame as *const RunFrame<'_>).cast::<RunFrame<'static>>();
    EnterGuard {
        _frame: CURRENT.enter(ptr),
        // A nested run starts without the outer task's waker.
        _waker: TASK_WAKER.enter(std::ptr::null()),
    }
}

/// Runs `poll` with `cx`'s waker known as the current task's own waker:
/// the task cell polls every task's work through this, so that an await
/// point of the chain (`pause`, `next_frame`) can tell the task's waker
/// from a nested executor's. A nested call leaves the outer one's.
pub(crate) fn poll_as_task<R>(cx: &mut Context<'_>, poll: impl FnOnce(&mut Context<'_>) -> R) -> R {
    let in_task = !CURRENT.get().is_null();
    let _own = (in_task && TASK_WAKER.get().is_null()).then(|| TASK_WAKER.enter(cx.waker()));
    poll(cx)
}

/// Whether `waker` is not the current task's own waker, as far as known:
/// a chain await point polled with it is being driven by something other
/// than the task (a nested `block_on`, a `FuturesUnordered`) that the
/// chain will never wake.
pub(crate) fn is_foreign_waker(waker: &Waker) -> bool {
    let own = TASK_WAKER.get();
    // SAFETY: a non-null `own` was set by `poll_as_task` from a waker
    // borrowed for the whole call during which it stays set (its scope
    // guard clears it before the borrow ends, even on panic),
    // and it is thread-local, so only this thread, inside that call, sees
    // it.
    !own.is_null() && !waker.will_wake(unsafe { &*own })
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
