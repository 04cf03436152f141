//! A census of the threads that ran a marked task, and of those that have
//! ended since: what shows that a shutdown joined every thread a chain's
//! runtime started.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts the threads that ran a marked task and then ended: a
/// thread-local's destructor runs as its thread ends, before a join of it
/// returns.
#[derive(Default)]
pub(crate) struct Census {
    set: AtomicUsize,
    dropped: AtomicUsize,
}

impl Census {
    /// Marks the current thread, once.
    pub(crate) fn mark(self: &Arc<Self>) {
        MARK.with(|m| {
            let mut m = m.borrow_mut();
            if m.is_none() {
                self.set.fetch_add(1, Ordering::SeqCst);
                *m = Some(Mark(self.clone()));
            }
        });
    }

    /// (threads marked, of those ended).
    pub(crate) fn counts(&self) -> (usize, usize) {
        (
            self.set.load(Ordering::SeqCst),
            self.dropped.load(Ordering::SeqCst),
        )
    }
}

/// Counts into its census when dropped: one per marked thread, dropped as
/// the thread ends (or held by a future, dropped with it).
pub(crate) struct Mark(pub(crate) Arc<Census>);

impl Drop for Mark {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    static MARK: RefCell<Option<Mark>> = const { RefCell::new(None) };
}
