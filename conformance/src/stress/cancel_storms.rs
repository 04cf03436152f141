//! Cancel storms: threads racing to cancel, complete and await the same
//! futures, round after round. Proves that exactly one `set_result` or
//! `cancel` wins each future and says so, that every waiter (a blocking
//! `result`, a blocking `wait_done`, coroutines awaiting on the chain)
//! returns with the winner's outcome, that a task cancelled while the
//! promise it awaits is being set ends one way only, and that done
//! callbacks and `upon_death` run once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use taskchain_core::{AsyncFuture, Error, Promise, TaskBuilder, TaskChainExt, TaskHandle};

use super::{DeathBook, STRESS_PATIENCE};
use crate::settle::settle_for;
use crate::ChainFactory;

/// Coroutines on the chain awaiting the contested promise each round.
const AWAITERS: usize = 2;

/// The threads racing each round, the driving thread included.
const RACERS: usize = 4;

/// Counts a future's done callbacks.
fn count_done<A: AsyncFuture>(future: &A) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    future
        .add_done_callback(move |_: &A| {
            c.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap_or_else(|e| panic!("add_done_callback: {e:?}"));
    count
}

/// Runs `rounds` rounds on one fixture from `factory`. Each round makes a
/// promise `p` with two coroutines awaiting it, and a task `x`
/// awaiting another promise `q`; then four threads released at once
/// race: one sets `p` and cancels `x`, one cancels `p` and sets `q`, one
/// blocks in `p.result` and in `x`'s `wait_done`, and the driving thread
/// cancels `x` too (in alternating orders). Checks, each round:
///
/// - exactly one of `p.set_result`/`p.cancel` reports success, and `p`,
///   the blocking reader and every awaiting coroutine see that outcome;
/// - at most one `x.cancel()` returns true; if one did, `x` ended
///   cancelled, else it finished with `q`'s value (which was then set);
///   `q` is set or cancelled (through `x`), as its `set_result` reported;
/// - `wait_done` agrees with `x`'s outcome; every done callback and
///   `upon_death` ran once; the chain is empty after the round.
///
/// # Panics
///
/// When a check fails, or a waiter does not return within the stress
/// watchdog.
pub fn check_cancel_storms<F: ChainFactory>(factory: &F, rounds: usize) {
    let fx = factory.build();
    let per_round = AWAITERS + 1;
    let deaths = DeathBook::new(rounds * per_round);
    for round in 0..rounds {
        let value = round as u64 + 1;
        let q_value = value + 1_000_000;
        let p: Promise<u64> = fx.chain.promise();
        let q: Promise<u64> = fx.chain.promise();
        let p_callbacks = count_done(&p);
        let awaiters: Vec<TaskHandle<Result<u64, Error>>> = (0..AWAITERS)
            .map(|k| {
                let p = p.clone();
                // The promise is the coroutine: polled as the task's body,
                // it is awaited on the chain like any await.
                let task = TaskBuilder::coroutine(p).upon_death(deaths.hook(round * per_round + k));
                fx.chain.add_task(task).expect("add_task of an awaiter")
            })
            .collect();
        let x = {
            let q = q.clone();
            let death = deaths.hook(round * per_round + AWAITERS);
            // Fallible: a cancellation delivered at its await ends it.
            let task = TaskBuilder::fallible(q).upon_death(move |clean| {
                // `upon_death` runs as the task ends, before it is marked
                // done: a yield here holds that window open for the racing
                // cancels (user code may well take that long).
                std::thread::yield_now();
                death(clean);
            });
            fx.chain.add_task(task).expect("add_task of x")
        };
        let x_callbacks = count_done(&x);
        let x_any = x.as_any();
        let flip = round % 2 == 1;

        let barrier = Barrier::new(RACERS);
        let (setter, canceller, reader, driver_cancel) = std::thread::scope(|s| {
            let setter = s.spawn(|| {
                barrier.wait();
                if flip {
                    let c = x.cancel();
                    (p.set_result(value), c)
                } else {
                    let r = p.set_result(value);
                    (r, x.cancel())
                }
            });
            let canceller = s.spawn(|| {
                barrier.wait();
                if flip {
                    let r = q.set_result(q_value);
                    (p.cancel(), r)
                } else {
                    let c = p.cancel();
                    (c, q.set_result(q_value))
                }
            });
            let reader = s.spawn(|| {
                barrier.wait();
                let got = p.result(Some(STRESS_PATIENCE));
                (got, x_any.wait_done(Some(STRESS_PATIENCE)))
            });
            barrier.wait();
            let driver_cancel = x.cancel();
            // A frame chain runs the awaiters only when driven; a threaded
            // one by itself. Either way the readers return once they do.
            settle_for(
                factory,
                &fx,
                "the round's tasks to end",
                STRESS_PATIENCE,
                || awaiters.iter().all(|a| a.is_done()) && x.is_done(),
            );
            (
                setter.join().expect("the setter thread panicked"),
                canceller.join().expect("the canceller thread panicked"),
                reader.join().expect("the reader thread panicked"),
                driver_cancel,
            )
        });
        let (p_set, x_cancel_1) = setter;
        let (p_cancel, q_set) = canceller;
        let (p_read, x_wait) = reader;
        let at = format!("round {round} on {}", factory.name());

        // p: one winner, seen by everyone.
        assert!(
            p_set.is_ok() != p_cancel,
            "{at}: p.set_result -> {p_set:?} and p.cancel -> {p_cancel}: exactly one must win"
        );
        if let Err(e) = &p_set {
            assert_eq!(*e, Error::AlreadyDone, "{at}: a losing set_result");
        }
        let p_outcome = if p_cancel {
            Err(Error::Cancelled)
        } else {
            Ok(value)
        };
        assert_eq!(p.result(Some(Duration::ZERO)), p_outcome, "{at}: p");
        assert_eq!(p_read, p_outcome, "{at}: the blocking reader of p");
        for (k, a) in awaiters.iter().enumerate() {
            assert_eq!(
                a.result(Some(Duration::ZERO)),
                Ok(p_outcome.clone()),
                "{at}: awaiter {k}"
            );
            deaths.assert_once(round * per_round + k, true, &at);
        }

        // x: cancelled if a cancel() call returned true (a second one
        // joins the first while it is pending), or finished with q's value.
        let x_wins = usize::from(x_cancel_1) + usize::from(driver_cancel);
        let x_result = x.result(Some(Duration::ZERO));
        if x_wins > 0 {
            assert_eq!(x_result, Err(Error::Cancelled), "{at}: x, cancelled");
            assert_eq!(x_wait, Err(Error::Cancelled), "{at}: wait_done on x");
        } else {
            assert_eq!(x_result, Ok(q_value), "{at}: x, never cancelled");
            assert_eq!(x_wait, Ok(()), "{at}: wait_done on x");
        }
        deaths.assert_once(round * per_round + AWAITERS, x_wins == 0, &at);
        assert!(q.is_done(), "{at}: q neither set nor cancelled through x");
        assert_eq!(
            q_set.is_ok(),
            !q.is_cancelled(),
            "{at}: q.set_result -> {q_set:?}, q cancelled: {}",
            q.is_cancelled()
        );

        // Callbacks run on the chain: once each, after the chain got to
        // them.
        settle_for(
            factory,
            &fx,
            "the round's done callbacks",
            STRESS_PATIENCE,
            || p_callbacks.load(Ordering::SeqCst) >= 1 && x_callbacks.load(Ordering::SeqCst) >= 1,
        );
        assert_eq!(p_callbacks.load(Ordering::SeqCst), 1, "{at}: p's callback");
        assert_eq!(x_callbacks.load(Ordering::SeqCst), 1, "{at}: x's callback");
    }
    settle_for(factory, &fx, "an empty chain", STRESS_PATIENCE, || {
        fx.chain.stats().total() == 0
    });
}
