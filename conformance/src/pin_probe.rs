//! The pin contract probe: a `!Unpin` future that records where it was
//! polled and, when it is dropped, checks that it is still there.
//!
//! `Pin` promises a polled `!Unpin` value is dropped where it was polled
//! (timers and intrusive waiter lists, tokio's `Sleep` and `Notified`,
//! link themselves into lists by address). A task core that moves a
//! polled future out of its slot to drop it breaks that promise; the
//! probe catches it whatever the future inside does, without relying on
//! the memory corruption showing. The probe never panics in its `Drop`:
//! what it finds goes to its [`PinBook`].
//!
//! [`check_cancel_in_foreign_await`] drives a probe around a runtime's own
//! primitive (a timer, a notify) through a cancel: each backend's tests
//! run it with their runtime's primitives.

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use taskchain_core::{AnyTask, AsyncFuture, TaskChainExt};

use crate::{settle, ChainFactory};

/// What every probe of one check reports to: how many were made, polled and
/// dropped, and every broken promise.
#[derive(Debug, Default)]
pub struct PinBook {
    created: AtomicUsize,
    polled: AtomicUsize,
    dropped: AtomicUsize,
    violations: Mutex<Vec<String>>,
}

impl PinBook {
    /// A fresh book.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Probes made so far.
    pub fn created(&self) -> usize {
        self.created.load(Ordering::SeqCst)
    }

    /// Probes polled at least once so far.
    pub fn polled(&self) -> usize {
        self.polled.load(Ordering::SeqCst)
    }

