//! A chain on a borrowed runtime whose owner drops the runtime: the chain
//! cancels what it holds and refuses new work with `RuntimeGone`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use taskchain_core::{
    AsyncFuture, ChainSettings, Error, TaskBuilder, TaskChain, TaskChainExt, TaskManager,
};
use taskchain_tokio::make_chain_on;

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(10);

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

// regression: after the owner dropped the runtime, the chain kept tasks
// that never ran or ended, and took new ones.
#[test]
fn dropping_the_borrowed_runtime_cancels_held_tasks_and_refuses_new_ones() {
    let owner = multi_thread();
    let manager = TaskManager::new();
    let chain = make_chain_on(
        &manager,
        "borrowed",
        ChainSettings::default().num_threads(2),
        owner.handle().clone(),
    )
    .unwrap();
    let died = Arc::new(AtomicUsize::new(0));
    // One suspended on a tokio channel, one waiting on a promise nobody
    // sets, one sleeping in the chain's timer heap.
    let (_keep, never_sent) = tokio::sync::oneshot::channel::<u8>();
    let on_tokio_channel = chain.spawn(never_sent);
    let never = chain.promise::<u8>();
    let waiting = chain.spawn(never.clone());
    let counted = died.clone();
    let delayed = chain
        .add_task(
            TaskBuilder::coroutine(async {})
                .delay(Duration::from_secs(3600))
                .upon_death(move |_| {
                    counted.fetch_add(1, Ordering::SeqCst);
                }),
        )
        .unwrap();
    // Wait until the first two have run and suspended.
    let started = chain.spawn(async {});
    assert_eq!(started.result(Some(PATIENCE)), Ok(()));

    drop(owner);

    assert_eq!(
        on_tokio_channel.result(Some(PATIENCE)),
        Err(Error::Cancelled)
    );
    assert_eq!(waiting.result(Some(PATIENCE)), Err(Error::Cancelled));
    assert_eq!(delayed.result(Some(PATIENCE)), Err(Error::Cancelled));
    assert_eq!(died.load(Ordering::SeqCst), 1, "upon_death ran once");
    assert_eq!(chain.stats().total(), 0);
    assert_eq!(
        chain.add_task(TaskBuilder::coroutine(async { 1 })).err(),
        Some(Error::RuntimeGone)
    );
    assert_eq!(
        manager
            .add_task(TaskBuilder::coroutine(async { 1 }).chain("borrowed"))
            .err(),
        Some(Error::RuntimeGone)
    );
    // `spawn` has no error to return: its handle is cancelled at once.
    let late = chain.spawn(async { 2 });
    assert_eq!(late.result(Some(PATIENCE)), Err(Error::Cancelled));
    assert_eq!(chain.stats().total(), 0);
    // The manager and its other chains go on.
    let on_default = manager.spawn(async { 3 });
    assert_eq!(manager.run_until(&on_default), Ok(3));
    manager.shutdown();
}

// regression: the same on a current-thread runtime, whose drop drops the
// chain's workers on the dropping thread.
#[test]
fn dropping_a_current_thread_runtime_cancels_the_chain_too() {
    let owner = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let manager = TaskManager::new();
    let chain = make_chain_on(
        &manager,
        "on-owner",
        ChainSettings::default(),
        owner.handle().clone(),
    )
    .unwrap();
    let first = chain.spawn(async { 1 });
    assert_eq!(owner.block_on(first), Ok(1));
    let (_keep, never_sent) = tokio::sync::oneshot::channel::<u8>();
    let pending = chain.spawn(never_sent);
    drop(owner);
    assert_eq!(pending.result(Some(PATIENCE)), Err(Error::Cancelled));
    assert_eq!(
        chain.add_task(TaskBuilder::coroutine(async {})).err(),
        Some(Error::RuntimeGone)
    );
    manager.shutdown();
}

#[test]
fn a_chain_shut_down_before_its_runtime_says_shutdown_not_runtime_gone() {
    let owner = multi_thread();
    let manager = TaskManager::new();
    let chain = make_chain_on(
        &manager,
        "first",
        ChainSettings::default().num_threads(1),
        owner.handle().clone(),
    )
    .unwrap();
    chain.shutdown();
    drop(owner);
    // Accepted and cancelled at once, as on any shut-down chain.
    let late = chain.add_task(TaskBuilder::coroutine(async {})).unwrap();
    assert_eq!(late.result(Some(PATIENCE)), Err(Error::Cancelled));
    manager.shutdown();
}
