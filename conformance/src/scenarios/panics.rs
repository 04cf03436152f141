//! Panics are caught at the poll boundary: the task's future holds
//! `Error::Panicked`, `upon_death(false)` runs, and the chain (with all its
//! workers) keeps running other tasks; a panicking done callback does not
//! stop the callbacks after it.

use std::time::Duration;

use taskchain_core::{AsyncFuture, DoneStatus, Error, TaskBuilder, TaskChainExt, TaskContext};

use super::support::marker;
use crate::kit::counters::{bump, counter, get, Deaths};
use crate::{settle, ChainFactory};

/// Whether `r` is the deliberate panic `what`.
fn is_marked_panic<T>(r: &Result<T, Error>, what: &str) -> bool {
    matches!(r, Err(Error::Panicked(m)) if m.contains(&marker(what)))
}

/// Coroutine and recurring tasks that panic end with `Panicked`; tasks
/// around them, and tasks spawned after, still run.
pub(crate) fn caught_and_the_chain_goes_on(f: &dyn ChainFactory) {
    let fx = f.build();
    let ticks = counter();
    let ticker = {
        let ticks = ticks.clone();
        fx.chain.add(move |_: &TaskContext<'_>| {
            bump(&ticks);
            DoneStatus::Cont
        })
    };
    let deaths = Deaths::new();
    // More panicking tasks than workers: every worker survives one.
    let panics = f.threads().max(1) + 1;
    let coroutines: Vec<_> = (0..panics)
        .map(|i| {
            let message = marker(&format!("coroutine {i}"));
            fx.chain
                .add_task(
                    TaskBuilder::coroutine(async move {
                        if !message.is_empty() {
                            panic!("{message}");
                        }
                        0u32
                    })
                    .upon_death(deaths.hook()),
                )
                .expect("add_task")
        })
        .collect();
    let recurring = {
        let message = marker("recurring");
        let mut runs = 0;
        fx.chain
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    runs += 1;
                    if runs == 2 {
                        panic!("{message}");
                    }
                    DoneStatus::Cont
                })
                .upon_death(deaths.hook()),
            )
            .expect("add_task")
    };
    settle(f, &fx, "every panicking task to end", || {
        coroutines.iter().all(|c| c.is_done()) && recurring.is_done()
    });
    for (i, c) in coroutines.iter().enumerate() {
        assert!(!c.is_cancelled(), "a panic is not a cancel");
        let r = c.result(Some(Duration::ZERO));
        assert!(
            is_marked_panic(&r, &format!("coroutine {i}")),
            "coroutine {i} holds its panic: {r:?}"
        );
    }
    let r = recurring.result(Some(Duration::ZERO));
    assert!(is_marked_panic(&r, "recurring"), "recurring: {r:?}");
    assert_eq!(deaths.get(), (0, panics + 1), "upon_death(false) once each");

    let before = get(&ticks);
    settle(f, &fx, "the other task to keep running", || {
        get(&ticks) >= before + 3
    });
    let later: Vec<_> = (0..panics as u32)
        .map(|i| fx.chain.spawn(async move { i }))
        .collect();
    settle(f, &fx, "tasks spawned after the panics to run", || {
        later.iter().all(|t| t.is_done())
    });
    for (i, t) in later.iter().enumerate() {
        assert_eq!(t.result(None), Ok(i as u32));
    }
    ticker.cancel();
}

/// A done callback that panics is caught; the next one still runs.
pub(crate) fn panicking_callback(f: &dyn ChainFactory) {
    let fx = f.build();
    let ran = counter();
    let (first, second) = (fx.chain.promise::<u32>(), fx.chain.promise::<u32>());
    let message = marker("done callback");
    first
        .add_done_callback(move |_| {
            if !message.is_empty() {
                panic!("{message}");
            }
        })
        .expect("add_done_callback");
    {
        let ran = ran.clone();
        second
            .add_done_callback(move |_| {
                bump(&ran);
            })
            .expect("add_done_callback");
    }
    first.set_result(1).expect("set_result");
    second.set_result(2).expect("set_result");
    settle(f, &fx, "the callback after the panicking one", || {
        get(&ran) == 1
    });
    let after = fx.chain.spawn(async { 5 });
    settle(f, &fx, "a task after the panicking callback", || {
        after.is_done()
    });
    assert_eq!(after.result(None), Ok(5));
}
