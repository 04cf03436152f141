//! Cancellation a coroutine may refuse, as in Panda3D and asyncio: a
//! delivered `Cancelled` that the coroutine handles leaves the task to
//! finish with its value; each `cancel()` while the task lives returns true
//! and delivers another `Cancelled` at the next await; the requests are
//! counted (`cancelling()`, `uncancel()`). The conformance suite runs
//! Panda3D's own test on every backend (`shield/refused_cancels`), and the
//! loom model `racing_removals_count_once` races two removals.

mod common;

use std::future::Future;
use std::sync::{Arc, Mutex};

use common::{poll_n, setup};
use taskchain_conformance::kit::counters::Deaths;
use taskchain_conformance::kit::log::{new_log, push, seen};
use taskchain_core::{shield, AnyTask, AsyncFuture, Error, Promise, TaskBuilder};

#[test]
fn a_coroutine_that_handles_its_cancellation_finishes_with_its_value() {
    let (_clock, manager) = setup();
    let deaths = Deaths::new();
    let gate = manager.promise::<u32>();
    let task = {
        let gate = gate.clone();
        manager
            .add_task(
                TaskBuilder::coroutine(async move {
                    match gate.await {
                        Err(Error::Cancelled) => "handled",
                        _ => "unexpected",
                    }
                })
                .upon_death(deaths.hook()),
            )
            .unwrap()
    };
    manager.poll().unwrap();
    assert!(task.cancel());
    manager.poll().unwrap();
    assert!(task.is_done() && !task.is_cancelled());
    assert!(task.is_cancel_requested(), "a cancel was called");
    assert_eq!(task.try_take(), Some(Ok("handled")));
    assert_eq!(deaths.get(), (1, 0), "a clean exit");
    assert!(gate.is_cancelled(), "the await cancelled what it awaited");
}

#[test]
fn each_cancel_delivers_another_cancellation_at_the_next_await() {
    let (_clock, manager) = setup();
    let log = new_log();
    let gate = manager.promise::<u32>();
    let task = {
        let (log, gate) = (log.clone(), gate.clone());
        manager.spawn(async move {
            for round in 0..3 {
                let r = shield(gate.clone()).await;
                push(&log, format!("round {round}: {r:?}"));
                if r.is_ok() {
                    return round;
                }
            }
            99
        })
    };
    manager.poll().unwrap();
    assert!(task.cancel());
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["round 0: Err(Cancelled)"]);
    assert!(!task.is_done(), "it refused the first cancel");
    assert!(task.cancel(), "a second request while it lives");
    manager.poll().unwrap();
    assert_eq!(seen(&log).len(), 2, "delivered at its next await");
    assert!(!gate.is_done(), "the shields left the future running");
    gate.set_result(1).unwrap();
    poll_n(&manager, 2);
    assert_eq!(task.try_take(), Some(Ok(2)));
    assert_eq!(task.cancelling(), 2);
}

#[test]
fn cancel_requests_are_counted_until_declared_handled() {
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let me: Arc<Mutex<Option<AnyTask>>> = Arc::default();
    let counts: Arc<Mutex<Vec<u32>>> = Arc::default();
    let task = {
        let (gate, me, counts) = (gate.clone(), me.clone(), counts.clone());
        manager.spawn(async move {
            let r = shield(gate.clone()).await;
            let me = me.lock().unwrap().clone().expect("its own handle");
            // Handled: declared so, and asked whether another is pending.
            counts.lock().unwrap().push(me.cancelling());
            counts.lock().unwrap().push(me.uncancel());
            r.is_err()
        })
    };
    *me.lock().unwrap() = Some(task.as_any());
    assert_eq!(task.cancelling(), 0);
    manager.poll().unwrap();
    assert!(task.cancel());
    assert_eq!(task.cancelling(), 1);
    manager.poll().unwrap();
    assert_eq!(*counts.lock().unwrap(), [1, 0]);
    assert_eq!(task.try_take(), Some(Ok(true)));
    assert!(!task.cancel(), "a done task takes no request");
    assert_eq!(task.cancelling(), 0, "a refused request is not counted");
    assert_eq!(task.uncancel(), 0, "the count does not go below zero");
    me.lock().unwrap().take();
}

