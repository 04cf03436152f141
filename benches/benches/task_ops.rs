//! Per-task operations on a frame chain that already holds N other tasks:
//! none may cost more as N grows (no scans, only heaps, maps and tokens).
//! Each operation is measured beside N = 1,000 and N = 100,000 idle tasks.
//!
//! - `spawn_cancel`: spawn a coroutine (queued), cancel it, and poll (which
//!   drops its stale queue entry).
//! - `suspend_cancel`: spawn a coroutine, let it suspend on a promise, cancel
//!   it, and let the next poll deliver the cancel at its await point.
//! - `wake`: complete the promise a suspended coroutine awaits; the next
//!   poll runs it to the next await.
//! - `resort`: change the sort of a queued recurring task; the next poll
//!   re-orders it and runs it.
//!
//! The N idle tasks are coroutines suspended on a promise that never
//! completes, and N sleeping tasks (a delay far in the future), so that both
//! the registry and the sleep heap are large.
//!
//! The scaling workloads of the comparison report (`scaling_wake`,
//! `scaling_cancel`, run by the `workloads` bench) time wakes and cancels
//! on every subject; these are the frame chain's alone, with sleeping
//! tasks in its heap as well, each cancel here includes the spawn of the
//! task it cancels, and no workload re-sorts a task.
//!
//! Run: `cargo bench -p taskchain-benches --bench task_ops`.

// `criterion_group!` defines a `pub fn` it cannot document, and lint
// attributes on a macro call are ignored: the workspace's `missing_docs`
// stops at this bench's crate (the benches' library keeps it).
#![allow(missing_docs)]
// `async move { p.await }` is deliberate: a coroutine awaiting a promise,
// not the promise spawned as the task itself.
#![allow(clippy::redundant_async_block)]

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use taskchain::{DoneStatus, ManualClock, Promise, TaskBuilder, TaskContext, TaskManager};

/// A manager holding `n` suspended and `n` sleeping tasks, and the promise
/// the suspended ones await (kept pending).
fn crowded(n: usize) -> (TaskManager, Promise<()>) {
    let manager = TaskManager::with_clock(ManualClock::new());
    let never = manager.promise::<()>();
    for _ in 0..n {
        let p = never.clone();
        drop(manager.spawn(async move { p.await }));
        let sleeper = TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Done)
            .delay(Duration::from_secs(1_000_000));
        drop(manager.add_task(sleeper).expect("add"));
    }
    manager.poll().expect("poll");
    (manager, never)
}

fn task_ops(c: &mut Criterion) {
    let mut group = c.benchmark_group("task_ops");
    for n in [1_000usize, 100_000] {
        let (manager, _never) = crowded(n);

        group.bench_with_input(BenchmarkId::new("spawn_cancel", n), &n, |b, _| {
            b.iter(|| {
                let h = manager.spawn(async {});
                black_box(h.cancel());
                manager.poll().expect("poll");
            })
        });

        group.bench_with_input(BenchmarkId::new("suspend_cancel", n), &n, |b, _| {
            b.iter(|| {
                let p = manager.promise::<()>();
                let h = manager.spawn(async move { p.await });
                manager.poll().expect("poll");
                h.cancel();
                manager.poll().expect("poll");
                debug_assert!(h.is_cancelled());
            })
        });

        // One coroutine that awaits a fresh promise each round, published in
        // `current`; each iteration completes it and polls once.
        let current: Arc<Mutex<Option<Promise<()>>>> = Arc::default();
        let publish = current.clone();
        let waiter = manager.spawn(async move {
            loop {
                let p = Promise::<()>::new();
                *publish.lock().expect("slot") = Some(p.clone());
                if p.await.is_err() {
                    break;
                }
            }
        });
        manager.poll().expect("poll");
        group.bench_with_input(BenchmarkId::new("wake", n), &n, |b, _| {
            b.iter(|| {
                let p = current.lock().expect("slot").take().expect("published");
                p.set_result(()).expect("pending");
                manager.poll().expect("poll");
            })
        });
        waiter.cancel();

        let resorted = manager.add(|_: &TaskContext<'_>| DoneStatus::Cont);
        manager.poll().expect("poll");
        let mut sort = 0;
        group.bench_with_input(BenchmarkId::new("resort", n), &n, |b, _| {
            b.iter(|| {
                sort = 1 - sort;
                resorted.set_sort(sort);
                manager.poll().expect("poll");
            })
        });
        resorted.cancel();
    }
    group.finish();
}

criterion_group!(benches, task_ops);
criterion_main!(benches);
