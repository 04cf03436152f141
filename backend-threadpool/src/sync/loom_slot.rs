//! A stand-in for `AtomicCell<Option<T>>` under loom: the item in a loom
//! mutex, so that each swap or take is one step loom can reorder against
//! the rest of the protocol, as the real lock-free swap is.

use std::fmt;

use loom::sync::Mutex;

/// A one-item slot any thread may swap into or take from.
pub(crate) struct Slot<T> {
    item: Mutex<Option<T>>,
}

impl<T> Slot<T> {
    /// A slot holding `item`.
    pub(crate) fn new(item: Option<T>) -> Self {
        Slot {
            item: Mutex::new(item),
        }
    }

    /// Puts `item` in the slot and returns what it held.
    pub(crate) fn swap(&self, item: Option<T>) -> Option<T> {
        let mut slot = self.item.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *slot, item)
    }

    /// Empties the slot and returns what it held.
    pub(crate) fn take(&self) -> Option<T> {
        self.swap(None)
    }
}

impl<T> fmt::Debug for Slot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot").finish_non_exhaustive()
    }
}
