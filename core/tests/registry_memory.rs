//! What the task registry costs: memory it gives back after a burst, and
//! lookups that do not copy it. A counting allocator (counting only on the
//! test's own thread) measures both.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use taskchain_core::{ManualClock, TaskBuilder, TaskChain, TaskChainExt, TaskManager};

struct CountingAlloc;

/// This thread's counts while it measures: live bytes and allocations.
/// Per thread, so that tests measuring at the same time on other threads
/// do not add to each other's counts.
#[derive(Clone, Copy, Default)]
struct Counts {
    live: isize,
    allocs: usize,
}

thread_local! {
    static COUNTING: Cell<Option<Counts>> = const { Cell::new(None) };
}

/// Adds to this thread's counts, if it is measuring.
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
// bookkeeping only and never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
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
static ALLOC: CountingAlloc = CountingAlloc;

/// Runs `f` counting this thread's allocations; returns what it left
/// allocated (bytes) and how many allocations it made.
fn measure(f: impl FnOnce()) -> (isize, usize) {
    COUNTING.with(|c| c.set(Some(Counts::default())));
    f();
    let counts = COUNTING.with(|c| c.take()).unwrap_or_default();
    (counts.live, counts.allocs)
}

const BURST: usize = 100_000;

// regression: an idle manager kept the registry of its largest burst
// (2 MiB after 100,000 tasks): the slab never shrank.
#[test]
fn the_registry_gives_memory_back_after_a_burst() {
    let manager = TaskManager::with_clock(ManualClock::new());
    let chain = manager.make_task_chain("burst").unwrap();
    let (kept, _) = measure(|| {
        let mut handles = Vec::with_capacity(BURST);
        for i in 0..BURST {
            let name = if i % 2 == 0 { "even" } else { "odd" };
            let task = TaskBuilder::coroutine(async {}).name(name);
            handles.push(chain.add_task(task).unwrap());
        }
        manager.poll().unwrap();
        assert!(handles.iter().all(|h| h.is_done()));
        drop(handles);
        manager.poll().unwrap();
    });
    assert_eq!(chain.stats().total(), 0);
    // The registry alone kept 24 B a slot (2 MiB) before it shrank.
    assert!(kept < 64 << 10, "{kept} bytes kept after the burst");
    manager.shutdown();
}

// regression: `find_task` with many tasks of one name collected and
// sorted all of them to return the first.
#[test]
fn find_task_among_many_of_one_name_copies_nothing() {
    let manager = TaskManager::with_clock(ManualClock::new());
    let chain = manager.make_task_chain("many").unwrap();
    let first = chain
        .add_task(TaskBuilder::coroutine(async {}).name("same"))
        .unwrap();
    for _ in 1..BURST {
        drop(chain.add_task(TaskBuilder::coroutine(async {}).name("same")));
    }
    let mut found = None;
    let (_, allocs) = measure(|| found = manager.find_task("same"));
    assert_eq!(found.take().map(|t| t.id()), Some(first.id()));
    assert_eq!(allocs, 0, "find_task allocated");
    let (_, allocs) = measure(|| found = chain.find_task("same"));
    assert_eq!(found.map(|t| t.id()), Some(first.id()));
    assert_eq!(allocs, 0, "TaskChain::find_task allocated");
    manager.shutdown();
}
