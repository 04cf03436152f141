//! Done notification: a task's `done_event` is sent (payload `()`) through
//! its messenger when the task finishes, on any chain; not when it is
//! cancelled or removed, not when it panics, not at shutdown.

mod common;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::{poll_n, poll_until, setup, threaded, PATIENCE};
use taskchain_conformance::kit::counters::{bump, counter, get, Deaths};
use taskchain_conformance::kit::log::{new_log, push, seen};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    pause, AnyTask, AsyncFuture, ChainSettings, DoneStatus, Error, TaskBuilder, TaskChain,
    TaskChainExt, TaskContext,
};

#[test]
fn a_finished_coroutine_sends_its_done_event() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let loaded = messenger.future::<()>("loaded").unwrap();
    let task = manager
        .add_task(
            TaskBuilder::coroutine(async { 5 })
                .done_event(&messenger, "loaded")
                .unwrap(),
        )
        .unwrap();
    assert!(!loaded.is_done(), "not before the task ran");
    manager.poll().unwrap();
    assert_eq!(loaded.try_take(), Some(Ok(())));
    assert_eq!(task.try_take(), Some(Ok(5)), "the output is untouched");
}

#[test]
fn a_recurring_task_sends_it_when_it_returns_done_not_before() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let finished = messenger.future::<()>("countdown-over").unwrap();
    manager
        .add_task(
            TaskBuilder::recurring(|task: &TaskContext<'_>| {
                if task.frame() < 3 {
                    DoneStatus::Cont
                } else {
                    DoneStatus::Done
                }
            })
            .done_event(&messenger, "countdown-over")
            .unwrap(),
        )
        .unwrap();
    poll_n(&manager, 3);
    assert!(!finished.is_done());
    manager.poll().unwrap();
    assert!(finished.is_done());
}

#[test]
fn exit_counts_as_finishing() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let finished = messenger.future::<()>("exited").unwrap();
    manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Exit)
                .done_event(&messenger, "exited")
                .unwrap(),
        )
        .unwrap();
    manager.poll().unwrap();
    assert_eq!(finished.try_take(), Some(Ok(())));
}

#[test]
fn the_event_reaches_handlers_on_the_next_poll_and_finds_the_task_done() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let log = new_log();
    let me: Arc<OnceLock<AnyTask>> = Arc::default();
    let _sub = {
        let (log, me) = (log.clone(), me.clone());
        messenger
            .accept("done", move |_: &()| {
                let done = me.get().is_some_and(AnyTask::is_done);
                push(&log, format!("task done: {done}"));
            })
            .unwrap()
    };
    let task = manager
        .add_task(
            TaskBuilder::coroutine(async {})
                .done_event(&messenger, "done")
                .unwrap(),
        )
        .unwrap();
    let _ = me.set(task.as_any());
    manager.poll().unwrap();
    assert!(seen(&log).is_empty(), "handlers run on a later poll");
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["task done: true"]);
}

#[test]
fn a_coroutine_awaiting_the_done_event_of_another_task_resumes() {
    let (clock, manager) = setup();
    let messenger = manager.messenger();
    let waiter = {
        let messenger = messenger.clone();
        manager.spawn(async move {
            messenger.future::<()>("loader-done")?.await?;
            Ok::<_, Error>("resumed")
        })
    };
    manager
        .add_task(
            TaskBuilder::coroutine(async {
                pause(Duration::from_secs(1)).await?;
                Ok::<_, Error>(())
            })
            .done_event(&messenger, "loader-done")
            .unwrap(),
        )
        .unwrap();
    manager.poll().unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!(poll_until(&manager, &waiter, 10), Some(Ok(Ok("resumed"))));
}

#[test]
fn an_awaited_builder_sends_its_done_event() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let inner_done = messenger.future::<()>("inner-done").unwrap();
    let outer = {
        let messenger = messenger.clone();
        manager.spawn(async move {
            TaskBuilder::coroutine(async { 1 })
                .done_event(&messenger, "inner-done")?
                .await
        })
    };
    assert_eq!(poll_until(&manager, &outer, 10), Some(Ok(Ok(1))));
    assert!(inner_done.is_done());
}

#[test]
fn each_finishing_task_fires_the_event_again() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let calls = counter();
    let _sub = {
        let calls = calls.clone();
        messenger
            .accept("job-done", move |_: &()| {
                bump(&calls);
            })
            .unwrap()
    };
    for _ in 0..3 {
        manager
            .add_task(
                TaskBuilder::coroutine(async {})
                    .done_event(&messenger, "job-done")
                    .unwrap(),
            )
            .unwrap();
    }
    poll_n(&manager, 2);
    assert_eq!(get(&calls), 3);
}

// ----------------------------------------------------------- not sent

#[test]
fn a_queued_task_cancelled_does_not_send_it() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let finished = messenger.future::<()>("never").unwrap();
    let deaths = Deaths::new();
    let task = manager
        .add_task(
            TaskBuilder::coroutine(async {})
                .upon_death(deaths.hook())
                .done_event(&messenger, "never")
                .unwrap(),
        )
        .unwrap();
    assert!(task.cancel());
    poll_n(&manager, 2);
    assert_eq!(deaths.get(), (0, 1));
    assert!(!finished.is_done());
}

