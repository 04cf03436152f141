//! Cancel and remove: immediate for queued and sleeping tasks, after the
//! run for a running one, at the await point for a suspended coroutine,
//! propagated down to what it awaits; removal by name and by handle;
//! `upon_death` exactly once, with the right `clean_exit`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use taskchain_core::{
    AnyTask, AsyncFuture, DoneStatus, Error, Task, TaskBuilder, TaskChain, TaskChainExt,
    TaskContext,
};

use super::support::{ms, wait_until};
use crate::kit::counters::{bump, counter, get, Counter, Deaths};
use crate::kit::drops::DropCounter;
use crate::kit::log::{new_log, push, seen};
use crate::{settle, ChainFactory, Stepper};

/// A recurring task counting its runs, forever.
fn counted(runs: &Counter) -> TaskBuilder<impl Task<Output = ()> + Send> {
    let runs = runs.clone();
    TaskBuilder::recurring(move |_: &TaskContext<'_>| {
        bump(&runs);
        DoneStatus::Cont
    })
}

/// A coroutine that holds a guard while it lives.
fn guarded<F>(guards: &DropCounter, body: F) -> TaskBuilder<impl Task<Output = F::Output> + Send>
where
    F: Future + Send + 'static,
{
    let guard = guards.token();
    TaskBuilder::coroutine(async move {
        let _guard = guard;
        body.await
    })
}

/// A queued task (one that has not started, or one between runs) is
/// cancelled at once: its work dropped, `upon_death(false)` run and its
/// future cancelled before `cancel` returns; it never runs again.
pub(crate) fn queued(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let (guards, deaths) = (DropCounter::default(), Deaths::new());
    let unstarted = fx
        .chain
        .add_task(guarded(&guards, async { 1 }).upon_death(deaths.hook()))
        .expect("add_task");
    assert_eq!(guards.alive(), 1);
    assert!(unstarted.cancel(), "the first cancel moves it");
    assert_eq!(
        guards.alive(),
        0,
        "its future is dropped before cancel returns"
    );
    assert!(unstarted.is_cancelled() && unstarted.is_done());
    assert!(unstarted.is_cancel_requested());
    assert_eq!(deaths.get(), (0, 1));
    assert_eq!(
        unstarted.result(Some(Duration::ZERO)),
        Err(Error::Cancelled)
    );
    assert!(!unstarted.cancel(), "a second cancel does not");

    let (runs, deaths) = (counter(), Deaths::new());
    let between = fx
        .chain
        .add_task(counted(&runs).upon_death(deaths.hook()))
        .expect("add_task");
    stepper.steps(2);
    assert_eq!(get(&runs), 2);
    assert!(between.cancel());
    assert!(
        between.is_cancelled(),
        "queued between runs: cancelled at once"
    );
    assert_eq!(deaths.get(), (0, 1));
    stepper.steps(2);
    assert_eq!(get(&runs), 2, "never runs again");
    assert_eq!(deaths.get(), (0, 1), "upon_death once");
}

/// A sleeping task (a delay or `Again`) is cancelled at once and leaves
/// the sleeping count. A coroutine sleeping in `pause` is a coroutine at an
/// await point: the cancel wakes it, the pause returns `Cancelled`, and the
/// task ends cancelled once the coroutine returns.
pub(crate) fn sleeping(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let (runs, deaths) = (counter(), Deaths::new());
    let delayed = fx
        .chain
        .add_task(counted(&runs).delay(ms(10)).upon_death(deaths.hook()))
        .expect("add_task");
    let (guards, paused_deaths, log) = (DropCounter::default(), Deaths::new(), new_log());
    let paused = {
        let log = log.clone();
        fx.chain
            .add_task(
                guarded(&guards, async move {
                    let r = taskchain_core::pause(ms(10)).await;
                    push(&log, format!("pause -> {r:?}"));
                })
                .upon_death(paused_deaths.hook()),
            )
            .expect("add_task")
    };
    stepper.step();
    assert!(delayed.is_sleeping() && paused.is_sleeping());
    assert_eq!(fx.chain.stats().sleeping, 2);
    assert!(delayed.cancel());
    assert!(
        delayed.is_cancelled(),
        "a delayed task is cancelled at once"
    );
    assert_eq!(deaths.get(), (0, 1));
    assert_eq!(fx.chain.stats().sleeping, 1);
    assert!(paused.cancel());
    assert!(paused.is_cancel_requested() && !paused.is_done());
    stepper.step();
    assert_eq!(seen(&log), ["pause -> Err(Cancelled)"]);
    assert!(
        paused.is_done() && !paused.is_cancelled(),
        "the paused coroutine handled the cancellation and returned"
    );
    assert_eq!(guards.alive(), 0, "the paused coroutine is dropped");
    assert_eq!(paused_deaths.get(), (1, 0));
    assert_eq!(fx.chain.stats().sleeping, 0);
    assert!(fx.chain.sleeping_tasks().is_empty());
    fx.clock.advance(ms(20));
    stepper.steps(2);
    assert_eq!(get(&runs), 0, "a cancelled sleeper never wakes");
    assert_eq!((deaths.get(), paused_deaths.get()), ((0, 1), (1, 0)));
}

