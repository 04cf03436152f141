//! A million suspended coroutines, all cancelled: proves that cancelling a
//! coroutine suspended in any kind of await (a foreign future that never
//! completes, a shielded promise that is never set, a long pause) ends it
//! cancelled, runs its `upon_death` once and drops it, and that once the
//! handles, the promise and the manager are gone the heap is back where it
//! started: nothing a task, a chain or a runtime allocated per task is kept.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskchain_core::{pause, shield, AsyncFuture, Error, Promise, TaskBuilder, TaskChainExt};

use super::{DeathBook, STRESS_PATIENCE};
use crate::kit::alloc;
use crate::kit::drops::DropCounter;
use crate::settle::settle_for;
use crate::{ChainFactory, PATIENCE};

/// How many more heap bytes than at the start the check allows once
/// everything is gone: 16 KiB, whatever the number of coroutines, so one
/// byte kept per coroutine fails it at any size above 16,384.
///
/// Why not zero: runtimes grow process-wide structures lazily (thread
/// locals, global queues, async-io's reactor, async-std's executor) to
/// capacities that depend on timing. A warm-up round before the measured
/// one pays for most of it; the slack absorbs the bounded rest. Measured
/// in debug builds: 0 bytes on the frame chain, tokio, smol and usually
/// async-std, 8,752 on the thread pool (the same at 2,000 coroutines as at
/// a million, and 0 to a few KiB either way in later rounds of one
/// process). Once, in CI, async-std's first million-coroutine round left
/// 17,920 bytes; hence a second round when the first exceeds the slack.
pub const HEAP_SLACK: usize = 16 * 1024;

/// The round before the measured one, which grows what a runtime grows
/// once per process.
const WARM_UP: usize = 1_000;

/// A long pause: never over in this check (its clock never moves).
const FOREVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// Spawns `coroutines` coroutine tasks on a fixture from `factory`, each
/// suspended in an await that never completes (a foreign pending future, a
/// shield of a promise nobody sets, a pause on a clock that never moves),
/// waits until every one is suspended, cancels them all through their
/// handles, and waits until they have ended. Checks:
///
/// - every `cancel()` returns true, every handle ends `Err(Cancelled)`;
/// - each task's `upon_death(false)` ran once;
/// - no coroutine is alive once they ended;
/// - the heap: after a warm-up round, the live bytes counted by
///   [`alloc::CountingAlloc`] once the round's handles, promise and
///   manager are dropped exceed those before the round by at most
///   [`HEAP_SLACK`] (if the first full-size round exceeds it, a second
///   one, from a new baseline, must not).
///
/// Returns the heap growth the round left (bytes, may be negative).
///
/// The test binary must install [`alloc::CountingAlloc`] as its global
/// allocator and run nothing else meanwhile: the count is process-wide.
///
/// # Panics
///
/// When a check fails, when the counting allocator is not installed, or
/// when something does not happen within the stress watchdog.
pub fn check_suspended_coroutines<F: ChainFactory>(factory: &F, coroutines: usize) -> isize {
    assert!(
        alloc::installed(),
        "check_suspended_coroutines needs `#[global_allocator] static A: \
         taskchain_conformance::kit::alloc::CountingAlloc = CountingAlloc;` in the test binary"
    );
    cancel_all_suspended(factory, coroutines.min(WARM_UP));
    let mut growth = measured_round(factory, coroutines);
    if growth > HEAP_SLACK as isize {
        // A runtime shared by the whole process (async-std's) can still
        // grow a structure of its own in the first full-size round, by a
        // few KiB that depend on timing. A second round from a new baseline
        // tells that apart from a leak, which a round of `coroutines`
        // repeats in full.
        growth = measured_round(factory, coroutines);
    }
    assert!(
        growth <= HEAP_SLACK as isize,
        "{} coroutines on {} left the heap {growth} bytes above its baseline \
         (allowed: {HEAP_SLACK})",
        coroutines,
        factory.name()
    );
    growth
}

