//! A worker thread: runs jobs from its LIFO slot, its local queue, the
//! injector and the other workers' queues, and sleeps when there are none.
//!
//! A task running on a worker that wakes or spawns another puts it in the
//! worker's LIFO slot, which the worker runs next; the slot's previous
//! job moves to the local queue, where others can steal it. A task that
//! wakes itself (a yield) goes to the back of the local queue instead.
//! After [`MAX_LIFO_STREAK`] jobs in a row from the slot, the worker runs
//! the front of its queue first if it holds any, so that two tasks waking
//! each other cannot starve it.
//!
//! A worker with nothing to do announces itself to the sleepers and
//! parks; if another worker is awake, it parks for [`WATCH`] at most and
//! then takes the job from the LIFO slot of any worker that has not
//! started a run since it went to sleep (that worker is stuck in one run:
//! a task blocking its thread must not strand the job it woke).
//!
//! `loom_models::handoff`, `loom_models::sleep_wake` and
//! `loom_models::lifo` run this loop under loom.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::job::Job;
use crate::pool_state::PoolState;
use crate::sync::{Parker, Steal, Worker};

/// A worker takes from the injector first once every this many runs, so
/// that tasks woken from outside are not starved by a local queue that
/// never empties (a prime, so it does not beat with a task's own period).
const INJECTOR_INTERVAL: usize = 61;

/// Jobs a worker runs in a row from its LIFO slot before it lets its
/// local queue's front go first (tokio's figure).
const MAX_LIFO_STREAK: u32 = 3;

/// How long a worker that goes to sleep while another is awake sleeps
/// before it looks for a LIFO job stuck behind a long run: that job's
/// longest extra wait, and the rate at which an idle worker wakes while
/// another runs a long job.
const WATCH: Duration = Duration::from_millis(1);

/// What a worker shares with the schedule function on its thread.
struct Local {
    index: usize,
    queue: Worker<Job>,
    /// Whether the LIFO slot may hold a job: only the owner fills it, so
    /// when this is false the slot is empty and the owner skips the swap.
    lifo_filled: Cell<bool>,
}

/// The worker running on this thread, if any.
struct Current {
    pool: u64,
    local: Rc<Local>,
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

/// Where [`push_local`] put a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// In the empty LIFO slot: the worker runs it next.
    Slot,
    /// On the local queue (a yield, or the slot's previous job): others
    /// may steal it.
    Queue,
}

/// Puts `job` in the LIFO slot of the calling thread's worker if the
/// thread is a worker of `shared` (in its local queue if `yielded`), and
/// says where; hands it back otherwise.
pub(crate) fn push_local(shared: &PoolState, job: Job, yielded: bool) -> Result<Pushed, Job> {
    let mut job = Some(job);
    let mut pushed = Pushed::Queue;
    // `try_with`/`try_borrow`: during thread teardown, or re-entered, this
    // falls back to the injector rather than panic.
    let _ = CURRENT.try_with(|current| {
        let Ok(current) = current.try_borrow() else {
            return;
        };
        let Some(current) = current.as_ref().filter(|c| c.pool == shared.id) else {
            return;
        };
        let Some(job) = job.take() else {
            return;
        };
        let local = &current.local;
        if yielded {
            local.queue.push(job);
            return;
        }
        let Some(remote) = shared.remotes.get(local.index) else {
            local.queue.push(job);
            return;
        };
        local.lifo_filled.set(true);
        match remote.lifo.swap(Some(job)) {
            Some(previous) => local.queue.push(previous),
            None => pushed = Pushed::Slot,
        }
    });
    match job {
        Some(job) => Err(job),
        None => Ok(pushed),
    }
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
pub(crate) fn run(shared: Arc<PoolState>, index: usize, queue: Worker<Job>, parker: Parker) {
    let local = Rc::new(Local {
        index,
        queue,
        lifo_filled: Cell::new(false),
    });
    set_current(Some(Current {
        pool: shared.id,
        local: local.clone(),
    }));
    let mut worker = Loop {
        shared: &shared,
        local: &local,
        runs: 0,
        lifo_streak: 0,
        searching: false,
        seen: vec![0; shared.remotes.len()],
    };
    while !shared.is_closed() {
        if let Some(job) = worker.find_job() {
            worker.run(job);
            continue;
        }
        let watches = shared.sleepers.announce(index, worker.searching);
        worker.searching = false;
        if watches {
            worker.note_runs();
        }
        if shared.has_work() || shared.is_closed() {
            worker.searching = shared.sleepers.withdraw(index);
            continue;
        }
        if watches {
            parker.park_timeout(WATCH);
        } else {
            parker.park();
        }
        worker.searching = shared.sleepers.withdraw(index);
        if watches && !worker.searching {
            if let Some(job) = worker.take_stuck_lifo() {
                worker.run(job);
            }
        }
    }
    set_current(None);
    // Dropping a job cancels its task; its future may wake others, which
    // the closed pool drops in turn.
    if let Some(remote) = shared.remotes.get(index) {
        drop(remote.lifo.take());
    }
    while let Some(job) = local.queue.pop() {
        drop(job);
    }
}

/// A worker's loop state.
struct Loop<'a> {
    shared: &'a PoolState,
    local: &'a Local,
    /// Jobs started (wrapping).
    runs: usize,
    /// Jobs run in a row from the LIFO slot.
    lifo_streak: u32,
    /// Whether a notifier woke this worker and it has not found a job yet.
    searching: bool,
    /// The other workers' run counts when this one went to sleep.
    seen: Vec<usize>,
}

