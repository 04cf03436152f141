//! Wakers are user code: one that panics when woken or dropped, wherever it
//! sits among a future's waiters, never makes `set_result` or `poll()`
//! panic, and the other waiters, the done callbacks and the completing
//! task's bookkeeping all still happen.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

use common::{eventually, setup, threaded, PATIENCE};
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{AsyncFuture, ChainSettings, Promise, TaskChain, TaskChainExt};

/// Counts its wakes, then panics.
struct PanicsOnWake(Arc<AtomicUsize>);

impl Wake for PanicsOnWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        bump(&self.0);
        panic!("boom: waker");
    }
}

/// Wakes nothing.
struct Nop;

impl Wake for Nop {
    fn wake(self: Arc<Self>) {}
}

/// Wakes nothing; its last drop panics.
struct PanicsOnDrop;

impl Wake for PanicsOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("boom: waker drop");
    }
}

fn panicking_waker() -> (Waker, Arc<AtomicUsize>) {
    let wakes = counter();
    (Waker::from(Arc::new(PanicsOnWake(wakes.clone()))), wakes)
}

/// Registers a panicking waker with `future.poll_done`; returns its wake
/// counter.
fn register_panicking_waker(future: &impl AsyncFuture) -> Arc<AtomicUsize> {
    let (waker, wakes) = panicking_waker();
    assert!(future
        .poll_done(&mut Context::from_waker(&waker))
        .is_pending());
    wakes
}

/// Adds a done callback to `future` that counts its runs.
fn count_done_callbacks<F: AsyncFuture>(future: &F) -> Arc<AtomicUsize> {
    let called = counter();
    let counter = called.clone();
    future
        .add_done_callback(move |_| {
            bump(&counter);
        })
        .unwrap();
    called
}

/// Polls `future` once with `waker`.
fn poll_with<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

// regression: a panicking first waker made set_result panic, so the later
// awaiter was never woken and the done callback never queued.
#[test]
fn a_promise_whose_first_waiter_panics_still_wakes_the_rest_and_runs_callbacks() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let (waker, wakes) = panicking_waker();
    let mut first = promise.clone();
    assert!(poll_with(&mut first, &waker).is_pending());
    let awaiter = manager.spawn(promise.clone());
    manager.poll().unwrap(); // the coroutine registers second
    let called = count_done_callbacks(&promise);

    assert_eq!(promise.set_result(7), Ok(()));
    assert_eq!(get(&wakes), 1);
    manager.poll().unwrap();
    assert_eq!(awaiter.result(Some(PATIENCE)), Ok(Ok(7)));
    assert_eq!(get(&called), 1);
    assert_eq!(manager.default_chain().stats().total(), 0);
}

// regression: a panicking waker registered with poll_done on a task handle
// made the chain's poll() panic in the task's finish: the task was never
// retired and its done callbacks never ran.
#[test]
fn a_task_whose_poll_done_waker_panics_is_retired_on_the_frame_chain() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let task = {
        let gate = gate.clone();
        manager.spawn(async move { gate.await.unwrap() + 1 })
    };
    manager.poll().unwrap();
    let wakes = register_panicking_waker(&task);
    let called = count_done_callbacks(&task);
    let blocked = {
        let any = task.as_any();
        thread::spawn(move || any.wait_done(Some(PATIENCE)))
    };

    gate.set_result(1).unwrap();
    manager.poll().unwrap(); // the task finishes: its waiters are woken
    manager.poll().unwrap(); // its done callback runs
    assert_eq!(get(&wakes), 1);
    assert_eq!(get(&called), 1);
    assert_eq!(blocked.join().unwrap(), Ok(()));
    assert_eq!(manager.default_chain().stats().total(), 0);
    assert_eq!(task.result(Some(PATIENCE)), Ok(2));
}

// regression: on a threaded chain the panicking waker unwound through the
// worker's run of the finishing task, which stalled the chain.
#[test]
fn a_task_whose_poll_done_waker_panics_is_retired_on_a_threaded_chain() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let chain = threaded(&manager, ChainSettings::default(), 1);
    let gate = manager.promise::<u32>();
    let task = {
        let gate = gate.clone();
        chain.spawn(async move { gate.await.unwrap() + 1 })
    };
    eventually("the task awaits its gate", || chain.stats().active == 1);
    let wakes = register_panicking_waker(&task);
    let called = count_done_callbacks(&task);

    gate.set_result(1).unwrap();
    assert_eq!(task.as_any().wait_done(Some(PATIENCE)), Ok(()));
    eventually("the done callback runs", || get(&called) == 1);
    eventually("the task is retired", || chain.stats().total() == 0);
    assert_eq!(get(&wakes), 1);
    assert_eq!(task.result(Some(PATIENCE)), Ok(2));
    // The worker is still there for the next task.
    let next = chain.spawn(async { 5 });
    assert_eq!(next.result(Some(PATIENCE)), Ok(5));
}

// regression: a waker whose drop panics unwound out of the handle's drop,
// a re-poll that replaced it, or the set_result that woke it.
#[test]
fn a_waker_whose_drop_panics_is_dropped_quietly_everywhere() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let promise: Promise<u32> = manager.promise();
    let other = Waker::from(Arc::new(Nop));

    // Replaced by a re-poll of the same future.
    let mut replaced = promise.clone();
    assert!(poll_with(&mut replaced, &Waker::from(Arc::new(PanicsOnDrop))).is_pending());
    assert!(poll_with(&mut replaced, &other).is_pending());

    // Removed when its future is dropped.
    let mut dropped = promise.clone();
    assert!(poll_with(&mut dropped, &Waker::from(Arc::new(PanicsOnDrop))).is_pending());
    drop(dropped);

    // Woken (and so dropped) by set_result, ahead of another waiter.
    let mut woken = promise.clone();
    assert!(poll_with(&mut woken, &Waker::from(Arc::new(PanicsOnDrop))).is_pending());
    let awaiter = manager.spawn(promise.clone());
    manager.poll().unwrap();
    assert_eq!(promise.set_result(3), Ok(()));
    manager.poll().unwrap();
    assert_eq!(awaiter.result(Some(PATIENCE)), Ok(Ok(3)));
    assert_eq!(poll_with(&mut replaced, &other), Poll::Ready(Ok(3)));
}

// regression: one panicking waker registered on several futures (promises
// and a shield over one of them) made each of their completions panic.
#[test]
fn a_panicking_waker_on_many_futures_never_escapes() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let (waker, wakes) = panicking_waker();
    let promises: Vec<Promise<u32>> = (0..3).map(|_| manager.promise()).collect();
    let mut awaiting: Vec<Promise<u32>> = promises.clone();
    for p in &mut awaiting {
        assert!(poll_with(p, &waker).is_pending());
    }
    let shielded = taskchain_core::shield(promises[2].clone());
    assert!(shielded
        .poll_done(&mut Context::from_waker(&waker))
        .is_pending());
    for (i, p) in promises.iter().enumerate() {
        assert_eq!(p.set_result(i as u32), Ok(()));
    }
    assert_eq!(get(&wakes), 4);
    manager.poll().unwrap();
    assert_eq!(shielded.result(Some(PATIENCE)), Ok(2));
}
