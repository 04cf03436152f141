//! The registry's slot table: one word per registered task, holding the
//! registry's counted reference to it.
//!
//! A task's retirement empties its own slot with one compare-and-swap, on
//! whatever thread the task ends, without the chain's lock and without
//! waiting for anything. Everything else (taking a slot, listing, lookups
//! by name, shutdown's drain, growing and shrinking the table) holds the
//! chain's lock, so at most one of them runs at a time.
//!
//! # A slot's word
//!
//! | word                    | meaning                                                         |
//! |-------------------------|-----------------------------------------------------------------|
//! | `EMPTY`                 | vacant                                                          |
//! | `ptr`                   | the registry's reference to the task at `ptr`                   |
//! | `ptr \| LISTED`         | a lister is cloning that reference                              |
//! | `ptr \| LISTED \| GONE` | the task retired meanwhile: the lister takes over the reference |
//!
//! A lister marks the slot before it clones, so the reference it clones is
//! not released under it; a retiring task that finds the mark leaves the
//! reference to the lister. Exactly one of them releases it (see the loom
//! model below).
//!
//! # Segments
//!
//! Segment `k` holds `FIRST_SEGMENT << k` slots. Segments are allocated in
//! order and never move, so a retiring task reaches its slot through one
//! pointer load. A segment is freed only when each of its slots is empty,
//! and never after shutdown. Until then a task's slot is emptied only by
//! its own retirement, which touches it last, or by a lister after that
//! retirement: no retirement reaches a freed segment.

use std::ptr::NonNull;
use std::sync::atomic::Ordering;

use crate::sync::{AtomicPtr, AtomicUsize};
use crate::task::header::Header;
use crate::task::raw::TaskRef;

/// A vacant slot's word.
const EMPTY: usize = 0;
/// Set on a slot's word while a lister clones its reference.
const LISTED: usize = 1;
/// Set, with `LISTED`, by a retirement that found a lister at work.
const GONE: usize = 2;

/// Slots in the first segment.
const FIRST_SEGMENT: usize = 64;
/// Segments at most: their slots (`FIRST_SEGMENT * (2^SEGMENTS - 1)`) are
/// more than fit in memory as tasks, and every index fits a `u32` below
/// `u32::MAX` (which marks a task with no slot).
const SEGMENTS: usize = 26;

/// The registry's slots (see the module docs).
pub(crate) struct SlotTable {
    /// Segment `k`'s first word, or null while it is not allocated.
    segments: [AtomicPtr<AtomicUsize>; SEGMENTS],
    /// Slots in the allocated segments; changed under the chain's lock.
    capacity: AtomicUsize,
}

/// What a retiring task found in its slot.
#[must_use]
#[derive(Debug, PartialEq)]
enum Vacated {
    /// It emptied the slot: the registry's reference is the caller's.
    Taken,
    /// A lister was cloning the reference; it releases it.
    LeftToLister,
    /// Shutdown's drain took the reference already.
    Drained,
}

/// How a listing of one slot ended.
#[must_use]
#[derive(Debug, PartialEq)]
enum Listed {
    /// The slot still holds the registry's reference.
    Kept,
    /// The task retired meanwhile: the slot is empty and the registry's
    /// reference is the lister's.
    Retired,
}

/// Empties the slot `word` of the task at `ptr`, on its retirement.
fn vacate(word: &AtomicUsize, ptr: usize) -> Vacated {
    let mut seen = ptr;
    loop {
        let (next, outcome) = if seen == ptr {
            (EMPTY, Vacated::Taken)
        } else {
            (ptr | LISTED | GONE, Vacated::LeftToLister)
        };
        match word.compare_exchange(seen, next, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return outcome,
            // The lister marked or unmarked the slot meanwhile.
            Err(now) if now == ptr || now == ptr | LISTED => seen = now,
            Err(_) => return Vacated::Drained,
        }
    }
}

/// Marks the slot `word` for a listing; the task's pointer, or `None` if
/// the slot is empty. The caller holds the chain's lock.
fn begin_listing(word: &AtomicUsize) -> Option<usize> {
    let ptr = word.load(Ordering::Acquire);
    if ptr == EMPTY {
        return None;
    }
    // Only a retirement changes the word meanwhile, and only to `EMPTY`.
    word.compare_exchange(ptr, ptr | LISTED, Ordering::AcqRel, Ordering::Acquire)
        .ok()
        .map(|_| ptr)
}

/// Ends the listing [`begin_listing`] started on the slot `word` of the
/// task at `ptr`.
fn end_listing(word: &AtomicUsize, ptr: usize) -> Listed {
    match word.compare_exchange(ptr | LISTED, ptr, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Listed::Kept,
        Err(_) => {
            // `ptr | LISTED | GONE`: the retirement is done with the slot.
            word.store(EMPTY, Ordering::Release);
            Listed::Retired
        }
    }
}

