//! Memory per suspended coroutine, measured with a counting global
//! allocator: the heap bytes requested (and still held) per trivial
//! coroutine that is suspended in an await, with its handle held.
//!
//! For each runtime: spawn N coroutines that await a pending future, keep
//! their handles in a pre-allocated `Vec`, run the executor until every
//! coroutine has been polled once (so it is suspended), then divide the
//! growth of the live heap by N. Each is measured twice: the first round
//! includes the executor's queues growing to hold N tasks; the second
//! (after the first round's tasks completed and were freed) is the steady
//! cost of one more suspended coroutine.
//!
//! Single-threaded: the frame chain beside tokio current_thread and
//! async-executor's `LocalExecutor`. Threaded (2 threads): each taskchain
//! backend's chain beside the raw runtime it wraps (tokio multi_thread,
//! async-executor run by two threads, async-std), and std threads for
//! scale (heap only; their stacks are not heap).
//!
//! Two kinds of awaited future: one shared by all coroutines (a cloned
//! `Promise`, a shared `Notify` or `Event`), and one per coroutine (a
//! `Promise` each, a oneshot channel each), whose own allocation is counted
//! too.
//!
//! Run: `cargo run --release -p taskchain-compare --bin memory [-- N]`.

// `async move { p.await }` is deliberate: a coroutine awaiting the future,
// as on the other executors, not the future spawned as the task itself.
#![allow(clippy::redundant_async_block)]

use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_executor::LocalExecutor;
use futures_lite::future;
use taskchain::{
    AsyncFuture, Backend, ChainSettings, ManualClock, Promise, TaskChainExt, TaskManager,
};
use taskchain_conformance::alloc::{self, CountingAlloc};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

#[derive(Clone, Copy)]
struct Snapshot {
    live: usize,
    allocs: u64,
}

fn snapshot() -> Snapshot {
    Snapshot {
        live: alloc::live_bytes(),
        allocs: alloc::allocations(),
    }
}

/// Heap growth per coroutine between two snapshots.
#[derive(Clone, Copy)]
struct PerTask {
    bytes: f64,
    allocs: f64,
}

fn per_task(before: Snapshot, after: Snapshot, n: usize) -> PerTask {
    PerTask {
        // The counter wraps (frees of blocks allocated before counting
        // began subtract); the difference is exact.
        bytes: after.live.wrapping_sub(before.live) as isize as f64 / n as f64,
        allocs: (after.allocs - before.allocs) as f64 / n as f64,
    }
}

/// One measured case: runs `round` twice on the same executor, returns
/// (first round, steady round).
type Case = fn(usize) -> (PerTask, PerTask);

/// taskchain: N coroutines on the frame chain, each awaiting a clone of
/// one pending `Promise`.
fn taskchain_shared(n: usize) -> (PerTask, PerTask) {
    let manager = TaskManager::with_clock(ManualClock::new());
    let mut handles = Vec::with_capacity(n);
    let mut round = || {
        let promise = manager.promise::<()>();
        let before = snapshot();
        for _ in 0..n {
            let p = promise.clone();
            handles.push(manager.spawn(async move { p.await }));
        }
        manager.poll().expect("poll");
        let after = snapshot();
        assert!(handles.iter().all(|h| !h.is_done()), "all suspended");
        promise.set_result(()).expect("pending");
        manager.poll().expect("poll");
        assert!(handles.iter().all(|h| h.is_done()), "all done");
        handles.clear();
        per_task(before, after, n)
    };
    (round(), round())
}

/// taskchain: N coroutines on the frame chain, each awaiting its own
/// pending `Promise` (whose sender side is kept in a pre-allocated `Vec`).
fn taskchain_own(n: usize) -> (PerTask, PerTask) {
    let manager = TaskManager::with_clock(ManualClock::new());
    let mut handles = Vec::with_capacity(n);
    let mut promises: Vec<Promise<()>> = Vec::with_capacity(n);
    let mut round = || {
        let before = snapshot();
        for _ in 0..n {
            let p = manager.promise::<()>();
            promises.push(p.clone());
            handles.push(manager.spawn(async move { p.await }));
        }
        manager.poll().expect("poll");
        let after = snapshot();
        for p in promises.drain(..) {
            p.set_result(()).expect("pending");
        }
        manager.poll().expect("poll");
        assert!(handles.iter().all(|h| h.is_done()), "all done");
        handles.clear();
        per_task(before, after, n)
    };
    (round(), round())
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread tokio runtime")
}

