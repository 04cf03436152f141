//! Panics in one task in ten, among thousands of tasks of every kind:
//! proves that each panic is caught at its own task's poll boundary and
//! surfaces in that task's future (`Error::Panicked` with its message),
//! that no other task is touched (values right, `upon_death` clean), and
//! that the chain, all its workers included, keeps running afterwards.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use taskchain_core::{
    AsyncFuture, DoneStatus, Error, Promise, TaskBuilder, TaskChainExt, TaskContext, TaskHandle,
};

use super::{DeathBook, STRESS_PATIENCE};
use crate::kit::drops::DropCounter;
use crate::scenarios::support::marker;
use crate::settle::settle_for;
use crate::{quiet_deliberate_panics, ChainFactory};

/// One task in this many panics.
const PANIC_EVERY: usize = 10;

/// Runs of a recurring task that does not panic: it returns `Done` on the
/// last.
const RECURRING_RUNS: usize = 3;

/// The run on which a panicking recurring task panics.
const PANIC_RUN: usize = 2;

/// Tasks spawned after the storm, which must all run.
const AFTERWARDS: usize = 100;

/// The panic message of task `index`: distinct per task, bracketed so that
/// no message contains another's.
fn message(index: usize) -> String {
    marker(&format!("[stress task {index}]"))
}

/// Whether task `index` panics.
fn panics(index: usize) -> bool {
    index.is_multiple_of(PANIC_EVERY)
}

/// The value a coroutine task `index` returns when it does not panic: its
/// index plus what it awaited (0 for one that awaits nothing).
fn value(index: usize, awaited: u64) -> u64 {
    index as u64 * 2 + awaited
}

