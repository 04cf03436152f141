//! `memory_10k`, `memory_100k`, `memory_1m`: memory per suspended
//! coroutine, with its handle held: heap bytes requested (the counting
//! allocator) and resident bytes (growth of the resident set).
//!
//! Each sample spawns N coroutines that await one shared pending future (a
//! taskchain `Promise`; on the raw runtimes a tokio `Notify`, whose waiter
//! lives inside the awaiting future, on all of them alike), runs the
//! runtime until every one reached its await, and divides the growth by N.
//! It does so twice on the same runtime:
//!
//! - "B resident" comes from the first round, after the allocator handed
//!   its free pages back, so that the coroutines fault in fresh pages (a
//!   second round would reuse the first's freed pages and show none);
//! - "B requested" comes from the second round: the steady cost of one
//!   more suspended coroutine, without the runtime's queues growing to N
//!   for the first time (that growth shows in the resident figure).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use taskchain::Promise;
use tokio::sync::Notify;

use super::exec::Exec;
use super::join::Join;
use super::resident::{release_free_memory, resident_bytes};
use taskchain_conformance::alloc;

use crate::{Metric, Mode, Raw, Sample, Subject, Workload};

const METRICS: &[Metric] = &[
    Metric::lower("B requested", "B"),
    Metric::lower("B resident", "B"),
];

/// The workload at 10,000 coroutines (std threads: 1,000 threads).
pub(crate) const MEMORY_10K: Workload = Workload {
    name: "memory_10k",
    about: "bytes per suspended coroutine (handle held) at 10,000: heap \
            requested in a steady round, resident-set growth in a first \
            round (0 without /proc); std threads: 1,000 parked threads",
    metrics: METRICS,
    applies_to: |_| true,
    run: |subject, mode| run(subject, mode, 10_000),
};

/// The workload at 100,000 coroutines.
pub(crate) const MEMORY_100K: Workload = Workload {
    name: "memory_100k",
    about: "bytes per suspended coroutine (handle held) at 100,000, as \
            memory_10k",
    metrics: METRICS,
    applies_to: |s| s != Subject::Raw(Raw::StdThreads),
    run: |subject, mode| run(subject, mode, 100_000),
};

/// The workload at 1,000,000 coroutines (full mode only).
pub(crate) const MEMORY_1M: Workload = Workload {
    name: "memory_1m",
    about: "bytes per suspended coroutine (handle held) at 1,000,000, as \
            memory_10k; full mode only",
    metrics: METRICS,
    applies_to: |s| s != Subject::Raw(Raw::StdThreads),
    run: |subject, mode| run(subject, mode, 1_000_000),
};

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

fn run(subject: Subject, mode: Mode, n: usize) -> Result<Sample, String> {
    let n = coroutines(mode, n)?;
    if !alloc::installed() {
        return Err("counting allocator not installed".into());
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Counting from before the runtime exists to after it is gone.
    let _counting = alloc::counting();
    if subject == Subject::Raw(Raw::StdThreads) {
        return threads(n.min(MAX_THREADS));
    }
    let exec = Exec::new(subject)?;
    let first = round(&exec, subject, n)?;
    let steady = round(&exec, subject, n)?;
    Ok(vec![steady.requested, first.resident])
}

/// Growth per coroutine (or thread) in one round.
struct Growth {
    requested: f64,
    resident: f64,
}

/// Heap and resident set, read in that order before the round and in the
/// reverse order after it, so that neither read is counted by the other.
struct Reading {
    live: usize,
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
        resident,
    }
}

fn after() -> Reading {
    settle();
    let live = alloc::live_bytes();
    Reading {
        live,
        resident: resident_bytes(),
    }
}

fn growth(from: &Reading, to: &Reading, n: usize) -> Growth {
    let requested = to.live.wrapping_sub(from.live) as isize as f64;
    let resident = match (from.resident, to.resident) {
        (Some(a), Some(b)) => b as f64 - a as f64,
        _ => 0.0,
    };
    Growth {
        requested: requested / n as f64,
        resident: resident / n as f64,
    }
}

/// One round: `n` coroutines spawned and suspended, measured, released.
fn round(exec: &Exec, subject: Subject, n: usize) -> Result<Growth, String> {
    let spawner = exec.spawner();
    let mut joins: Vec<Join<Result<(), String>>> = Vec::with_capacity(n);
    // Two kinds of coroutine, each spawned as its own future type: one
    // future type for both would be as large as the larger.
    let promise = Promise::new();
    let notify = Arc::new(Notify::new());
    STARTED.store(0, Ordering::SeqCst);
    let from = before();
    if subject.is_taskchain() {
        for _ in 0..n {
            joins.push(spawner.spawn(await_promise(promise.clone())));
        }
    } else {
        for _ in 0..n {
            joins.push(spawner.spawn(await_notify(notify.clone())));
        }
    }
    exec.run_until("every coroutine to suspend", || {
        STARTED.load(Ordering::Acquire) >= n
    })?;
    let to = after();
    promise
        .set_result(())
        .map_err(|e| format!("cannot set the promise: {e}"))?;
    notify.notify_waiters();
    exec.block_on(async move {
        for join in joins {
            join.await??;
        }
        Ok::<_, String>(())
    })??;
    Ok(growth(&from, &to, n))
}

/// A taskchain coroutine that counts itself started and awaits `promise`.
async fn await_promise(promise: Promise<()>) -> Result<(), String> {
    STARTED.fetch_add(1, Ordering::Release);
    promise
        .await
        .map_err(|e| format!("the promise failed: {e}"))
}

/// A raw coroutine that counts itself started and awaits `notify`.
async fn await_notify(notify: Arc<Notify>) -> Result<(), String> {
    // Made before counting: `notify_waiters` reaches every `Notified` that
    // exists, polled yet or not, so the driver cannot release the
    // coroutines between the count and the wait.
    let notified = notify.notified();
    STARTED.fetch_add(1, Ordering::Release);
    notified.await;
    Ok(())
}

/// Two rounds of `n` std threads parked on a condition variable, as for
/// coroutines.
fn threads(n: usize) -> Result<Sample, String> {
    let first = thread_round(n)?;
    let steady = thread_round(n)?;
    Ok(vec![steady.requested, first.resident])
}

fn thread_round(n: usize) -> Result<Growth, String> {
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let mut threads = Vec::with_capacity(n);
    STARTED.store(0, Ordering::SeqCst);
    let from = before();
    let mut spawn_error = None;
    for _ in 0..n {
        let gate = gate.clone();
        let spawned = std::thread::Builder::new().spawn(move || {
            STARTED.fetch_add(1, Ordering::Release);
            let (open, opened) = &*gate;
            let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
            while !*open {
                open = opened.wait(open).unwrap_or_else(|e| e.into_inner());
            }
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
    {
        let (open, opened) = &*gate;
        *open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        opened.notify_all();
    }
    for thread in threads {
        thread
            .join()
            .map_err(|_| "a parked thread panicked".to_owned())?;
    }
    match spawn_error {
        Some(e) => Err(e),
        None => Ok(growth(&from, &to, n)),
    }
}
