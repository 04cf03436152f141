//! A struct task (`CoroutineTask`, spawned with `spawn_task`) beside the
//! same coroutine written as an `async` block (`spawn_fallible`), on a
//! frame chain: a batch of 1,000 spawned from outside any task, each
//! awaiting one `next_frame()`, then completed over two polls.
//!
//! - `closure`: `manager.spawn_fallible(async move { .. })`, the normal
//!   spawn path (one allocation per task: its cell);
//! - `struct`: `manager.spawn_task(job)`, the same body in `run` (its
//!   cell, and the box of the future `run` returns);
//! - `boxed_struct`: the same job spawned from a
//!   `Box<dyn CoroutineTask<Output = u32>>` (the boxes made beforehand,
//!   as a list of jobs holds them, outside the time).
//!
//! Run: `cargo bench -p taskchain-benches --bench struct_task`.

// `criterion_group!` defines a `pub fn` it cannot document, and lint
// attributes on a macro call are ignored: the workspace's `missing_docs`
// stops at this bench's crate (the benches' library keeps it).
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use taskchain::{
    async_trait, next_frame, AnyTask, AsyncFuture, CoroutineTask, Error, ManualClock, TaskHandle,
    TaskManager,
};

/// Tasks per iteration.
const BATCH: usize = 1_000;

/// Counts to one across a frame.
struct Counter(u32);

#[async_trait]
impl CoroutineTask for Counter {
    type Output = u32;

    async fn run(&mut self, _task: &AnyTask) -> Result<u32, Error> {
        next_frame().await;
        self.0 += 1;
        Ok(self.0)
    }
}

/// Polls until every task of the batch is done, then reads them.
fn finish(manager: &TaskManager, handles: Vec<TaskHandle<u32>>) {
    manager.poll().expect("poll");
    manager.poll().expect("poll");
    for handle in handles {
        black_box(handle.try_take().expect("done").expect("ok"));
    }
}

fn struct_task(c: &mut Criterion) {
    let mut group = c.benchmark_group("struct_task");
    group.throughput(Throughput::Elements(BATCH as u64));
    let manager = TaskManager::with_clock(ManualClock::new());

    group.bench_function("closure", |b| {
        b.iter(|| {
            let handles = (0..BATCH as u32)
                .map(|i| {
                    manager.spawn_fallible(async move {
                        let mut n = black_box(i);
                        next_frame().await;
                        n += 1;
                        Ok(n)
                    })
                })
                .collect();
            finish(&manager, handles);
        })
    });

    group.bench_function("struct", |b| {
        b.iter(|| {
            let handles = (0..BATCH as u32)
                .map(|i| manager.spawn_task(Counter(black_box(i))))
                .collect();
            finish(&manager, handles);
        })
    });

    group.bench_function("boxed_struct", |b| {
        b.iter_batched(
            || {
                (0..BATCH as u32)
                    .map(|i| Box::new(Counter(i)) as Box<dyn CoroutineTask<Output = u32>>)
                    .collect::<Vec<_>>()
            },
            |jobs| {
                let handles = jobs
                    .into_iter()
                    .map(|job| manager.spawn_task(job))
                    .collect();
                finish(&manager, handles);
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, struct_task);
criterion_main!(benches);