/// The segment and the offset in it of slot `index`.
fn locate(index: usize) -> (usize, usize) {
    let n = index / FIRST_SEGMENT + 1;
    let segment = (usize::BITS - 1 - n.leading_zeros()) as usize;
    (segment, index - segment_start(segment))
}

/// The index of segment `k`'s first slot (also the capacity of `k`
/// segments).
fn segment_start(k: usize) -> usize {
    FIRST_SEGMENT * ((1 << k) - 1)
}

impl SlotTable {
    pub(crate) fn new() -> Self {
        SlotTable {
            segments: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
            capacity: AtomicUsize::new(0),
        }
    }

    /// Slots in the allocated segments.
    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.capacity.load(Ordering::Acquire)
    }

    /// Slot `index`'s word, if its segment is allocated.
    #[inline]
    fn word(&self, index: u32) -> Option<&AtomicUsize> {
        let (segment, offset) = locate(index as usize);
        let first = self.segments.get(segment)?.load(Ordering::Acquire);
        // SAFETY: an allocated segment `k` holds `FIRST_SEGMENT << k` words
        // and `offset` is below that (`locate`). It stays allocated while
        // the caller uses the word: callers under the chain's lock exclude
        // `shrink_to`, and a retirement touches its own slot, which is not
        // empty before it, so its segment is not freed (module docs).
        (!first.is_null()).then(|| unsafe { &*first.add(offset) })
    }

    /// Allocates the next segment; the range of its slots, or `None` if
    /// every segment is allocated. The caller holds the chain's lock.
    pub(crate) fn grow(&self) -> Option<std::ops::Range<usize>> {
        let start = self.capacity();
        let (segment, _) = locate(start);
        if segment >= SEGMENTS {
            return None;
        }
        let len = FIRST_SEGMENT << segment;
        let words: Box<[AtomicUsize]> = (0..len).map(|_| AtomicUsize::new(EMPTY)).collect();
        let first = Box::into_raw(words).cast::<AtomicUsize>();
        self.segments[segment].store(first, Ordering::Release);
        self.capacity.store(start + len, Ordering::Release);
        Some(start..start + len)
    }

    /// Frees every segment above the first `keep`. The caller holds the
    /// chain's lock, the chain is not shut down, and every slot in those
    /// segments is empty.
    pub(crate) fn shrink_to(&self, keep: usize) {
        let allocated = locate(self.capacity()).0;
        self.capacity.store(segment_start(keep), Ordering::Release);
        for segment in keep..allocated {
            self.free_segment(segment);
        }
    }

    fn free_segment(&self, segment: usize) {
        let first = self.segments[segment].swap(std::ptr::null_mut(), Ordering::AcqRel);
        if first.is_null() {
            return;
        }
        let len = FIRST_SEGMENT << segment;
        // SAFETY: `first` came from `grow`'s `Box<[AtomicUsize]>` of `len`
        // words, and nobody reaches it any more (see the callers).
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(first, len)) });
    }

    /// The capacity of the fewest segments that hold `slots` slots.
    pub(crate) fn capacity_for(slots: usize) -> usize {
        segment_start(Self::segments_below(slots))
    }

    /// The segments that hold slots below `end`.
    pub(crate) fn segments_below(end: usize) -> usize {
        if end == 0 {
            0
        } else {
            locate(end - 1).0 + 1
        }
    }

    /// Whether slot `index` is empty. The caller holds the chain's lock.
    pub(crate) fn is_vacant(&self, index: usize) -> bool {
        self.word(index as u32)
            .is_none_or(|word| word.load(Ordering::Acquire) == EMPTY)
    }

    /// Puts the registry's reference `task` in the empty slot `index`, or
    /// gives it back if that slot's segment is not allocated. The caller
    /// holds the chain's lock.
    pub(crate) fn occupy(&self, index: u32, task: TaskRef) -> Result<(), TaskRef> {
        let Some(word) = self.word(index) else {
            return Err(task);
        };
        let ptr = task.into_counted().as_ptr() as usize;
        debug_assert_eq!(ptr & (LISTED | GONE), 0, "headers are aligned");
        word.store(ptr, Ordering::Release);
        Ok(())
    }

    /// Empties the slot `index` of the retiring task `header`, without the
    /// chain's lock; the registry's reference, if it falls to the caller.
    /// Called once per task.
    pub(crate) fn retire(&self, index: u32, header: &Header) -> Option<TaskRef> {
        let ptr = header as *const Header as usize;
        let word = self.word(index)?;
        match vacate(word, ptr) {
            Vacated::Taken => Some(unsafe_reference(ptr)),
            Vacated::LeftToLister | Vacated::Drained => None,
        }
    }

    /// A new reference to the task in slot `index`, if there is one. The
    /// caller holds the chain's lock.
    pub(crate) fn listed(&self, index: u32) -> Option<TaskRef> {
        let word = self.word(index)?;
        let ptr = begin_listing(word)?;
        // SAFETY: the slot is marked, so the registry's reference is not
        // released before `end_listing`.
        let task = unsafe { TaskRef::clone_counted(as_header(ptr)) };
        if end_listing(word, ptr) == Listed::Retired {
            // Not the last reference: `task` is another.
            drop(unsafe_reference(ptr));
        }
        Some(task)
    }

    /// Takes the registry's reference out of slot `index` (shutdown's
    /// drain). The caller holds the chain's lock.
    pub(crate) fn take(&self, index: u32) -> Option<TaskRef> {
        let ptr = self.word(index)?.swap(EMPTY, Ordering::AcqRel);
        // Listers hold the lock, so no mark is left on the word.
        (ptr != EMPTY).then(|| unsafe_reference(ptr))
    }
}

