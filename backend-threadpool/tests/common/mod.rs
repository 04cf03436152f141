//! Helpers the thread pool's test files share beyond the test kit
//! (`taskchain_conformance::kit`).
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use taskchain_conformance::kit::valgrind::under_valgrind;

/// A bound for waits that should end almost at once: reaching it is a
/// failure (a hang), not a timing measurement.
pub const HANG: Duration = Duration::from_secs(30);

/// `n`, or a small fraction of it under valgrind, where every operation is
/// ~50x slower.
pub fn scaled(n: usize) -> usize {
    if under_valgrind() {
        (n / 50).max(10)
    } else {
        n
    }
}

/// A waker that does nothing.
pub fn noop_waker() -> Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    Waker::from(Arc::new(Noop))
}

/// Polls `future` once with a waker that does nothing.
pub fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    let waker = noop_waker();
    Pin::new(future).poll(&mut Context::from_waker(&waker))
}

/// Yields to the executor once.
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// The names of this process's threads as the OS shows them (the first
/// 15 bytes), where the OS tells (Linux).
pub fn os_thread_names() -> Option<Vec<String>> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let mut names = Vec::new();
    for task in tasks.flatten() {
        if let Ok(comm) = std::fs::read_to_string(task.path().join("comm")) {
            names.push(comm.trim_end().to_owned());
        }
    }
    Some(names)
}

/// Waits until `done()` holds, looking every millisecond; panics after
/// [`HANG`] (a hang, not a slow run).
pub fn settle(what: &str, mut done: impl FnMut() -> bool) {
    let give_up = std::time::Instant::now() + HANG;
    while !done() {
        assert!(std::time::Instant::now() < give_up, "never settled: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A threaded chain over a fresh `ThreadPool` with as many workers as the
/// chain, for the shared suites.
pub fn on_pool(workers: usize) -> taskchain_conformance::ThreadedChainFactory {
    taskchain_conformance::ThreadedChainFactory::new("threadpool", workers, move || {
        let pool = taskchain_threadpool::ThreadPool::builder()
            .threads(workers)
            .name("suite")
            .build()
            .unwrap_or_else(|e| panic!("cannot build a thread pool: {e}"));
        Arc::new(pool) as Arc<dyn taskchain_core::Runtime>
    })
}
