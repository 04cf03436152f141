//! The memory workloads: memory per suspended coroutine, with its handle
//! held: heap bytes requested and allocations (the counting allocator),
//! and resident bytes (growth of the resident set).
//!
//! Each sample spawns N coroutines that await a pending future, runs the
//! runtime until every one reached its await, and divides the growth by N.
//! It does so twice on one fresh runtime: "first" is the first round
//! (the runtime's queues grow to N for the first time), "steady" the
//! second (the cost of one more suspended coroutine once they did).
//! "B resident" comes from the first round, after the allocator handed its
//! free pages back, so that the coroutines fault in fresh pages (a second
//! round would reuse the first's freed pages and show none).
//!
//! async-std's runtime is global and cannot be built afresh: on the
//! async-std subjects the "first" round runs on a runtime that earlier
//! workloads of the same process already grew (the chain of
//! `taskchain-async-std` itself is new), so their first round reads about
//! as their steady one.
//!
//! What the coroutines await:
//!
//! - `memory_10k`, `memory_100k`, `memory_1m`: the same on every subject,
//!   so that only the executor differs: a clone of one shared pending
//!   taskchain `Promise` (`async move { p.await }`). A promise awaits
//!   through its own waiter node and the waker it is given, on any
//!   executor, so it is the same work on all; it is also what taskchain's
//!   own coroutines await.
//!   - taskchain frame chain and threaded chains: spawned on the chain;
//!   - tokio, async-executor, async-std, the raw thread pool, the floor:
//!     spawned on the runtime;
//!   - std threads (`memory_10k` only, 1,000 threads): each blocks in
//!     `wait()` on a clone of the promise.
//! - `memory_native_100k`: each runtime's idiomatic shared primitive:
//!   - taskchain subjects: the shared `Promise`, as above;
//!   - tokio: a shared `Notify` (its waiter lives inside the awaiting
//!     future);
//!   - async-executor, async-std, the raw thread pool, the floor: a shared
//!     event-listener `Event` (a listener each).
//! - `memory_own_100k`: a pending `Promise` per coroutine on every subject,
//!   its allocation counted (its setter's clone is kept in a `Vec` made
//!   before counting).
//! - `memory_native_own_100k`: each runtime's idiomatic single-value
//!   channel per coroutine, its allocation counted (senders kept as above):
//!   - taskchain subjects: a `Promise` each;
//!   - tokio: a tokio oneshot each;
//!   - async-executor, async-std, the raw thread pool, the floor: an
//!     async-channel of capacity 1 each.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use event_listener::Event;
use taskchain::{AsyncFuture, Promise};
use tokio::sync::Notify;

use super::exec::Exec;
use super::join::Join;
use super::resident::{release_free_memory, resident_bytes};
use super::spawner::Spawner;
use taskchain_conformance::kit::alloc;

use crate::{Metric, Mode, Raw, Sample, Subject, Workload};

/// The figures of every memory workload, per coroutine.
const METRICS: &[Metric] = &[
    Metric::lower("B steady", "B"),
    Metric::lower("B first", "B"),
    Metric::lower("allocs steady", "allocs"),
    Metric::lower("allocs first", "allocs"),
];

/// [`METRICS`], then the resident-set growth of the first round.
const METRICS_WITH_RESIDENT: &[Metric] = &[
    METRICS[0],
    METRICS[1],
    METRICS[2],
    METRICS[3],
    Metric::lower("B resident", "B"),
];

/// The workload at 10,000 coroutines (std threads: 1,000 threads).
pub(crate) const MEMORY_10K: Workload = Workload {
    name: "memory_10k",
    about: "per suspended coroutine (handle held) at 10,000, every subject \
            awaiting one shared taskchain Promise: heap bytes and \
            allocations in a first round on a fresh runtime and in a \
            steady (second) round, resident-set growth in the first (0 \
            without /proc); std threads: 1,000 threads waiting on it",
    metrics: METRICS_WITH_RESIDENT,
    applies_to: |subject| !subject.is_variant(),
    run: |subject, mode| run(subject, mode, 10_000, Awaits::SharedPromise),
};

/// The workload at 100,000 coroutines.
pub(crate) const MEMORY_100K: Workload = Workload {
    name: "memory_100k",
    about: "per suspended coroutine (handle held) at 100,000, as memory_10k",
    metrics: METRICS_WITH_RESIDENT,
    applies_to: super::runs_futures,
    run: |subject, mode| run(subject, mode, 100_000, Awaits::SharedPromise),
};

/// The workload at 1,000,000 coroutines (full mode only).
pub(crate) const MEMORY_1M: Workload = Workload {
    name: "memory_1m",
    about: "per suspended coroutine (handle held) at 1,000,000, as \
            memory_10k; full mode only",
    metrics: METRICS_WITH_RESIDENT,
    applies_to: super::runs_futures,
    run: |subject, mode| run(subject, mode, 1_000_000, Awaits::SharedPromise),
};