/// A task cancelled by itself while it runs finishes that run, then ends
/// cancelled whatever it returned; during the run it is "cancel requested",
/// not done.
pub(crate) fn running_cancels_itself(f: &dyn ChainFactory) {
    for returned in [DoneStatus::Cont, DoneStatus::Done, DoneStatus::Again] {
        let fx = f.build();
        // Stopped, so that the task cannot reach its second run before it
        // knows its own handle.
        let stepper = Stepper::new(f, &fx);
        let log = new_log();
        let me: Arc<Mutex<Option<AnyTask>>> = Arc::default();
        let deaths = Deaths::new();
        let handle = {
            let (log, me) = (log.clone(), me.clone());
            let mut runs = 0;
            fx.chain
                .add_task(
                    TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                        runs += 1;
                        if runs != 2 {
                            push(&log, format!("run {runs}"));
                            return DoneStatus::Cont;
                        }
                        let Some(me) = me.lock().unwrap().clone() else {
                            push(&log, "no handle");
                            return DoneStatus::Cont;
                        };
                        let (first, second) = (me.cancel(), me.cancel());
                        push(
                            &log,
                            format!(
                                "cancel {first},{second} requested {} cancelled {} done {}",
                                me.is_cancel_requested(),
                                me.is_cancelled(),
                                me.is_done()
                            ),
                        );
                        returned
                    })
                    .upon_death(deaths.hook()),
                )
                .expect("add_task")
        };
        *me.lock().unwrap() = Some(handle.as_any());
        stepper.steps(2);
        assert!(
            handle.is_done(),
            "returned {returned:?}: done after its run"
        );
        stepper.steps(2);
        *me.lock().unwrap() = None;
        assert_eq!(
            seen(&log),
            [
                "run 1",
                // The second request joins the first, still pending.
                "cancel true,true requested true cancelled false done false"
            ],
            "returned {returned:?}"
        );
        assert!(handle.is_cancelled(), "returned {returned:?}");
        assert_eq!(handle.result(None), Err(Error::Cancelled));
        assert_eq!(deaths.get(), (0, 1), "returned {returned:?}");
    }
}

