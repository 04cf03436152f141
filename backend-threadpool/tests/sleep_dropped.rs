//! Sleeps dropped before their deadline leave nothing behind in the timer.

mod common;

use std::task::Poll;
use std::time::Duration;

use common::{poll_once, scaled, settle};
use taskchain_threadpool::ThreadPool;

/// The sweep keeps the heap within twice the live sleepers plus a slack.
const SLACK: usize = 64;

#[test]
fn registered_then_dropped_sleeps_do_not_pile_up() {
    let pool = ThreadPool::new(1).unwrap();
    let keep: Vec<_> = (0..10)
        .map(|_| {
            let mut sleep = pool.sleep(Duration::from_secs(3600));
            assert_eq!(poll_once(&mut sleep), Poll::Pending);
            sleep
        })
        .collect();
    for _ in 0..scaled(10_000) {
        let mut sleep = pool.sleep(Duration::from_secs(3600));
        assert_eq!(poll_once(&mut sleep), Poll::Pending);
        drop(sleep);
        assert!(pool.timer_entries() <= 2 * keep.len() + SLACK + 1);
    }
    drop(keep);
    assert!(pool.timer_entries() <= SLACK + 1);
}

#[test]
fn timeouts_that_never_fire_inside_tasks_do_not_pile_up() {
    let pool = ThreadPool::new(2).unwrap();
    let handles: Vec<_> = (0..scaled(5_000))
        .map(|i| {
            let timer = pool.clone();
            pool.spawn(async move {
                // A timeout armed, polled once, then abandoned.
                let mut timeout = timer.sleep(Duration::from_secs(3600));
                let pending = poll_once(&mut timeout).is_pending();
                drop(timeout);
                (i, pending)
            })
        })
        .collect();
    for handle in handles {
        let (_, pending) = handle.join().unwrap();
        assert!(pending);
    }
    assert!(pool.timer_entries() <= SLACK + 1);
}

#[test]
fn cancelling_a_sleeping_task_drops_its_sleep() {
    let pool = ThreadPool::new(1).unwrap();
    let sleepers: Vec<_> = (0..scaled(2_000))
        .map(|_| {
            let timer = pool.clone();
            pool.spawn(async move { timer.sleep(Duration::from_secs(3600)).await })
        })
        .collect();
    let count = sleepers.len();
    settle("every sleeper registered", || pool.timer_entries() >= count);
    for sleeper in sleepers {
        sleeper.cancel();
    }
    // A cancelled idle task is dropped by a worker, soon after.
    settle("every cancelled task dropped", || pool.live_tasks() == 0);
    assert!(pool.timer_entries() <= SLACK + 1);
}
