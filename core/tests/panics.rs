//! A panic inside a task (or its upon_death, or a done callback) is caught
//! at the poll boundary: the chain and the other tasks go on.

mod common;

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{counting, setup, PanicOnDrop};
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    pause, AsyncFuture, DoneStatus, Error, TaskBuilder, TaskContext, TaskManager,
};

/// Adds a task counting its runs, forever.
fn ticking(manager: &TaskManager) -> Arc<AtomicUsize> {
    let runs = counter();
    manager.add(counting(&runs, DoneStatus::Cont));
    runs
}

#[test]
fn panicking_recurring_task_is_caught_and_the_chain_goes_on() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let before = ticking(&manager);
    let deaths: Arc<Mutex<Vec<bool>>> = Arc::default();
    let runs = counter();
    let bad = {
        let (runs, deaths) = (runs.clone(), deaths.clone());
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    if bump(&runs) == 3 {
                        panic!("boom: recurring #{}", 3);
                    }
                    DoneStatus::Cont
                })
                .name("bad")
                .upon_death(move |clean| deaths.lock().unwrap().push(clean)),
            )
            .unwrap()
    };
    let after = ticking(&manager);
    for _ in 0..5 {
        assert_eq!(manager.poll(), Ok(()));
    }
    assert_eq!(get(&runs), 3);
    assert_eq!(get(&before), 5);
    assert_eq!(get(&after), 5, "tasks after the panicking one still run");
    assert!(bad.is_done());
    assert!(!bad.is_cancelled());
    assert_eq!(
        bad.result(None),
        Err(Error::Panicked("boom: recurring #3".to_owned()))
    );
    assert_eq!(*deaths.lock().unwrap(), [false]);
    assert!(manager.find_task("bad").is_none());
}

#[test]
fn panicking_coroutine_is_caught_and_its_handle_holds_the_message() {
    quiet_panics("boom:");
    let (clock, manager) = setup();
    let ticks = ticking(&manager);
    let bad = manager.spawn(async {
        pause(Duration::from_secs(1)).await.unwrap();
        if true {
            panic!("boom: coroutine {}", "after the pause");
        }
        1u32
    });
    let good = manager.spawn(async {
        pause(Duration::from_secs(2)).await.unwrap();
        2u32
    });
    manager.poll().unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!(manager.poll(), Ok(()));
    assert!(bad.is_done());
    match bad.result(None) {
        Err(Error::Panicked(msg)) => {
            assert!(msg.contains("boom: coroutine after the pause"), "{msg}")
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert_eq!(good.result(None), Ok(2));
    assert_eq!(get(&ticks), 3);
}

#[test]
fn a_coroutine_awaiting_a_panicked_task_gets_the_panic_as_an_error() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let bad = manager.spawn(async {
        if true {
            panic!("boom: inner");
        }
    });
    let outer = manager.spawn(async move { bad.await.err() });
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(
        outer.result(None),
        Ok(Some(Error::Panicked("boom: inner".to_owned())))
    );
}

#[test]
fn wait_done_reports_a_panicked_task() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let bad = manager.add(|_: &TaskContext<'_>| panic!("boom: wait_done"));
    let any = bad.as_any();
    manager.poll().unwrap();
    assert!(any.is_done());
    assert_eq!(
        any.wait_done(Some(Duration::ZERO)),
        Err(Error::Panicked("boom: wait_done".to_owned())),
        "AnyTask::wait_done: Err(Panicked) if the task did not finish cleanly"
    );
}

#[test]
fn panicking_upon_death_does_not_take_the_chain_down() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let ticks = ticking(&manager);
    let finishing = manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Done)
                .upon_death(|_| panic!("boom: upon_death (finish)")),
        )
        .unwrap();
    let cancelled = manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont)
                .upon_death(|_| panic!("boom: upon_death (cancel)")),
        )
        .unwrap();
    // Cancelling a queued task runs its upon_death in the caller: the panic
    // must not reach the caller.
    assert!(cancelled.cancel());
    assert!(cancelled.is_done());
    assert_eq!(manager.poll(), Ok(()));
    assert!(finishing.is_done());
    match finishing.result(None) {
        Err(Error::Panicked(msg)) => assert!(msg.contains("boom: upon_death (finish)"), "{msg}"),
        other => panic!("expected the upon_death panic, got {other:?}"),
    }
    manager.poll().unwrap();
    assert_eq!(get(&ticks), 2);

    // At shutdown too.
    let _late = manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont)
                .upon_death(|_| panic!("boom: upon_death (shutdown)")),
        )
        .unwrap();
    manager.shutdown();
}

#[test]
fn panicking_done_callback_does_not_take_the_chain_down() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let ticks = ticking(&manager);
    let p = manager.promise::<u32>();
    let after = counter();
    p.add_done_callback(|_| panic!("boom: callback")).unwrap();
    {
        let after = after.clone();
        p.add_done_callback(move |_| {
            bump(&after);
        })
        .unwrap();
    }
    let h = manager.spawn(async { 1 });
    h.add_done_callback(|_| panic!("boom: task callback"))
        .unwrap();
    p.set_result(1).unwrap();
    for _ in 0..3 {
        assert_eq!(manager.poll(), Ok(()));
    }
    assert_eq!(get(&after), 1, "the other callback still ran");
    assert_eq!(get(&ticks), 3);
    assert_eq!(p.result(None), Ok(1));
    assert_eq!(h.result(None), Ok(1));
}

#[test]
fn non_string_panic_payload() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let h = manager.spawn(async {
        std::panic::panic_any(17u32);
    });
    manager.poll().unwrap();
    assert!(matches!(h.result(None), Err(Error::Panicked(_))));
}

#[test]
fn a_task_whose_work_panics_on_drop_does_not_panic_the_canceller() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let ticks = ticking(&manager);
    let guard = PanicOnDrop("boom: drop of the task's work");
    let queued = manager.spawn(async move {
        let _g = guard;
    });
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| queued.cancel()));
    assert_eq!(r.ok(), Some(true), "cancel returned normally");
    assert!(queued.is_done());
    let guard = PanicOnDrop("boom: drop of the task's work");
    let finishing = manager.spawn(async move {
        let _g = &guard;
        3
    });
    assert_eq!(manager.poll(), Ok(()));
    assert!(finishing.is_done());
    assert!(matches!(finishing.result(None), Err(Error::Panicked(_))));
    manager.poll().unwrap();
    assert_eq!(get(&ticks), 2);
}