/// A task cancelled from another thread while it runs finishes that run,
/// then ends cancelled whatever it returned.
pub(crate) fn running_cancelled_from_another_thread(f: &dyn ChainFactory) {
    for returned in [DoneStatus::Cont, DoneStatus::Done] {
        let fx = f.build();
        let log = new_log();
        let me: Arc<Mutex<Option<AnyTask>>> = Arc::default();
        let cancelled = Arc::new(AtomicBool::new(false));
        let (running_tx, running_rx) = mpsc::channel::<()>();
        let deaths = Deaths::new();
        let handle = {
            let (log, me, cancelled) = (log.clone(), me.clone(), cancelled.clone());
            let mut runs = 0;
            fx.chain
                .add_task(
                    TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                        runs += 1;
                        if runs > 1 {
                            push(&log, format!("run {runs}"));
                            return DoneStatus::Cont;
                        }
                        let _ = running_tx.send(());
                        if !wait_until(|| cancelled.load(Ordering::SeqCst)) {
                            push(&log, "never cancelled");
                            return returned;
                        }
                        let me = me.lock().unwrap().clone();
                        let state = me.map(|me| (me.is_cancel_requested(), me.is_done()));
                        push(&log, format!("mid-run: (requested, done) = {state:?}"));
                        returned
                    })
                    .upon_death(deaths.hook()),
                )
                .expect("add_task")
        };
        *me.lock().unwrap() = Some(handle.as_any());
        let canceller = {
            let (any, cancelled) = (handle.as_any(), cancelled.clone());
            std::thread::spawn(move || {
                let r = running_rx
                    .recv_timeout(crate::SETTLE_TIMEOUT)
                    .ok()
                    .map(|()| any.cancel());
                cancelled.store(true, Ordering::SeqCst);
                r
            })
        };
        settle(f, &fx, "the task cancelled mid-run to end", || {
            handle.is_done()
        });
        let cancel_result = canceller.join().expect("the canceller does not panic");
        for _ in 0..3 {
            f.drive(&fx).expect("drive");
        }
        *me.lock().unwrap() = None;
        assert_eq!(cancel_result, Some(true), "cancel of a running task");
        assert_eq!(
            seen(&log),
            ["mid-run: (requested, done) = Some((true, false))"],
            "returned {returned:?}: the run finishes, nothing runs after it"
        );
        assert!(handle.is_cancelled(), "returned {returned:?}");
        assert_eq!(deaths.get(), (0, 1), "returned {returned:?}");
    }
}

/// A coroutine suspended on a promise is woken by `cancel`: its await
/// returns `Err(Cancelled)` (the promise is cancelled in turn), and a
/// coroutine that goes on and returns a value has handled it: the task
/// finishes with that value. Until then it is "cancel requested", not
/// cancelled; a second request before the first is delivered joins it.
pub(crate) fn suspended_coroutine(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let (log, deaths) = (new_log(), Deaths::new());
    let awaited = fx.chain.promise::<u32>();
    let handle = {
        let (log, awaited) = (log.clone(), awaited.clone());
        fx.chain
            .add_task(
                TaskBuilder::coroutine(async move {
                    push(&log, "start");
                    let r = awaited.await;
                    push(&log, format!("await -> {r:?}"));
                    5
                })
                .upon_death(deaths.hook()),
            )
            .expect("add_task")
    };
    stepper.step();
    assert_eq!(seen(&log), ["start"]);
    assert!(handle.cancel(), "cancel of a suspended coroutine");
    assert!(handle.is_cancel_requested());
    assert!(
        !handle.is_done() && !handle.is_cancelled(),
        "cancel requested is not cancelled: the coroutine has not seen it yet"
    );
    assert!(handle.cancel(), "a second cancel joins the pending one");
    assert_eq!(handle.cancelling(), 2);
    stepper.step();
    assert_eq!(seen(&log), ["start", "await -> Err(Cancelled)"]);
    assert!(!handle.is_cancelled(), "it handled the cancellation");
    assert_eq!(handle.result(Some(Duration::ZERO)), Ok(5));
    assert!(awaited.is_cancelled(), "the awaited promise is cancelled");
    assert_eq!(deaths.get(), (1, 0));
    assert!(!handle.cancel(), "a done task takes no request");
}

/// Cancelling a coroutine cancels what it awaits, recursively: the task it
/// awaits, the gather that task awaits, the gather's child task, and the
/// promise at the bottom.
pub(crate) fn propagates_down(f: &dyn ChainFactory) {
    let fx = f.build();
    let log = new_log();
    let bottom = fx.chain.promise::<u32>();
    // Each propagates what its await returns, so a cancellation delivered
    // there ends it cancelled.
    let leaf = {
        let (log, bottom) = (log.clone(), bottom.clone());
        fx.chain.spawn_fallible(async move {
            push(&log, "leaf waits");
            bottom.await
        })
    };
    let leaf_any = leaf.as_any();
    let middle = {
        let log = log.clone();
        fx.chain.spawn_fallible(async move {
            push(&log, "middle waits");
            taskchain_core::gather(vec![leaf]).await
        })
    };
    let middle_any = middle.as_any();
    let top = {
        let log = log.clone();
        fx.chain.spawn_fallible(async move {
            push(&log, "top waits");
            middle.await
        })
    };
    settle(f, &fx, "the three coroutines to reach their awaits", || {
        seen(&log).len() == 3
    });
    assert!(top.cancel());
    settle(f, &fx, "the cancel to reach the leaf", || {
        leaf_any.is_done() && middle_any.is_done() && top.is_done()
    });
    assert!(top.is_cancelled(), "the cancelled coroutine");
    assert!(middle_any.is_cancelled(), "the task it awaits");
    assert!(leaf_any.is_cancelled(), "the gathered task that one awaits");
    assert!(bottom.is_cancelled(), "the promise at the bottom");
}

