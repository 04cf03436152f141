//! The pool as a `taskchain_core::Runtime`.

mod common;

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use common::HANG;
use taskchain_core::Runtime;
use taskchain_threadpool::ThreadPool;

#[test]
fn the_runtime_is_named_threadpool_and_counts_its_workers() {
    let runtime: Arc<dyn Runtime> = Arc::new(ThreadPool::new(3).unwrap());
    assert_eq!(runtime.name(), "threadpool");
    assert_eq!(runtime.threads(), 3);
}

#[test]
fn the_runtime_runs_detached_futures_that_sleep_on_its_timer() {
    let runtime: Arc<dyn Runtime> = Arc::new(ThreadPool::new(2).unwrap());
    let (tx, rx) = mpsc::channel();
    for i in 0..10u64 {
        let sleep = runtime.sleep(Duration::from_micros(i * 100));
        let tx = tx.clone();
        runtime.spawn(Box::pin(async move {
            sleep.await;
            let _ = tx.send(i);
        }));
    }
    let mut got: Vec<u64> = (0..10).map(|_| rx.recv_timeout(HANG).unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
}
