//! A coroutine on a chain from `make_chain` runs inside the tokio runtime:
//! it can await tokio's timer and channels.

use std::time::Duration;

use taskchain_core::TaskChainExt;
use taskchain_core::{pause, AsyncFuture, ChainSettings, Error, TaskChain, TaskManager};
use taskchain_tokio::make_chain;

/// A hang guard, not a timing expectation.
const PATIENCE: Option<Duration> = Some(Duration::from_secs(10));

#[test]
fn a_coroutine_awaits_tokio_sleep_and_a_oneshot() {
    let manager = TaskManager::new();
    let chain = make_chain(&manager, "tokio", ChainSettings::default().num_threads(2)).unwrap();
    assert_eq!(chain.runtime_name(), "tokio");
    let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
    let task = chain.spawn(async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let n = rx.await.unwrap_or(0);
        pause(Duration::from_millis(1)).await?;
        let name = std::thread::current().name().map(str::to_owned);
        Ok::<_, Error>((n, name))
    });
    std::thread::spawn(move || tx.send(21))
        .join()
        .unwrap()
        .unwrap();
    let (n, name) = task.result(PATIENCE).unwrap().unwrap();
    assert_eq!(n, 21);
    assert!(name.unwrap().starts_with("taskchain-tokio-"));
    chain.shutdown();
}
