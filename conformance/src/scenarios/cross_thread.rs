//! Futures across threads: `set_result` on another thread wakes the
//! coroutine awaiting it; `result(timeout)` blocks a plain thread until the
//! value, the cancel or the timeout (repeatable), woken by completion on
//! any thread.

use std::sync::Arc;
use std::thread;

use taskchain_core::{AsyncFuture, Error, TaskChainExt};

use super::support::{ms, spawn_logged_waiter};
use crate::kit::log::{new_log, seen};
use crate::{settle, ChainFactory, SETTLE_TIMEOUT};

/// Rounds of each race: enough to meet both orders (set before and after
/// the coroutine suspends) on most runs; each round is quick.
const ROUNDS: u32 = 25;

/// A coroutine awaiting a promise resumes with the value set on another
/// thread, whether the set comes before, while, or after it suspends.
pub(crate) fn set_result_on_another_thread_wakes_the_awaiter(f: &dyn ChainFactory) {
    let fx = f.build();
    for round in 0..ROUNDS {
        let log = new_log();
        let p = fx.chain.promise::<u32>();
        let waiter = spawn_logged_waiter(&fx.chain, &p, &log);
        if round % 2 == 0 {
            settle(f, &fx, "the coroutine to reach its await", || {
                !seen(&log).is_empty()
            });
        }
        let setter = {
            let p = p.clone();
            thread::spawn(move || p.set_result(round))
        };
        assert_eq!(setter.join().expect("the setter does not panic"), Ok(()));
        settle(f, &fx, "the woken coroutine to finish", || waiter.is_done());
        assert_eq!(waiter.result(None), Ok(Ok(round)), "round {round}");
    }
}

/// `result(timeout)` from plain threads on promises and tasks: `Timeout`
/// while pending (again and again), then the value, or `Cancelled`; a
/// thread blocked without a timeout is woken by completion elsewhere.
pub(crate) fn blocking_result_from_plain_threads(f: &dyn ChainFactory) {
    let fx = f.build();
    let p = fx.chain.promise::<u32>();
    let waiter = {
        let p = p.clone();
        thread::spawn(move || {
            let first = p.result(Some(ms(2)));
            let second = p.result(Some(ms(2)));
            (first, second)
        })
    };
    let timeouts = waiter.join().expect("the waiter does not panic");
    assert_eq!(timeouts, (Err(Error::Timeout), Err(Error::Timeout)));
    let blocked = {
        let p = p.clone();
        thread::spawn(move || p.result(Some(SETTLE_TIMEOUT)))
    };
    let setter = {
        let p = p.clone();
        thread::spawn(move || p.set_result(8))
    };
    assert_eq!(setter.join().expect("setter"), Ok(()));
    assert_eq!(blocked.join().expect("blocked waiter"), Ok(8));
    assert_eq!(p.result(Some(ms(0))), Ok(8), "a promise reads again");

    let c = fx.chain.promise::<u32>();
    let blocked = {
        let c = c.clone();
        thread::spawn(move || c.result(Some(SETTLE_TIMEOUT)))
    };
    assert!(c.cancel());
    assert_eq!(
        blocked.join().expect("blocked waiter"),
        Err(Error::Cancelled)
    );

    // A task, completed by the chain while a plain thread waits.
    let gate = fx.chain.promise::<u32>();
    let task = Arc::new({
        let gate = gate.clone();
        fx.chain.spawn(async move { gate.await.map(|v| v * 2) })
    });
    let timeouts = {
        let task = task.clone();
        thread::spawn(move || (task.result(Some(ms(2))), task.result(Some(ms(2)))))
            .join()
            .expect("the waiter does not panic")
    };
    assert_eq!(timeouts, (Err(Error::Timeout), Err(Error::Timeout)));
    let blocked = {
        let task = task.clone();
        thread::spawn(move || task.result(Some(SETTLE_TIMEOUT)))
    };
    gate.set_result(21).expect("set_result");
    // A frame chain runs the task only when polled: drive until the blocked
    // thread has its answer.
    settle(f, &fx, "the blocked thread to get the task's value", || {
        blocked.is_finished()
    });
    assert_eq!(blocked.join().expect("blocked waiter"), Ok(Ok(42)));
    assert_eq!(
        task.result(Some(ms(0))),
        Err(Error::AlreadyTaken),
        "a task's output is read once"
    );

    let cancelled = Arc::new(fx.chain.spawn(std::future::pending::<u32>()));
    let blocked = {
        let t = cancelled.clone();
        thread::spawn(move || t.result(Some(SETTLE_TIMEOUT)))
    };
    assert!(cancelled.cancel());
    settle(f, &fx, "the blocked thread to see the cancel", || {
        blocked.is_finished()
    });
    assert_eq!(
        blocked.join().expect("blocked waiter"),
        Err(Error::Cancelled)
    );
    assert_eq!(
        cancelled.result(Some(ms(0))),
        Err(Error::Cancelled),
        "repeatable"
    );
}
