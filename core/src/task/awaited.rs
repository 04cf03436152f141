//! The future a suspended coroutine awaits, kept in its task's header so
//! that `cancel()` cancels that future before it returns, from any thread,
//! as asyncio's `Task.cancel` cancels the future its task waits on.
//!
//! A taskchain future that suspends its task (a promise, a task handle, a
//! gather, a shield) publishes a hook to itself here; the task's next run
//! clears it, as does its end. A cancel request that finds the hook, with
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

/// A task's awaited future, if it is suspended on one of ours.
#[derive(Default)]
pub(crate) struct AwaitedSlot {
    /// Whether `hook` may hold one: the runner's checks at each run read
    /// this rather than take the lock.
    set: AtomicBool,
    hook: Mutex<Option<AwaitedHook>>,
}

impl AwaitedSlot {
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

    /// Forgets the hook (the runner, as a run begins or the task ends).
    pub(crate) fn clear(&self) {
        if self.set.load(Ordering::Acquire) {
            self.set.store(false, Ordering::Relaxed);
            let taken = self.lock().take();
            drop_hook(taken);
        }
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
            frame.header().awaited.publish(hook());
        }
    });
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
        CancelMade::Yes => return true,
        CancelMade::AtRest => {}
    }
    let mut link = task.clone();
    loop {
        let header = link.header();
        let (cancelled, next) = match header.awaited.take_for_cancel(header) {
            None => (false, None),
            Some(AwaitedHook::Shared(future)) => {
                let cancelled = future.cancel_awaited();
                drop_hook(Some(AwaitedHook::Shared(future)));
                (cancelled, None)
            }
            Some(AwaitedHook::Task(awaited)) => match awaited.request_cancel(true) {
                CancelMade::No => (false, None),
                CancelMade::Yes => (true, None),
                CancelMade::AtRest => (true, Some(awaited)),
            },
        };
        // Cancelled (or, a task, asked to end): the task reads `Cancelled`
        // from what it awaits, which wakes it when it ends, and that read
        // delivers the request. Else its next await point delivers it.
        if !cancelled {
            link.wake();
        }
        match next {
            Some(next) => link = next,
            None => return true,
        }
    }
}
