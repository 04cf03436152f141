//! A chain's life: `wait_for_tasks` blocks until it is empty (or times
//! out), `shutdown` cancels what is left (each `upon_death` once, every
//! done callback run, nothing kept alive) and cancels later spawns at once;
//! `frame_sync` holds a threaded chain to one epoch per frame.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use taskchain_core::{
    pause, AsyncFuture, DoneStatus, Error, TaskBuilder, TaskChainExt, TaskContext,
};

use super::support::ms;
use crate::kit::counters::{bump, counter, get, Counter, Deaths};
use crate::kit::drops::DropCounter;
use crate::kit::log::{new_log, push, seen};
use crate::{settle, ChainFactory, SETTLE_TIMEOUT};

/// `wait_for_tasks` times out while a task is pending, and returns once
/// every task is done (a frame chain polls itself meanwhile).
pub(crate) fn wait_for_tasks(f: &dyn ChainFactory) {
    let fx = f.build();
    let gate = fx.chain.promise::<u32>();
    let waiter = fx.chain.spawn(gate.clone());
    let runs = counter();
    let recurring = {
        let runs = runs.clone();
        fx.chain.add(move |_: &TaskContext<'_>| {
            if bump(&runs) < 5 {
                DoneStatus::Cont
            } else {
                DoneStatus::Done
            }
        })
    };
    assert_eq!(
        fx.chain.wait_for_tasks(Some(ms(20))),
        Err(Error::Timeout),
        "a coroutine is still waiting"
    );
    assert!(!waiter.is_done());
    assert_eq!(
        fx.chain.wait_for_tasks(Some(ms(1))),
        Err(Error::Timeout),
        "timeouts repeat"
    );
    let setter = {
        let gate = gate.clone();
        thread::spawn(move || gate.set_result(3))
    };
    assert_eq!(fx.chain.wait_for_tasks(Some(SETTLE_TIMEOUT)), Ok(()));
    assert_eq!(setter.join().expect("setter"), Ok(()));
    assert!(waiter.is_done() && recurring.is_done());
    assert_eq!(get(&runs), 5);
    assert_eq!(fx.chain.stats().total(), 0);
    assert!(fx.chain.tasks().is_empty());
    assert_eq!(
        fx.chain.wait_for_tasks(Some(Duration::ZERO)),
        Ok(()),
        "empty"
    );
}

/// Counts `fut`'s done callback into `count`.
fn count_done<A: AsyncFuture>(fut: &A, count: &Counter) {
    let count = count.clone();
    fut.add_done_callback(move |_: &A| {
        bump(&count);
    })
    .expect("add_done_callback on a chain's task");
}

/// `shutdown` cancels every task left — queued, sleeping, suspended —
/// running each `upon_death` once (never again for a task that finished
/// before) and every pending done callback, drops their work, and cancels
/// later spawns at once.
pub(crate) fn shutdown(f: &dyn ChainFactory) {
    let fx = f.build();
    let (deaths, finished_deaths) = (Deaths::new(), Deaths::new());
    let guards = DropCounter::default();
    let callbacks = counter();
    let finished = fx
        .chain
        .add_task(TaskBuilder::coroutine(async { 1 }).upon_death(finished_deaths.hook()))
        .expect("add_task");
    settle(f, &fx, "the first task to finish", || finished.is_done());

    let log = new_log();
    let queued = {
        let guard = guards.token();
        fx.chain
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    let _ = &guard;
                    DoneStatus::Cont
                })
                .upon_death(deaths.hook()),
            )
            .expect("add_task")
    };
    let delayed = {
        let guard = guards.token();
        fx.chain
            .add_task(
                TaskBuilder::coroutine(async move {
                    let _guard = guard;
                })
                .delay(Duration::from_secs(3600))
                .upon_death(deaths.hook()),
            )
            .expect("add_task")
    };
    let gate = fx.chain.promise::<u32>();
    let suspended = {
        let (guard, gate, log) = (guards.token(), gate.clone(), log.clone());
        fx.chain
            .add_task(
                TaskBuilder::coroutine(async move {
                    let _guard = guard;
                    push(&log, "suspended");
                    gate.await
                })
                .upon_death(deaths.hook()),
            )
            .expect("add_task")
    };
    let paused = {
        let (guard, log) = (guards.token(), log.clone());
        fx.chain
            .add_task(
                TaskBuilder::coroutine(async move {
                    let _guard = guard;
                    push(&log, "paused");
                    pause(Duration::from_secs(3600)).await
                })
                .upon_death(deaths.hook()),
            )
            .expect("add_task")
    };
    count_done(&queued, &callbacks);
    count_done(&delayed, &callbacks);
    count_done(&suspended, &callbacks);
    count_done(&paused, &callbacks);
    let left = [
        queued.as_any(),
        delayed.as_any(),
        suspended.as_any(),
        paused.as_any(),
    ];
    settle(f, &fx, "the coroutines to suspend", || {
        seen(&log).len() == 2
    });

    fx.chain.shutdown();
    for (i, task) in left.iter().enumerate() {
        assert!(task.is_cancelled(), "task {i} is cancelled by shutdown");
    }
    assert_eq!(deaths.get(), (0, 4), "upon_death(false) once each");
    assert_eq!(finished_deaths.get(), (1, 0), "a finished task dies once");
    assert_eq!(
        get(&callbacks),
        4,
        "shutdown runs the pending done callbacks"
    );
    assert_eq!(guards.alive(), 0, "shutdown drops every task's work");
    assert_eq!(fx.chain.stats().total(), 0);
    assert!(fx.chain.tasks().is_empty());

    let late_deaths = Deaths::new();
    let late = fx
        .chain
        .add_task(TaskBuilder::coroutine(async { 2 }).upon_death(late_deaths.hook()))
        .expect("add_task after shutdown");
    assert!(
        late.is_cancelled(),
        "a spawn after shutdown is cancelled at once"
    );
    assert_eq!(late_deaths.get(), (0, 1));
    assert_eq!(late.result(Some(ms(0))), Err(Error::Cancelled));

    fx.chain.shutdown();
    assert_eq!(deaths.get(), (0, 4), "a second shutdown changes nothing");
    assert_eq!(get(&callbacks), 4);
    assert_eq!(fx.chain.wait_for_tasks(Some(ms(0))), Ok(()));
}

/// With `frame_sync` a threaded chain runs at most one epoch per frame
/// (`poll()`); a frame chain runs one per poll anyway. Either way a task
/// runs no more often than frames are marked.
pub(crate) fn frame_sync(f: &dyn ChainFactory) {
    let fx = f.build();
    let settings = fx.chain.settings().frame_sync(true);
    fx.chain.configure(settings).expect("configure frame_sync");
    let runs = counter();
    let ticker = {
        let runs = runs.clone();
        fx.chain.add(move |_: &TaskContext<'_>| {
            bump(&runs);
            DoneStatus::Cont
        })
    };
    let frames = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let check = |what: &str| {
        let (r, n) = (get(&runs), get(&frames));
        assert!(
            r <= n + 1,
            "{what}: {r} runs in {n} frames: more than one epoch per frame"
        );
    };
    for _ in 0..10 {
        f.drive(&fx).expect("drive");
        bump(&frames);
        check("while driving");
    }
    settle(f, &fx, "runs to follow the frames", || {
        bump(&frames);
        get(&runs) >= 5
    });
    // No frames for a while: no epochs either.
    for _ in 0..20 {
        thread::sleep(Duration::from_micros(200));
        check("without frames");
    }
    ticker.cancel();
}
