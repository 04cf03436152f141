//! A worker thread: runs runnables from its local queue, from the injector
//! and from the other workers' queues, and sleeps when there are none.
//!
//! `loom_models::handoff` and `loom_models::sleep_wake` run this loop
//! under loom.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use async_task::Runnable;

use crate::pool_state::PoolState;
use crate::sync::{Parker, Steal, Worker};

/// A worker takes from the injector first once every this many runs, so
/// that tasks woken from outside are not starved by a local queue that
/// never empties (a prime, so it does not beat with a task's own period).
const INJECTOR_INTERVAL: u32 = 61;

/// The local queue of the worker running on this thread, if any.
struct Current {
    pool: u64,
    queue: Rc<Worker<Runnable>>,
}

#[cfg(not(loom))]
thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

// Under loom every loom thread runs on one OS thread: a std thread-local
// would be shared by all the model's workers. (loom's macro takes no
// `const` initializer.)
#[cfg(loom)]
loom::thread_local! {
    static CURRENT: RefCell<Option<Current>> = RefCell::new(None);
}

/// Pushes `runnable` on the calling thread's local queue if the thread is a
/// worker of pool `pool`; hands it back otherwise.
pub(crate) fn push_local(pool: u64, runnable: Runnable) -> Result<(), Runnable> {
    let mut runnable = Some(runnable);
    // `try_with`/`try_borrow`: during thread teardown, or re-entered, this
    // falls back to the injector rather than panic.
    let _ = CURRENT.try_with(|current| {
        if let Ok(current) = current.try_borrow() {
            if let Some(current) = current.as_ref().filter(|c| c.pool == pool) {
                if let Some(runnable) = runnable.take() {
                    current.queue.push(runnable);
                }
            }
        }
    });
    runnable.map_or(Ok(()), Err)
}

fn set_current(current: Option<Current>) {
    let old = CURRENT
        .try_with(|slot| {
            slot.try_borrow_mut()
                .ok()
                .and_then(|mut slot| std::mem::replace(&mut *slot, current))
        })
        .ok()
        .flatten();
    // Dropped after the borrow ends.
    drop(old);
}

/// Runs `f`, catching a panic. The payload is foreign data whose `Drop` may
/// panic too: that panic is caught and its payload dropped in turn, a few
/// times at most (then leaked), so the calling thread (a worker, the
/// timer) never unwinds.
pub(crate) fn isolated<R>(f: impl FnOnce() -> R) {
    let Err(mut payload) = catch_unwind(AssertUnwindSafe(f)) else {
        return;
    };
    for _ in 0..8 {
        match catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(again) => payload = again,
        }
    }
    std::mem::forget(payload);
}

/// The body of worker thread `index`, until the pool shuts down.
pub(crate) fn run(shared: Arc<PoolState>, index: usize, queue: Worker<Runnable>, parker: Parker) {
    let queue = Rc::new(queue);
    set_current(Some(Current {
        pool: shared.id,
        queue: queue.clone(),
    }));
    let mut runs: u32 = 0;
    while !shared.is_closed() {
        runs = runs.wrapping_add(1);
        if let Some(runnable) = find_task(&shared, &queue, index, runs) {
            // With `propagate_panic` the task cell catches a panic of its
            // future and hands it to the task's handle; this catch keeps
            // the worker alive should anything else in a run unwind.
            isolated(move || runnable.run());
            continue;
        }
        shared.sleepers.announce(index);
        if shared.has_work() || shared.is_closed() {
            shared.sleepers.withdraw(index);
            continue;
        }
        parker.park();
        shared.sleepers.withdraw(index);
    }
    set_current(None);
    // Dropping a runnable cancels its task; its future may wake others,
    // which the closed pool drops in turn.
    while let Some(runnable) = queue.pop() {
        drop(runnable);
    }
}

/// The next runnable for worker `index`: its own queue, else the injector,
/// else another worker's queue (starting after its own index, so that
/// thieves spread out).
fn find_task(
    shared: &PoolState,
    local: &Worker<Runnable>,
    index: usize,
    runs: u32,
) -> Option<Runnable> {
    if runs.is_multiple_of(INJECTOR_INTERVAL) {
        if let Some(runnable) = steal(|| shared.injector.steal_batch_and_pop(local)) {
            return Some(runnable);
        }
    }
    if let Some(runnable) = local.pop() {
        return Some(runnable);
    }
    if let Some(runnable) = steal(|| shared.injector.steal_batch_and_pop(local)) {
        return Some(runnable);
    }
    let others = shared.stealers.len().saturating_sub(1);
    steal(|| {
        shared
            .stealers
            .iter()
            .cycle()
            .skip(index + 1)
            .take(others)
            .map(|stealer| stealer.steal_batch_and_pop(local))
            .collect()
    })
}

/// Repeats a steal while it asks to be retried (it lost a race).
fn steal(mut attempt: impl FnMut() -> Steal<Runnable>) -> Option<Runnable> {
    loop {
        match attempt() {
            Steal::Success(runnable) => return Some(runnable),
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
}
