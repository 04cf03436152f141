//! The future a suspended coroutine awaits, kept in its task's header so
//! that `cancel()` cancels that future before it returns, from any thread,
//! as asyncio's `Task.cancel` cancels the future its task waits on.
//!
//! A taskchain future that suspends its task (a promise, a task handle, a
//! gather, a shield, a group's join) publishes a hook to itself here; the
//! task's next run clears it, as does its end, and so does the future's
//! drop inside the task (a `select`'s loser: the task no longer awaits it,
//! and must neither cancel it nor keep it alive). A cancel request that finds the hook, with
//! the request still pending, takes it and cancels the awaited future. The
//! request stays pending until the task reads `Cancelled` from that
//! future, which delivers it (no later await point delivers it again); a
//! second `cancel()` before then joins it. If the future was already done,
//! the request is delivered at the task's next await point.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::error::{isolated, Error};
use crate::sync::{AtomicBool, Mutex};
use crate::task::current;
use crate::task::header::Header;
use crate::task::raw::{CancelMade, TaskRef};

/// A future whose shared part can be cancelled without a handle to it.
pub(crate) trait CancelAwaited: Send + Sync {
    /// Cancels the future; true if this call moved it to cancelled (for a
    /// task: made a cancel request).
    fn cancel_awaited(&self) -> bool;
}

/// A reference to the awaited future that can cancel it.
pub(crate) enum AwaitedHook {
    /// A promise, gather or shield.
    Shared(Arc<dyn CancelAwaited>),
    /// A task (its handle): cancelling it cancels, in turn, what it awaits.
    Task(TaskRef),
}

impl AwaitedHook {
    /// Whether this is a hook to the future whose shared part is at
    /// `target` (an `Arc`'s data, or a task cell).
    fn points_to(&self, target: *const ()) -> bool {
        match self {
            AwaitedHook::Shared(future) => Arc::as_ptr(future).cast::<()>() == target,
            AwaitedHook::Task(task) => task.cell_ptr().as_ptr().cast::<()>().cast_const() == target,
        }
    }
}

/// A task's awaited future, if it is suspended on one of ours: a view of
/// the two header fields that keep it (apart, so that the flag packs with
/// the header's other small fields).
pub(crate) struct AwaitedSlot<'a> {
    /// Whether `hook` may hold one: the runner's checks at each run read
    /// this rather than take the lock.
    pub(crate) set: &'a AtomicBool,
    pub(crate) hook: &'a Mutex<Option<AwaitedHook>>,
}

impl AwaitedSlot<'_> {
    fn lock(&self) -> crate::sync::MutexGuard<'_, Option<AwaitedHook>> {
        // Only this file's code runs under the lock, none of it user code.
        self.hook.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes what the task now awaits (the runner, before the task
    /// suspends).
    fn publish(&self, hook: AwaitedHook) {
        let replaced = self.lock().replace(hook);
        self.set.store(true, Ordering::Release);
        drop_hook(replaced);
    }

    /// Forgets the hook if it is one to `target` (a future of ours going
    /// away, or done with, inside the task).
    fn withdraw(&self, target: *const ()) {
        if !self.set.load(Ordering::Acquire) {
            return;
        }
        let mut hook = self.lock();
        if !hook.as_ref().is_some_and(|h| h.points_to(target)) {
            return;
        }
        let taken = hook.take();
        self.set.store(false, Ordering::Relaxed);
        drop(hook);
        drop_hook(taken);
    }

    /// Forgets the hook (the runner, as a run begins or the task ends).
    #[inline]
    pub(crate) fn clear(&self) {
        if self.set.load(Ordering::Acquire) {
            self.take_and_drop();
        }
    }

    #[cold]
    fn take_and_drop(&self) {
        self.set.store(false, Ordering::Relaxed);
        let taken = self.lock().take();
        drop_hook(taken);
    }

    /// Takes the hook for a canceller, if the task's cancel request is
    /// still pending (read under the lock, so a hook published after the
    /// request was delivered is never taken for it).
    fn take_for_cancel(&self, header: &Header) -> Option<AwaitedHook> {
        if !self.set.load(Ordering::Acquire) {
            return None;
        }
        let mut hook = self.lock();
        if !header.state.snapshot().is_cancel_pending() {
            return None;
        }
        hook.take()
    }
}

/// Drops a hook: its last reference may drop a future's value, whose
/// destructor is user code.
fn drop_hook(hook: Option<AwaitedHook>) {
    if hook.is_some() {
        isolated(move || drop(hook));
    }
}

/// Called by a taskchain future about to return `Pending` to the task
/// running on this thread: publishes `hook()` as what the task awaits.
/// Nothing outside a task, or when the future is polled with another
/// waker than the task's own (something else drives it).
pub(crate) fn publish(waker: &std::task::Waker, hook: impl FnOnce() -> AwaitedHook) {
    current::with_current(|frame| {
        if waker.will_wake(frame.waker) {
            frame.header().awaited().publish(hook());
        }
    });
}

/// A future of ours that awaited (it registered a waker) is dropped
/// inside a task: if the task's hook is to it (`target`: its shared
/// part), the hook goes, so that a future the task gave up (the loser of
/// a `select`) is neither cancelled by the task's cancel nor kept alive.
pub(crate) fn withdraw(target: *const ()) {
    current::with_current(|frame| frame.header().awaited().withdraw(target));
}

/// What an awaited future of ours read, passed on: a `Cancelled` read is
/// where a pending cancel request of the awaiting task is delivered (its
/// cancel cancelled this future), so no later await point delivers it
/// again.
pub(crate) fn read<R>(read: Result<R, Error>) -> Result<R, Error> {
    if matches!(read, Err(Error::Cancelled)) {
        let _ = current::take_cancel();
    }
    read
}

/// Requests the cancel of `task` (`join`: see `TaskVTable::cancel`); if
/// it is at rest, cancels what it awaits, and what that awaits in turn
/// (link by link in a loop, so a long chain of tasks awaiting one another
/// does not recurse), before it returns. A link's request is delivered
/// where it was taken (see the module docs); a link whose awaited future
/// was not ours, or already done, is woken so its next await point
/// delivers it. True if the request was made.
pub(crate) fn cancel(task: &TaskRef, join: bool) -> bool {
    match task.request_cancel(join) {
        CancelMade::No => return false,
        CancelMade::Yes | CancelMade::Joined => return true,
        CancelMade::AtRest => {}
    }
    let mut link = task.clone();
    loop {
        let header = link.header();
        let (asked, next) = match header.awaited().take_for_cancel(header) {
            None => (false, None),
            Some(AwaitedHook::Shared(future)) => {
                let _ = future.cancel_awaited();
                drop_hook(Some(AwaitedHook::Shared(future)));
                // Woken by that future's cancellation if it still awaits
                // it; woken here in any case, so that a request whose
                // future was already done reaches the next await point.
                (false, None)
            }
            Some(AwaitedHook::Task(awaited)) => match awaited.request_cancel(true) {
                CancelMade::No => (false, None),
                CancelMade::Yes => (true, None),
                CancelMade::Joined => {
                    // A request already pending there: wake that task, so
                    // its await point delivers it even if whoever made it
                    // waits on this walk (tasks awaiting one another).
                    awaited.wake();
                    (true, None)
                }
                CancelMade::AtRest => (true, Some(awaited)),
            },
        };
        // A task asked to end: this one reads `Cancelled` (or the value it
        // settles on) from it when it ends, which wakes it, and that read
        // delivers the request. Else its next await point delivers it.
        if !asked {
            link.wake();
        }
        match next {
            Some(next) => link = next,
            None => return true,
        }
    }
}