/// `remove_by_name` cancels every live task of that name (queued, sleeping
/// or suspended) and counts them; `remove` takes only the chain's own
/// tasks; `remove_matching` every match of a glob; `upon_death` runs once
/// per task with the right `clean_exit`.
pub(crate) fn remove_by_name_and_handle(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let deaths = Deaths::new();
    let finished = fx
        .chain
        .add_task(
            TaskBuilder::coroutine(async {})
                .name("x")
                .upon_death(deaths.hook()),
        )
        .expect("add_task");
    stepper.step();
    assert!(finished.is_done());
    assert_eq!(deaths.get(), (1, 0), "a finished task dies clean");
    let (runs, other_runs) = (counter(), counter());
    let queued = fx
        .chain
        .add_task(counted(&runs).name("x").upon_death(deaths.hook()))
        .expect("add_task");
    let sleeping = fx
        .chain
        .add_task(
            counted(&runs)
                .name("x")
                .delay(Duration::from_secs(1))
                .upon_death(deaths.hook()),
        )
        .expect("add_task");
    let gate = fx.chain.promise::<u32>();
    let suspended = {
        fx.chain
            .add_task(
                TaskBuilder::fallible(gate.clone())
                    .name("x")
                    .upon_death(deaths.hook()),
            )
            .expect("add_task")
    };
    let other = fx
        .chain
        .add_task(counted(&other_runs).name("y"))
        .expect("add_task");
    stepper.step();
    assert_eq!(
        fx.chain.find_tasks("x").len(),
        3,
        "three live tasks named x"
    );
    assert_eq!(
        fx.chain.remove_by_name("x"),
        3,
        "remove_by_name counts them"
    );
    assert_eq!(fx.chain.remove_by_name("x"), 0, "nothing left to remove");
    assert!(queued.is_cancelled() && sleeping.is_cancelled());
    assert!(suspended.is_cancel_requested());
    stepper.step();
    assert!(suspended.is_cancelled());
    assert!(fx.chain.find_tasks("x").is_empty());
    assert_eq!(deaths.get(), (1, 3), "upon_death once each");
    let runs_before = get(&runs);
    stepper.step();
    assert_eq!(get(&runs), runs_before);
    assert_eq!(get(&other_runs), 3, "the task named y is untouched");

    // `remove` by handle: only the chain's own tasks.
    let elsewhere = fx
        .manager
        .make_task_chain("conformance-elsewhere")
        .expect("make_task_chain");
    let foreign = elsewhere.spawn(std::future::pending::<()>());
    assert!(
        !fx.chain.remove(&foreign.as_any()),
        "another chain's task is not removed"
    );
    assert!(!foreign.is_done());
    assert!(fx.chain.remove(&other.as_any()), "its own task is");
    assert!(other.is_cancelled());
    assert!(!fx.chain.remove(&other.as_any()), "not twice");
    assert!(elsewhere.remove(&foreign.as_any()));

    // `remove_matching`: a glob over the chain's live tasks.
    let (one, two) = (counter(), counter());
    let matched = [
        fx.chain
            .add_task(counted(&one).name("wave-1"))
            .expect("add_task"),
        fx.chain
            .add_task(counted(&two).name("wave-2"))
            .expect("add_task"),
    ];
    let kept = fx
        .chain
        .add_task(counted(&two).name("boss"))
        .expect("add_task");
    assert_eq!(fx.chain.remove_matching("wave-?"), 2);
    assert_eq!(fx.chain.remove_matching("wave-?"), 0, "nothing left");
    assert!(matched.iter().all(|t| t.is_cancelled() && !t.is_alive()));
    assert!(kept.is_alive());
    assert!(kept.cancel());
}

