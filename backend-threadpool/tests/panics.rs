//! A panicking future surfaces in its handle; the worker survives.

mod common;

use common::HANG;
use taskchain_core::Error;
use taskchain_threadpool::ThreadPool;

#[test]
fn a_panic_comes_out_of_the_handle_and_the_single_worker_runs_on() {
    // One worker: if the panic killed it, nothing below would run.
    let pool = ThreadPool::new(1).unwrap();
    let mut boom = pool.spawn(async {
        if std::hint::black_box(true) {
            panic!("boom");
        }
        1
    });
    assert_eq!(boom.join_timeout(HANG), Err(Error::Panicked("boom".into())));
    // The output was handed out once.
    assert_eq!(boom.join_timeout(HANG), Err(Error::AlreadyTaken));

    let formatted = pool.spawn(async {
        let n = std::hint::black_box(3);
        if n == 3 {
            panic!("formatted {n}");
        }
    });
    assert_eq!(formatted.join(), Err(Error::Panicked("formatted 3".into())));

    let handles: Vec<_> = (0..100).map(|i| pool.spawn(async move { i * 2 })).collect();
    let sum: i32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(sum, 9900);
}

#[test]
fn a_detached_panicking_future_is_dropped_quietly_and_work_goes_on() {
    let pool = ThreadPool::new(1).unwrap();
    for _ in 0..10 {
        pool.spawn(async {
            if std::hint::black_box(true) {
                panic!("nobody is listening");
            }
        })
        .detach();
    }
    assert_eq!(pool.spawn(async { "still here" }).join(), Ok("still here"));
}

#[test]
fn a_panic_awaited_from_another_task_is_a_value_there_too() {
    let pool = ThreadPool::new(2).unwrap();
    let spawner = pool.clone();
    let outer = pool.spawn(async move {
        let inner = spawner.spawn(async {
            if std::hint::black_box(true) {
                panic!("inner");
            }
        });
        inner.await
    });
    assert_eq!(outer.join(), Ok(Err(Error::Panicked("inner".into()))));
}
