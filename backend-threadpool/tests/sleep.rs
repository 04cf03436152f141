//! The timer: sleeps complete, on the pool and on foreign threads; none is
//! asserted to take any particular time.

mod common;

use std::future::Future;
use std::task::Poll;
use std::time::{Duration, Instant};

use common::{poll_once, HANG};
use taskchain_threadpool::ThreadPool;

#[test]
fn sleeps_of_many_lengths_complete_on_the_pool() {
    let pool = ThreadPool::new(2).unwrap();
    let handles: Vec<_> = [0u64, 1, 50, 200, 1_000, 5_000, 20_000]
        .into_iter()
        .rev()
        .map(|micros| {
            let timer = pool.clone();
            pool.spawn(async move {
                let start = Instant::now();
                timer.sleep(Duration::from_micros(micros)).await;
                // Not a timing assertion: a sleep never ends early.
                assert!(start.elapsed() >= Duration::from_micros(micros));
                micros
            })
        })
        .collect();
    for mut handle in handles {
        handle.join_timeout(HANG).unwrap();
    }
    assert_eq!(pool.timer_entries(), 0);
}

#[test]
fn a_sleep_completes_when_awaited_on_a_foreign_thread() {
    let pool = ThreadPool::new(1).unwrap();
    let sleep = pool.sleep(Duration::from_millis(2));
    let deadline = sleep.deadline().unwrap();
    // A blocking executor of our own: park until woken.
    let thread = std::thread::current();
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(thread)));
    let mut sleep = Box::pin(sleep);
    let give_up = Instant::now() + HANG;
    while sleep
        .as_mut()
        .poll(&mut std::task::Context::from_waker(&waker))
        .is_pending()
    {
        assert!(Instant::now() < give_up, "the timer never woke the sleep");
        std::thread::park_timeout(HANG);
    }
    assert!(Instant::now() >= deadline);
}

#[test]
fn sleep_until_a_past_instant_is_ready_at_once() {
    let pool = ThreadPool::new(1).unwrap();
    let mut sleep = pool.sleep_until(Instant::now());
    assert_eq!(poll_once(&mut sleep), Poll::Ready(()));
    assert_eq!(pool.timer_entries(), 0);
}

#[test]
fn a_sleep_too_long_to_represent_stays_pending_and_takes_no_room() {
    let pool = ThreadPool::new(1).unwrap();
    let mut sleep = pool.sleep(Duration::MAX);
    assert_eq!(sleep.deadline(), None);
    assert_eq!(poll_once(&mut sleep), Poll::Pending);
    assert_eq!(pool.timer_entries(), 0);
}

#[test]
fn the_runtime_sleep_completes() {
    use taskchain_core::Runtime;
    let pool = ThreadPool::new(1).unwrap();
    let sleep = Runtime::sleep(&pool, Duration::from_micros(100));
    let mut handle = pool.spawn(sleep);
    assert_eq!(handle.join_timeout(HANG), Ok(()));
}

#[test]
fn sleeps_complete_without_a_spin_tail() {
    let pool = ThreadPool::builder()
        .threads(1)
        .timer_spin(Duration::ZERO)
        .build()
        .unwrap();
    let sleeps: Vec<_> = (0..10u64)
        .map(|i| pool.sleep(Duration::from_micros(i * 50)))
        .collect();
    let mut handle = pool.spawn(async move {
        for sleep in sleeps {
            sleep.await;
        }
    });
    assert_eq!(handle.join_timeout(HANG), Ok(()));
}

/// A panic payload whose `Drop` panics too.
struct PayloadBomb;

impl Drop for PayloadBomb {
    fn drop(&mut self) {
        panic!("payload drop");
    }
}

/// A foreign executor's waker that panics with a [`PayloadBomb`].
struct BombWaker;

impl std::task::Wake for BombWaker {
    fn wake(self: std::sync::Arc<Self>) {
        std::panic::panic_any(PayloadBomb)
    }
}

// regression: a foreign waker's panic payload that panicked on drop killed the timer thread
#[test]
fn a_waker_whose_panic_payload_panics_on_drop_does_not_stop_the_timer() {
    let pool = ThreadPool::new(1).unwrap();
    let mut bombed = Box::pin(pool.sleep(Duration::from_millis(20)));
    let waker = std::task::Waker::from(std::sync::Arc::new(BombWaker));
    let polled = bombed
        .as_mut()
        .poll(&mut std::task::Context::from_waker(&waker));
    assert!(polled.is_pending());
    let timer = pool.clone();
    let mut later = pool.spawn(async move { timer.sleep(Duration::from_millis(40)).await });
    assert_eq!(later.join_timeout(HANG), Ok(()));
    drop(bombed);
}
