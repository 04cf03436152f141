//! Helpers the core's integration tests share beyond the test kit
//! (`taskchain_conformance::kit`): a manager on a manual clock, tasks that
//! count or log their runs, a minimal threaded runtime, bounded waits.
//!
//! Every test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use taskchain_conformance::kit::counters::bump;
use taskchain_conformance::kit::log::{drain, recorder, Log};
use taskchain_core::{
    ChainSettings, DoneStatus, ManualClock, TaskBuilder, TaskChain, TaskContext, TaskHandle,
    TaskManager,
};

/// A manager on a fresh manual clock.
pub fn setup() -> (ManualClock, TaskManager) {
    let clock = ManualClock::new();
    let manager = TaskManager::with_clock(clock.clone());
    (clock, manager)
}

/// A manager on `clock` whose default chain is configured with `settings`.
pub fn setup_with(clock: ManualClock, settings: ChainSettings) -> (ManualClock, TaskManager) {
    let manager = TaskManager::with_clock(clock.clone());
    manager.default_chain().configure(settings).unwrap();
    (clock, manager)
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Polls `manager` `n` times, each poll succeeding.
pub fn poll_n(manager: &TaskManager, n: usize) {
    for _ in 0..n {
        manager.poll().unwrap();
    }
}

/// A recurring task that counts its runs in `runs` and returns `status`.
pub fn counting(
    runs: &Arc<AtomicUsize>,
    status: DoneStatus,
) -> impl FnMut(&TaskContext<'_>) -> DoneStatus + Send + 'static {
    let runs = runs.clone();
    move |_: &TaskContext<'_>| {
        bump(&runs);
        status
    }
}

/// Panics with its message when dropped: a task's work, output or a
/// callback's capture whose destructor panics (start the message with
/// "boom:" to keep it quiet).
pub struct PanicOnDrop(pub &'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// Polls `manager` once; what `log` holds by then, leaving it empty.
pub fn poll_and_drain(manager: &TaskManager, log: &Log) -> Vec<String> {
    manager.poll().unwrap();
    drain(log)
}

/// Adds a task named `name` that logs its name on every run, forever.
pub fn add_recorder(
    manager: &TaskManager,
    log: &Log,
    name: &str,
    sort: i32,
    priority: i32,
) -> TaskHandle<()> {
    manager
        .add_task(
            TaskBuilder::recurring(recorder(log, name, DoneStatus::Cont))
                .name(name)
                .sort(sort)
                .priority(priority),
        )
        .unwrap()
}

/// A minimal runtime for threaded-chain tests: each spawned future gets a
/// thread that blocks on it; each sleep a thread that wakes it. Slow, but
/// independent of any backend.
pub struct ThreadRuntime;

impl taskchain_core::Runtime for ThreadRuntime {
    fn name(&self) -> &str {
        "test-threads"
    }
    fn threads(&self) -> usize {
        2
    }
    fn spawn(&self, future: taskchain_core::RuntimeFuture) {
        std::thread::spawn(move || block_on(future));
    }
    fn sleep(&self, duration: Duration) -> taskchain_core::RuntimeFuture {
        let at = std::time::Instant::now() + duration;
        let mut started = false;
        Box::pin(std::future::poll_fn(move |cx| {
            if std::time::Instant::now() >= at {
                return std::task::Poll::Ready(());
            }
            if !started {
                started = true;
                let waker = cx.waker().clone();
                std::thread::spawn(move || {
                    std::thread::sleep(at.saturating_duration_since(std::time::Instant::now()));
                    waker.wake();
                });
            }
            std::task::Poll::Pending
        }))
    }
}

/// Runs `future` to completion on this thread.
pub fn block_on(mut future: taskchain_core::RuntimeFuture) {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    while future.as_mut().poll(&mut cx).is_pending() {
        std::thread::park();
    }
}

/// A threaded chain named "threaded" with `threads` workers on
/// [`ThreadRuntime`], added to `manager`.
pub fn threaded(
    manager: &TaskManager,
    settings: ChainSettings,
    threads: usize,
) -> Arc<taskchain_core::ThreadedChain> {
    manager
        .make_threaded_chain(
            "threaded",
            settings.num_threads(threads),
            Arc::new(ThreadRuntime),
        )
        .unwrap()
}

/// Waits (up to [`PATIENCE`], then fails the test) until `cond` holds.
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Generous bound for waits on other threads, so a broken build fails
/// instead of hanging; no test depends on how long anything takes.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Polls `manager` until `future` is done, at most `polls` times, then
/// reads it: `None` if it is still pending, so that a broken delivery fails
/// the test instead of hanging it.
pub fn poll_until<F: taskchain_core::AsyncFuture>(
    manager: &TaskManager,
    future: &F,
    polls: usize,
) -> Option<Result<F::Value, taskchain_core::Error>> {
    for _ in 0..polls {
        if future.is_done() {
            break;
        }
        manager.poll().unwrap();
    }
    future.try_take()
}

/// A future that is pending until `open` is called, waking its waiter
/// then.
#[derive(Clone, Default)]
pub struct Gate(Arc<std::sync::Mutex<(bool, Option<std::task::Waker>)>>);

impl Gate {
    pub fn open(&self) {
        let waker = {
            let mut g = self.0.lock().unwrap();
            g.0 = true;
            g.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether something awaits it now.
    pub fn has_waiter(&self) -> bool {
        self.0.lock().unwrap().1.is_some()
    }
}

impl std::future::Future for Gate {
    type Output = ();
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let mut g = self.0.lock().unwrap();
        if g.0 {
            return std::task::Poll::Ready(());
        }
        g.1 = Some(cx.waker().clone());
        std::task::Poll::Pending
    }
}
