//! The registry of a chain's live tasks: what lookups by name, listing and
//! shutdown find. Kept under the chain's lock (`ChainLocked`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use slab::Slab;

use crate::chain::glob::glob_match;
use crate::task::raw::TaskRef;

/// Registries (and name indexes) at most this large are never shrunk:
/// an idle chain keeps that much to avoid reallocating on every burst.
const SHRINK_ABOVE: usize = 1024;

/// A chain's live tasks by slot, and the named ones by name.
#[derive(Default)]
pub(crate) struct Registry {
    tasks: Slab<TaskRef>,
    /// Slots by task name and then id, oldest first (only named tasks pay
    /// for this).
    names: HashMap<Arc<str>, BTreeMap<u64, u32>>,
    /// The slab's length and capacity when it last tried to shrink: it
    /// tries again only once either halved, so that shrinking (linear in
    /// the capacity) costs O(1) per removal, amortized.
    shrunk_at: (usize, usize),
}

impl Registry {
    /// Registers `task`; returns its slot.
    pub(crate) fn insert(&mut self, task: TaskRef) -> u32 {
        let header = task.header();
        let id = header.id;
        let name = header.name_arc().cloned();
        let slot = self.tasks.insert(task) as u32;
        if let Some(name) = name {
            self.names.entry(name).or_default().insert(id, slot);
        }
        slot
    }

    /// Takes the task in `slot` out of the registry and the name index.
    pub(crate) fn remove(&mut self, slot: u32) -> Option<TaskRef> {
        let task = self.tasks.try_remove(slot as usize)?;
        if let Some(name) = task.header().name_arc() {
            if let Some(same) = self.names.get_mut(name) {
                same.remove(&task.header().id);
                if same.is_empty() {
                    self.names.remove(name);
                    if self.names.is_empty() && self.names.capacity() > SHRINK_ABOVE {
                        self.names = HashMap::new();
                    }
                }
            }
        }
        self.shrink_if_sparse();
        Some(task)
    }

    /// Gives memory back after a burst: a slab (whose slots never move)
    /// down to a quarter of its capacity drops the vacant slots above its
    /// highest live one.
    fn shrink_if_sparse(&mut self) {
        let (len, capacity) = (self.tasks.len(), self.tasks.capacity());
        if capacity <= SHRINK_ABOVE || len >= capacity / 4 {
            return;
        }
        let (tried_len, tried_capacity) = self.shrunk_at;
        if capacity == tried_capacity && len * 2 > tried_len {
            return;
        }
        if len == 0 {
            self.tasks = Slab::new();
        } else {
            self.tasks.shrink_to_fit();
        }
        self.shrunk_at = (len, self.tasks.capacity());
    }

    /// Every registered task that is not done, in no particular order.
    pub(crate) fn live(&self) -> Vec<TaskRef> {
        self.tasks
            .iter()
            .map(|(_, t)| t.clone())
            .filter(|t| !t.is_done())
            .collect()
    }

    /// Live tasks named exactly `name`, oldest first.
    fn named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a TaskRef> + 'a {
        self.names
            .get(name)
            .into_iter()
            .flat_map(|same| same.values())
            .filter_map(|slot| self.tasks.get(*slot as usize))
            .filter(|t| !t.is_done())
    }

    /// Live tasks named exactly `name`, oldest first.
    pub(crate) fn find_by_name(&self, name: &str) -> Vec<TaskRef> {
        self.named(name).cloned().collect()
    }

    /// The oldest live task named exactly `name`.
    pub(crate) fn find_first_by_name(&self, name: &str) -> Option<TaskRef> {
        self.named(name).next().cloned()
    }

    /// The names in use, to be matched outside the lock.
    pub(crate) fn names(&self) -> Vec<Arc<str>> {
        self.names.keys().cloned().collect()
    }

    /// Live tasks with one of `names`, in no particular order.
    pub(crate) fn find_by_names(&self, names: &[Arc<str>]) -> Vec<TaskRef> {
        names
            .iter()
            .flat_map(|name| self.named(name))
            .cloned()
            .collect()
    }

    /// Takes every registered task out (shutdown).
    pub(crate) fn drain(&mut self) -> Vec<TaskRef> {
        self.tasks.drain().collect()
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
