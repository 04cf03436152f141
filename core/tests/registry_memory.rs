//! What the task registry and the epoch queues cost: memory they give back
//! after a burst, lookups that do not copy the registry, and steady frames
//! that allocate nothing. A counting allocator (counting only on the
//! test's own thread) measures both.

use taskchain_conformance::kit::alloc::{measure_thread, CountingAlloc};
use taskchain_core::{
    next_frame, DoneStatus, ManualClock, TaskBuilder, TaskChain, TaskChainExt, TaskContext,
    TaskManager,
};

// Counts the allocations `measure_thread` reads.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const BURST: usize = 100_000;

// regression: an idle manager kept the registry of its largest burst
// (2 MiB after 100,000 tasks): the slab never shrank.
#[test]
fn the_registry_gives_memory_back_after_a_burst() {
    let manager = TaskManager::with_clock(ManualClock::new());
    let chain = manager.make_task_chain("burst").unwrap();
    let kept = measure_thread(|| {
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
    })
    .live;
    assert_eq!(chain.stats().total(), 0);
    // The registry alone kept 24 B a slot (2 MiB) before it shrank.
    assert!(kept < 64 << 10, "{kept} bytes kept after the burst");
    manager.shutdown();
}

// regression (found by an adversarial review): a burst's last task, in
// its highest slot, ended a frame after the others while two tasks stayed
// live; the shrink had found it there, and did not try again until the
// live count halved, which never came (1.3 MB kept).
#[test]
fn a_straggler_of_a_burst_does_not_keep_its_registry() {
    let manager = TaskManager::with_clock(ManualClock::new());
    let chain = manager.make_task_chain("burst").unwrap();
    let steady: Vec<_> = (0..2)
        .map(|_| {
            let body = |_: &TaskContext<'_>| DoneStatus::Cont;
            chain.add_task(TaskBuilder::recurring(body)).unwrap()
        })
        .collect();
    manager.poll().unwrap();
    let kept = measure_thread(|| {
        for _ in 0..BURST {
            drop(chain.add_task(TaskBuilder::coroutine(async {})).unwrap());
        }
        let straggler = TaskBuilder::coroutine(async { next_frame().await });
        drop(chain.add_task(straggler).unwrap());
        for _ in 0..10 {
            manager.poll().unwrap();
        }
    })
    .live;
    assert_eq!(chain.stats().total(), 2);
    assert!(kept < 64 << 10, "{kept} bytes kept after the burst");
    drop(steady);
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
    let allocs = measure_thread(|| found = manager.find_task("same")).allocs;
    assert_eq!(found.take().map(|t| t.id()), Some(first.id()));
    assert_eq!(allocs, 0, "find_task allocated");
    let allocs = measure_thread(|| found = chain.find_task("same")).allocs;
    assert_eq!(found.map(|t| t.id()), Some(first.id()));
    assert_eq!(allocs, 0, "TaskChain::find_task allocated");
    manager.shutdown();
}

// regression: a frame chain's poll threw its run list's memory away, so a
// steady state where one task wakes another every frame allocated once per
// poll.
#[test]
fn a_steady_state_of_wakes_allocates_nothing_per_poll() {
    use std::sync::{Arc, Mutex};
    use std::task::{Poll, Waker};
    use taskchain_core::{DoneStatus, TaskContext};

    let manager = TaskManager::with_clock(ManualClock::new());
    let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
    let slot = waker.clone();
    let waiter = TaskBuilder::coroutine(std::future::poll_fn(move |cx| {
        let mut slot = slot.lock().unwrap();
        if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *slot = Some(cx.waker().clone());
        }
        Poll::<()>::Pending
    }))
    .sort(1);
    manager.add_task(waiter).unwrap();
    let slot = waker.clone();
    let waking = TaskBuilder::recurring(move |_: &TaskContext<'_>| {
        if let Some(w) = slot.lock().unwrap().as_ref() {
            w.wake_by_ref();
        }
        DoneStatus::Cont
    });
    manager.add_task(waking).unwrap();
    assert_steady_polls_allocate_nothing(&manager);
}

#[test]
fn a_steady_state_of_recurring_tasks_and_re_sorts_allocates_nothing_per_poll() {
    use std::sync::{Arc, Mutex};
    use taskchain_core::{DoneStatus, TaskContext, TaskHandle};

    // Each epoch starts from the runs queued again in order and merges in
    // the re-sorted ones: the buffers of one epoch serve the next.
    let manager = TaskManager::with_clock(ManualClock::new());
    let handles: Vec<TaskHandle<()>> = (0..1_000)
        .map(|_| manager.add(|_: &TaskContext<'_>| DoneStatus::Cont))
        .collect();
    let handles = Arc::new(Mutex::new(handles));
    let all = handles.clone();
    let mut frame = 0usize;
    manager.add(move |_: &TaskContext<'_>| {
        frame += 1;
        let all = all.lock().unwrap();
        let task = &all[frame * 7 % all.len()];
        task.set_sort(task.sort() ^ 1);
        DoneStatus::Cont
    });
    assert_steady_polls_allocate_nothing(&manager);
    drop(handles);
}

/// Polls `manager` until it settles, then checks that 50 more polls of its
/// default chain allocate nothing.
fn assert_steady_polls_allocate_nothing(manager: &TaskManager) {
    for _ in 0..20 {
        manager.poll().unwrap();
    }
    let chain = manager.default_chain().clone();
    let counts = measure_thread(|| {
        for _ in 0..50 {
            chain.poll().unwrap();
        }
    });
    assert_eq!(counts.allocs, 0, "{counts:?}");
}