/// Spawns `tasks` tasks on a fixture from `factory`, by turns a coroutine
/// returning a value, a recurring task that runs three times,
/// and a coroutine awaiting a promise set midway; every tenth panics with
/// its own message (a recurring one on its second run, an awaiting one
/// after its await). Checks:
///
/// - every panicking task's future holds `Error::Panicked` with its own
///   message, its `upon_death(false)` ran once;
/// - every other task returned its own value (a recurring task ran exactly
///   three times), its `upon_death(true)` ran once;
/// - no coroutine is alive afterwards;
/// - the chain goes on: a hundred tasks spawned after the storm all
///   run (with one worker, a worker lost to a panic would stop the chain).
///
/// The panics are deliberate: the suite's panic hook keeps them out of the
/// test output.
///
/// # Panics
///
/// When a check fails, or the tasks do not end within the stress watchdog.
pub fn check_panics_under_load<F: ChainFactory>(factory: &F, tasks: usize) {
    quiet_deliberate_panics();
    let fx = factory.build();
    let deaths = DeathBook::new(tasks);
    let guards = DropCounter::default();
    let ended = Arc::new(AtomicUsize::new(0));
    let go: Promise<u64> = fx.chain.promise();
    const AWAITED: u64 = 1_000_000;
    let runs: Arc<[AtomicUsize]> = (0..tasks).map(|_| AtomicUsize::new(0)).collect();
    let mut coroutines: Vec<(usize, TaskHandle<u64>)> = Vec::new();
    let mut recurring: Vec<(usize, TaskHandle<()>)> = Vec::new();

    for i in 0..tasks {
        let death = deaths.hook(i);
        let ended_here = ended.clone();
        let upon_death = move |clean| {
            death(clean);
            ended_here.fetch_add(1, Ordering::SeqCst);
        };
        let guard = guards.token();
        match i % 3 {
            0 => {
                let task = TaskBuilder::coroutine(async move {
                    let _guard = guard;
                    if panics(i) {
                        panic!("{}", message(i));
                    }
                    value(i, 0)
                });
                coroutines.push((i, spawn(&fx, task.upon_death(upon_death), i)));
            }
            1 => {
                let runs = runs.clone();
                let task = TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    let _held = &guard;
                    let run = runs[i].fetch_add(1, Ordering::SeqCst) + 1;
                    if panics(i) && run == PANIC_RUN {
                        panic!("{}", message(i));
                    }
                    if run < RECURRING_RUNS {
                        DoneStatus::Cont
                    } else {
                        DoneStatus::Done
                    }
                });
                recurring.push((i, spawn(&fx, task.upon_death(upon_death), i)));
            }
            _ => {
                let go = go.clone();
                let task = TaskBuilder::coroutine(async move {
                    let _guard = guard;
                    let awaited = go.await.unwrap_or(0);
                    if panics(i) {
                        panic!("{}", message(i));
                    }
                    value(i, awaited)
                });
                coroutines.push((i, spawn(&fx, task.upon_death(upon_death), i)));
            }
        }
        if i == tasks / 2 {
            // Midway: the awaiting coroutines spawned so far wake under
            // load, the later ones find the promise set.
            go.set_result(AWAITED).expect("set the awaited promise");
        }
    }
    if !go.is_done() {
        go.set_result(AWAITED).expect("set the awaited promise");
    }
    settle_for(
        factory,
        &fx,
        "every task of the storm to end",
        STRESS_PATIENCE,
        || {
            ended.load(Ordering::SeqCst) >= tasks
                && coroutines.iter().all(|(_, h)| h.is_done())
                && recurring.iter().all(|(_, h)| h.is_done())
        },
    );

    let mut panicked = 0;
    for (i, handle) in &coroutines {
        let r = handle.result(Some(Duration::ZERO));
        if panics(*i) {
            assert_eq!(r, Err(Error::Panicked(message(*i))), "coroutine task {i}");
            panicked += 1;
        } else {
            let awaited = if i % 3 == 0 { 0 } else { AWAITED };
            assert_eq!(r, Ok(value(*i, awaited)), "coroutine task {i}");
        }
        deaths.assert_once(*i, !panics(*i), "coroutine");
    }
    for (i, handle) in &recurring {
        let r = handle.result(Some(Duration::ZERO));
        let ran = runs[*i].load(Ordering::SeqCst);
        if panics(*i) {
            assert_eq!(r, Err(Error::Panicked(message(*i))), "recurring task {i}");
            assert_eq!(ran, PANIC_RUN, "recurring task {i} ran after its panic");
            panicked += 1;
        } else {
            assert_eq!(r, Ok(()), "recurring task {i}");
            assert_eq!(ran, RECURRING_RUNS, "recurring task {i}'s runs");
        }
        deaths.assert_once(*i, !panics(*i), "recurring");
    }
    assert_eq!(panicked, tasks.div_ceil(PANIC_EVERY), "panicking tasks");
    assert_eq!(guards.alive(), 0, "tasks alive after they all ended");

    // The chain goes on after the storm.
    let later: Vec<TaskHandle<usize>> = (0..AFTERWARDS)
        .map(|k| fx.chain.spawn(async move { k }))
        .collect();
    settle_for(
        factory,
        &fx,
        "tasks spawned after the storm to run",
        STRESS_PATIENCE,
        || later.iter().all(|t| t.is_done()),
    );
    for (k, t) in later.iter().enumerate() {
        assert_eq!(
            t.result(Some(Duration::ZERO)),
            Ok(k),
            "task {k} after the storm"
        );
    }
    // A task's end is published to its handle just before the runner
    // retires it from its chain: the count follows within the watchdog.
    settle_for(
        factory,
        &fx,
        "every ended task to leave the chain",
        STRESS_PATIENCE,
        || fx.chain.stats().total() == 0,
    );
}

/// Schedules `task` on the fixture's chain.
fn spawn<W>(fx: &crate::Fixture, task: TaskBuilder<W>, index: usize) -> TaskHandle<W::Output>
where
    W: taskchain_core::Task + Send,
    W::Output: Send,
{
    fx.chain
        .add_task(task)
        .unwrap_or_else(|e| panic!("add_task of task {index}: {e:?}"))
}
