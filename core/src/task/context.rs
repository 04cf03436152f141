//! What a running task knows about itself: the thread-local frame set while
//! a chain polls a task, and the `TaskContext` view handed to recurring
//! closures.
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
use crate::task::cell::Header;

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

/// What a recurring task sees of itself while it runs: Panda3D's `task`
/// argument.
///
/// ```
/// use taskchain_core::{DoneStatus, TaskContext, TaskManager};
///
/// let manager = TaskManager::new();
/// let handle = manager.add(|task: &TaskContext<'_>| {
///     if task.frame() < 3 { DoneStatus::Cont } else { DoneStatus::Done }
/// });
/// manager.run_until(&handle).unwrap();
/// ```
pub struct TaskContext<'a> {
    pub(crate) header: &'a Header,
    pub(crate) now: Duration,
    pub(crate) epoch: u64,
}

impl TaskContext<'_> {
    /// The task's unique id.
    pub fn id(&self) -> u64 {
        self.header.id
    }

    /// The task's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.header.name()
    }

    /// Time since the task started (or since its last `Again`), read from
    /// the chain's clock at the start of this epoch.
    pub fn time(&self) -> Duration {
        self.header
            .start_time()
            .map_or(Duration::ZERO, |start| self.now.saturating_sub(start))
    }

    /// Epochs of its chain since the task started: 0 on its first run.
    pub fn frame(&self) -> u64 {
        self.header.frames_since_start(self.epoch)
    }

    /// The task's sort.
    pub fn sort(&self) -> i32 {
        self.header.sort()
    }

    /// The task's priority.
    pub fn priority(&self) -> i32 {
        self.header.priority()
    }

    /// The delay `Again` waits, if set.
    pub fn delay(&self) -> Option<Duration> {
        self.header.delay()
    }

    /// Sets the delay `Again` waits.
    pub fn set_delay(&self, delay: Option<Duration>) {
        self.header.set_delay(delay);
    }

    /// The name of the chain the task runs on.
    pub fn chain_name(&self) -> &str {
        self.header.chain.name()
    }
}

impl std::fmt::Debug for TaskContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskContext")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("frame", &self.frame())
            .finish()
    }
}
