//! The `async-std` feature: `AsyncStdRuntime` runs futures and sleeps on
//! async-std's global runtime, and a chain on it can await async-std's
//! timer.
#![cfg(feature = "async-std")]

use std::sync::mpsc;
use std::time::Duration;

use taskchain_core::{
    pause, AsyncFuture, ChainSettings, Error, Runtime, TaskChain, TaskChainExt, TaskManager,
};
use taskchain_smol::{make_async_std_chain, AsyncStdRuntime};

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn spawned_futures_and_sleeps_run() {
    let runtime = AsyncStdRuntime;
    assert_eq!(runtime.name(), "async-std");
    assert!(runtime.threads() >= 1);
    let (tx, rx) = mpsc::channel();
    for i in 0..10 {
        let sleep = runtime.sleep(Duration::from_millis(1));
        let tx = tx.clone();
        runtime.spawn(Box::pin(async move {
            sleep.await;
            let _ = tx.send(i);
        }));
    }
    let mut seen: Vec<i32> = (0..10)
        .map(|_| rx.recv_timeout(PATIENCE).unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
}

#[test]
fn a_chain_awaits_async_std_sleep_and_shuts_down() {
    let manager = TaskManager::new();
    let chain = make_async_std_chain(
        &manager,
        "async-std",
        ChainSettings::default().num_threads(2),
    )
    .unwrap();
    assert_eq!(chain.runtime_name(), "async-std");
    let task = chain.spawn(async {
        async_std::task::sleep(Duration::from_millis(1)).await;
        pause(Duration::from_millis(1)).await?;
        Ok::<_, Error>("slept")
    });
    assert_eq!(task.result(Some(PATIENCE)), Ok(Ok("slept")));
    let stuck = chain.spawn(std::future::pending::<()>());
    chain.shutdown();
    assert_eq!(stuck.result(Some(PATIENCE)), Err(Error::Cancelled));
}

#[test]
fn zero_threads_means_one_worker_per_runtime_thread() {
    let manager = TaskManager::new();
    let chain = make_async_std_chain(&manager, "all", ChainSettings::default()).unwrap();
    assert_eq!(chain.settings().num_threads, AsyncStdRuntime.threads());
}
