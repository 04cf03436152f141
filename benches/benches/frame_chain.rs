//! taskchain's embedded frame chain against the raw single-threaded
//! runtimes it is compared with: tokio's current-thread runtime and
//! async-executor's `LocalExecutor`, measured in the same run.
//!
//! - `spawn_complete_1000`: spawn 1,000 trivial coroutines, run them, read
//!   every completion (time per task).
//! - `yield_frame/N`: N coroutines that each yield once per frame; one
//!   iteration is one frame, in which every coroutine runs once (time per
//!   task per frame). A frame is one `manager.poll()` for taskchain; for the
//!   raw runtimes, running the executor until every task has resumed once.
//! - `suspended_frame`: one frame with 100,000 coroutines suspended on one
//!   pending future, next to an empty frame: suspended coroutines should
//!   cost nothing per frame.
//!
//! None of these is a workload of the comparison report, whose workloads
//! the `workloads` bench runs: `spawn_complete_1000` has no driving future
//! on the frame chain (the batch is spawned from outside any task and its
//! completions read with `try_take` after one `poll()`, where `spawn_many`
//! awaits every handle from a driver between frames); `yield_frame` times
//! whole frames of coroutines that stay alive (`yield_many` times yields
//! net of spawning and completing their tasks); no workload times a frame
//! beside suspended coroutines; and async-executor's `LocalExecutor` is
//! no subject of the report.
//!
//! Run: `cargo bench -p taskchain-benches --bench frame_chain`.

// `criterion_group!` defines a `pub fn` it cannot document, and lint
// attributes on a macro call are ignored: the workspace's `missing_docs`
// stops at this bench's crate (the benches' library keeps it).
#![allow(missing_docs)]
// `async move { p.await }` is deliberate: a coroutine awaiting the future,
// as on the other executors, not the future spawned as the task itself.
#![allow(clippy::redundant_async_block)]

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_executor::LocalExecutor;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures_lite::future;
use taskchain::{next_frame, AsyncFuture, ManualClock, TaskHandle, TaskManager};

const BATCH: usize = 1_000;

/// A manager on a manual clock: no clock reads cost time in the measure.
fn manager() -> TaskManager {
    TaskManager::with_clock(ManualClock::new())
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread tokio runtime")
}

fn spawn_complete(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_complete_1000");
    group.throughput(Throughput::Elements(BATCH as u64));

    {
        let manager = manager();
        let mut handles: Vec<TaskHandle<()>> = Vec::with_capacity(BATCH);
        group.bench_function("taskchain", |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    handles.push(manager.spawn(async {}));
                }
                manager.poll().expect("poll");
                for h in handles.drain(..) {
                    debug_assert!(h.is_done());
                    black_box(h.try_take());
                }
            })
        });
    }

    {
        let rt = tokio_rt();
        let mut handles = Vec::with_capacity(BATCH);
        group.bench_function("tokio", |b| {
            b.iter(|| {
                rt.block_on(async {
                    for _ in 0..BATCH {
                        handles.push(tokio::spawn(async {}));
                    }
                    for h in handles.drain(..) {
                        h.await.expect("join");
                    }
                })
            })
        });
    }

    {
        let ex = LocalExecutor::new();
        let mut handles = Vec::with_capacity(BATCH);
        group.bench_function("async-executor", |b| {
            b.iter(|| {
                future::block_on(ex.run(async {
                    for _ in 0..BATCH {
                        handles.push(ex.spawn(async {}));
                    }
                    for h in handles.drain(..) {
                        h.await;
                    }
                }))
            })
        });
    }

    group.finish();
}