impl Loop<'_> {
    /// Runs `job`, catching whatever unwinds out of it.
    fn run(&mut self, job: Job) {
        if self.searching {
            self.searching = false;
            self.shared.stop_searching();
        }
        self.runs = self.runs.wrapping_add(1);
        if let Some(remote) = self.shared.remotes.get(self.local.index) {
            remote.started(self.runs);
        }
        // With `propagate_panic` a task cell catches a panic of its future
        // and hands it to the task's handle; this catch keeps the worker
        // alive should anything else in a run unwind.
        isolated(move || job.run());
    }

    /// The next job: its LIFO slot, its own queue, the injector, another
    /// worker's queue (starting after its own index, so that thieves
    /// spread out).
    fn find_job(&mut self) -> Option<Job> {
        let shared = self.shared;
        let local = &self.local.queue;
        if self.runs.wrapping_add(1).is_multiple_of(INJECTOR_INTERVAL) {
            if let Some(job) = steal(|| shared.injector.steal_batch_and_pop(local)) {
                self.lifo_streak = 0;
                return Some(job);
            }
        }
        if self.local.lifo_filled.replace(false) {
            if let Some(job) = shared
                .remotes
                .get(self.local.index)
                .and_then(|r| r.lifo.take())
            {
                if self.lifo_streak < MAX_LIFO_STREAK || local.is_empty() {
                    self.lifo_streak += 1;
                    return Some(job);
                }
                // The streak is over: the queue's front goes first.
                local.push(job);
                shared.sleepers.notify_one();
            }
        }
        self.lifo_streak = 0;
        if let Some(job) = local.pop() {
            return Some(job);
        }
        if let Some(job) = steal(|| shared.injector.steal_batch_and_pop(local)) {
            return Some(job);
        }
        let others = shared.remotes.len().saturating_sub(1);
        steal(|| {
            shared
                .remotes
                .iter()
                .cycle()
                .skip(self.local.index + 1)
                .take(others)
                .map(|remote| remote.stealer.steal_batch_and_pop(local))
                .collect()
        })
    }

    /// Notes the other workers' run counts, going to sleep with a watch.
    fn note_runs(&mut self) {
        for (seen, remote) in self.seen.iter_mut().zip(&self.shared.remotes) {
            *seen = remote.runs();
        }
    }

    /// After a watch: the job in the LIFO slot of a worker that has not
    /// started a run since this one went to sleep, if any.
    fn take_stuck_lifo(&self) -> Option<Job> {
        let me = self.local.index;
        self.shared
            .remotes
            .iter()
            .zip(&self.seen)
            .enumerate()
            .filter(|&(index, (remote, &seen))| index != me && remote.runs() == seen)
            .find_map(|(_, (remote, _))| remote.lifo.take())
    }
}

/// Repeats a steal while it asks to be retried (it lost a race).
fn steal(mut attempt: impl FnMut() -> Steal<Job>) -> Option<Job> {
    loop {
        match attempt() {
            Steal::Success(job) => return Some(job),
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
}