/// Each runtime's idiomatic shared primitive, at 100,000 coroutines.
pub(crate) const MEMORY_NATIVE_100K: Workload = Workload {
    name: "memory_native_100k",
    about: "per suspended coroutine (handle held) at 100,000, each runtime \
            awaiting its idiomatic shared primitive: a taskchain Promise \
            on taskchain, a tokio Notify on tokio, an event-listener Event \
            on async-executor, async-std, the thread pool and the floor",
    metrics: METRICS,
    applies_to: super::runs_futures,
    run: |subject, mode| run(subject, mode, 100_000, Awaits::Native),
};

/// A promise per coroutine, at 100,000 coroutines.
pub(crate) const MEMORY_OWN_100K: Workload = Workload {
    name: "memory_own_100k",
    about: "per suspended coroutine (handle held) at 100,000, each awaiting \
            its own pending taskchain Promise (its allocation counted), on \
            every subject",
    metrics: METRICS,
    applies_to: super::runs_futures,
    run: |subject, mode| run(subject, mode, 100_000, Awaits::OwnPromise),
};

/// Each runtime's idiomatic single-value channel per coroutine, at 100,000
/// coroutines.
pub(crate) const MEMORY_NATIVE_OWN_100K: Workload = Workload {
    name: "memory_native_own_100k",
    about: "per suspended coroutine (handle held) at 100,000, each awaiting \
            its own idiomatic channel (its allocation counted): a taskchain \
            Promise on taskchain, a tokio oneshot on tokio, an async-channel \
            of capacity 1 on async-executor, async-std, the thread pool and \
            the floor",
    metrics: METRICS,
    applies_to: super::runs_futures,
    run: |subject, mode| run(subject, mode, 100_000, Awaits::NativeOwn),
};

/// What the coroutines of a workload await.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaits {
    /// A clone of one shared pending promise, on every subject.
    SharedPromise,
    /// The runtime's idiomatic shared primitive.
    Native,
    /// A pending promise each.
    OwnPromise,
    /// The runtime's idiomatic single-value channel, one each.
    NativeOwn,
}

/// Most std threads started at once: each reserves a stack, and thousands
/// would hit the system's limits long before a runtime notices N.
const MAX_THREADS: usize = 1_000;

/// How long the heap must stay still to count as settled, and how many
/// such pauses to wait at most.
const SETTLE_PAUSE: Duration = Duration::from_millis(2);
const SETTLE_TRIES: u32 = 500;

/// How many coroutines of this round reached their await. A static, not a
/// captured counter: a captured `Arc` would add to every coroutine's size.
static STARTED: AtomicUsize = AtomicUsize::new(0);

/// Keeps two memory samples (from two threads of a test harness, say)
/// from counting each other's coroutines, and [`STARTED`] sane.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The coroutines `n` stands for in `mode`.
fn coroutines(mode: Mode, n: usize) -> Result<usize, String> {
    match (mode, n) {
        (Mode::Full, n) => Ok(n),
        (_, n) if n >= 1_000_000 => Err("skipped: needs --full".into()),
        (Mode::Smoke, n) => Ok((n / 10).max(1_000)),
        (Mode::Quick, n) => Ok(n),
    }
}