fn yield_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("yield_frame");
    group.sample_size(20);

    for &n in &[1_000usize, 100_000] {
        group.throughput(Throughput::Elements(n as u64));

        {
            let manager = manager();
            let counter = Arc::new(AtomicU64::new(0));
            let handles: Vec<TaskHandle<()>> = (0..n)
                .map(|_| {
                    let counter = counter.clone();
                    manager.spawn(async move {
                        loop {
                            counter.fetch_add(1, Ordering::Relaxed);
                            next_frame().await;
                        }
                    })
                })
                .collect();
            manager.poll().expect("poll");
            group.bench_with_input(BenchmarkId::new("taskchain", n), &n, |b, _| {
                b.iter(|| manager.poll().expect("poll"))
            });
            manager.poll().expect("poll");
            assert!(counter.load(Ordering::Relaxed) >= 2 * n as u64);
            for h in &handles {
                h.cancel();
            }
        }

        {
            let rt = tokio_rt();
            let counter = Arc::new(AtomicU64::new(0));
            let target = Cell::new(0u64);
            let handles: Vec<_> = rt.block_on(async {
                (0..n)
                    .map(|_| {
                        let counter = counter.clone();
                        tokio::spawn(async move {
                            loop {
                                counter.fetch_add(1, Ordering::Relaxed);
                                tokio::task::yield_now().await;
                            }
                        })
                    })
                    .collect()
            });
            let mut frame = || {
                target.set(target.get() + n as u64);
                // Run the scheduler until every task has resumed once more.
                rt.block_on(async {
                    while counter.load(Ordering::Relaxed) < target.get() {
                        tokio::task::yield_now().await;
                    }
                });
            };
            frame();
            group.bench_with_input(BenchmarkId::new("tokio", n), &n, |b, _| b.iter(&mut frame));
            for h in &handles {
                h.abort();
            }
        }

        {
            let ex = LocalExecutor::new();
            let counter = Rc::new(Cell::new(0u64));
            let target = Cell::new(0u64);
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let counter = counter.clone();
                    ex.spawn(async move {
                        loop {
                            counter.set(counter.get() + 1);
                            future::yield_now().await;
                        }
                    })
                })
                .collect();
            let frame = || {
                target.set(target.get() + n as u64);
                future::block_on(ex.run(async {
                    while counter.get() < target.get() {
                        future::yield_now().await;
                    }
                }));
            };
            frame();
            group.bench_with_input(BenchmarkId::new("async-executor", n), &n, |b, _| {
                b.iter(&frame)
            });
            drop(tasks);
        }
    }

    group.finish();
}

const SUSPENDED: usize = 100_000;

fn suspended_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("suspended_frame");

    // taskchain: one frame is one `manager.poll()`.
    for &n in &[0usize, SUSPENDED] {
        let manager = manager();
        let promise = manager.promise::<()>();
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let p = promise.clone();
                manager.spawn(async move { p.await })
            })
            .collect();
        manager.poll().expect("poll");
        assert!(handles.iter().all(|h| !h.is_done()));
        group.bench_with_input(BenchmarkId::new("taskchain", n), &n, |b, _| {
            b.iter(|| manager.poll().expect("poll"))
        });
        promise.set_result(()).expect("pending");
        manager.poll().expect("poll");
        assert!(handles.iter().all(|h| h.is_done()));
    }

    // tokio: a frame is one trip through the scheduler (`block_on` of a
    // future that yields once); the tasks wait on one `Notify`.
    for &n in &[0usize, SUSPENDED] {
        let rt = tokio_rt();
        let notify = Arc::new(tokio::sync::Notify::new());
        let started = Arc::new(AtomicU64::new(0));
        let handles: Vec<_> = rt.block_on(async {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let notify = notify.clone();
                    let started = started.clone();
                    tokio::spawn(async move {
                        started.fetch_add(1, Ordering::Relaxed);
                        notify.notified().await
                    })
                })
                .collect();
            // Every task runs up to its await before the measure.
            while started.load(Ordering::Relaxed) < n as u64 {
                tokio::task::yield_now().await;
            }
            handles
        });
        group.bench_with_input(BenchmarkId::new("tokio", n), &n, |b, _| {
            b.iter(|| rt.block_on(tokio::task::yield_now()))
        });
        notify.notify_waiters();
        rt.block_on(async {
            for h in handles {
                h.await.expect("join");
            }
        });
    }

    // async-executor: a frame is one `try_tick()`; the tasks wait on one
    // `event_listener::Event`.
    for &n in &[0usize, SUSPENDED] {
        let ex = LocalExecutor::new();
        let event = Rc::new(event_listener::Event::new());
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let event = event.clone();
                ex.spawn(async move { event.listen().await })
            })
            .collect();
        while ex.try_tick() {}
        group.bench_with_input(BenchmarkId::new("async-executor", n), &n, |b, _| {
            b.iter(|| black_box(ex.try_tick()))
        });
        event.notify(usize::MAX);
        future::block_on(ex.run(async {
            for t in tasks {
                t.await;
            }
        }));
    }

    group.finish();
}

criterion_group!(benches, spawn_complete, yield_frame, suspended_frame);
criterion_main!(benches);