/// How many tokio tasks of this round reached their await (a static, so
/// that counting adds nothing to the tasks' futures).
static STARTED: AtomicUsize = AtomicUsize::new(0);

/// Runs tokio until `n` tasks have started: every task reached its await.
async fn tokio_until(n: usize) {
    while STARTED.load(Ordering::Relaxed) < n {
        tokio::task::yield_now().await;
    }
}

/// tokio current-thread: N spawned tasks, each awaiting one shared
/// `Notify`.
fn tokio_shared(n: usize) -> (PerTask, PerTask) {
    let rt = tokio_rt();
    let mut handles = Vec::with_capacity(n);
    let mut round = || {
        STARTED.store(0, Ordering::Relaxed);
        let notify = Arc::new(tokio::sync::Notify::new());
        let before = snapshot();
        let after = rt.block_on(async {
            for _ in 0..n {
                let notify = notify.clone();
                handles.push(tokio::spawn(async move {
                    STARTED.fetch_add(1, Ordering::Relaxed);
                    notify.notified().await
                }));
            }
            tokio_until(n).await;
            snapshot()
        });
        notify.notify_waiters();
        rt.block_on(async {
            for h in handles.drain(..) {
                h.await.expect("join");
            }
        });
        per_task(before, after, n)
    };
    (round(), round())
}

/// tokio current-thread: N spawned tasks, each awaiting its own oneshot
/// receiver (senders kept in a pre-allocated `Vec`).
fn tokio_oneshot(n: usize) -> (PerTask, PerTask) {
    let rt = tokio_rt();
    let mut handles = Vec::with_capacity(n);
    let mut senders = Vec::with_capacity(n);
    let mut round = || {
        STARTED.store(0, Ordering::Relaxed);
        let before = snapshot();
        let after = rt.block_on(async {
            for _ in 0..n {
                let (tx, rx) = tokio::sync::oneshot::channel::<()>();
                senders.push(tx);
                handles.push(tokio::spawn(async move {
                    STARTED.fetch_add(1, Ordering::Relaxed);
                    rx.await.is_ok()
                }));
            }
            tokio_until(n).await;
            snapshot()
        });
        for tx in senders.drain(..) {
            let _ = tx.send(());
        }
        rt.block_on(async {
            for h in handles.drain(..) {
                assert!(h.await.expect("join"));
            }
        });
        per_task(before, after, n)
    };
    (round(), round())
}

/// async-executor `LocalExecutor`: N tasks, each awaiting a listener of
/// one shared `event_listener::Event`.
fn executor_shared(n: usize) -> (PerTask, PerTask) {
    let ex = LocalExecutor::new();
    let mut tasks = Vec::with_capacity(n);
    let mut round = || {
        let event = Rc::new(event_listener::Event::new());
        let before = snapshot();
        for _ in 0..n {
            let event = event.clone();
            tasks.push(ex.spawn(async move { event.listen().await }));
        }
        while ex.try_tick() {}
        let after = snapshot();
        event.notify(usize::MAX);
        future::block_on(ex.run(async {
            for t in tasks.drain(..) {
                t.await;
            }
        }));
        per_task(before, after, n)
    };
    (round(), round())
}

/// async-executor `LocalExecutor`: N tasks, each awaiting its own
/// `async_channel::bounded(1)` receiver (senders kept in a pre-allocated
/// `Vec`).
fn executor_channel(n: usize) -> (PerTask, PerTask) {
    let ex = LocalExecutor::new();
    let mut tasks = Vec::with_capacity(n);
    let mut senders = Vec::with_capacity(n);
    let mut round = || {
        let before = snapshot();
        for _ in 0..n {
            let (tx, rx) = async_channel::bounded::<()>(1);
            senders.push(tx);
            tasks.push(ex.spawn(async move { rx.recv().await.is_ok() }));
        }
        while ex.try_tick() {}
        let after = snapshot();
        for tx in senders.drain(..) {
            tx.try_send(()).expect("room for one");
        }
        future::block_on(ex.run(async {
            for t in tasks.drain(..) {
                assert!(t.await);
            }
        }));
        per_task(before, after, n)
    };
    (round(), round())
}

