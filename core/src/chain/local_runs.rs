//! The runs a frame chain's poll collects on its own thread: a task that
//! the code the poll runs (tasks, done callbacks, handlers) spawns on the
//! chain, wakes or re-sorts is handed over here, with no lock and no
//! atomic operation, and the poll places it before its next run. Other
//! threads, and this one outside the poll, go through the chain's
//! injection queue.

use std::cell::RefCell;

use crate::chain::core::{ChainCore, Placement};
use crate::sync::{scoped_thread_local, ScopeGuard};
use crate::task::raw::TaskRef;

/// A poll's run list (see the module docs).
pub(crate) struct LocalRuns {
    /// The chain being polled: only its runs are taken.
    core: *const ChainCore,
    /// Taken whole by the poll (`take`); borrowed only for a push or a
    /// swap, never across user code.
    runs: RefCell<Vec<(TaskRef, Placement)>>,
}

scoped_thread_local! {
    /// The run list of the frame chain this thread is polling.
    static LOCAL_RUNS: LocalRuns
}

impl LocalRuns {
    /// A run list for a poll of `core`, reusing `buffer`'s memory.
    pub(crate) fn new(core: &ChainCore, buffer: Vec<(TaskRef, Placement)>) -> Self {
        LocalRuns {
            core,
            runs: RefCell::new(buffer),
        }
    }

    /// Makes this the list runs of its chain go to on this thread, until
    /// the guard drops (then they go to the injection queue again).
    pub(crate) fn enter(&self) -> ScopeGuard<LocalRuns> {
        LOCAL_RUNS.enter(self)
    }

    /// Hands `task` to the poll of `core` running on this thread, if there
    /// is one; else gives it back.
    pub(crate) fn push(
        core: &ChainCore,
        task: TaskRef,
        placement: Placement,
    ) -> Result<(), (TaskRef, Placement)> {
        let current = LOCAL_RUNS.get();
        if current.is_null() {
            return Err((task, placement));
        }
        // SAFETY: set by `enter` from a list that outlives its guard, on
        // this thread; the guard clears it before the list goes away.
        let local = unsafe { &*current };
        if !std::ptr::eq(local.core, core) {
            return Err((task, placement));
        }
        local.runs.borrow_mut().push((task, placement));
        Ok(())
    }

    /// Whether this thread is polling the frame chain `core` (its one
    /// poll: what only that poll changes needs no atomic operation).
    #[inline]
    pub(crate) fn is_polling(core: &ChainCore) -> bool {
        let current = LOCAL_RUNS.get();
        // SAFETY: as in `push`.
        !current.is_null() && std::ptr::eq(unsafe { (*current).core }, core)
    }

    /// Whether runs wait to be placed.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.runs.borrow().is_empty()
    }

    /// The list's memory, once the poll is over and the list empty.
    pub(crate) fn into_buffer(self) -> Vec<(TaskRef, Placement)> {
        self.runs.into_inner()
    }

    /// Takes the runs collected so far, leaving `spare`'s memory in their
    /// place.
    pub(crate) fn take(&self, spare: Vec<(TaskRef, Placement)>) -> Vec<(TaskRef, Placement)> {
        std::mem::replace(&mut *self.runs.borrow_mut(), spare)
    }
}
