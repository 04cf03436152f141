//! The join handle: timeouts are repeatable, cancel drops the future,
//! dropping detaches.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{settle, HANG};
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_core::Error;
use taskchain_threadpool::ThreadPool;

#[test]
fn a_join_timeout_is_repeatable_and_the_value_still_comes() {
    let pool = ThreadPool::new(1).unwrap();
    let (release, released) = mpsc::channel::<u8>();
    // Waits for the value on a thread of its own, so the worker stays free.
    let waiter = std::thread::spawn(move || released.recv_timeout(HANG).unwrap());
    let mut handle = pool.spawn(async move { waiter.join().unwrap() });
    assert_eq!(handle.join_timeout(Duration::ZERO), Err(Error::Timeout));
    assert_eq!(handle.join_timeout(Duration::ZERO), Err(Error::Timeout));
    release.send(5).unwrap();
    assert_eq!(handle.join_timeout(HANG), Ok(5));
    assert_eq!(handle.join_timeout(HANG), Err(Error::AlreadyTaken));

    let mut never = pool.spawn(std::future::pending::<u8>());
    assert_eq!(
        never.join_timeout(Duration::from_millis(1)),
        Err(Error::Timeout)
    );
    assert!(!never.is_finished());
    never.cancel();
}

#[test]
fn cancel_drops_the_future_and_dropping_detaches() {
    let pool = ThreadPool::new(1).unwrap();
    let drops = DropCounter::default();
    let token = drops.token();
    let cancelled = pool.spawn(async move {
        let _token = token;
        std::future::pending::<()>().await;
    });
    settle("the task started", || pool.live_tasks() == 1);
    cancelled.cancel();
    settle("the cancelled future was dropped", || drops.dropped() == 1);
    assert_eq!(pool.live_tasks(), 0);

    let (tx, rx) = mpsc::channel();
    let detached = pool.spawn(async move {
        let _ = tx.send("ran");
    });
    drop(detached);
    assert_eq!(rx.recv_timeout(HANG), Ok("ran"));
}

#[test]
fn a_handle_debugs_its_state() {
    let pool = ThreadPool::new(1).unwrap();
    let mut handle = pool.spawn(async { 1 });
    assert!(format!("{handle:?}").starts_with("JoinHandle"));
    assert_eq!(handle.join_timeout(HANG), Ok(1));
    assert_eq!(format!("{handle:?}"), r#"JoinHandle { state: "taken" }"#);
}
