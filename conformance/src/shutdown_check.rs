//! The shutdown check every backend runs: a manager whose chain has tasks
//! running, sleeping and awaiting is shut down, or just dropped; it
//! returns, cancels every unfinished task (its `upon_death` once, its done
//! callbacks once), joins every thread the chain's runtime started and
//! drops every coroutine and value.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use taskchain_core::{
    pause, AsyncFuture, DoneStatus, Error, Promise, TaskBuilder, TaskChainExt, TaskContext,
    TaskHandle,
};

use crate::kit::census::ThreadCensus;
use crate::kit::drops::DropCounter;
use crate::scenarios::support::wait_until;
use crate::stress::DeathBook;
use crate::{settle, ChainFactory, Fixture, PATIENCE};

/// How the manager goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownBy {
    /// `manager.shutdown()`, the manager kept until the checks are done.
    Shutdown,
    /// `drop(manager)` (its `Drop` shuts every chain down), with no
    /// reference to the chain left but the manager's.
    Drop,
}

/// Whether the chain's runtime owns its threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadOwnership {
    /// A runtime of the chain's own (tokio, smol, the thread pool): a
    /// shutdown joins every thread it started, which the check verifies.
    Owned,
    /// A process-wide runtime (async-std's): its threads outlive every
    /// chain, so the check does not expect them joined.
    Shared,
}

/// A long pause or delay: never over in this check (its clock never
/// moves).
const FOREVER: Duration = Duration::from_secs(3600);

/// The tasks of the check, by index into its death book.
const FINISHED: usize = 0;
const SPINNER: usize = 1;
const DELAYED: usize = 2;
const PAUSING: usize = 3;
const AWAITING_PROMISE: usize = 4;
const AWAITING_TASK: usize = 5;
/// The task `AWAITING_TASK` spawned and awaits (no handle outside).
const INNER: usize = 6;
const BLOCKER: usize = 7;
const TASKS: usize = 8;

