//! Shutdown: with futures queued, sleeping, waiting on nothing and running,
//! it returns, joins every thread and drops every future.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{os_thread_names, scaled, settle, HANG};
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_core::Error;
use taskchain_threadpool::ThreadPool;

fn pool_threads_alive(prefix: &str) -> usize {
    os_thread_names().map_or(0, |names| {
        names.iter().filter(|n| n.starts_with(prefix)).count()
    })
}

#[test]
fn shutdown_with_queued_sleeping_waiting_and_running_futures_drops_them_all() {
    let pool = ThreadPool::builder()
        .threads(2)
        .name("tp-shut")
        .build()
        .unwrap();
    let drops = DropCounter::default();

    // Sleeping on the pool's timer.
    let sleeping: Vec<_> = (0..scaled(500))
        .map(|_| {
            let token = drops.token();
            let timer = pool.clone();
            pool.spawn(async move {
                let _token = token;
                timer.sleep(Duration::from_secs(3600)).await;
            })
        })
        .collect();
    // Waiting on something nobody will ever wake.
    let waiting: Vec<_> = (0..scaled(500))
        .map(|_| {
            let token = drops.token();
            pool.spawn(async move {
                let _token = token;
                std::future::pending::<()>().await;
            })
        })
        .collect();
    let sleepers = sleeping.len();
    settle("the sleepers registered", || {
        pool.timer_entries() == sleepers
    });

    // Running: both workers blocked inside a poll until released.
    let (started_tx, started_rx) = mpsc::channel();
    let mut releases = Vec::new();
    let running: Vec<_> = (0..2)
        .map(|_| {
            let (release_tx, release_rx) = mpsc::channel::<()>();
            releases.push(release_tx);
            let started = started_tx.clone();
            let token = drops.token();
            pool.spawn(async move {
                let _token = token;
                started.send(()).unwrap();
                let _ = release_rx.recv_timeout(HANG);
                std::future::pending::<()>().await;
            })
        })
        .collect();
    for _ in 0..2 {
        started_rx.recv_timeout(HANG).unwrap();
    }

    // Queued: no worker is free to take them.
    let queued: Vec<_> = (0..scaled(1_000))
        .map(|_| {
            let token = drops.token();
            pool.spawn(async move {
                let _token = token;
                unreachable!("a queued future ran although every worker was blocked");
            })
        })
        .collect();

    let total = sleeping.len() + waiting.len() + running.len() + queued.len();
    assert_eq!(pool.live_tasks(), total);
    // A thread names itself once it runs: wait for the timer's name.
    settle("the pool started", || pool_threads_alive("tp-shut") == 3);

    // Releases the running futures once shutdown has begun (it waits for
    // their workers).
    let watcher = {
        let pool = pool.clone();
        std::thread::spawn(move || {
            settle("shutdown began", || pool.is_shutdown());
            drop(releases);
        })
    };
    pool.shutdown();
    watcher.join().unwrap();

    assert_eq!(drops.dropped(), total);
    assert_eq!(pool.live_tasks(), 0);
    assert_eq!(pool.live_threads(), 0);
    assert_eq!(pool.timer_entries(), 0);
    // Joined; the OS lists a joined thread a moment longer.
    settle("the threads left the OS list", || {
        pool_threads_alive("tp-shut") == 0
    });
    for handle in sleeping
        .into_iter()
        .chain(waiting)
        .chain(running)
        .chain(queued)
    {
        assert_eq!(handle.join(), Err(Error::Shutdown));
    }
}

#[test]
fn dropping_the_last_handle_shuts_down_at_once() {
    for _ in 0..scaled(20) {
        let pool = ThreadPool::builder()
            .threads(2)
            .name("tp-last")
            .build()
            .unwrap();
        let drops = DropCounter::default();
        let n = 20;
        for _ in 0..n {
            let token = drops.token();
            // A Sleep holds the timer, not the pool: the tasks hold no
            // handle that would keep the pool up.
            let sleep = pool.sleep(Duration::from_secs(3600));
            pool.spawn(async move {
                let _token = token;
                sleep.await;
            })
            .detach();
        }
        drop(pool);
        assert_eq!(drops.dropped(), n);
        // Joined; the OS lists a joined thread a moment longer.
        settle("the threads left the OS list", || {
            pool_threads_alive("tp-last") == 0
        });
    }
}

#[test]
fn shutdown_from_inside_a_task_returns_and_the_pool_stops() {
    let pool = ThreadPool::builder()
        .threads(2)
        .name("tp-self")
        .build()
        .unwrap();
    let drops = DropCounter::default();
    for _ in 0..10 {
        let token = drops.token();
        pool.spawn(async move {
            let _token = token;
            std::future::pending::<()>().await;
        })
        .detach();
    }
    let inner = pool.clone();
    let mut stopper = pool.spawn(async move {
        inner.shutdown();
        "stopped from inside"
    });
    assert_eq!(stopper.join_timeout(HANG), Ok("stopped from inside"));
    settle("every thread stopped", || pool.live_threads() == 0);
    assert_eq!(drops.dropped(), 10);
    assert!(pool.is_shutdown());
}
