//! A threaded chain whose runtime goes away under it (any `Runtime`, not
//! only tokio's): it cancels what it holds and refuses new work with
//! `RuntimeGone`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle;
use std::time::Duration;

use common::setup;
use taskchain_core::{
    AsyncFuture, ChainSettings, Error, Runtime, RuntimeFuture, TaskBuilder, TaskChain,
    TaskChainExt, TaskManager, ThreadedChain,
};

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(120);

/// A runtime that its owner can close: each spawned future runs on a
/// thread of its own until it finishes or the runtime is closed, which
/// drops it unfinished (as a runtime dropped by its owner does).
#[derive(Default)]
struct ClosableRuntime {
    closed: Arc<AtomicBool>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

impl ClosableRuntime {
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let threads = std::mem::take(&mut *self.threads.lock().unwrap());
        for thread in threads {
            thread.thread().unpark();
            thread.join().unwrap();
        }
    }
}

impl Runtime for ClosableRuntime {
    fn name(&self) -> &str {
        "closable"
    }
    fn threads(&self) -> usize {
        1
    }
    fn spawn(&self, mut future: RuntimeFuture) {
        if self.closed.load(Ordering::SeqCst) {
            return;
        }
        let closed = self.closed.clone();
        let thread = std::thread::spawn(move || {
            let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
            let mut cx = Context::from_waker(&waker);
            while !closed.load(Ordering::SeqCst) {
                if let Poll::Ready(()) = future.as_mut().poll(&mut cx) {
                    return;
                }
                std::thread::park();
            }
            // Closed: the future is dropped unfinished, here.
        });
        self.threads.lock().unwrap().push(thread);
    }
    fn sleep(&self, duration: Duration) -> RuntimeFuture {
        common::ThreadRuntime.sleep(duration)
    }
}

/// A one-worker chain of `manager` on a runtime the test can close.
fn closable_chain(manager: &TaskManager) -> (Arc<ClosableRuntime>, Arc<ThreadedChain>) {
    let runtime = Arc::new(ClosableRuntime::default());
    let chain = manager
        .make_threaded_chain(
            "closable",
            ChainSettings::default().num_threads(1),
            runtime.clone(),
        )
        .unwrap();
    (runtime, chain)
}

// regression: a chain on a runtime that went away kept accepting tasks
// that never ran or ended.
#[test]
fn a_closed_runtime_cancels_the_chain_and_add_task_is_runtime_gone() {
    let (_clock, manager) = setup();
    let (runtime, chain) = closable_chain(&manager);
    let gate = chain.promise::<u8>();
    let waiting = chain.spawn(gate.clone());
    let ran = chain.spawn(async { 1 });
    assert_eq!(ran.result(Some(PATIENCE)), Ok(1));

    runtime.close();

    assert_eq!(waiting.result(Some(PATIENCE)), Err(Error::Cancelled));
    assert_eq!(
        chain.add_task(TaskBuilder::coroutine(async {})).err(),
        Some(Error::RuntimeGone)
    );
    assert_eq!(
        chain.spawn(async { 2 }).result(Some(PATIENCE)),
        Err(Error::Cancelled)
    );
    assert_eq!(chain.stats().total(), 0);
    // Removing the chain frees its name for a chain on a working runtime.
    manager.remove_chain("closable").unwrap();
    let again = common::threaded(&manager, ChainSettings::default(), 1);
    assert_eq!(again.spawn(async { 3 }).result(Some(PATIENCE)), Ok(3));
    manager.shutdown();
}

#[test]
fn a_runtime_that_drops_the_workers_at_once_is_runtime_gone() {
    let (_clock, manager) = setup();
    let runtime = Arc::new(ClosableRuntime::default());
    runtime.close();
    let made =
        manager.make_threaded_chain("closed", ChainSettings::default().num_threads(2), runtime);
    assert_eq!(made.err(), Some(Error::RuntimeGone));
    assert!(matches!(
        manager.find_chain("closed"),
        Err(Error::UnknownChain(_))
    ));
}

#[test]
fn a_chain_shut_down_before_its_runtime_closes_is_plainly_shut_down() {
    let (_clock, manager) = setup();
    let (runtime, chain) = closable_chain(&manager);
    chain.shutdown();
    runtime.close();
    // Accepted and cancelled at once, as on any shut-down chain.
    let late = chain.add_task(TaskBuilder::coroutine(async {})).unwrap();
    assert_eq!(late.result(Some(PATIENCE)), Err(Error::Cancelled));
}