    /// Probes dropped so far.
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }

    /// The promises broken so far: a probe moved after it was polled.
    pub fn violations(&self) -> Vec<String> {
        self.violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn violate(&self, what: String) {
        self.violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(what);
    }

    /// `Err` saying what broke unless every probe was dropped exactly once
    /// and none was moved after its first poll.
    pub fn check(&self) -> Result<(), String> {
        let violations = self.violations();
        let mut problems = Vec::new();
        if let Some(first) = violations.first() {
            problems.push(format!(
                "{} probes moved after they were polled (first: {first})",
                violations.len()
            ));
        }
        let (created, dropped) = (self.created(), self.dropped());
        if created != dropped {
            problems.push(format!(
                "{created} probes made, {dropped} dropped (each must be dropped exactly once)"
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

/// The probe: polls `inner` in place and records its own address at each
/// poll; its `Drop` checks it is still at that address.
///
/// Optionally it cancels a task (its own, typically) on its first poll: a
/// cancel that lands while the task runs.
pub struct Pinned<F> {
    inner: F,
    book: Arc<PinBook>,
    label: String,
    /// The address of the last poll; 0 before the first.
    polled_at: usize,
    cancel_on_first_poll: Option<Arc<OnceLock<AnyTask>>>,
    _pinned: PhantomPinned,
}

impl<F> Pinned<F> {
    /// A probe around `inner`, reporting to `book` as `label`.
    pub fn new(book: &Arc<PinBook>, label: impl Into<String>, inner: F) -> Self {
        book.created.fetch_add(1, Ordering::SeqCst);
        Pinned {
            inner,
            book: book.clone(),
            label: label.into(),
            polled_at: 0,
            cancel_on_first_poll: None,
            _pinned: PhantomPinned,
        }
    }

    /// Cancels the task `slot` holds (set once the task is spawned) when
    /// first polled, or at the first poll after the slot is set.
    pub fn cancelling(mut self, slot: Arc<OnceLock<AnyTask>>) -> Self {
        self.cancel_on_first_poll = Some(slot);
        self
    }
}

impl<F: Future> Future for Pinned<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let here = &*self as *const Self as usize;
        // SAFETY: nothing is moved out of `this`; `inner` is only ever used
        // pinned (structural pinning: `Pinned` has no `Unpin` impl and its
        // `Drop` does not move `inner`).
        let this = unsafe { self.get_unchecked_mut() };
        if this.polled_at == 0 {
            this.book.polled.fetch_add(1, Ordering::SeqCst);
        } else if this.polled_at != here {
            this.book.violate(format!(
                "{}: polled at {:#x}, then moved and polled at {here:#x}",
                this.label, this.polled_at
            ));
        }
        this.polled_at = here;
        if let Some(slot) = &this.cancel_on_first_poll {
            let Some(task) = slot.get() else {
                // Polled before its spawner recorded the task (a runtime
                // thread may run it at once): look again once it has.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            };
            task.cancel();
            this.cancel_on_first_poll = None;
        }
        // SAFETY: `this` is pinned, so is its field `inner` (see above).
        unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx)
    }
}

impl<F> Drop for Pinned<F> {
    fn drop(&mut self) {
        let here = self as *const Self as usize;
        if self.polled_at != 0 && self.polled_at != here {
            self.book.violate(format!(
                "{}: polled at {:#x}, dropped at {here:#x} (moved after it was pinned)",
                self.label, self.polled_at
            ));
        }
        self.book.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

impl<F> std::fmt::Debug for Pinned<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pinned")
            .field("label", &self.label)
            .field("polled_at", &self.polled_at)
            .finish()
    }
}

/// Spawns on a chain from `factory` a coroutine that awaits, inside a
/// probe, the future `make(false)` returns (made on the task's thread,
/// inside the runtime: a runtime's own timer or notify, one that does not
/// end by itself), waits until it is suspended there, cancels it, and
/// checks the task ends cancelled with the probe dropped in place. Then
/// calls `after()` (for instance, to fire the notify the cancelled task was
/// waiting on: a waiter left linked at a moved address corrupts the list
/// then) and checks that a task awaiting `make(true)` (one that ends: a
/// short timer) still runs to its end on the chain, calling `release()`
/// while it waits.
///
/// # Panics
///
/// With what broke.
pub fn check_cancel_in_foreign_await<Fut>(
    factory: &dyn ChainFactory,
    what: &str,
    make: impl Fn(bool) -> Fut + Send + Sync + 'static,
    after: impl FnOnce(),
    release: impl Fn(),
) where
    Fut: Future + Send + 'static,
{
    crate::quiet_deliberate_panics();
    let fx = factory.build();
    let book = PinBook::new();
    let make = Arc::new(make);
    let spawn = |label: &str, ends: bool| {
        let (book, make, label) = (book.clone(), make.clone(), label.to_owned());
        fx.chain.spawn(async move {
            Pinned::new(&book, label, make(ends)).await;
        })
    };
    let cancelled = spawn(&format!("{what} (cancelled)"), false);
    settle(factory, &fx, &format!("the task to await {what}"), || {
        book.polled() == 1
    });
    assert!(cancelled.cancel(), "{what}: the cancel moves the task");
    settle(
        factory,
        &fx,
        &format!("the task cancelled in {what} to end"),
        || cancelled.is_done(),
    );
    if let Err(why) = book.check() {
        panic!("{what}: a task cancelled while it awaited it broke the pin contract: {why}");
    }
    assert!(
        cancelled.is_cancelled(),
        "{what}: the task ends cancelled, not {:?}",
        cancelled.error()
    );
    after();
    let finished = spawn(&format!("{what} (finished)"), true);
    settle(
        factory,
        &fx,
        &format!("a second task to await {what}"),
        || book.polled() == 2,
    );
    settle(
        factory,
        &fx,
        &format!("a task awaiting {what} to end"),
        || {
            release();
            finished.is_done()
        },
    );
    assert!(
        !finished.is_cancelled() && finished.error().is_none(),
        "{what}: a task awaiting it to its end finishes, not {:?}",
        finished.error()
    );
    drop((cancelled, finished));
    fx.manager.shutdown();
    drop(fx);
    if let Err(why) = book.check() {
        panic!("{what}: {why}");
    }
}
