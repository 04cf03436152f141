//! Cancelling a task on a tokio chain while it is suspended in tokio's own
//! intrusive primitives (the timer wheel, `Notify`'s waiter list): the task's
//! future is dropped where it was polled, so those primitives unlink it
//! from where they linked it, and go on working.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskchain_core::{AsyncFuture, ChainSettings, Error, TaskChain, TaskChainExt, TaskManager};
use taskchain_tokio::make_chain;

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(10);

/// Rounds per test: enough for a moved node to corrupt a list.
fn rounds() -> usize {
    if std::env::var_os("TASKCHAIN_UNDER_VALGRIND").is_some() {
        4
    } else {
        50
    }
}

/// Waits until `count` reaches `n`, failing the test after `PATIENCE`.
fn wait_for(count: &AtomicUsize, n: usize) {
    let deadline = Instant::now() + PATIENCE;
    while count.load(Ordering::SeqCst) < n {
        assert!(Instant::now() < deadline, "never reached {n}");
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn a_task_cancelled_in_tokio_sleep_leaves_the_timer_sound() {
    // regression: the cancelled `Sleep` was moved, then dropped: timer wheel corrupted.
    let manager = TaskManager::new();
    let chain = make_chain(&manager, "tokio", ChainSettings::default().num_threads(2)).unwrap();
    let suspended = Arc::new(AtomicUsize::new(0));
    for round in 1..=rounds() {
        let s = suspended.clone();
        let task = chain.spawn(async move {
            let sleep = tokio::time::sleep(Duration::from_secs(60));
            s.fetch_add(1, Ordering::SeqCst);
            sleep.await;
        });
        wait_for(&suspended, round);
        assert!(task.cancel());
        assert_eq!(task.result(Some(PATIENCE)), Err(Error::Cancelled));
        // The timer still works.
        let short = chain.spawn(async { tokio::time::sleep(Duration::from_millis(1)).await });
        assert_eq!(short.result(Some(PATIENCE)), Ok(()));
    }
    chain.shutdown();
}

#[test]
fn a_task_cancelled_in_notified_leaves_notify_sound() {
    // regression: the cancelled `Notified` was moved, then dropped: waiter list corrupted.
    let manager = TaskManager::new();
    let chain = make_chain(&manager, "tokio", ChainSettings::default().num_threads(2)).unwrap();
    let notify = Arc::new(tokio::sync::Notify::new());
    let suspended = Arc::new(AtomicUsize::new(0));
    for round in 1..=rounds() {
        let (n, s) = (notify.clone(), suspended.clone());
        let cancelled = chain.spawn(async move {
            let notified = n.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered in the waiter list before the task suspends.
            notified.as_mut().enable();
            s.fetch_add(1, Ordering::SeqCst);
            notified.await;
        });
        let (n, s) = (notify.clone(), suspended.clone());
        let woken = chain.spawn(async move {
            let notified = n.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            s.fetch_add(1, Ordering::SeqCst);
            notified.await;
        });
        wait_for(&suspended, 2 * round);
        assert!(cancelled.cancel());
        assert_eq!(cancelled.result(Some(PATIENCE)), Err(Error::Cancelled));
        notify.notify_waiters();
        assert_eq!(woken.result(Some(PATIENCE)), Ok(()));
    }
    chain.shutdown();
}
