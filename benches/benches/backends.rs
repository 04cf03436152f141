//! taskchain's threaded chains against the raw runtimes they run on, in the
//! same run and on the same thread count (2):
//!
//! - `threaded_spawn_complete_1000`: spawn 1,000 trivial coroutines from
//!   the bench thread and wait for each (time per task);
//! - `threaded_ping_pong_1000`: two coroutines exchanging 1,000 messages
//!   each way over a pair of `async-channel`s of capacity 1 (time per
//!   round trip); the same future code on every executor, so only the
//!   scheduling differs.
//!
//! Raw runtimes: tokio multi_thread, async-executor run by two threads on
//! async-io's `block_on` (the smol stack), async-std's global runtime, and
//! taskchain's own `ThreadPool` spawning directly.
//!
//! Run: `cargo bench -p taskchain-benches --bench backends`.

use std::future::Future;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use taskchain::{AsyncFuture, Backend, ChainSettings, TaskChainExt, TaskManager, ThreadedChain};
// The comparison's async-executor pool and thread count, so that these
// benches run the raw smol stack exactly as the report does.
use taskchain_compare::workloads::SmolPool;
use taskchain_compare::THREADS;

const BATCH: usize = 1_000;
const ROUNDS: usize = 1_000;

/// A threaded chain of `backend` with two workers.
fn chain(manager: &TaskManager, backend: Backend) -> Arc<ThreadedChain> {
    backend
        .make_chain(
            manager,
            backend.name(),
            ChainSettings::default().num_threads(THREADS),
        )
        .expect("the backend is compiled in")
}

fn tokio_mt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(THREADS)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Two tasks exchanging `ROUNDS` messages each way; `spawn` starts one
/// and returns a future for its end.
async fn ping(tx: async_channel::Sender<u32>, rx: async_channel::Receiver<u32>) {
    for i in 0..ROUNDS as u32 {
        tx.send(i).await.expect("pong alive");
        rx.recv().await.expect("pong alive");
    }
}

async fn pong(tx: async_channel::Sender<u32>, rx: async_channel::Receiver<u32>) {
    for _ in 0..ROUNDS {
        let v = rx.recv().await.expect("ping alive");
        tx.send(v).await.expect("ping alive");
    }
}

/// The two halves of a ping-pong, ready to spawn.
fn ping_pong() -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let (to_pong, from_ping) = async_channel::bounded(1);
    let (to_ping, from_pong) = async_channel::bounded(1);
    (ping(to_pong, from_pong), pong(to_ping, from_ping))
}

fn spawn_complete(c: &mut Criterion) {
    let mut group = c.benchmark_group("threaded_spawn_complete_1000");
    group.throughput(Throughput::Elements(BATCH as u64));

    for backend in Backend::enabled() {
        let manager = TaskManager::new();
        let chain = chain(&manager, backend);
        let mut handles = Vec::with_capacity(BATCH);
        group.bench_function(format!("taskchain-{backend}"), |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    handles.push(chain.spawn(async {}));
                }
                for h in handles.drain(..) {
                    h.wait().expect("ran");
                }
            })
        });
        manager.shutdown();
    }

    {
        let rt = tokio_mt();
        let mut handles = Vec::with_capacity(BATCH);
        group.bench_function("tokio multi_thread", |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    handles.push(rt.spawn(async {}));
                }
                rt.block_on(async {
                    for h in handles.drain(..) {
                        h.await.expect("join");
                    }
                })
            })
        });
    }

    {
        let pool = SmolPool::new().expect("an async-executor pool");
        let mut handles = Vec::with_capacity(BATCH);
        group.bench_function("async-executor", |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    handles.push(pool.executor().spawn(async {}));
                }
                futures_lite::future::block_on(async {
                    for h in handles.drain(..) {
                        h.await;
                    }
                })
            })
        });
    }

    {
        let mut handles = Vec::with_capacity(BATCH);
        group.bench_function("async-std", |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    handles.push(async_std::task::spawn(async {}));
                }
                async_std::task::block_on(async {
                    for h in handles.drain(..) {
                        h.await;
                    }
                })
            })
        });
    }

    {
        let pool = taskchain::threadpool::ThreadPool::new(THREADS).expect("a pool");
        let mut handles = Vec::with_capacity(BATCH);
        group.bench_function("threadpool (raw spawn)", |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    handles.push(pool.spawn(async {}));
                }
                futures_lite::future::block_on(async {
                    for h in handles.drain(..) {
                        h.await.expect("ran");
                    }
                })
            })
        });
    }

    group.finish();
}

fn ping_pong_rounds(c: &mut Criterion) {
    let mut group = c.benchmark_group("threaded_ping_pong_1000");
    group.throughput(Throughput::Elements(ROUNDS as u64));

    for backend in Backend::enabled() {
        let manager = TaskManager::new();
        let chain = chain(&manager, backend);
        group.bench_function(format!("taskchain-{backend}"), |b| {
            b.iter(|| {
                let (a, z) = ping_pong();
                let a = chain.spawn(a);
                let z = chain.spawn(z);
                a.wait().expect("ran");
                z.wait().expect("ran");
            })
        });
        manager.shutdown();
    }

    {
        let rt = tokio_mt();
        group.bench_function("tokio multi_thread", |b| {
            b.iter(|| {
                let (a, z) = ping_pong();
                let a = rt.spawn(a);
                let z = rt.spawn(z);
                rt.block_on(async {
                    a.await.expect("join");
                    z.await.expect("join");
                })
            })
        });
    }

    {
        let pool = SmolPool::new().expect("an async-executor pool");
        group.bench_function("async-executor", |b| {
            b.iter(|| {
                let (a, z) = ping_pong();
                let a = pool.executor().spawn(a);
                let z = pool.executor().spawn(z);
                futures_lite::future::block_on(async {
                    a.await;
                    z.await;
                })
            })
        });
    }

    group.bench_function("async-std", |b| {
        b.iter(|| {
            let (a, z) = ping_pong();
            let a = async_std::task::spawn(a);
            let z = async_std::task::spawn(z);
            async_std::task::block_on(async {
                a.await;
                z.await;
            })
        })
    });

    {
        let pool = taskchain::threadpool::ThreadPool::new(THREADS).expect("a pool");
        group.bench_function("threadpool (raw spawn)", |b| {
            b.iter(|| {
                let (a, z) = ping_pong();
                let a = pool.spawn(a);
                let z = pool.spawn(z);
                futures_lite::future::block_on(async {
                    a.await.expect("ran");
                    z.await.expect("ran");
                })
            })
        });
    }

    group.finish();
}

criterion_group!(benches, spawn_complete, ping_pong_rounds);
criterion_main!(benches);
