//! A waiter is removed when the future awaiting it is dropped: a coroutine
//! that raced a pending future against another one and moved on leaves
//! nothing registered. Each awaiting future holds one waiter (a re-poll
//! replaces its waker), and the first one allocates nothing.

mod common;

use std::future::{ready, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::{setup, PATIENCE};
use futures_util::future::select;
use taskchain_conformance::kit::alloc::{measure_thread, CountingAlloc};
use taskchain_conformance::kit::valgrind::under_valgrind;
use taskchain_core::{gather, shield, AsyncFuture, Promise, TaskChain, TaskHandle};

// Counts the allocations `measure_thread` reads.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Coroutines per round; fewer under valgrind, which runs one thread at a
/// time and slowly.
fn coroutines() -> usize {
    if under_valgrind() {
        1_000
    } else {
        10_000
    }
}

/// Counts nothing itself: its `Arc`'s strong count is how many copies of
/// the waker are registered somewhere (minus the test's own).
struct Probe;

impl Wake for Probe {
    fn wake(self: Arc<Self>) {}
}

/// A probe and a waker made from it.
fn probe() -> (Arc<Probe>, Waker) {
    let probe = Arc::new(Probe);
    let waker = Waker::from(probe.clone());
    (probe, waker)
}

/// Copies of `probe`'s waker held anywhere but in `probe` and `waker`.
fn registered(probe: &Arc<Probe>) -> usize {
    Arc::strong_count(probe) - 2
}

fn poll_with<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// Runs one round of `n` coroutines that each race `shared` against a
/// ready future, to completion (every task gone).
fn race_round(manager: &taskchain_core::TaskManager, shared: &Promise<u32>, n: usize) {
    let handles: Vec<TaskHandle<bool>> = (0..n)
        .map(|_| {
            let shared = shared.clone();
            manager.spawn(async move {
                // The promise is polled first (and registers), then the
                // ready future wins and the promise future is dropped.
                matches!(
                    select(shared, ready(())).await,
                    futures_util::future::Either::Right(_)
                )
            })
        })
        .collect();
    for _ in 0..4 {
        manager.poll().unwrap();
    }
    for h in handles {
        assert_eq!(h.result(Some(Duration::ZERO)), Ok(true));
    }
    assert_eq!(manager.default_chain().stats().total(), 0);
}

// regression: every coroutine that selected a never-completing promise
// against a ready future left its waker (and with it its finished task
// cell) in the promise's waiter list: 364 B per task, until the promise
// completed.
#[test]
fn coroutines_that_stop_awaiting_a_pending_promise_leave_nothing_registered() {
    let (_clock, manager) = setup();
    let shared = manager.promise::<u32>();
    let n = coroutines();
    // The first round grows the chain's queues and registry to their size
    // for n tasks; the second must then return the heap to where it was.
    race_round(&manager, &shared, n);
    let growth = measure_thread(|| race_round(&manager, &shared, n)).live;
    assert!(
        growth <= 0,
        "{n} finished coroutines left {growth} B behind ({} B each)",
        growth / n as isize
    );
    assert!(!shared.is_done());
}

// regression: a promise future dropped while pending left its waker
// registered.
#[test]
fn a_dropped_promise_future_removes_its_waker() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let (first, first_waker) = probe();
    let (second, second_waker) = probe();
    let mut a = promise.clone();
    let mut b = promise.clone();
    assert!(poll_with(&mut a, &first_waker).is_pending());
    assert!(poll_with(&mut b, &second_waker).is_pending());
    assert_eq!((registered(&first), registered(&second)), (1, 1));
    drop(a); // the inline one
    assert_eq!(registered(&first), 0);
    drop(b); // the overflow one
    assert_eq!(registered(&second), 0);

    // Through poll_done and an event future too.
    let c = promise.clone();
    assert!(c
        .poll_done(&mut Context::from_waker(&first_waker))
        .is_pending());
    assert_eq!(registered(&first), 1);
    drop(c);
    assert_eq!(registered(&first), 0);
    let messenger = manager.messenger();
    let mut event = messenger.future::<u32>("ping").unwrap();
    assert!(poll_with(&mut event, &first_waker).is_pending());
    assert_eq!(registered(&first), 1);
    drop(event);
    assert_eq!(registered(&first), 0);
}

