//! What the scenarios share beyond the [`kit`](crate::kit): a recorder
//! task on a chain, a logged waiter, deliberate panics, the inline-call
//! flag, and bounded waits for helper threads and blocking runs.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskchain_core::{
    DoneStatus, Error, Promise, TaskBuilder, TaskChain, TaskChainExt, TaskHandle,
};

use crate::kit::log::{push, recorder, Log};
use crate::run::PANIC_MARKER;
use crate::SETTLE_TIMEOUT;

/// Milliseconds.
pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
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

thread_local! {
    /// Set while this thread is inside a call that must not run done
    /// callbacks inline (`set_result`, `cancel`, `remove_by_name`,
    /// `add_done_callback`).
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

/// Naps until `cond()` or the watchdog; returns whether `cond` came true.
/// For helper threads and for runs that block on purpose, which must not
/// hang a worker for good when the scenario fails elsewhere.
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
