//! Fallible tasks: a coroutine or a recurring body that returns a `Result`
//! ends the task with its error, a propagated `Cancelled` cancelling it, as
//! an uncaught exception (a `CancelledError`) ends a task in Panda3D and
//! asyncio. The conformance suite runs the same on every backend
//! (`cancel/escapes_a_coroutine`).

mod common;

use std::sync::{Arc, Mutex};

use common::{poll_n, setup};
use taskchain_conformance::kit::counters::Deaths;
use taskchain_core::{
    next_frame, AnyTask, AsyncFuture, DoneStatus, Error, FallibleCoroutine, Sequence, TaskBuilder,
    TaskContext,
};

#[test]
fn a_propagated_cancellation_cancels_the_task_and_its_handle_yields_the_error() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let deaths = Deaths::new();
    let awaited = promise.clone();
    let task = manager
        .add_task(
            TaskBuilder::fallible(async move { Ok(awaited.await? + 1) }).upon_death(deaths.hook()),
        )
        .unwrap();
    manager.poll().unwrap();
    assert!(promise.cancel());
    manager.poll().unwrap();
    assert!(task.is_done() && task.is_cancelled());
    assert!(!task.is_cancel_requested(), "nobody called cancel()");
    assert_eq!(task.try_take(), Some(Err(Error::Cancelled)));
    assert_eq!(deaths.get(), (0, 1));
}

#[test]
fn another_error_ends_the_task_failed_with_that_error() {
    let (_clock, manager) = setup();
    let deaths = Deaths::new();
    let messenger = manager.messenger();
    let done_event = messenger.future::<()>("task-done").unwrap();
    let task = manager
        .add_task(
            TaskBuilder::fallible(async { Err::<u32, _>(Error::Timeout) })
                .upon_death(deaths.hook())
                .done_event(&messenger, "task-done")
                .unwrap(),
        )
        .unwrap();
    manager.poll().unwrap();
    assert!(task.is_done() && !task.is_cancelled());
    assert_eq!(task.error(), Some(Error::Timeout));
    assert_eq!(task.try_take(), Some(Err(Error::Timeout)));
    assert_eq!(task.try_take(), Some(Err(Error::Timeout)), "read again");
    assert_eq!(deaths.get(), (0, 1), "an unclean exit");
    poll_n(&manager, 2);
    assert!(
        !done_event.is_done(),
        "the done event is for a clean finish"
    );
}

#[test]
fn an_ok_value_is_the_output() {
    let (_clock, manager) = setup();
    let task = manager.spawn_fallible(async { Ok(String::from("value")) });
    assert_eq!(manager.run_until(&task), Ok(String::from("value")));
}

#[test]
fn a_delivered_cancel_answered_with_another_error_ends_the_task_with_it() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let awaited = promise.clone();
    let task = manager.spawn_fallible(async move {
        match awaited.await {
            Err(Error::Cancelled) => Err(Error::Timeout),
            other => other,
        }
    });
    manager.poll().unwrap();
    assert!(task.cancel());
    manager.poll().unwrap();
    assert!(!task.is_cancelled(), "it answered the cancellation");
    assert_eq!(task.try_take(), Some(Err(Error::Timeout)));
}

#[test]
fn a_pending_cancel_wins_over_a_returned_error() {
    let (_clock, manager) = setup();
    let me: Arc<Mutex<Option<AnyTask>>> = Arc::default();
    let slot = me.clone();
    let task = manager.spawn_fallible(async move {
        next_frame().await;
        // Requested during the run, never delivered: it wins.
        let me = slot.lock().unwrap().take();
        assert!(me.is_some_and(|t| t.cancel()));
        Err::<u32, _>(Error::Timeout)
    });
    *me.lock().unwrap() = Some(task.as_any());
    poll_n(&manager, 2);
    assert!(task.is_cancelled());
    assert_eq!(task.try_take(), Some(Err(Error::Cancelled)));
}

#[test]
fn a_task_awaiting_a_failed_task_gets_its_error() {
    let (_clock, manager) = setup();
    let failing = manager.spawn_fallible(async { Err::<u32, _>(Error::Timeout) });
    let awaiting = manager.spawn(async move {
        let read = failing.await;
        read.map(|n| n + 1)
    });
    assert_eq!(manager.run_until(&awaiting), Ok(Err(Error::Timeout)));
}

#[test]
fn a_plain_coroutine_returning_a_result_keeps_it_as_its_value() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    // The promise itself as a plain coroutine: its output is a `Result`.
    let task = manager.spawn(promise.clone());
    manager.poll().unwrap();
    promise.cancel();
    manager.poll().unwrap();
    assert!(!task.is_cancelled());
    assert_eq!(task.try_take(), Some(Ok(Err(Error::Cancelled))));
}

#[test]
fn a_recurring_body_ends_the_task_with_its_error() {
    let (_clock, manager) = setup();
    let runs = Arc::new(Mutex::new(0));
    let counted = runs.clone();
    let task = manager
        .add_task(TaskBuilder::fallible_recurring(
            move |t: &TaskContext<'_>| {
                *counted.lock().unwrap() += 1;
                if t.frame() < 2 {
                    Ok(DoneStatus::Cont)
                } else {
                    Err(Error::Cancelled)
                }
            },
        ))
        .unwrap();
    poll_n(&manager, 5);
    assert!(task.is_cancelled());
    assert_eq!(*runs.lock().unwrap(), 3, "it ran no more after its error");
    assert_eq!(task.try_take(), Some(Err(Error::Cancelled)));
}

#[test]
fn a_recurring_coroutine_ends_the_task_with_its_error() {
    let (_clock, manager) = setup();
    let mut round = 0;
    let task = manager
        .add_task(TaskBuilder::recurring_coroutine(move || {
            round += 1;
            let this = round;
            async move {
                if this < 3 {
                    Ok(DoneStatus::Cont)
                } else {
                    Err(Error::InvalidSetting("round 3".into()))
                }
            }
        }))
        .unwrap();
    assert_eq!(
        manager.run_until(&task),
        Err(Error::InvalidSetting("round 3".into()))
    );
    assert!(!task.is_cancelled());
}

#[test]
fn a_sequence_ends_with_its_childs_error_and_runs_no_later_child() {
    let (_clock, manager) = setup();
    let later = Arc::new(Mutex::new(false));
    let ran = later.clone();
    let seq = Sequence::new()
        .then_coroutine(async { 1 })
        .then(FallibleCoroutine::new(async {
            Err::<u32, _>(Error::Timeout)
        }))
        .then_coroutine(async move {
            *ran.lock().unwrap() = true;
            3
        });
    let task = manager.add_task(TaskBuilder::new(seq)).unwrap();
    assert_eq!(manager.run_until(&task), Err(Error::Timeout));
    assert!(!*later.lock().unwrap());
}
