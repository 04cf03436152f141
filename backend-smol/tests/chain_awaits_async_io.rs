//! A coroutine on a chain from `make_chain` can await async-io's timer, on
//! the runtime's threads.

use std::time::Duration;

use taskchain_core::{pause, AsyncFuture, ChainSettings, Error, TaskChainExt, TaskManager};
use taskchain_smol::make_chain;

/// A hang guard, not a timing expectation.
const PATIENCE: Option<Duration> = Some(Duration::from_secs(10));

#[test]
fn a_coroutine_awaits_an_async_io_timer_and_a_promise() {
    let manager = TaskManager::new();
    let chain = make_chain(&manager, "smol", ChainSettings::default().num_threads(2)).unwrap();
    assert_eq!(chain.runtime_name(), "smol");
    let promise = chain.promise::<u32>();
    let task = {
        let promise = promise.clone();
        chain.spawn(async move {
            async_io::Timer::after(Duration::from_millis(1)).await;
            let n = promise.await?;
            pause(Duration::from_millis(1)).await?;
            let name = std::thread::current().name().map(str::to_owned);
            Ok::<_, Error>((n, name))
        })
    };
    std::thread::spawn(move || promise.set_result(21))
        .join()
        .unwrap()
        .unwrap();
    let (n, name) = task.result(PATIENCE).unwrap().unwrap();
    assert_eq!(n, 21);
    assert!(name.unwrap().starts_with("taskchain-smol-"));
}
