//! The registry of a chain's live tasks: what lookups by name, listing and
//! shutdown find.
//!
//! - `slots`: `SlotTable`, one word per task holding the registry's
//!   reference, which a task's retirement empties without a lock.
//! - here: `Registry`, the bookkeeping kept under the chain's lock
//!   (`ChainLocked`): the vacant slots and the name index.

pub(crate) mod slots;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::chain::glob::glob_match;
use crate::task::header::Header;
use crate::task::raw::TaskRef;

use self::slots::SlotTable;

/// Tables (and name indexes) at most this large are never shrunk: an idle
/// chain keeps that much to avoid reallocating on every burst.
pub(crate) const SHRINK_ABOVE: usize = 1024;

/// The part of the registry kept under the chain's lock; its slots are in
/// a [`SlotTable`] each method is given.
#[derive(Default)]
pub(crate) struct Registry {
    /// Vacant slots, the lowest last (taken first, so that tasks gather
    /// in the low segments and the high ones can be freed). Filled by a
    /// scan of the table when it runs out: retirements empty their slots
    /// without the lock, so they cannot put them here.
    vacant: Vec<u32>,
    /// Slots by task name and then id, oldest first (only named tasks pay
    /// for this).
    names: HashMap<Arc<str>, BTreeMap<u64, u32>>,
}

impl Registry {
    /// Registers `task` in a vacant slot of `table`; returns the slot, or
    /// gives `task` back if the table is full (more tasks than fit in
    /// memory).
    pub(crate) fn insert(&mut self, table: &SlotTable, task: TaskRef) -> Result<u32, TaskRef> {
        if self.vacant.is_empty() {
            self.find_vacant(table);
        }
        let Some(slot) = self.vacant.pop() else {
            return Err(task);
        };
        let header = task.header();
        let id = header.id;
        let name = header.is_named().then(|| header.name_arc()).flatten();
        table.occupy(slot, task)?;
        if let Some(name) = name {
            self.names.entry(name).or_default().insert(id, slot);
        }
        Ok(slot)
    }

    /// Refills the vacant list by a scan of `table`, and grows the table
    /// when less than half of it is vacant. A scan over `n` slots yields
    /// at least `n / 2` vacant ones, so it costs O(1) per registration,
    /// amortized.
    fn find_vacant(&mut self, table: &SlotTable) {
        let capacity = table.capacity();
        self.vacant.extend(
            (0..capacity)
                .rev()
                .filter(|&i| table.is_vacant(i))
                .map(|i| i as u32),
        );
        if self.vacant.len() < capacity / 2 || capacity == 0 {
            if let Some(added) = table.grow() {
                // Below the ones found, so taken after them.
                self.vacant.splice(0..0, added.rev().map(|i| i as u32));
            }
        }
    }

    /// Forgets the name of the task `header`, as it retires. The caller
    /// holds the chain's lock until the task's slot is empty.
    pub(crate) fn forget_name(&mut self, header: &Header) {
        if let Some(name) = header.name_arc() {
            self.unindex(&name, header.id);
        }
    }

    /// Moves the task `id` from the index of name `before` to that of
    /// `name`; `slot`: its registry slot, `None` if it has retired. The
    /// caller holds the chain's lock.
    pub(crate) fn rename(
        &mut self,
        id: u64,
        slot: Option<u32>,
        before: Option<&str>,
        name: Arc<str>,
    ) {
        if let Some(before) = before {
            self.unindex(before, id);
        }
        if let Some(slot) = slot {
            self.names.entry(name).or_default().insert(id, slot);
        }
    }

    fn unindex(&mut self, name: &str, id: u64) {
        if let Some(same) = self.names.get_mut(name) {
            same.remove(&id);
            if same.is_empty() {
                self.names.remove(name);
                if self.names.is_empty() && self.names.capacity() > SHRINK_ABOVE {
                    self.names = HashMap::new();
                }
            }
        }
    }

    /// Gives memory back after a burst: frees the segments of `table` above
    /// its highest occupied slot, which it returns. The caller holds the
    /// chain's lock and the chain is not shut down.
    pub(crate) fn shrink(&mut self, table: &SlotTable) -> Option<u32> {
        let capacity = table.capacity();
        let highest = (0..capacity).rev().find(|&i| !table.is_vacant(i));
        let end = highest.map_or(0, |highest| highest + 1);
        let keep = SlotTable::segments_below(end.max(SHRINK_ABOVE));
        table.shrink_to(keep);
        let capacity = table.capacity();
        self.vacant.retain(|&slot| (slot as usize) < capacity);
        if self.vacant.capacity() > SHRINK_ABOVE.max(4 * self.vacant.len()) {
            self.vacant.shrink_to_fit();
        }
        highest.map(|highest| highest as u32)
    }

    // The lookups below return done tasks too, for the caller to drop
    // outside the lock: a listed reference may be a done task's last one
    // (it retired meanwhile), and its output's destructor is user code.

    /// Every registered task, in no particular order.
    pub(crate) fn all(&self, table: &SlotTable) -> Vec<TaskRef> {
        (0..table.capacity())
            .filter_map(|slot| table.listed(slot as u32))
            .collect()
    }

    /// Tasks named exactly `name`, oldest first.
    fn named<'a>(&'a self, table: &'a SlotTable, name: &str) -> impl Iterator<Item = TaskRef> + 'a {
        self.names
            .get(name)
            .into_iter()
            .flat_map(|same| same.values())
            .filter_map(|&slot| table.listed(slot))
    }

    /// Tasks named exactly `name`, oldest first.
    pub(crate) fn find_by_name(&self, table: &SlotTable, name: &str) -> Vec<TaskRef> {
        self.named(table, name).collect()
    }

    /// The oldest task named exactly `name` that is not done; the done
    /// ones before it go to `done`.
    pub(crate) fn find_first_by_name(
        &self,
        table: &SlotTable,
        name: &str,
        done: &mut Vec<TaskRef>,
    ) -> Option<TaskRef> {
        for task in self.named(table, name) {
            if !task.is_done() {
                return Some(task);
            }
            done.push(task);
        }
        None
    }

    /// The names in use, to be matched outside the lock.
    pub(crate) fn names(&self) -> Vec<Arc<str>> {
        self.names.keys().cloned().collect()
    }

    /// Tasks with one of `names`, in no particular order.
    pub(crate) fn find_by_names(&self, table: &SlotTable, names: &[Arc<str>]) -> Vec<TaskRef> {
        names
            .iter()
            .flat_map(|name| self.named(table, name))
            .collect()
    }

    /// Takes every registered task out of `table` (shutdown).
    pub(crate) fn drain(&mut self, table: &SlotTable) -> Vec<TaskRef> {
        // Every slot is vacant again; the next scan finds them.
        self.vacant.clear();
        (0..table.capacity())
            .filter_map(|slot| table.take(slot as u32))
            .collect()
    }

    /// Takes the name index out (closing the chain); the caller drops it
    /// outside the lock.
    pub(crate) fn take_names(&mut self) -> HashMap<Arc<str>, BTreeMap<u64, u32>> {
        std::mem::take(&mut self.names)
    }
}

/// The names among `names` that match the glob `pattern`.
pub(crate) fn matching_names(names: Vec<Arc<str>>, pattern: &str) -> Vec<Arc<str>> {
    names
        .into_iter()
        .filter(|name| glob_match(pattern, name))
        .collect()
}