/// `upon_death` runs exactly once: clean for a finished task, unclean for a
/// cancelled or panicked one, never again on a later cancel or shutdown.
pub(crate) fn upon_death_exactly_once(f: &dyn ChainFactory) {
    let fx = f.build();
    let (clean, cancelled, panicked) = (Deaths::new(), Deaths::new(), Deaths::new());
    let done = fx
        .chain
        .add_task(TaskBuilder::coroutine(async { 1 }).upon_death(clean.hook()))
        .expect("add_task");
    let pending = fx
        .chain
        .add_task(TaskBuilder::coroutine(std::future::pending::<()>()).upon_death(cancelled.hook()))
        .expect("add_task");
    let message = super::support::marker("upon_death scenario");
    let boom = fx
        .chain
        .add_task(
            TaskBuilder::coroutine(async move {
                if !message.is_empty() {
                    panic!("{message}");
                }
            })
            .upon_death(panicked.hook()),
        )
        .expect("add_task");
    settle(f, &fx, "the finishing and panicking tasks to end", || {
        done.is_done() && boom.is_done()
    });
    pending.cancel();
    settle(f, &fx, "the pending task to end", || pending.is_done());
    assert!(!done.cancel() && !boom.cancel(), "done tasks do not cancel");
    fx.chain.shutdown();
    assert_eq!(clean.get(), (1, 0), "finished: clean, once");
    assert_eq!(cancelled.get(), (0, 1), "cancelled: unclean, once");
    assert_eq!(panicked.get(), (0, 1), "panicked: unclean, once");
}

/// A cancellation that escapes a fallible coroutine (`?` on a cancelled
/// future) ends the task cancelled, and another error ends it failed with
/// that error: either way the handle yields the error itself, not a value
/// holding it, and `upon_death` sees an unclean exit. A recurring body that
/// returns a `Result` does the same. A plain coroutine returning a `Result`
/// still finishes with it as its value.
pub(crate) fn escapes_a_coroutine(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let deaths = Deaths::new();
    let cancelled_promise = fx.chain.promise::<u32>();
    let failing_promise = fx.chain.promise::<u32>();
    let escaping = {
        let awaited = cancelled_promise.clone();
        fx.chain
            .add_task(
                TaskBuilder::fallible(async move { Ok(awaited.await? + 1) })
                    .upon_death(deaths.hook()),
            )
            .expect("add_task")
    };
    let failing = {
        let awaited = failing_promise.clone();
        fx.chain
            .add_task(
                TaskBuilder::fallible(async move {
                    let n = awaited.await?;
                    if n > 10 {
                        return Err(Error::Timeout);
                    }
                    Ok(n)
                })
                .upon_death(deaths.hook()),
            )
            .expect("add_task")
    };
    // The promise itself as a plain coroutine: its output is a `Result`.
    let plain = fx.chain.spawn(cancelled_promise.clone());
    stepper.step();
    assert!(cancelled_promise.cancel());
    failing_promise.set_result(11).expect("set_result");
    stepper.step();
    assert!(escaping.is_done() && failing.is_done() && plain.is_done());

    assert!(
        escaping.is_cancelled(),
        "a propagated Cancelled cancels the task"
    );
    assert_eq!(escaping.result(Some(Duration::ZERO)), Err(Error::Cancelled));
    assert!(!failing.is_cancelled(), "another error does not cancel it");
    assert_eq!(failing.result(Some(Duration::ZERO)), Err(Error::Timeout));
    assert!(
        !plain.is_cancelled(),
        "a plain coroutine returns its Result"
    );
    assert_eq!(
        plain.result(Some(Duration::ZERO)),
        Ok(Err(Error::Cancelled))
    );
    assert_eq!(deaths.get(), (0, 2), "both ended unclean, once each");

    let body = fx
        .chain
        .add_task(TaskBuilder::fallible_recurring(|t: &TaskContext<'_>| {
            if t.frame() < 2 {
                Ok(DoneStatus::Cont)
            } else {
                Err(Error::Cancelled)
            }
        }))
        .expect("add_task");
    stepper.steps(3);
    assert!(body.is_done(), "ended on its third run");
    assert!(
        body.is_cancelled(),
        "a recurring body's Cancelled cancels it"
    );
    assert_eq!(body.result(Some(Duration::ZERO)), Err(Error::Cancelled));
}
