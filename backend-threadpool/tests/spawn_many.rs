//! Spawning and joining many futures, from several threads at once and from
//! inside the pool.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use common::{scaled, yield_now, HANG};
use taskchain_threadpool::ThreadPool;

#[test]
fn ten_thousand_futures_from_four_threads_all_complete_with_their_output() {
    let pool = ThreadPool::new(2).unwrap();
    let total = scaled(10_000);
    let spawners = 4;
    let per = total / spawners;
    let sums: Vec<usize> = thread::scope(|s| {
        let spawners: Vec<_> = (0..spawners)
            .map(|t| {
                let pool = &pool;
                s.spawn(move || {
                    let handles: Vec<_> = (0..per)
                        .map(|i| {
                            let n = t * per + i;
                            pool.spawn(async move {
                                if n.is_multiple_of(3) {
                                    yield_now().await;
                                }
                                n
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|mut h| h.join_timeout(HANG).unwrap())
                        .sum::<usize>()
                })
            })
            .collect();
        spawners.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let n = spawners * per;
    assert_eq!(sums.iter().sum::<usize>(), n * (n - 1) / 2);
    assert_eq!(pool.live_tasks(), 0);
}

#[test]
fn futures_spawned_from_inside_the_pool_all_complete() {
    let pool = ThreadPool::new(2).unwrap();
    let total = scaled(10_000);
    let done = Arc::new(AtomicUsize::new(0));
    let inner_pool = pool.clone();
    let inner_done = done.clone();
    let mut root = pool.spawn(async move {
        let handles: Vec<_> = (0..total)
            .map(|_| {
                let done = inner_done.clone();
                inner_pool.spawn(async move {
                    yield_now().await;
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    root.join_timeout(HANG).unwrap();
    assert_eq!(done.load(Ordering::SeqCst), total);
}

#[test]
fn a_detached_future_still_runs() {
    let pool = ThreadPool::new(1).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    pool.spawn(async move { tx.send(7).unwrap() }).detach();
    assert_eq!(rx.recv_timeout(HANG), Ok(7));
}
