//! A chain on a borrowed tokio runtime (`make_chain_on`): the chain is the
//! only owner of its `TokioRuntime` (a handle), but the tokio runtime lives
//! on after the chain's shutdown. A hosted task that a `cancel()` on
//! another thread ends after that shutdown still wakes its host, which
//! completes and lets go of the task and the chain.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskchain_core::{ChainSettings, TaskBuilder, TaskChain, TaskChainExt, TaskManager};

fn wait(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_task_cancelled_across_the_shutdown_frees_its_host_on_a_borrowed_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    // The runtime's one worker is busy: the host is queued, not yet polled.
    let unblock = Arc::new(AtomicBool::new(false));
    let busy = Arc::new(AtomicBool::new(false));
    let (u, b) = (unblock.clone(), busy.clone());
    rt.spawn(async move {
        b.store(true, Ordering::SeqCst);
        while !u.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    wait("the worker is busy", || busy.load(Ordering::SeqCst));
    let manager = TaskManager::new();
    let chain = taskchain_tokio::make_chain_on(
        &manager,
        "borrowed",
        ChainSettings::default().num_threads(2),
        rt.handle().clone(),
    )
    .unwrap();
    let core = Arc::downgrade(chain.core());
    let polled = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let shut = Arc::new(AtomicBool::new(false));
    let (p, st, s) = (polled.clone(), started.clone(), shut.clone());
    let task = chain
        .add_task(
            TaskBuilder::coroutine(async move {
                p.store(true, Ordering::SeqCst);
                std::future::pending::<()>().await;
            })
            .upon_death(move |_| {
                st.store(true, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(5);
                while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }),
        )
        .unwrap();
    // Cancelled on another thread before its host's first poll: the
    // cancel claims it and ends it there; its upon_death outlasts the
    // shutdown.
    let t = task.as_any();
    let canceller = std::thread::spawn(move || t.cancel());
    wait("upon_death runs", || started.load(Ordering::SeqCst));
    // The host's first poll now (given a moment): it keeps its waker and
    // waits for the end.
    unblock.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(200));
    assert!(!polled.load(Ordering::SeqCst), "the claimed task never ran");
    drop((chain, manager));
    shut.store(true, Ordering::SeqCst);
    assert!(canceller.join().unwrap());
    drop(task);
    wait("the host completes and frees the chain core", || {
        core.upgrade().is_none()
    });
    drop(rt);
}