// regression: a re-poll with a new waker added an entry instead of
// replacing the future's own, so the old waker stayed registered.
#[test]
fn a_re_poll_replaces_the_futures_own_waker() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let (old, old_waker) = probe();
    let (new, new_waker) = probe();
    let mut a = promise.clone();
    // Another waiter in between, so that `a`'s entry is not the newest.
    let mut other = promise.clone();
    assert!(poll_with(&mut a, &old_waker).is_pending());
    assert!(poll_with(&mut other, &new_waker).is_pending());
    assert!(poll_with(&mut a, &new_waker).is_pending());
    assert_eq!((registered(&old), registered(&new)), (0, 2));
    promise.set_result(1).unwrap();
    assert_eq!(registered(&new), 0);
    assert_eq!(poll_with(&mut a, &new_waker), Poll::Ready(Ok(1)));
}

// regression: awaiting a task handle, a gather or a shield and dropping it
// while pending left the waker in the task's (gather's, shield's) list.
#[test]
fn dropped_task_gather_and_shield_futures_remove_their_wakers() {
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let (p, waker) = probe();

    let mut task = manager.spawn(gate.clone());
    manager.poll().unwrap();
    assert!(poll_with(&mut task, &waker).is_pending());
    assert_eq!(registered(&p), 1);
    drop(task);
    assert_eq!(registered(&p), 0);

    let polled = manager.spawn(gate.clone());
    manager.poll().unwrap();
    assert!(polled
        .poll_done(&mut Context::from_waker(&waker))
        .is_pending());
    assert_eq!(registered(&p), 1);
    drop(polled);
    assert_eq!(registered(&p), 0);

    let mut g = gather(vec![gate.clone(), manager.promise()]);
    assert!(poll_with(&mut g, &waker).is_pending());
    assert_eq!(registered(&p), 1);
    drop(g);
    assert_eq!(registered(&p), 0);

    let mut s = shield(gate.clone());
    assert!(poll_with(&mut s, &waker).is_pending());
    assert!(s.poll_done(&mut Context::from_waker(&waker)).is_pending());
    assert_eq!(registered(&p), 1);
    drop(s);
    assert_eq!(registered(&p), 0);
    assert_eq!(
        manager.default_chain().stats().total(),
        2,
        "both tasks still await"
    );
}

// regression: a gather or shield dropped before its children finish left
// its own wakers in every child's waiter list.
#[test]
fn a_dropped_gather_or_shield_leaves_nothing_on_its_children() {
    let (_clock, manager) = setup();
    let shared = manager.promise::<u32>();
    let n = coroutines();
    let round = || {
        for _ in 0..n {
            drop(gather(vec![shared.clone(), shared.clone()]));
            drop(shield(shared.clone()));
        }
    };
    round();
    assert!(measure_thread(round).live <= 0);
}

// A blocking read that timed out leaves the thread's waker registered
// nowhere.
#[test]
fn a_timed_out_blocking_read_leaves_nothing_registered() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let g = gather(vec![promise.clone()]);
    let s = shield(promise.clone());
    let round = || {
        let _ = promise.result(Some(Duration::ZERO));
        let _ = g.result(Some(Duration::ZERO));
        let _ = s.result(Some(Duration::ZERO));
        let _ = promise.clone().result(Some(Duration::from_micros(1)));
    };
    round();
    let kept = measure_thread(|| {
        for _ in 0..100 {
            round();
        }
    });
    assert!(kept.live <= 0);
    promise.set_result(4).unwrap();
    assert_eq!(g.result(Some(PATIENCE)), Ok(vec![4]));
}

// The single-awaiter case: the first waiter of a future is stored inline,
// without allocating.
#[test]
fn the_first_awaiter_allocates_nothing() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let (_p, waker) = probe();
    let mut awaiting = promise.clone();
    let made = measure_thread(|| {
        assert!(poll_with(&mut awaiting, &waker).is_pending());
        assert!(poll_with(&mut awaiting, &waker).is_pending());
        drop(awaiting);
        let mut again = promise.clone();
        assert!(poll_with(&mut again, &waker).is_pending());
    });
    assert_eq!(made.allocs, 0);
}

// regression: two wakers re-polling in turn grew the waiter list by one entry per poll.
#[test]
fn waiter_list_stays_bounded_with_alternating_repolls() {
    let (_clock, manager) = setup();
    let p = manager.promise::<u32>();
    let ((a, wa), (_b, wb)) = (probe(), probe());
    for _ in 0..1000 {
        let _ = p.poll_done(&mut Context::from_waker(&wa));
        let _ = p.poll_done(&mut Context::from_waker(&wb));
    }
    assert!(
        registered(&a) <= 1,
        "{} registrations of one waker",
        registered(&a)
    );
}