#[test]
fn a_suspended_coroutine_cancelled_does_not_send_it() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let finished = messenger.future::<()>("never").unwrap();
    let gate = manager.promise::<()>();
    let task = manager
        .add_task(
            TaskBuilder::fallible(gate.clone())
                .done_event(&messenger, "never")
                .unwrap(),
        )
        .unwrap();
    manager.poll().unwrap();
    task.cancel();
    poll_n(&manager, 2);
    assert!(task.is_cancelled());
    assert!(!finished.is_done());
}

#[test]
fn a_task_removed_while_it_runs_does_not_send_it_even_if_it_returns_done() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let finished = messenger.future::<()>("never").unwrap();
    let me: Arc<OnceLock<AnyTask>> = Arc::default();
    let task = {
        let me = me.clone();
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    if let Some(me) = me.get() {
                        me.cancel();
                    }
                    DoneStatus::Done
                })
                .done_event(&messenger, "never")
                .unwrap(),
            )
            .unwrap()
    };
    let _ = me.set(task.as_any());
    poll_n(&manager, 2);
    assert!(task.is_cancelled());
    assert!(!finished.is_done());
}

#[test]
fn a_panicking_task_does_not_send_it() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let finished = messenger.future::<()>("never").unwrap();
    let task = manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| -> DoneStatus { panic!("boom: task") })
                .done_event(&messenger, "never")
                .unwrap(),
        )
        .unwrap();
    poll_n(&manager, 2);
    assert_eq!(task.error(), Some(Error::Panicked("boom: task".into())));
    assert!(!finished.is_done());
}

#[test]
fn a_task_whose_upon_death_panics_does_not_send_it() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let finished = messenger.future::<()>("never").unwrap();
    let task = manager
        .add_task(
            TaskBuilder::coroutine(async {})
                .upon_death(|_| panic!("boom: upon_death"))
                .done_event(&messenger, "never")
                .unwrap(),
        )
        .unwrap();
    poll_n(&manager, 2);
    assert!(matches!(task.error(), Some(Error::Panicked(_))));
    assert!(!finished.is_done());
}

#[test]
fn shutdown_does_not_send_it() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let finished = messenger.future::<()>("never").unwrap();
    let task = manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont)
                .done_event(&messenger, "never")
                .unwrap(),
        )
        .unwrap();
    manager.poll().unwrap();
    manager.default_chain().shutdown();
    assert!(task.is_cancelled());
    assert!(!finished.is_done());
    // The manager's shutdown then cancels the future that was never sent
    // (a sent one would have kept its value).
    manager.shutdown();
    assert!(finished.is_cancelled());
}

#[test]
fn receivers_of_another_payload_type_get_nothing() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let typed = messenger.future::<u64>("typed").unwrap();
    let task = manager
        .add_task(
            TaskBuilder::coroutine(async {})
                .done_event(&messenger, "typed")
                .unwrap(),
        )
        .unwrap();
    poll_n(&manager, 2);
    assert!(task.is_done());
    assert!(!typed.is_done(), "the payload is (), not u64");
}

// ------------------------------------------------------- threaded chain

#[test]
fn a_task_on_a_threaded_chain_sends_its_done_event() {
    let (_clock, manager) = setup();
    let _workers = threaded(&manager, ChainSettings::default(), 2);
    let messenger = manager.messenger();
    let finished = messenger.future::<()>("worker-done").unwrap();
    let log = new_log();
    let _sub = {
        let log = log.clone();
        messenger
            .accept("worker-done", move |_: &()| push(&log, "handler"))
            .unwrap()
    };
    let task = manager
        .add_task(
            TaskBuilder::coroutine(async { 6 * 7 })
                .chain("threaded")
                .done_event(&messenger, "worker-done")
                .unwrap(),
        )
        .unwrap();
    assert_eq!(finished.result(Some(PATIENCE)), Ok(()));
    assert_eq!(task.result(Some(PATIENCE)), Ok(42));
    // The handler runs on the messenger's chain (the default one), which
    // this thread polls.
    common::eventually("the handler ran", || {
        manager.poll().unwrap();
        !seen(&log).is_empty()
    });
    assert_eq!(seen(&log), ["handler"]);
}

#[test]
fn a_cancelled_task_on_a_threaded_chain_does_not_send_it() {
    let (_clock, manager) = setup();
    let workers = threaded(&manager, ChainSettings::default(), 2);
    let messenger = manager.messenger();
    let finished = messenger.future::<()>("never").unwrap();
    let gate = workers.promise::<()>();
    // Fallible: a cancellation delivered at its await ends it cancelled.
    let task = workers
        .add_task(
            TaskBuilder::fallible(gate.clone())
                .done_event(&messenger, "never")
                .unwrap(),
        )
        .unwrap();
    task.cancel();
    assert_eq!(task.result(Some(PATIENCE)), Err(Error::Cancelled));
    workers.shutdown();
    assert!(!finished.is_done());
}
