//! Worker threads are named `{prefix}-{i}`, the timer `{prefix}-timer`;
//! bad settings are errors, not panics.

mod common;

use std::collections::HashSet;
use std::sync::mpsc;

use common::{os_thread_names, settle, HANG};
use taskchain_core::Error;
use taskchain_threadpool::{ThreadPool, DEFAULT_PREFIX, MAX_THREADS};

/// Names of the workers that ran something, with every worker blocked at
/// once so that each must run one.
fn worker_names(pool: &ThreadPool) -> HashSet<String> {
    let workers = pool.threads();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(workers));
    let (tx, rx) = mpsc::channel();
    for _ in 0..workers {
        let barrier = barrier.clone();
        let tx = tx.clone();
        pool.spawn(async move {
            let _ = tx.send(std::thread::current().name().map(str::to_owned));
            barrier.wait();
        })
        .detach();
    }
    (0..workers)
        .map(|_| rx.recv_timeout(HANG).unwrap().unwrap())
        .collect()
}

#[test]
fn workers_are_named_after_the_prefix_and_their_index() {
    let pool = ThreadPool::builder().threads(3).name("tn").build().unwrap();
    assert_eq!(pool.thread_prefix(), "tn");
    let expected: HashSet<String> = (0..3).map(|i| format!("tn-{i}")).collect();
    assert_eq!(worker_names(&pool), expected);
    if os_thread_names().is_some() {
        // A thread names itself once it runs: wait for the timer's name.
        settle("the timer thread is named", || {
            os_thread_names().is_some_and(|names| names.iter().any(|n| n == "tn-timer"))
        });
    }
}

#[test]
fn the_default_prefix_is_taskchain_pool() {
    let pool = ThreadPool::new(2).unwrap();
    assert_eq!(pool.thread_prefix(), DEFAULT_PREFIX);
    assert_eq!(DEFAULT_PREFIX, "taskchain-pool");
    let expected: HashSet<String> = (0..2).map(|i| format!("taskchain-pool-{i}")).collect();
    assert_eq!(worker_names(&pool), expected);
}

#[test]
fn zero_threads_is_an_invalid_setting() {
    assert!(matches!(ThreadPool::new(0), Err(Error::InvalidSetting(_))));
    assert!(matches!(
        ThreadPool::builder().threads(0).build(),
        Err(Error::InvalidSetting(_))
    ));
}

#[test]
fn too_many_threads_is_an_invalid_setting_not_a_panic() {
    assert!(matches!(
        ThreadPool::new(usize::MAX),
        Err(Error::InvalidSetting(_))
    ));
    assert!(matches!(
        ThreadPool::new(MAX_THREADS + 1),
        Err(Error::InvalidSetting(_))
    ));
}

#[test]
fn a_prefix_with_a_nul_byte_is_an_invalid_setting() {
    assert!(matches!(
        ThreadPool::builder().threads(1).name("bad\0name").build(),
        Err(Error::InvalidSetting(_))
    ));
}