/// One round counted from the heap's level just before it: what it left
/// behind, in bytes (may be negative).
fn measured_round<F: ChainFactory>(factory: &F, coroutines: usize) -> isize {
    let counting = alloc::counting();
    let before = alloc::live_bytes();
    cancel_all_suspended(factory, coroutines);
    let growth = || alloc::live_bytes().wrapping_sub(before) as isize;
    // A runtime shared by every chain (async-std's) drops the chain's
    // worker futures on its own threads, a moment after the shutdown that
    // stopped them returned: what they hold comes back then. Wait for it,
    // up to the hang guard; a runtime of the chain's own has joined its
    // threads, and the first look decides.
    let start = Instant::now();
    while growth() > HEAP_SLACK as isize && start.elapsed() < PATIENCE {
        std::thread::sleep(Duration::from_millis(1));
    }
    let growth = growth();
    drop(counting);
    growth
}

/// One round: everything it makes is dropped by the time it returns.
fn cancel_all_suspended<F: ChainFactory>(factory: &F, coroutines: usize) {
    let fx = factory.build();
    let guards = DropCounter::default();
    let deaths = DeathBook::new(coroutines);
    let suspended = Arc::new(AtomicUsize::new(0));
    let ended = Arc::new(AtomicUsize::new(0));
    let never_set: Promise<u64> = fx.chain.promise();
    let mut handles = Vec::with_capacity(coroutines);
    for i in 0..coroutines {
        let guard = guards.token();
        let suspended = suspended.clone();
        let promise = never_set.clone();
        let coroutine = async move {
            let _guard = guard;
            suspended.fetch_add(1, Ordering::SeqCst);
            // Three kinds of await, each cancelled its own way: a foreign
            // future is dropped, a shield is cancelled (not its promise),
            // a sleeper leaves the timer.
            // Each propagates the cancellation its await delivers.
            match i % 3 {
                0 => std::future::pending::<Result<(), Error>>().await,
                1 => shield(promise).await.map(drop),
                _ => pause(FOREVER).await,
            }
        };
        let death = deaths.hook(i);
        let ended = ended.clone();
        let task = TaskBuilder::fallible(coroutine).upon_death(move |clean| {
            death(clean);
            ended.fetch_add(1, Ordering::SeqCst);
        });
        let handle = fx
            .chain
            .add_task(task)
            .unwrap_or_else(|e| panic!("add_task of coroutine {i}: {e:?}"));
        handles.push(handle);
    }
    settle_for(
        factory,
        &fx,
        "every coroutine to suspend",
        STRESS_PATIENCE,
        || suspended.load(Ordering::SeqCst) == coroutines,
    );
    for (i, handle) in handles.iter().enumerate() {
        assert!(handle.cancel(), "cancel() of suspended coroutine {i}");
    }
    settle_for(
        factory,
        &fx,
        "every cancelled coroutine to end",
        STRESS_PATIENCE,
        || ended.load(Ordering::SeqCst) >= coroutines && handles.iter().all(|h| h.is_done()),
    );
    for (i, handle) in handles.iter().enumerate() {
        assert_eq!(
            handle.result(Some(Duration::ZERO)),
            Err(Error::Cancelled),
            "coroutine {i}"
        );
        deaths.assert_once(i, false, "cancelled");
    }
    assert!(
        !never_set.is_done(),
        "a shield's cancel reached its promise"
    );
    assert_eq!(guards.alive(), 0, "coroutines alive after they all ended");
    // A task's end is published to its handle just before the runner
    // retires it from its chain: the count follows within the watchdog.
    settle_for(
        factory,
        &fx,
        "every ended task to leave the chain",
        STRESS_PATIENCE,
        || fx.chain.stats().total() == 0,
    );
    drop(handles);
    drop(never_set);
    drop(fx);
}
