//! A book of `upon_death` calls, one entry per task: shows that each task's
//! callback ran exactly once and with the right `clean_exit`, which a total
//! count cannot (one task called twice hides one never called).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// What a clean exit adds to a task's entry; an unclean one adds 1.
const CLEAN: u32 = 1 << 16;

/// One entry per task index, counting its `upon_death(true)` and
/// `upon_death(false)` calls.
#[derive(Clone)]
pub(crate) struct DeathBook(Arc<[AtomicU32]>);

impl DeathBook {
    /// A book for tasks `0..tasks`.
    pub(crate) fn new(tasks: usize) -> Self {
        DeathBook((0..tasks).map(|_| AtomicU32::new(0)).collect())
    }

    /// The `upon_death` callback of task `index`.
    pub(crate) fn hook(&self, index: usize) -> impl FnOnce(bool) + Clone + Send + 'static {
        let book = self.0.clone();
        move |clean| {
            if let Some(entry) = book.get(index) {
                entry.fetch_add(if clean { CLEAN } else { 1 }, Ordering::SeqCst);
            }
        }
    }

    /// (clean calls, unclean calls) of task `index`.
    pub(crate) fn calls(&self, index: usize) -> (u32, u32) {
        let v = self.0.get(index).map_or(0, |e| e.load(Ordering::SeqCst));
        (v / CLEAN, v % CLEAN)
    }

    /// Checks that task `index` died exactly once, cleanly or not.
    ///
    /// # Panics
    ///
    /// When it did not.
    pub(crate) fn assert_once(&self, index: usize, clean: bool, what: &str) {
        let expected = if clean { (1, 0) } else { (0, 1) };
        assert_eq!(
            self.calls(index),
            expected,
            "{what}: task {index}'s upon_death (clean, unclean) calls"
        );
    }
}