#[test]
fn a_request_still_pending_when_a_coroutine_returns_wins_over_its_value() {
    let (_clock, manager) = setup();
    let me: Arc<Mutex<Option<AnyTask>>> = Arc::default();
    let task = {
        let me = me.clone();
        manager.spawn(async move {
            let me = me.lock().unwrap().take().expect("its own handle");
            assert!(me.cancel(), "requested during its run");
            5
        })
    };
    *me.lock().unwrap() = Some(task.as_any());
    manager.poll().unwrap();
    assert!(task.is_cancelled());
    assert_eq!(task.try_take(), Some(Err(Error::Cancelled)));
}

/// Polls `gate` as an await, calling `on_pending` once its first poll
/// found it pending: where a cancel from anywhere may land mid-run.
async fn await_then(gate: Promise<u32>, mut on_pending: impl FnMut()) -> Result<u32, Error> {
    let mut gate = Box::pin(gate);
    let mut asked = false;
    std::future::poll_fn(move |cx| {
        let polled = gate.as_mut().poll(cx);
        if polled.is_pending() && !asked {
            asked = true;
            on_pending();
        }
        polled
    })
    .await
}

// regression (found by an adversarial review): a run that delivered one
// request kept its "seen a pending request" mark, so a second request
// landing in the same run, after its last await, was taken for one the
// coroutine ignored and ended the task cancelled.
#[test]
fn a_request_landing_after_a_delivered_one_in_the_same_run_is_delivered_too() {
    let (_clock, manager) = setup();
    let deaths = Deaths::new();
    let log = new_log();
    let (gate, second_gate) = (manager.promise::<u32>(), manager.promise::<u32>());
    let me: Arc<Mutex<Option<AnyTask>>> = Arc::default();
    let task = {
        let (gate, second_gate, me, log) = (gate.clone(), second_gate, me.clone(), log.clone());
        manager
            .add_task(
                TaskBuilder::coroutine(async move {
                    let first = gate.await;
                    push(&log, format!("first: {first:?}"));
                    let me = me.lock().unwrap().clone().expect("its own handle");
                    let second = await_then(second_gate, || assert!(me.cancel())).await;
                    push(&log, format!("second: {second:?}"));
                    "handled"
                })
                .upon_death(deaths.hook()),
            )
            .unwrap()
    };
    *me.lock().unwrap() = Some(task.as_any());
    manager.poll().unwrap();
    assert!(task.cancel());
    poll_n(&manager, 3);
    assert_eq!(
        seen(&log),
        ["first: Err(Cancelled)", "second: Err(Cancelled)"]
    );
    assert_eq!(task.try_take(), Some(Ok("handled")));
    assert_eq!(deaths.get(), (1, 0));
    me.lock().unwrap().take();
}

// regression (found by an adversarial review): a cancel from the ending
// task's own `upon_death` returned true, counted, and could never act.
#[test]
fn a_cancel_while_the_task_ends_cancelled_comes_too_late() {
    let (_clock, manager) = setup();
    let me: Arc<Mutex<Option<AnyTask>>> = Arc::default();
    let late: Arc<Mutex<Option<bool>>> = Arc::default();
    let task = {
        let (me, late) = (me.clone(), late.clone());
        manager
            .add_task(TaskBuilder::coroutine(async { 1 }).upon_death(move |_| {
                let me = me.lock().unwrap().take().expect("its own handle");
                *late.lock().unwrap() = Some(me.cancel());
            }))
            .unwrap()
    };
    *me.lock().unwrap() = Some(task.as_any());
    assert!(task.cancel(), "claims the queued task and ends it");
    assert_eq!(*late.lock().unwrap(), Some(false));
    assert_eq!(task.cancelling(), 1);
    assert!(task.is_cancelled());
}
