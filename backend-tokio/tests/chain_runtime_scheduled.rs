//! A tokio chain that hands tokio its coroutines of sort 0 (two workers on
//! a two-thread runtime): each runs in a tokio task of its own, and every
//! guarantee of the chain holds for them (the checks are the conformance
//! crate's), also when the runtime's owner drops it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use taskchain_conformance::runtime_scheduled::eventually;
use taskchain_core::{
    next_frame, AsyncFuture, ChainSettings, Error, TaskBuilder, TaskChain, TaskChainExt,
    TaskManager,
};

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(10);

taskchain_conformance::runtime_scheduled_tests!(|manager, name, settings| {
    taskchain_tokio::make_chain(manager, name, settings).unwrap()
});

/// The owner drops the tokio runtime under a chain whose coroutines run
/// in tokio tasks (suspended on tokio, on the chain, yielding for ever):
/// every task ends cancelled once, the chain reports `RuntimeGone`, and
/// its core is freed.
#[test]
fn dropping_the_runtime_under_runtime_scheduled_coroutines() {
    let owner = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let manager = TaskManager::new();
    let chain = taskchain_tokio::make_chain_on(
        &manager,
        "borrowed",
        ChainSettings::default().num_threads(2),
        owner.handle().clone(),
    )
    .unwrap();
    let deaths = Arc::new(AtomicUsize::new(0));
    let (_keep, never_sent) = tokio::sync::oneshot::channel::<u8>();
    let never_sent = Arc::new(std::sync::Mutex::new(Some(never_sent)));
    let never = chain.promise::<u8>();
    let handles: Vec<_> = (0..30)
        .map(|i| {
            let d = deaths.clone();
            let p = never.clone();
            let rx = never_sent.clone();
            chain
                .add_task(
                    TaskBuilder::coroutine(async move {
                        let taken = rx.lock().unwrap().take();
                        match i % 3 {
                            0 => loop {
                                next_frame().await;
                            },
                            1 => {
                                let _ = p.await;
                            }
                            _ => match taken {
                                Some(rx) => drop(rx.await),
                                None => tokio::time::sleep(Duration::from_secs(3600)).await,
                            },
                        }
                    })
                    .upon_death(move |_| {
                        d.fetch_add(1, Ordering::SeqCst);
                    }),
                )
                .unwrap()
        })
        .collect();
    assert_eq!(chain.spawn(async { 1 }).result(Some(PATIENCE)), Ok(1));

    drop(owner);

    for task in &handles {
        assert_eq!(
            task.as_any().wait_done(Some(PATIENCE)),
            Err(Error::Cancelled)
        );
    }
    assert_eq!(deaths.load(Ordering::SeqCst), 30);
    assert_eq!(
        chain.add_task(TaskBuilder::coroutine(async {})).err(),
        Some(Error::RuntimeGone)
    );
    let weak = Arc::downgrade(chain.core());
    drop(handles);
    drop(never);
    manager.remove_chain("borrowed").unwrap();
    drop(chain);
    drop(manager);
    eventually("the chain core is freed", || weak.strong_count() == 0);
    assert_eq!(deaths.load(Ordering::SeqCst), 30);
}
