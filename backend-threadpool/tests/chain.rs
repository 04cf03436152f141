//! Threaded task chains on a pool of their own (`make_chain`).

mod common;

use std::time::Duration;

use common::{os_thread_names, settle};
use taskchain_core::{
    pause, AsyncFuture, ChainSettings, Error, TaskChain, TaskChainExt, TaskManager,
};
use taskchain_threadpool::make_chain;

fn alive(prefix: &str) -> usize {
    os_thread_names().map_or(0, |names| {
        names.iter().filter(|n| n.starts_with(prefix)).count()
    })
}

#[test]
fn a_coroutine_on_a_threadpool_chain_runs_on_the_chains_threads() {
    let manager = TaskManager::new();
    let chain = make_chain(&manager, "c1", ChainSettings::default().num_threads(2)).unwrap();
    let task = chain.spawn(async {
        pause(Duration::from_micros(200)).await?;
        Ok::<_, Error>(std::thread::current().name().map(str::to_owned))
    });
    let name = task.result(None).unwrap().unwrap().unwrap();
    assert!(
        name == "taskchain-c1-0" || name == "taskchain-c1-1",
        "{name}"
    );
    // A thread names itself once it runs: wait for the timer's name.
    settle("the chain's pool started", || alive("taskchain-c1-") == 3);
    chain.shutdown();
    settle("the chain's pool stopped", || alive("taskchain-c1-") == 0);
}
