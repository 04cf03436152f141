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
use crate::task::handle::AnyTask;
use crate::task::header::Header;
use crate::task::raw::TaskRef;
use crate::trace;

/// The current run: the task, the waker the chain polls it with, and the
/// requests its futures leave for the chain.
pub(crate) struct RunFrame<'a> {
    pub(crate) task: &'a TaskRef,
    /// The task's own waker: an await point of the chain (`pause`,
    /// `next_frame`) polled with another one is driven by something else.
    pub(crate) waker: &'a Waker,
    pub(crate) sleep_until: Cell<Option<Duration>>,
    pub(crate) yield_next: Cell<bool>,
}

impl RunFrame<'_> {
    pub(crate) fn header(&self) -> &Header {
        self.task.header()
    }
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
    with_current(|frame| {
        let delivered = frame.header().state.deliver_cancel();
        if delivered {
            trace::cancel_delivered(frame.header());
        }
        delivered
    })
    .unwrap_or(false)
}

/// The id of the task running on this thread.
pub(crate) fn current_id() -> Option<u64> {
    with_current(|frame| frame.header().id)
}

/// The chain of the task running on this thread.
pub(crate) fn current_chain() -> Option<Arc<ChainCore>> {
    with_current(|frame| frame.header().chain.clone())
}

/// The task running on this thread, as a handle: `None` outside any task
/// (in a done callback, an event handler, or off the chain).
///
/// A coroutine reads its own name, id, sort, priority, time
/// ([`elapsed`](AnyTask::elapsed), Panda3D's `task.time`) and frame count
/// ([`frame_count`](AnyTask::frame_count), Panda3D's `task.frame`) from
/// it, renames itself, and removes itself
/// ([`cancel`](AnyTask::cancel): the request is delivered at its next
/// await, or ends it as its run returns). A recurring task sees the same
/// through its [`TaskContext`](crate::TaskContext).
///
/// ```
/// use taskchain_core::{current_task, next_frame, TaskBuilder, TaskManager};
///
/// let manager = TaskManager::new();
/// let task = manager
///     .add_task(
///         TaskBuilder::coroutine(async {
///             next_frame().await;
///             let me = current_task().expect("inside a task");
///             (me.name().map(str::to_owned), me.frame_count())
///         })
///         .name("walker"),
///     )
///     .unwrap();
/// assert!(current_task().is_none(), "outside any task");
/// assert_eq!(manager.run_until(&task), Ok((Some("walker".to_owned()), 1)));
/// ```
///
/// # Panics
///
/// Never. During thread teardown, when the thread-local that records the
/// current task is gone, it returns `None`.
pub fn current_task() -> Option<AnyTask> {
    with_current(|frame| AnyTask(frame.task.clone()))
}
