//! After shutdown: spawning neither runs nor panics, sleeps complete.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use common::poll_once;
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_core::{Error, Runtime};
use taskchain_threadpool::ThreadPool;

#[test]
fn a_future_spawned_after_shutdown_is_dropped_unpolled() {
    let pool = ThreadPool::new(1).unwrap();
    pool.shutdown();
    assert!(pool.is_shutdown());
    let ran = Arc::new(AtomicBool::new(false));
    let drops = DropCounter::default();
    let token = drops.token();
    let flag = ran.clone();
    let mut handle = pool.spawn(async move {
        let _token = token;
        flag.store(true, Ordering::SeqCst);
        1
    });
    assert_eq!(drops.dropped(), 1);
    assert!(handle.is_finished());
    assert_eq!(poll_once(&mut handle), Poll::Ready(Err(Error::Shutdown)));
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(pool.live_tasks(), 0);
}

#[test]
fn the_runtime_spawn_after_shutdown_drops_the_future() {
    let pool = ThreadPool::new(1).unwrap();
    pool.shutdown();
    let drops = DropCounter::default();
    let token = drops.token();
    Runtime::spawn(
        &pool,
        Box::pin(async move {
            let _token = token;
        }),
    );
    assert_eq!(drops.dropped(), 1);
}

#[test]
fn sleeps_complete_once_the_timer_is_gone() {
    let pool = ThreadPool::new(1).unwrap();
    let mut before = pool.sleep(Duration::from_secs(3600));
    assert_eq!(poll_once(&mut before), Poll::Pending);
    pool.shutdown();
    assert_eq!(poll_once(&mut before), Poll::Ready(()));
    let mut after = pool.sleep(Duration::from_secs(3600));
    assert_eq!(poll_once(&mut after), Poll::Ready(()));
    assert_eq!(pool.timer_entries(), 0);
}

#[test]
fn shutdown_twice_is_harmless() {
    let pool = ThreadPool::new(2).unwrap();
    pool.shutdown();
    pool.shutdown();
    assert_eq!(pool.live_threads(), 0);
}