fn run(subject: Subject, mode: Mode, n: usize, awaits: Awaits) -> Result<Sample, String> {
    let n = coroutines(mode, n)?;
    if !alloc::installed() {
        return Err("counting allocator not installed".into());
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Counting from before the runtime exists to after it is gone.
    let _counting = alloc::counting();
    let (first, steady) = if subject == Subject::Raw(Raw::StdThreads) {
        let n = n.min(MAX_THREADS);
        (thread_round(n)?, thread_round(n)?)
    } else {
        let exec = Exec::new(subject)?;
        (
            round_of(&exec, subject, n, awaits)?,
            round_of(&exec, subject, n, awaits)?,
        )
    };
    let mut sample = vec![
        steady.requested,
        first.requested,
        steady.allocations,
        first.allocations,
    ];
    if awaits == Awaits::SharedPromise {
        sample.push(first.resident);
    }
    Ok(sample)
}

/// Growth per coroutine (or thread) in one round.
struct Growth {
    requested: f64,
    allocations: f64,
    resident: f64,
}

/// Heap, allocations and resident set, read in that order before the round
/// and in the reverse order after it, so that no read is counted by
/// another.
struct Reading {
    live: usize,
    allocations: u64,
    resident: Option<u64>,
}

/// Waits until the heap stops moving: a runtime's threads may still be
/// freeing the last round's tasks, or registering the last coroutines'
/// wakers, after the driver saw them done or started.
fn settle() {
    let mut last = alloc::live_bytes();
    for _ in 0..SETTLE_TRIES {
        std::thread::sleep(SETTLE_PAUSE);
        let now = alloc::live_bytes();
        if now == last {
            return;
        }
        last = now;
    }
}

fn before() -> Reading {
    settle();
    release_free_memory();
    let resident = resident_bytes();
    Reading {
        live: alloc::live_bytes(),
        allocations: alloc::allocations(),
        resident,
    }
}

fn after() -> Reading {
    settle();
    let allocations = alloc::allocations();
    let live = alloc::live_bytes();
    Reading {
        live,
        allocations,
        resident: resident_bytes(),
    }
}

fn growth(from: &Reading, to: &Reading, n: usize) -> Growth {
    // The live counter wraps (frees of blocks allocated before counting
    // began subtract); the wrapping difference is exact.
    let requested = to.live.wrapping_sub(from.live) as isize as f64;
    let resident = match (from.resident, to.resident) {
        (Some(a), Some(b)) => b as f64 - a as f64,
        _ => 0.0,
    };
    Growth {
        requested: requested / n as f64,
        allocations: to.allocations.saturating_sub(from.allocations) as f64 / n as f64,
        resident: resident / n as f64,
    }
}

/// What the coroutines of one round await, and how they are released.
/// Each kind spawns its own future type: one type for all would be as
/// large as the largest.
trait Gate {
    /// Spawns one coroutine that counts itself in [`STARTED`] and awaits.
    fn spawn_one(&mut self, spawner: &Spawner) -> Join<Result<(), String>>;

    /// Releases every coroutine spawned.
    fn open(self) -> Result<(), String>;
}

/// One round of `awaits` on `subject`.
fn round_of(exec: &Exec, subject: Subject, n: usize, awaits: Awaits) -> Result<Growth, String> {
    let tokio = matches!(
        subject,
        Subject::Raw(Raw::TokioCurrentThread | Raw::TokioMultiThread)
    );
    match (awaits, subject) {
        (Awaits::OwnPromise, _) => round(exec, n, OwnPromises(Vec::with_capacity(n))),
        (Awaits::NativeOwn, _) if subject.is_taskchain() => {
            round(exec, n, OwnPromises(Vec::with_capacity(n)))
        }
        (Awaits::NativeOwn, _) if tokio => round(exec, n, OwnOneshots(Vec::with_capacity(n))),
        (Awaits::NativeOwn, _) => round(exec, n, OwnChannels(Vec::with_capacity(n))),
        (Awaits::Native, Subject::Raw(Raw::TokioCurrentThread | Raw::TokioMultiThread)) => {
            round(exec, n, SharedNotify(Arc::new(Notify::new())))
        }
        (
            Awaits::Native,
            Subject::Raw(Raw::AsyncExecutor | Raw::AsyncStd | Raw::ThreadPool) | Subject::Floor,
        ) => round(exec, n, SharedEvent(Arc::new(Event::new()))),
        // The shared promise, and taskchain's own idiom.
        (Awaits::SharedPromise, _)
        | (
            Awaits::Native,
            Subject::FrameChain
            | Subject::FrameChainTraced
            | Subject::Chain(_)
            | Subject::Raw(Raw::StdThreads),
        ) => round(exec, n, SharedPromise(Promise::new())),
    }
}

/// One round: `n` coroutines spawned and suspended, measured, released.
fn round(exec: &Exec, n: usize, mut gate: impl Gate) -> Result<Growth, String> {
    let spawner = exec.spawner();
    let mut joins = Vec::with_capacity(n);
    STARTED.store(0, Ordering::SeqCst);
    let from = before();
    for _ in 0..n {
        joins.push(gate.spawn_one(&spawner));
    }
    exec.run_until("every coroutine to suspend", || {
        STARTED.load(Ordering::Acquire) >= n
    })?;
    let to = after();
    gate.open()?;
    exec.block_on(async move {
        for join in joins {
            join.await??;
        }
        Ok::<_, String>(())
    })??;
    Ok(growth(&from, &to, n))
}

/// One shared pending promise.
struct SharedPromise(Promise<()>);

/// A pending promise per coroutine (the setters' clones).
struct OwnPromises(Vec<Promise<()>>);

/// A tokio oneshot per coroutine (the senders).
struct OwnOneshots(Vec<tokio::sync::oneshot::Sender<()>>);

/// An async-channel of capacity 1 per coroutine (the senders).
struct OwnChannels(Vec<async_channel::Sender<()>>);

/// One shared tokio `Notify`.
struct SharedNotify(Arc<Notify>);

/// One shared event-listener `Event`.
struct SharedEvent(Arc<Event>);

impl Gate for SharedPromise {
    fn spawn_one(&mut self, spawner: &Spawner) -> Join<Result<(), String>> {
        spawner.spawn(await_promise(self.0.clone()))
    }

    fn open(self) -> Result<(), String> {
        set(&self.0)
    }
}

impl Gate for OwnPromises {
    fn spawn_one(&mut self, spawner: &Spawner) -> Join<Result<(), String>> {
        let promise = Promise::new();
        self.0.push(promise.clone());
        spawner.spawn(await_promise(promise))
    }

    fn open(self) -> Result<(), String> {
        self.0.iter().try_for_each(set)
    }
}

impl Gate for OwnOneshots {
    fn spawn_one(&mut self, spawner: &Spawner) -> Join<Result<(), String>> {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        self.0.push(sender);
        spawner.spawn(async move {
            STARTED.fetch_add(1, Ordering::Release);
            receiver
                .await
                .map_err(|_| "the oneshot's sender is gone".to_owned())
        })
    }

    fn open(self) -> Result<(), String> {
        self.0.into_iter().try_for_each(|sender| {
            sender
                .send(())
                .map_err(|_| "a oneshot's receiver is gone".to_owned())
        })
    }
}

impl Gate for OwnChannels {
    fn spawn_one(&mut self, spawner: &Spawner) -> Join<Result<(), String>> {
        let (sender, receiver) = async_channel::bounded(1);
        self.0.push(sender);
        spawner.spawn(async move {
            STARTED.fetch_add(1, Ordering::Release);
            receiver
                .recv()
                .await
                .map_err(|_| "the channel's sender is gone".to_owned())
        })
    }

    fn open(self) -> Result<(), String> {
        self.0.iter().try_for_each(|sender| {
            sender
                .try_send(())
                .map_err(|e| format!("cannot send on a channel: {e}"))
        })
    }
}

impl Gate for SharedNotify {
    fn spawn_one(&mut self, spawner: &Spawner) -> Join<Result<(), String>> {
        let notify = self.0.clone();
        spawner.spawn(async move {
            // Made before counting: `notify_waiters` reaches every
            // `Notified` that exists, polled yet or not, so the driver
            // cannot release the coroutine between the count and the wait.
            let notified = notify.notified();
            STARTED.fetch_add(1, Ordering::Release);
            notified.await;
            Ok(())
        })
    }

    fn open(self) -> Result<(), String> {
        self.0.notify_waiters();
        Ok(())
    }
}

impl Gate for SharedEvent {
    fn spawn_one(&mut self, spawner: &Spawner) -> Join<Result<(), String>> {
        let event = self.0.clone();
        spawner.spawn(async move {
            // Listening before counting, as for `Notify`: a listener is
            // registered as it is made.
            let listener = event.listen();
            STARTED.fetch_add(1, Ordering::Release);
            listener.await;
            Ok(())
        })
    }

    fn open(self) -> Result<(), String> {
        self.0.notify(usize::MAX);
        Ok(())
    }
}

/// A coroutine that counts itself started and awaits `promise`.
async fn await_promise(promise: Promise<()>) -> Result<(), String> {
    STARTED.fetch_add(1, Ordering::Release);
    promise
        .await
        .map_err(|e| format!("the promise failed: {e}"))
}

fn set(promise: &Promise<()>) -> Result<(), String> {
    promise
        .set_result(())
        .map_err(|e| format!("cannot set the promise: {e}"))
}

/// One round of `n` std threads blocked on one shared promise, as for
/// coroutines.
fn thread_round(n: usize) -> Result<Growth, String> {
    let promise = Promise::<()>::new();
    let mut threads = Vec::with_capacity(n);
    STARTED.store(0, Ordering::SeqCst);
    let from = before();
    let mut spawn_error = None;
    for _ in 0..n {
        let promise = promise.clone();
        let spawned = std::thread::Builder::new().spawn(move || {
            STARTED.fetch_add(1, Ordering::Release);
            promise.wait()
        });
        match spawned {
            Ok(thread) => threads.push(thread),
            Err(e) => {
                spawn_error = Some(format!("cannot spawn a thread: {e}"));
                break;
            }
        }
    }
    while spawn_error.is_none() && STARTED.load(Ordering::Acquire) < n {
        std::thread::yield_now();
    }
    let to = after();
    set(&promise)?;
    for thread in threads {
        thread
            .join()
            .map_err(|_| "a waiting thread panicked".to_owned())?
            .map_err(|e| format!("a thread's wait failed: {e}"))?;
    }
    match spawn_error {
        Some(e) => Err(e),
        None => Ok(growth(&from, &to, n)),
    }
}
