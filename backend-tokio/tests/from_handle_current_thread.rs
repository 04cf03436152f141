//! `TokioRuntime::from_handle` on a current-thread runtime the test owns:
//! futures run while the owner drives it; it is never shut down from here.

use std::sync::Arc;
use std::time::Duration;

use taskchain_core::{
    AsyncFuture, ChainSettings, Error, Runtime, TaskChain, TaskChainExt, TaskManager,
};
use taskchain_tokio::{make_chain_on, TokioRuntime};

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(10);

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn spawned_futures_and_sleeps_run_when_the_owner_drives_it() {
    let owner = current_thread();
    let runtime = TokioRuntime::from_handle(owner.handle().clone()).unwrap();
    assert_eq!(runtime.threads(), 1);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let sleep = runtime.sleep(Duration::from_millis(1));
    runtime.spawn(Box::pin(async move {
        sleep.await;
        let _ = tx.send(std::thread::current().id());
    }));
    let ran_on = owner.block_on(rx).unwrap();
    // A current-thread runtime runs its tasks on the thread driving it.
    assert_eq!(ran_on, std::thread::current().id());
    // Dropping the borrowed runtime leaves the owner's usable.
    drop(runtime);
    assert_eq!(owner.block_on(async { 7 }), 7);
}

#[test]
fn a_chain_on_a_driven_current_thread_runtime_runs_its_tasks() {
    let owner = current_thread();
    let manager = TaskManager::new();
    let chain = make_chain_on(
        &manager,
        "on-owner",
        ChainSettings::default(),
        owner.handle().clone(),
    )
    .unwrap();
    assert_eq!(chain.settings().num_threads, 1);
    let task = chain.spawn(async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        "slept"
    });
    // Await the handle: blocking this thread would stall the only worker.
    assert_eq!(owner.block_on(task), Ok("slept"));
    // Shut down off the runtime's thread while the owner drives it, so
    // that the workers can see the shutdown and stop.
    let chain2: Arc<dyn TaskChain> = chain.clone();
    owner
        .block_on(async { tokio::task::spawn_blocking(move || chain2.shutdown()).await })
        .unwrap();
    // A shut-down chain takes no more tasks.
    assert_eq!(
        chain.spawn(async {}).result(Some(PATIENCE)),
        Err(Error::Cancelled)
    );
}

#[test]
fn a_runtime_without_timers_is_refused() {
    let owner = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(matches!(
        TokioRuntime::from_handle(owner.handle().clone()),
        Err(Error::InvalidSetting(_))
    ));
}

#[test]
fn a_blocking_wait_on_the_thread_that_drives_it_is_refused_not_a_stall() {
    let owner = current_thread();
    let manager = TaskManager::new();
    let chain = make_chain_on(
        &manager,
        "driven",
        ChainSettings::default(),
        owner.handle().clone(),
    )
    .unwrap();
    // The chain's workers run once the owner drives the runtime.
    assert_eq!(owner.block_on(chain.spawn(async { 1 })), Ok(1));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let waiting = chain.spawn(async move { rx.await.is_ok() });
    // Here, outside `block_on`, and inside it: nothing else drives the
    // runtime, so the wait could only time out.
    assert_eq!(waiting.result(Some(PATIENCE)), Err(Error::WouldDeadlock));
    let any = waiting.as_any();
    assert_eq!(
        owner.block_on(async { any.wait_done(Some(PATIENCE)) }),
        Err(Error::WouldDeadlock)
    );
    assert_eq!(
        chain.wait_for_tasks(Some(PATIENCE)),
        Err(Error::WouldDeadlock)
    );
    // From another thread while the owner drives it, the same wait works.
    let other = std::thread::spawn(move || any.wait_done(Some(PATIENCE)));
    tx.send(()).unwrap();
    assert_eq!(owner.block_on(waiting), Ok(true));
    assert_eq!(other.join().unwrap(), Ok(()));
    let chain2: Arc<dyn TaskChain> = chain.clone();
    owner
        .block_on(async { tokio::task::spawn_blocking(move || chain2.shutdown()).await })
        .unwrap();
}
