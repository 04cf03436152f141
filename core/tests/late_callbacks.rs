//! Late done callbacks (registered after a waker of their future) are
//! never lost: not when a threaded chain's runtime drops its worker in the
//! middle of the epoch that should run them, nor when a chain is removed,
//! shut down inside that epoch, or dropped at thread exit; a panicking
//! capture of one breaks no drop. Renames racing the ends of tasks leave
//! no stale name.

mod common;

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use common::{setup, PanicOnDrop};
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    AsyncFuture, ChainSettings, Promise, Runtime, RuntimeFuture, TaskChain, TaskChainExt,
};

/// A runtime whose spawned futures the test polls by hand (`poll_all`)
/// and can drop unfinished (`drop_all`), as a runtime dropped by its owner
/// does: every step of a worker is under the test's control.
#[derive(Default)]
struct ManualRuntime {
    futures: Mutex<Vec<RuntimeFuture>>,
}

struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

impl ManualRuntime {
    /// Polls every spawned future once.
    fn poll_all(&self) {
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut futures = std::mem::take(&mut *self.futures.lock().unwrap());
        futures.retain_mut(|f| f.as_mut().poll(&mut cx).is_pending());
        self.futures.lock().unwrap().append(&mut futures);
    }

    /// Drops every spawned future unfinished.
    fn drop_all(&self) {
        let futures = std::mem::take(&mut *self.futures.lock().unwrap());
        drop(futures);
    }
}

impl Runtime for ManualRuntime {
    fn name(&self) -> &str {
        "manual"
    }
    fn threads(&self) -> usize {
        1
    }
    fn spawn(&self, future: RuntimeFuture) {
        self.futures.lock().unwrap().push(future);
    }
    fn sleep(&self, _duration: Duration) -> RuntimeFuture {
        Box::pin(std::future::pending())
    }
}

/// A threaded chain with one worker on a `ManualRuntime`, whose worker is
/// left mid-epoch (it yielded to its runtime after its quota of runs)
/// with a late done callback taken for that epoch: the callback counts
/// its runs in `calls` and its capture is `capture`.
fn worker_left_mid_epoch_with_a_late_callback<C: Send + 'static>(
    manager: &taskchain_core::TaskManager,
    calls: &Arc<AtomicUsize>,
    capture: C,
) -> (Arc<ManualRuntime>, Arc<taskchain_core::ThreadedChain>) {
    let runtime = Arc::new(ManualRuntime::default());
    let chain = manager
        .make_threaded_chain(
            "manual",
            ChainSettings::default().num_threads(1),
            runtime.clone(),
        )
        .unwrap();
    let p = chain.promise::<u32>();
    let waiting = chain.spawn(p.clone());
    runtime.poll_all();
    assert!(!waiting.is_done(), "suspended on the promise");
    // Registered after the task's waker: a late callback.
    let c = calls.clone();
    p.add_done_callback(move |_| {
        let _keep = &capture;
        bump(&c);
    })
    .unwrap();
    p.set_result(1).unwrap();
    // More runs than a worker makes per poll of its runtime, all in the
    // epoch that takes the late callback.
    for _ in 0..200 {
        chain.spawn(async {});
    }
    runtime.poll_all();
    assert_eq!(get(calls), 0, "the epoch is still open: not run yet");
    (runtime, chain)
}

// A late done callback due at the end of a threaded chain's epoch runs
// when the runtime drops the worker in the middle of that epoch: it stays
// in the chain's queue until the epoch closes, so the chain's close runs
// it.
#[test]
fn late_callback_taken_by_a_worker_runs_when_its_runtime_drops_the_worker() {
    let (_clock, manager) = setup();
    let calls = counter();
    let (runtime, chain) = worker_left_mid_epoch_with_a_late_callback(&manager, &calls, ());
    runtime.drop_all();
    assert!(chain
        .add_task(taskchain_core::TaskBuilder::coroutine(async {}))
        .is_err());
    manager.remove_chain("manual").unwrap();
    drop(chain);
    drop(runtime);
    assert_eq!(get(&calls), 1, "the late callback ran once, at the close");
}

// The same, its capture's `Drop` panicking: the panic escapes no drop.
#[test]
fn stranded_late_callback_with_a_panicking_capture_does_not_panic_the_chain_drop() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let calls = counter();
    let (runtime, chain) = worker_left_mid_epoch_with_a_late_callback(
        &manager,
        &calls,
        PanicOnDrop("boom: late callback capture"),
    );
    runtime.drop_all();
    manager.remove_chain("manual").unwrap();
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        drop(chain);
        drop(runtime);
        drop(manager);
    }));
    assert!(dropped.is_ok(), "dropping the chain panicked");
}

