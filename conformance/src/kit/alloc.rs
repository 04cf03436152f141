//! A counting global allocator: the heap bytes requested and the number of
//! allocations, for the memory checks of the stress suite (heap back to
//! baseline), the soak, the memory workloads of the compare report, and the
//! core's tests of what one call allocates.
//!
//! A binary opts in by installing it (a global allocator is declared once
//! per binary, so the kit provides the type and each binary the static):
//!
//! ```no_run
//! #[global_allocator]
//! static ALLOC: taskchain_conformance::kit::alloc::CountingAlloc =
//!     taskchain_conformance::kit::alloc::CountingAlloc;
//! ```
//!
//! Two ways to read it:
//!
//! - process-wide, under a [`Counting`] guard (see [`counting`]): the live
//!   bytes and the allocations of every thread;
//! - per thread, with [`measure_thread`]: only what the calling thread
//!   allocates while it runs a closure, so that tests of one binary
//!   measuring at the same time on other threads do not add to each
//!   other's counts.
//!
//! Counting is off while neither is in use: two atomic read-modify-writes
//! on one shared cache line for every allocation would slow the timed
//! workloads that run in the same process, most of all the multi-threaded
//! ones. Outside a guard every allocation costs one relaxed load of a flag
//! that is rarely written.
//!
//! Turning counting on and off loses nothing a measurement needs: between
//! two reads of [`live_bytes`] taken while counting, the counter moved by
//! exactly the bytes allocated minus the bytes freed in between, whatever
//! was allocated before. Only such differences mean anything; the value
//! itself wraps (a block allocated before counting and freed during it
//! subtracts bytes that were never added).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A global allocator that forwards every call to [`System`] and, while a
/// [`Counting`] guard is alive, counts the live bytes and the allocations.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

/// Live guards: counting is on while this is not zero.
static GUARDS: AtomicUsize = AtomicUsize::new(0);
/// Bytes allocated minus bytes freed while counting (wrapping).
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// Allocations (and reallocations) made while counting.
static ALLOCS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's counts while it runs [`measure_thread`]. Const
    /// initialised and without a destructor: reading it never allocates.
    static THREAD: Cell<Option<ThreadCounts>> = const { Cell::new(None) };
}

fn on() -> bool {
    GUARDS.load(Ordering::Relaxed) != 0
}

/// Adds to this thread's counts, if it is measuring. The thread-local may
/// be gone while the thread exits.
fn count_thread(added: usize, freed: usize, allocs: usize) {
    let _ = THREAD.try_with(|counts| {
        if let Some(mut now) = counts.get() {
            now.live += added as isize - freed as isize;
            now.allocs += allocs;
            counts.set(Some(now));
        }
    });
}

fn count_alloc(size: usize) {
    if on() {
        LIVE.fetch_add(size, Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        count_thread(size, 0, 1);
    }
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters are bookkeeping only and never
// allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: the caller's contract is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: the caller's contract is `System.alloc_zeroed`'s.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if on() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            count_thread(0, layout.size(), 0);
        }
        // SAFETY: the caller's contract is `System.dealloc`'s.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if on() {
            // Add before subtracting: the counter never dips below what is
            // live because of this call.
            LIVE.fetch_add(new_size, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            count_thread(new_size, layout.size(), 1);
        }
        // SAFETY: the caller's contract is `System.realloc`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Keeps counting on while alive (guards nest; counting stops when the
/// last one drops).
#[derive(Debug)]
#[must_use = "counting stops when the guard is dropped"]
pub struct Counting(());

impl Drop for Counting {
    fn drop(&mut self) {
        GUARDS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Turns counting on until the returned guard is dropped. Take it before
/// the first read of [`live_bytes`] and keep it past the last.
pub fn counting() -> Counting {
    GUARDS.fetch_add(1, Ordering::SeqCst);
    Counting(())
}

/// The live-bytes counter: bytes allocated minus bytes freed while
/// counting, wrapping. Read it twice under one [`Counting`] guard; the
/// wrapping difference (`after.wrapping_sub(before) as isize`) is the heap
/// growth in between.
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Allocations and reallocations made while counting, since the process
/// started.
pub fn allocations() -> u64 {
    ALLOCS.load(Ordering::Relaxed)
}

/// Whether the running binary installed [`CountingAlloc`] as its
/// `#[global_allocator]`: one allocation made while counting must move the
/// allocation counter, which nothing else moves.
pub fn installed() -> bool {
    let _counting = counting();
    let before = allocations();
    // `black_box` keeps the allocation from being optimised away.
    drop(std::hint::black_box(Box::new(0u64)));
    allocations() != before
}

/// What one thread allocated while it ran [`measure_thread`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadCounts {
    /// Bytes allocated and not freed (negative: freed more than allocated).
    pub live: isize,
    /// Allocations and reallocations made.
    pub allocs: usize,
}

/// Runs `f` counting the allocations of the calling thread only (those of
/// other threads, even ones `f` waits for, are not counted). Measurements
/// do not nest on one thread. Without [`CountingAlloc`] installed the
/// counts stay zero: check [`installed`] where that matters.
pub fn measure_thread(f: impl FnOnce()) -> ThreadCounts {
    let _counting = counting();
    THREAD.with(|counts| counts.set(Some(ThreadCounts::default())));
    f();
    THREAD.with(Cell::take).unwrap_or_default()
}