/// A threaded chain of `backend` (2 workers): N coroutines, each awaiting
/// a clone of one pending `Promise`.
fn chain_shared(backend: Backend, n: usize) -> (PerTask, PerTask) {
    let manager = TaskManager::with_clock(ManualClock::new());
    let chain = backend
        .make_chain(&manager, "memory", ChainSettings::default().num_threads(2))
        .expect("the backend is compiled in");
    let mut handles = Vec::with_capacity(n);
    let mut round = || {
        STARTED.store(0, Ordering::Relaxed);
        let promise = chain.promise::<()>();
        let before = snapshot();
        for _ in 0..n {
            let p = promise.clone();
            handles.push(chain.spawn(async move {
                STARTED.fetch_add(1, Ordering::Relaxed);
                p.await
            }));
        }
        while STARTED.load(Ordering::Relaxed) < n {
            std::thread::yield_now();
        }
        let after = snapshot();
        promise.set_result(()).expect("pending");
        for h in handles.drain(..) {
            h.wait().expect("ran").expect("set");
        }
        per_task(before, after, n)
    };
    let rounds = (round(), round());
    manager.shutdown();
    rounds
}

fn threadpool_chain(n: usize) -> (PerTask, PerTask) {
    chain_shared(Backend::Threadpool, n)
}

fn tokio_chain(n: usize) -> (PerTask, PerTask) {
    chain_shared(Backend::Tokio, n)
}

fn smol_chain(n: usize) -> (PerTask, PerTask) {
    chain_shared(Backend::Smol, n)
}

fn async_std_chain(n: usize) -> (PerTask, PerTask) {
    chain_shared(Backend::AsyncStd, n)
}

/// tokio multi-thread (2 workers): N spawned tasks, each awaiting one
/// shared `Notify`.
fn tokio_mt_shared(n: usize) -> (PerTask, PerTask) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a multi-thread tokio runtime");
    let mut handles = Vec::with_capacity(n);
    let mut round = || {
        STARTED.store(0, Ordering::Relaxed);
        let notify = Arc::new(tokio::sync::Notify::new());
        let before = snapshot();
        for _ in 0..n {
            let notify = notify.clone();
            handles.push(rt.spawn(async move {
                STARTED.fetch_add(1, Ordering::Relaxed);
                notify.notified().await
            }));
        }
        while STARTED.load(Ordering::Relaxed) < n {
            std::thread::yield_now();
        }
        let after = snapshot();
        notify.notify_waiters();
        rt.block_on(async {
            for h in handles.drain(..) {
                h.await.expect("join");
            }
        });
        per_task(before, after, n)
    };
    (round(), round())
}

/// async-executor on 2 threads (the smol stack): N tasks, each awaiting a
/// listener of one shared `event_listener::Event`.
fn executor_mt_shared(n: usize) -> (PerTask, PerTask) {
    let ex = Arc::new(async_executor::Executor::new());
    let (stop, stopped) = async_channel::bounded::<()>(1);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (ex, stopped) = (ex.clone(), stopped.clone());
            std::thread::spawn(move || {
                let _ = async_io::block_on(ex.run(stopped.recv()));
            })
        })
        .collect();
    let mut tasks = Vec::with_capacity(n);
    let mut round = || {
        STARTED.store(0, Ordering::Relaxed);
        let event = Arc::new(event_listener::Event::new());
        let before = snapshot();
        for _ in 0..n {
            let event = event.clone();
            tasks.push(ex.spawn(async move {
                let listener = event.listen();
                STARTED.fetch_add(1, Ordering::Relaxed);
                listener.await
            }));
        }
        while STARTED.load(Ordering::Relaxed) < n {
            std::thread::yield_now();
        }
        let after = snapshot();
        event.notify(usize::MAX);
        future::block_on(async {
            for t in tasks.drain(..) {
                t.await;
            }
        });
        per_task(before, after, n)
    };
    let rounds = (round(), round());
    drop(stop);
    for t in threads {
        let _ = t.join();
    }
    rounds
}

