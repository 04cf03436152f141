//! A census of the threads that ran a marked task, and of those that have
//! ended since: what shows that a shutdown joined every thread a chain's
//! runtime started.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts the threads that ran a marked task and then ended: a
/// thread-local's destructor runs as its thread ends, before a join of it
/// returns.
#[derive(Debug, Default)]
pub struct ThreadCensus {
    marked: AtomicUsize,
    ended: AtomicUsize,
}

impl ThreadCensus {
    /// An empty census.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Marks the current thread, once: its end is counted when the
    /// thread-local mark drops as the thread exits.
    pub fn mark(self: &Arc<Self>) {
        MARK.with(|m| {
            let mut m = m.borrow_mut();
            if m.is_none() {
                *m = Some(self.mark_held());
            }
        });
    }

    /// A mark counted as one thread that ends when the mark is dropped: for
    /// a future to hold, to see that the runtime it was left on drops it.
    pub fn mark_held(self: &Arc<Self>) -> ThreadMark {
        self.marked.fetch_add(1, Ordering::SeqCst);
        ThreadMark(self.clone())
    }

    /// (threads marked, of those ended).
    pub fn counts(&self) -> (usize, usize) {
        (
            self.marked.load(Ordering::SeqCst),
            self.ended.load(Ordering::SeqCst),
        )
    }
}

/// Counts into its census as ended when dropped: one per marked thread,
/// dropped as the thread ends (or held by a future, dropped with it).
#[derive(Debug)]
pub struct ThreadMark(Arc<ThreadCensus>);

impl Drop for ThreadMark {
    fn drop(&mut self) {
        self.0.ended.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    static MARK: RefCell<Option<ThreadMark>> = const { RefCell::new(None) };
}
