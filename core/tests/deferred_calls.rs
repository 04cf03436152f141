//! `call_soon` / `call_later` on chains and the manager (asyncio's, and
//! Panda3D's `doMethodLater`), and done callbacks that can be removed
//! again: never run inline, run once, cancellable until they start, what
//! they captured dropped on cancel, refused once the chain shut down.

mod common;

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use common::{setup, PanicOnDrop};
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{AsyncFuture, Error, TaskChain, TaskChainExt};

#[test]
fn call_soon_runs_once_on_the_next_poll_never_inline() {
    let (_clock, manager) = setup();
    let runs = counter();
    let call = {
        let runs = runs.clone();
        manager
            .call_soon(move || {
                bump(&runs);
            })
            .unwrap()
    };
    assert_eq!(get(&runs), 0, "not inline");
    assert!(call.is_pending());
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(get(&runs), 1);
    assert!(!call.is_pending());
    assert!(!call.cancel(), "it ran");
}

#[test]
fn call_soon_from_another_thread_runs_on_the_chain() {
    let (_clock, manager) = setup();
    let ran_on = Arc::new(std::sync::Mutex::new(None));
    let chain = manager.default_chain().clone();
    std::thread::scope(|s| {
        s.spawn(|| {
            let ran_on = ran_on.clone();
            chain
                .call_soon(move || {
                    *ran_on.lock().unwrap() = Some(std::thread::current().id());
                })
                .unwrap();
        });
    });
    assert!(ran_on.lock().unwrap().is_none());
    manager.poll().unwrap();
    assert_eq!(*ran_on.lock().unwrap(), Some(std::thread::current().id()));
}

#[test]
fn a_cancelled_call_never_runs_and_its_captures_are_dropped() {
    let (_clock, manager) = setup();
    let drops = DropCounter::new();
    let runs = counter();
    let call = {
        let (token, runs) = (drops.token(), runs.clone());
        manager
            .call_soon(move || {
                let _token = token;
                bump(&runs);
            })
            .unwrap()
    };
    assert!(call.cancel());
    assert_eq!(drops.dropped(), 1, "dropped by cancel");
    assert!(!call.cancel(), "once");
    manager.poll().unwrap();
    assert_eq!(get(&runs), 0);
}

#[test]
fn a_panicking_call_or_capture_leaves_the_chain_going() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let runs = counter();
    manager.call_soon(|| panic!("boom: call")).unwrap();
    let capture = PanicOnDrop("boom: capture");
    let doomed = manager.call_soon(move || drop(capture)).unwrap();
    {
        let runs = runs.clone();
        manager
            .call_soon(move || {
                bump(&runs);
            })
            .unwrap();
    }
    let capture = PanicOnDrop("boom: cancelled capture");
    let cancelled = manager.call_soon(move || drop(capture)).unwrap();
    assert!(cancelled.cancel(), "a panicking drop on cancel is caught");
    manager.poll().unwrap();
    assert_eq!(get(&runs), 1, "the call after the panicking ones ran");
    assert!(!doomed.is_pending());
}

#[test]
fn call_later_waits_for_its_time_on_the_chain_clock() {
    let (clock, manager) = setup();
    let runs = counter();
    let call = {
        let runs = runs.clone();
        manager
            .call_later(Duration::from_secs(2), move || {
                bump(&runs);
            })
            .unwrap()
    };
    manager.poll().unwrap();
    clock.advance(Duration::from_millis(1_999));
    manager.poll().unwrap();
    assert_eq!(get(&runs), 0, "not yet");
    assert_eq!(
        manager.default_chain().stats().sleeping,
        1,
        "it waits in a task"
    );
    clock.advance(Duration::from_millis(1));
    manager.poll().unwrap();
    assert_eq!(get(&runs), 1);
    assert!(!call.is_pending());
    assert!(manager.tasks().is_empty());
}

#[test]
fn cancelling_a_call_later_removes_its_task() {
    let (clock, manager) = setup();
    let runs = counter();
    let call = {
        let runs = runs.clone();
        manager
            .call_later(Duration::from_secs(3600), move || {
                bump(&runs);
            })
            .unwrap()
    };
    manager.poll().unwrap();
    assert_eq!(manager.tasks().len(), 1);
    assert!(call.cancel());
    assert!(manager.tasks().is_empty(), "no task left waiting an hour");
    clock.advance(Duration::from_secs(3600));
    manager.poll().unwrap();
    assert_eq!(get(&runs), 0);
}

#[test]
fn calls_on_a_shut_down_chain_are_refused() {
    let (_clock, manager) = setup();
    let other = manager.make_task_chain("other").unwrap();
    other.shutdown();
    let drops = DropCounter::new();
    let token = drops.token();
    assert_eq!(
        other.call_soon(move || drop(token)).err(),
        Some(Error::Shutdown)
    );
    assert_eq!(drops.dropped(), 1, "dropped unrun");
    assert_eq!(
        other.call_later(Duration::ZERO, || ()).err(),
        Some(Error::Shutdown)
    );
}

#[test]
fn a_removed_done_callback_never_runs() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let runs: Arc<AtomicUsize> = counter();
    let drops = DropCounter::new();
    let removed = {
        let (runs, token) = (runs.clone(), drops.token());
        promise
            .add_removable_done_callback(move |_| {
                let _token = token;
                bump(&runs);
            })
            .unwrap()
    };
    let kept = {
        let runs = runs.clone();
        promise
            .add_removable_done_callback(move |p| {
                assert_eq!(p.try_take(), Some(Ok(5)));
                bump(&runs);
            })
            .unwrap()
    };
    assert!(removed.cancel());
    assert_eq!(drops.dropped(), 1, "its captures went with it");
    promise.set_result(5).unwrap();
    manager.poll().unwrap();
    assert_eq!(get(&runs), 1, "only the kept one ran");
    assert!(!kept.cancel(), "it ran");
}

#[test]
fn a_removable_done_callback_of_a_task_and_a_future_without_chain() {
    let (_clock, manager) = setup();
    let task = manager.spawn(async { 4u32 });
    let runs = counter();
    let call = {
        let runs = runs.clone();
        task.add_removable_done_callback(move |t| {
            assert!(t.is_done());
            bump(&runs);
        })
        .unwrap()
    };
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(get(&runs), 1);
    assert!(!call.is_pending());
    let homeless = taskchain_core::Promise::<u32>::new();
    assert_eq!(
        homeless.add_removable_done_callback(|_| ()).err(),
        Some(Error::NoChain)
    );
}
