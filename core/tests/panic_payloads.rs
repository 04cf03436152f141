//! A panic's payload is user data too: its `Drop` may panic. Whatever user
//! code panics with such a payload (a task body, `upon_death`, a done
//! callback, an event handler, a waker, an interval setter), the library
//! drops the payload without letting that second panic out: `poll()` and
//! `set_result` never panic and the chain goes on.

mod common;

use std::panic::{catch_unwind, panic_any, AssertUnwindSafe};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use common::{counting, ms, setup};
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{AsyncFuture, DoneStatus, IntervalChainExt, LerpFn, TaskBuilder, TaskManager};

/// A panic payload whose `Drop` panics (with a plain message, so the
/// process does not abort: only the library's handling is under test).
struct PayloadBomb(Arc<AtomicUsize>);

impl Drop for PayloadBomb {
    fn drop(&mut self) {
        bump(&self.0);
        panic!("boom: payload drop");
    }
}

fn throw(drops: &Arc<AtomicUsize>) -> ! {
    panic_any(PayloadBomb(drops.clone()))
}

/// `manager.poll()` several times: none panics, each is `Ok`.
fn polls_cleanly(manager: &TaskManager, n: usize) {
    for _ in 0..n {
        let polled = catch_unwind(AssertUnwindSafe(|| manager.poll()));
        assert!(matches!(polled, Ok(Ok(()))), "poll() panicked or failed");
    }
}

/// A waker that panics with a bomb payload when woken.
struct BombWaker(Arc<AtomicUsize>);

impl Wake for BombWaker {
    fn wake(self: Arc<Self>) {
        throw(&self.0)
    }
}

/// A waker that counts its wakes.
#[derive(Default)]
struct Flag(AtomicUsize);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        bump(&self.0);
    }
}

// regression: a done callback's panic payload that panicked on drop escaped poll()
#[test]
fn a_done_callback_payload_that_panics_on_drop_stays_inside_poll() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let drops = counter();
    let runs = counter();
    manager.add(counting(&runs, DoneStatus::Cont));
    let task = manager.spawn(async { 1_u32 });
    let d = drops.clone();
    task.add_done_callback(move |_| throw(&d)).unwrap();
    polls_cleanly(&manager, 3);
    assert_eq!(get(&drops), 1, "the payload was dropped once");
    assert_eq!(get(&runs), 3, "the chain went on");
}

// regression: an event handler's panic payload that panicked on drop escaped poll()
#[test]
fn an_event_handler_payload_that_panics_on_drop_stays_inside_poll() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let drops = counter();
    let d = drops.clone();
    let _sub = messenger.accept("e", move |_: &u32| throw(&d)).unwrap();
    let after = counter();
    let a = after.clone();
    let _after = messenger
        .accept("e", move |_: &u32| {
            bump(&a);
        })
        .unwrap();
    let runs = counter();
    manager.add(counting(&runs, DoneStatus::Cont));
    messenger.send("e", 1_u32).unwrap();
    polls_cleanly(&manager, 2);
    messenger.send("e", 2_u32).unwrap();
    polls_cleanly(&manager, 1);
    assert_eq!(get(&drops), 2);
    assert_eq!(get(&after), 2, "the handler after it still ran");
    assert_eq!(get(&runs), 3, "the chain went on");
}

// regression: a waker's panic payload that panicked on drop escaped poll()
#[test]
fn a_waker_payload_that_panics_on_drop_stays_inside_poll() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let drops = counter();
    let task = manager.spawn(async { 1_u32 });
    let waker = Waker::from(Arc::new(BombWaker(drops.clone())));
    assert!(task
        .poll_done(&mut Context::from_waker(&waker))
        .is_pending());
    drop(waker);
    let callbacks = counter();
    let c = callbacks.clone();
    task.add_done_callback(move |_| {
        bump(&c);
    })
    .unwrap();
    polls_cleanly(&manager, 2);
    assert!(task.is_done());
    assert_eq!(get(&drops), 1);
    assert_eq!(get(&callbacks), 1, "the done callback ran");
}

