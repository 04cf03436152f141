//! What the scenarios share: logs that tasks write to, counters, an
//! `upon_death` recorder, drop-counted guards, deliberate panics, and
//! bounded waits for helper threads and blocking runs.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use taskchain_core::{
    DoneStatus, Error, Promise, TaskBuilder, TaskChain, TaskChainExt, TaskContext, TaskHandle,
};

use crate::run::PANIC_MARKER;
use crate::SETTLE_TIMEOUT;

/// Milliseconds.
pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What tasks report, in the order they report it.
pub(crate) type Log = Arc<Mutex<Vec<String>>>;

pub(crate) fn new_log() -> Log {
    Arc::default()
}

pub(crate) fn push(log: &Log, s: impl Into<String>) {
    log.lock().unwrap_or_else(|e| e.into_inner()).push(s.into());
}

/// Spawns on `chain` a coroutine that logs "awaiting" and awaits
/// `promise`: the waiter of the cross-thread wake-up races.
pub(crate) fn spawn_logged_waiter(
    chain: &Arc<dyn TaskChain>,
    promise: &Promise<u32>,
    log: &Log,
) -> TaskHandle<Result<u32, Error>> {
    let (promise, log) = (promise.clone(), log.clone());
    chain.spawn(async move {
        push(&log, "awaiting");
        promise.await
    })
}

/// What `log` holds so far.
pub(crate) fn seen(log: &Log) -> Vec<String> {
    log.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// What `log` holds so far, leaving it empty.
pub(crate) fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap_or_else(|e| e.into_inner()))
}

pub(crate) type Counter = Arc<AtomicUsize>;

pub(crate) fn counter() -> Counter {
    Arc::default()
}

pub(crate) fn get(c: &AtomicUsize) -> usize {
    c.load(Ordering::SeqCst)
}

/// Adds one; returns the count after.
pub(crate) fn bump(c: &AtomicUsize) -> usize {
    c.fetch_add(1, Ordering::SeqCst) + 1
}

/// Counts `upon_death` calls by kind.
#[derive(Default)]
pub(crate) struct Deaths {
    clean: AtomicUsize,
    unclean: AtomicUsize,
}

impl Deaths {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// An `upon_death` callback that counts into `self`.
    pub(crate) fn hook(self: &Arc<Self>) -> impl FnOnce(bool) + Send + 'static {
        let me = self.clone();
        move |clean| {
            bump(if clean { &me.clean } else { &me.unclean });
        }
    }

    /// (clean exits, unclean exits) so far.
    pub(crate) fn get(&self) -> (usize, usize) {
        (get(&self.clean), get(&self.unclean))
    }
}

/// A recurring task that logs `name` on each run and returns `status`.
pub(crate) fn recorder(
    log: &Log,
    name: &str,
    status: DoneStatus,
) -> impl FnMut(&TaskContext<'_>) -> DoneStatus + Send + 'static {
    let (log, name) = (log.clone(), name.to_owned());
    move |_: &TaskContext<'_>| {
        push(&log, name.clone());
        status
    }
}

/// Adds a task named `name` that logs its name on every run, forever.
pub(crate) fn add_recorder(
    chain: &Arc<dyn TaskChain>,
    log: &Log,
    name: &str,
    sort: i32,
    priority: i32,
) -> TaskHandle<()> {
    chain
        .add_task(
            TaskBuilder::recurring(recorder(log, name, DoneStatus::Cont))
                .name(name)
                .sort(sort)
                .priority(priority),
        )
        .unwrap_or_else(|e| panic!("add_task({name}) failed: {e:?}"))
}

/// A panic message the suite's panic hook keeps quiet.
pub(crate) fn marker(what: &str) -> String {
    format!("{PANIC_MARKER}: {what}")
}

/// Drop-counted guards: put one in a task to see when the task lets go.
#[derive(Clone, Default)]
pub(crate) struct Guards(Arc<AtomicUsize>);

/// Alive while whatever holds it is.
pub(crate) struct Guard(Arc<AtomicUsize>);

impl Guards {
    pub(crate) fn guard(&self) -> Guard {
        self.0.fetch_add(1, Ordering::SeqCst);
        Guard(self.0.clone())
    }

    pub(crate) fn alive(&self) -> usize {
        get(&self.0)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

thread_local! {
    /// Set while this thread is inside a call that must not run done
    /// callbacks inline (`set_result`, `cancel`, `add_done_callback`).
    static IN_CALL: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with [`is_in_call`] true on this thread.
pub(crate) fn in_call<R>(f: impl FnOnce() -> R) -> R {
    IN_CALL.with(|c| c.set(true));
    let r = f();
    IN_CALL.with(|c| c.set(false));
    r
}

/// Whether this thread is inside [`in_call`]: a done callback that sees
/// true ran inline.
pub(crate) fn is_in_call() -> bool {
    IN_CALL.with(Cell::get)
}

/// Naps until `cond()` or the watchdog; returns whether `cond` came true. For helper threads and for runs that block on purpose, which
/// must not hang a worker for good when the scenario fails elsewhere.
pub(crate) fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > SETTLE_TIMEOUT {
            return false;
        }
        // A nap, not a spin: the machine may have fewer cores than there
        // are workers and helpers.
        std::thread::sleep(Duration::from_micros(50));
    }
    true
}
