//! A global allocator that counts the heap bytes and allocations of the
//! measuring thread only, so that tests measuring at the same time on other
//! threads of the same binary do not add to each other's counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct ThreadCountingAlloc;

/// What a thread did while it measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    /// Bytes allocated and not freed (negative: freed more than allocated).
    pub live: isize,
    /// Allocations and reallocations made.
    pub allocs: usize,
}

thread_local! {
    static COUNTING: Cell<Option<Counts>> = const { Cell::new(None) };
}

/// Adds to this thread's counts, if it is measuring. The thread-local may
/// be gone while the thread exits.
fn count(bytes: isize, allocs: usize) {
    let _ = COUNTING.try_with(|c| {
        if let Some(mut counts) = c.get() {
            counts.live += bytes;
            counts.allocs += allocs;
            c.set(Some(counts));
        }
    });
}

// SAFETY: every call is forwarded unchanged to `System`; the counters are
// const-initialized thread-locals that never allocate.
unsafe impl GlobalAlloc for ThreadCountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize, 1);
        // SAFETY: the caller's contract is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize), 0);
        // SAFETY: the caller's contract is `System.dealloc`'s.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize, 1);
        // SAFETY: the caller's contract is `System.realloc`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: ThreadCountingAlloc = ThreadCountingAlloc;

/// Runs `f` counting this thread's allocations.
pub fn measure(f: impl FnOnce()) -> Counts {
    COUNTING.with(|c| c.set(Some(Counts::default())));
    f();
    COUNTING.with(|c| c.take()).unwrap_or_default()
}