// regression: a promise waker's panic payload that panicked on drop escaped set_result
#[test]
fn a_promise_waker_payload_that_panics_on_drop_stays_inside_set_result() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let drops = counter();
    let promise = manager.promise::<u32>();
    let waker = Waker::from(Arc::new(BombWaker(drops.clone())));
    assert!(promise
        .poll_done(&mut Context::from_waker(&waker))
        .is_pending());
    drop(waker);
    let later = promise.clone();
    let woken = Arc::new(Flag::default());
    let later_waker = Waker::from(woken.clone());
    assert!(later
        .poll_done(&mut Context::from_waker(&later_waker))
        .is_pending());
    let set = catch_unwind(AssertUnwindSafe(|| promise.set_result(3)));
    assert!(matches!(set, Ok(Ok(()))), "set_result panicked");
    assert_eq!(get(&drops), 1);
    assert_eq!(get(&woken.0), 1, "the later waiter was woken");
}

#[test]
fn a_task_body_payload_that_panics_on_drop_stays_inside_poll() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let drops = counter();
    let d = drops.clone();
    let deaths = counter();
    let dd = deaths.clone();
    let task = manager
        .add_task(
            TaskBuilder::coroutine(async move {
                if get(&d) == 0 {
                    throw(&d)
                }
                1_u32
            })
            .upon_death(move |_| {
                bump(&dd);
            }),
        )
        .unwrap();
    polls_cleanly(&manager, 2);
    assert!(task.is_done());
    assert_eq!(get(&deaths), 1);
    assert_eq!(get(&drops), 1);
}

#[test]
fn an_upon_death_payload_that_panics_on_drop_stays_inside_poll() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let drops = counter();
    let d = drops.clone();
    let task = manager
        .add_task(TaskBuilder::coroutine(async { 1_u32 }).upon_death(move |_| throw(&d)))
        .unwrap();
    polls_cleanly(&manager, 2);
    assert!(task.is_done());
    assert_eq!(get(&drops), 1);
}

#[test]
fn an_interval_setter_payload_that_panics_on_drop_stays_inside_poll() {
    quiet_panics("boom:");
    let (clock, manager) = setup();
    let drops = counter();
    let d = drops.clone();
    let handle = manager
        .default_chain()
        .play(LerpFn::new(ms(100), move |_| throw(&d)));
    for _ in 0..3 {
        polls_cleanly(&manager, 1);
        clock.advance(ms(50));
    }
    assert!(handle.is_done());
    assert_eq!(get(&drops), 1);
}

/// A value whose `Drop` panics with a [`PayloadBomb`].
struct DropBomb(Arc<AtomicUsize>);

impl Drop for DropBomb {
    fn drop(&mut self) {
        throw(&self.0)
    }
}

#[test]
fn a_work_drop_payload_that_panics_on_drop_stays_inside_poll() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let drops = counter();
    let bomb = DropBomb(drops.clone());
    let finished = manager.spawn(async move {
        let _bomb = &bomb;
        1_u32
    });
    let bomb = DropBomb(drops.clone());
    let cancelled = manager.spawn(async move {
        let _bomb = &bomb;
        std::future::pending::<u32>().await
    });
    polls_cleanly(&manager, 1);
    assert!(cancelled.cancel());
    polls_cleanly(&manager, 2);
    assert!(finished.is_done() && cancelled.is_done());
    assert_eq!(get(&drops), 2);
}

#[test]
fn an_output_drop_payload_that_panics_on_drop_stays_inside_poll() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let drops = counter();
    let d = drops.clone();
    // No handle: the runner drops the output.
    drop(manager.spawn(async move { DropBomb(d) }));
    polls_cleanly(&manager, 2);
    assert_eq!(get(&drops), 1);
}