/// A frame-chain task suspended on `p` (its waker registered), then a done
/// callback on `p` registered after it (a late one) counting in `calls`,
/// then `p` completed: the callback waits for the chain's next epoch.
fn queue_late_callback_on_frame_chain(
    chain: &Arc<taskchain_core::FrameChain>,
    calls: &Arc<AtomicUsize>,
) -> taskchain_core::TaskHandle<Result<u32, taskchain_core::Error>> {
    let p: Promise<u32> = chain.promise();
    let waiting = chain.spawn(p.clone());
    chain.poll().unwrap();
    let c = calls.clone();
    p.add_done_callback(move |_| {
        bump(&c);
    })
    .unwrap();
    p.set_result(1).unwrap();
    waiting
}

// A late callback of a frame chain removed before its next poll runs
// at the close.
#[test]
fn late_callback_of_a_removed_frame_chain_runs_once() {
    let (_clock, manager) = setup();
    let chain = manager.make_task_chain("b").unwrap();
    let calls = counter();
    let _waiting = queue_late_callback_on_frame_chain(&chain, &calls);
    manager.remove_chain("b").unwrap();
    assert_eq!(get(&calls), 1);
    drop(chain);
    assert_eq!(get(&calls), 1);
}

// A late callback queued, then the chain polled once and shut down
// from inside that poll (by the woken task): it runs once.
#[test]
fn late_callback_runs_once_when_its_epoch_shuts_the_chain_down() {
    let (_clock, manager) = setup();
    let chain = manager.make_task_chain("b").unwrap();
    let calls = counter();
    let p: Promise<u32> = chain.promise();
    let c2 = chain.clone();
    let waiting = chain.spawn({
        let p = p.clone();
        async move {
            let _ = p.await;
            c2.shutdown();
        }
    });
    chain.poll().unwrap();
    let c = calls.clone();
    p.add_done_callback(move |_| {
        bump(&c);
    })
    .unwrap();
    p.set_result(1).unwrap();
    chain.poll().unwrap();
    assert!(waiting.is_done());
    assert_eq!(get(&calls), 1);
    let _ = chain.poll();
    drop(chain);
    assert_eq!(get(&calls), 1);
}

// A manager in a `thread_local!`, dropped at thread exit with a task
// suspended on a promise (hook published), a late done callback, a
// call_later and a group joining: the thread ends without a panic, the
// late callback and the call_later's capture are each dealt with once.
#[test]
fn thread_local_manager_dropped_at_thread_exit_with_everything_pending() {
    thread_local! {
        static MANAGER: std::cell::RefCell<Option<taskchain_core::TaskManager>> =
            const { std::cell::RefCell::new(None) };
    }
    struct CountOnDrop(Arc<AtomicUsize>);
    impl Drop for CountOnDrop {
        fn drop(&mut self) {
            bump(&self.0);
        }
    }
    let calls = counter();
    let later_dropped = counter();
    let (c, l) = (calls.clone(), later_dropped.clone());
    std::thread::spawn(move || {
        let (_clock, manager) = setup();
        let chain = manager.make_task_chain("b").unwrap();
        let keep = CountOnDrop(l);
        manager
            .call_later(Duration::from_secs(100), move || drop(keep))
            .unwrap();
        let gate: Promise<u32> = manager.promise();
        let g = gate.clone();
        manager.spawn(async move {
            let group = taskchain_core::TaskGroup::<u32>::new();
            group.spawn(async move { g.await.unwrap_or(0) }).unwrap();
            let _ = group.join().await;
        });
        manager.poll().unwrap();
        // Last: no poll of the manager may run the late callback.
        let _waiting = queue_late_callback_on_frame_chain(&chain, &c);
        MANAGER.with(|m| *m.borrow_mut() = Some(manager));
    })
    .join()
    .expect("the thread ended without a panic");
    assert_eq!(get(&calls), 1, "the late callback ran at the close");
    assert_eq!(get(&later_dropped), 1, "the call_later's capture was freed");
}

// Renames from another thread racing the tasks' ends leave nothing in
// the name index: no finds, `remove_by_name` counts 0.
#[test]
fn renames_racing_task_ends_leave_no_stale_names() {
    let (_clock, manager) = setup();
    let chain = manager.default_chain();
    for round in 0..50 {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let h = chain.spawn(async {});
                h.set_name(&format!("start-{round}-{i}"));
                h
            })
            .collect();
        let renamer = {
            let handles: Vec<_> = handles.iter().map(|h| h.as_any()).collect();
            std::thread::spawn(move || {
                for (i, h) in handles.iter().enumerate() {
                    h.set_name(&format!("racer-{}", i % 3));
                    h.set_name(&format!("racer-{}", i % 3));
                }
            })
        };
        manager.poll().unwrap();
        renamer.join().unwrap();
        assert!(handles.iter().all(|h| h.is_done()));
        for n in 0..3 {
            let name = format!("racer-{n}");
            assert!(manager.find_tasks(&name).is_empty(), "stale {name}");
            assert_eq!(manager.remove_by_name(&name), 0);
        }
        assert!(manager.find_tasks_matching("start-*").is_empty());
    }
}