/// async-std's global runtime: N tasks, each awaiting a listener of one
/// shared `event_listener::Event`.
fn async_std_shared(n: usize) -> (PerTask, PerTask) {
    let mut tasks = Vec::with_capacity(n);
    let mut round = || {
        STARTED.store(0, Ordering::Relaxed);
        let event = Arc::new(event_listener::Event::new());
        let before = snapshot();
        for _ in 0..n {
            let event = event.clone();
            tasks.push(async_std::task::spawn(async move {
                let listener = event.listen();
                STARTED.fetch_add(1, Ordering::Relaxed);
                listener.await
            }));
        }
        while STARTED.load(Ordering::Relaxed) < n {
            std::thread::yield_now();
        }
        let after = snapshot();
        event.notify(usize::MAX);
        async_std::task::block_on(async {
            for t in tasks.drain(..) {
                t.await;
            }
        });
        per_task(before, after, n)
    };
    (round(), round())
}

/// std threads, for scale: N (at most 1,000) threads parked; only the
/// heap is counted here, not their stacks (2 MiB of address space each by
/// default).
fn std_threads(n: usize) -> (PerTask, PerTask) {
    let n = n.min(1_000);
    let round = || {
        STARTED.store(0, Ordering::Relaxed);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let before = snapshot();
        let threads: Vec<_> = (0..n)
            .map(|_| {
                let rx = rx.clone();
                std::thread::spawn(move || {
                    STARTED.fetch_add(1, Ordering::Relaxed);
                    let _ = rx.lock().map(|rx| rx.recv());
                })
            })
            .collect();
        while STARTED.load(Ordering::Relaxed) < n {
            std::thread::yield_now();
        }
        let after = snapshot();
        drop(tx);
        for t in threads {
            let _ = t.join();
        }
        per_task(before, after, n)
    };
    (round(), round())
}

fn main() {
    // Counting for the whole run: every figure is a difference of two
    // snapshots taken while it is on.
    let _counting = alloc::counting();
    let n: usize = match std::env::args().nth(1) {
        None => 100_000,
        Some(arg) => match arg.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: memory [N > 0]   (default 100000)");
                std::process::exit(2);
            }
        },
    };
    let cases: [(&str, &str, Case); 14] = [
        ("taskchain frame chain", "shared Promise", taskchain_shared),
        ("taskchain frame chain", "Promise each", taskchain_own),
        ("tokio current_thread", "shared Notify", tokio_shared),
        ("tokio current_thread", "oneshot each", tokio_oneshot),
        ("async-executor Local", "shared Event", executor_shared),
        (
            "async-executor Local",
            "async-channel each",
            executor_channel,
        ),
        ("taskchain threadpool", "shared Promise", threadpool_chain),
        ("taskchain tokio", "shared Promise", tokio_chain),
        ("tokio multi_thread", "shared Notify", tokio_mt_shared),
        ("taskchain smol", "shared Promise", smol_chain),
        ("async-executor 2 thr", "shared Event", executor_mt_shared),
        ("taskchain async-std", "shared Promise", async_std_chain),
        ("async-std", "shared Event", async_std_shared),
        ("std thread", "park (stack)", std_threads),
    ];
    println!("Heap bytes requested per suspended coroutine, handle held, N = {n}");
    println!("(first round: executor queues grow to N; steady: the same again after they did)");
    println!();
    println!(
        "| {:<22} | {:<18} | {:>14} | {:>15} | {:>11} |",
        "runtime", "awaits", "first (B/task)", "steady (B/task)", "allocs/task"
    );
    println!(
        "|{:-<24}|{:-<20}|{:->16}|{:->17}|{:->13}|",
        "", "", "", "", ""
    );
    for (runtime, awaits, case) in cases {
        let (first, steady) = case(n);
        println!(
            "| {:<22} | {:<18} | {:>14.1} | {:>15.1} | {:>11.2} |",
            runtime, awaits, first.bytes, steady.bytes, steady.allocs
        );
    }
}