impl Drop for SlotTable {
    fn drop(&mut self) {
        // Every slot is empty by now: a registered task's cell holds its
        // chain, whose core holds this table, so the table cannot go before
        // its tasks left it. Only the allocated segments are touched (the
        // loom models count every atomic access).
        debug_assert!(
            (0..self.capacity()).all(|i| self.is_vacant(i)),
            "a registry dropped with tasks in it"
        );
        for segment in 0..locate(self.capacity()).0 {
            self.free_segment(segment);
        }
    }
}

/// The cell pointer held in a slot's word.
fn as_header(ptr: usize) -> NonNull<Header> {
    // A slot holds a header's address only when it is not empty.
    NonNull::new(ptr as *mut Header).unwrap_or(NonNull::dangling())
}

/// The registry's reference held in a slot's word, once the slot no longer
/// holds it.
fn unsafe_reference(ptr: usize) -> TaskRef {
    // SAFETY: the word held a reference from `into_counted` (`occupy`),
    // and the caller is its only owner now (it emptied the word, or the
    // protocol left the reference to it).
    unsafe { TaskRef::from_counted(as_header(ptr)) }
}

#[cfg(all(test, loom))]
mod loom_model {
    use std::sync::Arc;

    use super::*;

    const TASK: usize = 0x1000;

    /// A task retires while a lister clones its reference (under the
    /// chain's lock, so alone among listers): exactly one of them releases
    /// the registry's reference, the slot ends empty, and a listing that
    /// began returns the task.
    #[test]
    fn loom_exactly_one_of_a_retirement_and_a_listing_releases_the_reference() {
        loom::model(|| {
            let word = Arc::new(AtomicUsize::new(TASK));
            let retiring = {
                let word = word.clone();
                loom::thread::spawn(move || vacate(&word, TASK))
            };
            let lister_releases = match begin_listing(&word) {
                Some(ptr) => {
                    assert_eq!(ptr, TASK);
                    end_listing(&word, ptr) == Listed::Retired
                }
                None => false,
            };
            let retirement = retiring.join().unwrap();
            let retirement_releases = retirement == Vacated::Taken;
            assert!(
                lister_releases != retirement_releases,
                "lister {lister_releases}, retirement {retirement:?}"
            );
            assert_eq!(word.load(Ordering::Relaxed), EMPTY);
        });
    }

    /// A task retires while shutdown drains its slot: exactly one of them
    /// takes the reference.
    #[test]
    fn loom_exactly_one_of_a_retirement_and_a_drain_takes_the_reference() {
        loom::model(|| {
            let word = Arc::new(AtomicUsize::new(TASK));
            let retiring = {
                let word = word.clone();
                loom::thread::spawn(move || vacate(&word, TASK))
            };
            let drained = word.swap(EMPTY, Ordering::AcqRel) == TASK;
            let retirement = retiring.join().unwrap();
            assert!(drained != (retirement == Vacated::Taken), "{retirement:?}");
            assert_eq!(word.load(Ordering::Relaxed), EMPTY);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_map_to_segments_in_order() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(63), (0, 63));
        assert_eq!(locate(64), (1, 0));
        assert_eq!(locate(191), (1, 127));
        assert_eq!(locate(192), (2, 0));
        assert_eq!(
            segment_start(SEGMENTS),
            FIRST_SEGMENT * ((1 << SEGMENTS) - 1)
        );
        assert!(segment_start(SEGMENTS) <= u32::MAX as usize);
        assert_eq!(SlotTable::segments_below(0), 0);
        assert_eq!(SlotTable::segments_below(64), 1);
        assert_eq!(SlotTable::segments_below(65), 2);
        assert_eq!(SlotTable::capacity_for(1024), 1984);
    }
}
