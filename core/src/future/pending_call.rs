//! `PendingCall`: a callback queued to run later on a chain (a removable
//! done callback, a `call_soon`, a `call_later`), which its holder may
//! cancel until it runs.

use std::sync::Arc;

use crate::error::isolated;
use crate::sync::Mutex;
use crate::task::handle::AnyTask;

/// A callback queued to run later on a chain: a done callback added with
/// [`add_removable_done_callback`](crate::AsyncFuture::add_removable_done_callback),
/// or a call queued with [`call_soon`](crate::TaskChainExt::call_soon) or
/// [`call_later`](crate::TaskChainExt::call_later) (asyncio's `Handle`).
///
/// Dropping it leaves the call queued; [`cancel`](PendingCall::cancel)
/// removes it.
///
/// ```
/// use taskchain_core::TaskManager;
///
/// let manager = TaskManager::new();
/// let call = manager.call_soon(|| println!("never")).unwrap();
/// assert!(call.is_pending());
/// assert!(call.cancel(), "removed before it ran");
/// manager.poll().unwrap();
/// assert!(!call.cancel(), "nothing left to remove");
/// ```
///
/// # Cancellation
///
/// A call cancelled before it starts never runs, and what it captured is
/// dropped by `cancel` (a panic of that drop is caught). Once it started,
/// `cancel` returns false. Cancelling a `call_later` also removes the
/// task that waits for its time.
///
/// # Panics
///
/// Never. A call that panics when it runs is caught by its chain, as a
/// done callback's panic is.
pub struct PendingCall {
    slot: Arc<dyn Removable>,
    /// The task a `call_later` waits in.
    timer: Option<AnyTask>,
}

/// The slot of a queued call, blind to its type.
trait Removable: Send + Sync {
    /// Drops the call unrun; true if it was still there.
    fn remove(&self) -> bool;
    fn is_pending(&self) -> bool;
}

/// Where a queued call waits: taken by whoever comes first, the runner or
/// the canceller.
pub(crate) struct CallSlot<F>(Mutex<Option<F>>);

impl<F> CallSlot<F> {
    /// The call, if nobody took it yet.
    pub(crate) fn take(&self) -> Option<F> {
        // No user code runs under the lock.
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl<F: Send> Removable for CallSlot<F> {
    fn remove(&self) -> bool {
        match self.take() {
            Some(call) => {
                // Its captures' destructors are user code.
                isolated(move || drop(call));
                true
            }
            None => false,
        }
    }

    fn is_pending(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }
}

impl PendingCall {
    /// A pending call of `call`, and the slot its runner takes it from.
    pub(crate) fn new<F: Send + 'static>(call: F) -> (Self, Arc<CallSlot<F>>) {
        let slot = Arc::new(CallSlot(Mutex::new(Some(call))));
        let pending = PendingCall {
            slot: slot.clone(),
            timer: None,
        };
        (pending, slot)
    }

    /// The same, for a call that waits for its time in `timer`.
    pub(crate) fn with_timer(mut self, timer: AnyTask) -> Self {
        self.timer = Some(timer);
        self
    }

    /// Removes the call if it has not started: true if this call removed
    /// it, false if it ran, started, or was removed already.
    pub fn cancel(&self) -> bool {
        let removed = self.slot.remove();
        if removed {
            if let Some(timer) = &self.timer {
                timer.cancel();
            }
        }
        removed
    }

    /// Whether the call is still queued: neither started nor cancelled.
    pub fn is_pending(&self) -> bool {
        self.slot.is_pending()
    }
}

impl std::fmt::Debug for PendingCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingCall")
            .field("pending", &self.is_pending())
            .finish()
    }
}