/// Builds a fixture from `factory` whose chain has a task finished, one
/// spinning (a recurring task returning `Cont`), one delayed, one paused,
/// one awaiting a promise never set, one awaiting a task it spawned (which
/// awaits that promise too) and, on a threaded chain, one blocked mid-run
/// (released once its cancel is requested, so that it ends within the
/// check); then shuts the manager down or drops it, `by`. Checks:
///
/// - the shutdown or drop returns (a hang guard, not a timing);
/// - every unfinished task is cancelled, the finished one keeps its value;
/// - each task's `upon_death` ran once (clean only for the finished one),
///   each handle's done callback once;
/// - every thread that ran a task of the chain has ended, when the
///   runtime owns its threads (`threads`);
/// - no coroutine, closure or value is alive once the values are read, nor
///   after the handles are dropped.
///
/// # Panics
///
/// When a check fails, or the shutdown does not return within the hang
/// guard.
pub fn check_shutdown<F: ChainFactory>(factory: &F, by: ShutdownBy, threads: ThreadOwnership) {
    let fx = factory.build();
    let guards = DropCounter::default();
    let deaths = DeathBook::new(TASKS);
    let census = ThreadCensus::new();
    let started = Arc::new(AtomicUsize::new(0));
    let never_set: Promise<u64> = fx.chain.promise();

    // A coroutine task `index` holding a guard, marking its thread and
    // counting its start, then awaiting `body`.
    let spawn = |index: usize, delay: Option<Duration>, body| -> TaskHandle<Result<u64, Error>> {
        let (guard, census, started) = (guards.token(), census.clone(), started.clone());
        let coroutine = async move {
            let _guard = guard;
            census.mark();
            started.fetch_add(1, Ordering::SeqCst);
            body.await
        };
        let mut task = TaskBuilder::coroutine(coroutine).upon_death(deaths.hook(index));
        if let Some(delay) = delay {
            task = task.delay(delay);
        }
        fx.chain.add_task(task).expect("add_task")
    };
    type Body = std::pin::Pin<Box<dyn std::future::Future<Output = Result<u64, Error>> + Send>>;

    let finished = spawn(FINISHED, None, Box::pin(async { Ok(7u64) }) as Body);
    settle(factory, &fx, "the task that finishes first", || {
        finished.is_done()
    });
    let spinner_runs = Arc::new(AtomicUsize::new(0));
    let spinner = {
        let (guard, census, runs) = (guards.token(), census.clone(), spinner_runs.clone());
        let task = TaskBuilder::recurring(move |_: &TaskContext<'_>| {
            let _held = &guard;
            census.mark();
            runs.fetch_add(1, Ordering::SeqCst);
            // A threaded chain runs a `Cont` task back to back; under
            // valgrind, which runs one thread at a time, that spin starved
            // the test's own thread past the settle watchdog. Yielding
            // hands the others their turn; natively it changes nothing.
            std::thread::yield_now();
            DoneStatus::Cont
        })
        .upon_death(deaths.hook(SPINNER));
        fx.chain.add_task(task).expect("add_task")
    };
    let delayed = spawn(DELAYED, Some(FOREVER), Box::pin(async { Ok(0u64) }) as Body);
    let pausing = spawn(
        PAUSING,
        None,
        Box::pin(async { pause(FOREVER).await.map(|()| 0u64) }) as Body,
    );
    let awaiting_promise = spawn(AWAITING_PROMISE, None, Box::pin(never_set.clone()) as Body);
    let awaiting_task = {
        let inner = TaskBuilder::coroutine({
            let (guard, never_set, started) = (guards.token(), never_set.clone(), started.clone());
            async move {
                let _guard = guard;
                started.fetch_add(1, Ordering::SeqCst);
                never_set.await
            }
        })
        .upon_death(deaths.hook(INNER));
        let body = async move { inner.await.and_then(|r| r) };
        spawn(AWAITING_TASK, None, Box::pin(body) as Body)
    };
    // Started: the finished, pausing and two awaiting coroutines, and the
    // inner task.
    settle(factory, &fx, "every coroutine to suspend", || {
        started.load(Ordering::SeqCst) == 5 && spinner_runs.load(Ordering::SeqCst) >= 2
    });

    // On a threaded chain, a task blocked mid-run as the shutdown comes:
    // spawned last, since with one worker it holds the only one.
    let release = Arc::new(AtomicBool::new(false));
    let blocker = (factory.threads() > 0).then(|| {
        let entered = Arc::new(AtomicBool::new(false));
        let task = {
            let (guard, census) = (guards.token(), census.clone());
            let (entered, release) = (entered.clone(), release.clone());
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                let _held = &guard;
                census.mark();
                entered.store(true, Ordering::SeqCst);
                wait_until(|| release.load(Ordering::SeqCst));
                DoneStatus::Cont
            })
            .upon_death(deaths.hook(BLOCKER))
        };
        let handle = fx.chain.add_task(task).expect("add_task");
        settle(factory, &fx, "the blocking task to start its run", || {
            entered.load(Ordering::SeqCst)
        });
        handle
    });
    let releaser = blocker.as_ref().map(|handle| {
        let any = handle.as_any();
        let release = release.clone();
        std::thread::spawn(move || {
            // Released once the shutdown asked it to stop: the shutdown
            // then finds it mid-run, whatever the machine's speed.
            wait_until(|| any.is_cancel_requested());
            release.store(true, Ordering::SeqCst);
        })
    });

    let coroutines = [
        &finished,
        &delayed,
        &pausing,
        &awaiting_promise,
        &awaiting_task,
    ];
    let callbacks = Arc::new(AtomicUsize::new(0));
    let count = |any: &dyn Fn(Box<dyn FnOnce() + Send>) -> Result<(), Error>| {
        let callbacks = callbacks.clone();
        any(Box::new(move || {
            callbacks.fetch_add(1, Ordering::SeqCst);
        }))
        .expect("add_done_callback");
    };
    for c in coroutines {
        count(&|f| c.add_done_callback(move |_| f()));
    }
    for r in std::iter::once(&spinner).chain(blocker.as_ref()) {
        count(&|f| r.add_done_callback(move |_| f()));
    }
    // One per handle, the finished task's included (a callback added to a
    // done future still runs, on the chain).
    let expected_callbacks = coroutines.len() + 1 + usize::from(blocker.is_some());

    let Fixture {
        manager,
        clock,
        chain,
    } = fx;
    if by == ShutdownBy::Drop {
        drop(chain);
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let kept = match by {
            ShutdownBy::Shutdown => {
                manager.shutdown();
                Some(manager)
            }
            ShutdownBy::Drop => {
                drop(manager);
                None
            }
        };
        let _ = tx.send(kept);
    });
    let kept = rx
        .recv_timeout(PATIENCE)
        .unwrap_or_else(|_| panic!("{by:?} of the manager hung on {}", factory.name()));
    if let Some(releaser) = releaser {
        releaser.join().expect("the releasing thread");
    }

    let at = format!("after {by:?} on {}", factory.name());
    assert_eq!(finished.result(Some(Duration::ZERO)), Ok(Ok(7)), "{at}");
    for (what, handle) in [
        ("delayed", &delayed),
        ("pausing", &pausing),
        ("awaiting a promise", &awaiting_promise),
        ("awaiting a task", &awaiting_task),
    ] {
        assert_eq!(
            handle.result(Some(Duration::ZERO)),
            Err(Error::Cancelled),
            "{at}: the {what} task"
        );
    }
    assert_eq!(
        spinner.result(Some(Duration::ZERO)),
        Err(Error::Cancelled),
        "{at}: spinner"
    );
    if let Some(blocker) = &blocker {
        assert_eq!(
            blocker.result(Some(Duration::ZERO)),
            Err(Error::Cancelled),
            "{at}: blocker"
        );
    }
    deaths.assert_once(FINISHED, true, &at);
    for index in [
        SPINNER,
        DELAYED,
        PAUSING,
        AWAITING_PROMISE,
        AWAITING_TASK,
        INNER,
    ] {
        deaths.assert_once(index, false, &at);
    }
    if blocker.is_some() {
        deaths.assert_once(BLOCKER, false, &at);
    } else {
        assert_eq!(deaths.calls(BLOCKER), (0, 0));
    }
    // A done callback of a cancelled task may still be queued for the
    // chain when the shutdown begins: the shutdown runs it.
    assert_eq!(
        callbacks.load(Ordering::SeqCst),
        expected_callbacks,
        "{at}: done callbacks"
    );
    assert_eq!(
        guards.alive(),
        0,
        "{at}: coroutines, closures or values alive"
    );
    if factory.threads() > 0 && threads == ThreadOwnership::Owned {
        let (set, ended) = census.counts();
        assert!(set >= 1, "{at}: no thread marked");
        assert_eq!(ended, set, "{at}: threads of the runtime still running");
    }

    drop((finished, delayed, pausing, awaiting_promise, awaiting_task));
    drop((spinner, blocker, never_set, clock, kept));
    assert_eq!(guards.alive(), 0, "{at}: alive after dropping everything");
    assert!(
        callbacks.load(Ordering::SeqCst) == expected_callbacks,
        "{at}: a done callback ran late"
    );
}
