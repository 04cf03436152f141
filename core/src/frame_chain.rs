//! The embedded frame chain: a chain with no threads that runs one epoch
//! each time a game loop calls `poll()`, on the caller's thread.
//!
//! An epoch runs every queued task once in order — sort ascending, then
//! priority descending, then start time, then insertion — from a vector
//! sorted at the epoch's start (the order barely changes between epochs, so
//! the sort is close to linear). Tasks added or woken during the epoch go to
//! a small heap merged with that vector if their sort is not below the one
//! running, else to the next epoch. A task runs at most once per epoch
//! (`Pickup` aside): one woken or re-sorted after its run waits for the next
//! epoch, so coroutines waking each other cannot keep a `poll()` from
//! returning. Sleeping tasks wait in a timer heap
//! checked at epoch boundaries; suspended coroutines are in no queue at all
//! and cost nothing per frame. Stale queue entries (a task re-sorted,
//! cancelled or woken elsewhere) are skipped by token, so no operation on a
//! task scans a queue.

use std::cmp::{Ordering as CmpOrdering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use crate::cell::{RunResult, TaskRef, COMPLETE, LOCAL, RUNNING, SCHEDULED, SLEEPING};
use crate::chain_core::{ChainCore, Placement};
use crate::{ChainSettings, ChainStats, Clock, Error, LocalSpawner, TaskChain};

/// A queued run of a task, ordered by the epoch order.
struct Entry {
    sort: i32,
    priority: i32,
    start: u64,
    id: u64,
    token: u32,
    task: TaskRef,
}

impl Entry {
    /// Queues `task`, making every older entry of it stale.
    fn new(task: TaskRef, timeslice: bool) -> Self {
        let h = task.header();
        let token = h.token.load(Ordering::Relaxed).wrapping_add(1);
        h.token.store(token, Ordering::Relaxed);
        Entry {
            sort: h.sort(),
            priority: if timeslice { 0 } else { h.priority() },
            start: h.start_nanos(),
            id: h.id,
            token,
            task,
        }
    }

    fn is_current(&self) -> bool {
        self.task.header().token.load(Ordering::Relaxed) == self.token
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        self.sort
            .cmp(&other.sort)
            .then(other.priority.cmp(&self.priority))
            .then(self.start.cmp(&other.start))
            .then(self.id.cmp(&other.id))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}

impl Eq for Entry {}

/// A sleeping task, ordered by wake time.
struct Sleeper {
    until: Duration,
    id: u64,
    token: u32,
    task: TaskRef,
}

impl Ord for Sleeper {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        self.until.cmp(&other.until).then(self.id.cmp(&other.id))
    }
}

impl PartialOrd for Sleeper {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Sleeper {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}

impl Eq for Sleeper {}

#[derive(Default)]
struct RunQueues {
    /// This epoch's runs, in order.
    active: VecDeque<Entry>,
    /// Runs added during this epoch.
    side: BinaryHeap<Reverse<Entry>>,
    /// Runs added between epochs, for the next one.
    fresh: Vec<Entry>,
    /// Next epoch's runs.
    next: Vec<Entry>,
    /// Runs that returned `Pickup`: again this epoch, after every other
    /// run, while the frame budget lasts.
    pickup: Vec<Entry>,
    sleep: BinaryHeap<Reverse<Sleeper>>,
    /// An epoch was cut short by the frame budget and goes on next poll.
    in_epoch: bool,
    /// The sort being run (tasks added below it wait for the next epoch).
    current_sort: Option<i32>,
    frame_time: Duration,
    epoch: u64,
    injection: Vec<(TaskRef, Placement)>,
    /// Whether the queued entries were keyed for timeslice mode.
    keyed_timeslice: bool,
}

/// Releases a buffer's memory when it is mostly unused.
fn shrink<T>(v: &mut Vec<T>) {
    if v.capacity() > 4 * v.len() + 64 {
        v.shrink_to(2 * v.len());
    }
}

impl RunQueues {
    fn sleep(&mut self, task: TaskRef, until: Duration) {
        let h = task.header();
        let token = h.token.load(Ordering::Relaxed).wrapping_add(1);
        h.token.store(token, Ordering::Relaxed);
        let id = h.id;
        self.sleep.push(Reverse(Sleeper {
            until,
            id,
            token,
            task,
        }));
    }

    /// Places tasks handed over by other threads (spawns, wakes, re-sorts).
    fn drain(&mut self, core: &ChainCore, timeslice: bool) {
        core.injected.store(false, Ordering::Release);
        std::mem::swap(&mut self.injection, &mut core.shared().injection);
        // Two buffers trade places, so draining allocates nothing.
        let mut batch = std::mem::take(&mut self.injection);
        for (task, placement) in batch.drain(..) {
            let s = task.header().state.load(Ordering::Acquire);
            match placement {
                Placement::SleepUntil(until)
                    if s & SLEEPING != 0 && s & (SCHEDULED | COMPLETE) == 0 =>
                {
                    self.sleep(task, until);
                }
                Placement::SleepUntil(_) => {}
                _ if s & SCHEDULED == 0 || s & (RUNNING | COMPLETE) != 0 => {}
                _ => {
                    // A task runs once per epoch (Pickup aside): one woken or
                    // re-sorted after its run waits for the next epoch, so
                    // coroutines exchanging wakes cannot hold the frame.
                    let ran_now = self.current_sort.is_some()
                        && task.header().ran_epoch.load(Ordering::Relaxed) == self.epoch as u32;
                    let entry = Entry::new(task, timeslice);
                    match self.current_sort {
                        None => self.fresh.push(entry),
                        Some(c) if entry.sort >= c && !ran_now => self.side.push(Reverse(entry)),
                        Some(_) => self.next.push(entry),
                    }
                }
            }
        }
        self.injection = batch;
    }

    /// Starts an epoch: wakes due sleepers and orders every queued run.
    fn begin(&mut self, core: &ChainCore, settings: &ChainSettings) {
        if settings.tick_clock {
            core.clock().tick();
        }
        self.frame_time = core.now();
        self.epoch = core.next_epoch();
        let timeslice = settings.timeslice_priority;
        // New arrivals first: a task spawned with a delay already over
        // enters the sleep heap now and wakes in this epoch.
        self.current_sort = None;
        self.drain(core, timeslice);
        self.compact_sleepers(core);
        while let Some(Reverse(top)) = self.sleep.peek() {
            if top.until > self.frame_time {
                break;
            }
            let Some(Reverse(sleeper)) = self.sleep.pop() else {
                break;
            };
            let h = sleeper.task.header();
            if h.token.load(Ordering::Relaxed) != sleeper.token {
                continue;
            }
            let woke = h
                .state
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                    (s & SLEEPING != 0 && s & COMPLETE == 0).then_some((s & !SLEEPING) | SCHEDULED)
                });
            if let Ok(prev) = woke {
                core.sleeping_changed(-1);
                if prev & SCHEDULED == 0 {
                    self.next.push(Entry::new(sleeper.task, timeslice));
                }
            }
        }
        // Next epoch's runs are most of this one's: take that buffer whole.
        let mut runs = std::mem::take(&mut self.next);
        runs.append(&mut self.fresh);
        runs.extend(self.side.drain().map(|Reverse(e)| e));
        if self.keyed_timeslice != timeslice {
            // The setting changed: re-key what was queued under the old one.
            self.keyed_timeslice = timeslice;
            for e in &mut runs {
                e.priority = if timeslice {
                    0
                } else {
                    e.task.header().priority()
                };
            }
        }
        // Stale entries are sorted too, and skipped when popped: cheaper than
        // reading every task's token here.
        runs.sort_unstable();
        if timeslice {
            runs = self.timeslice(runs);
        }
        // The previous epoch's buffer becomes the next one, unless it grew far
        // beyond what is queued now (a burst must not pin its memory).
        let spare = std::mem::replace(&mut self.active, runs.into());
        let mut spare: Vec<Entry> = spare.into();
        spare.clear();
        if spare.capacity() > 4 * self.active.len() + 64 {
            spare = Vec::new();
        }
        spare.append(&mut self.next);
        self.next = spare;
        shrink(&mut self.fresh);
        shrink(&mut self.injection);
    }

    /// Drops stale sleep entries (tasks woken early, cancelled or done) once
    /// they outnumber the sleeping tasks, so they do not pile up or keep
    /// finished tasks alive until their old deadline. Amortized O(1).
    fn compact_sleepers(&mut self, core: &ChainCore) {
        if self.sleep.len() <= 2 * core.sleeping_count() + 64 {
            return;
        }
        self.sleep.retain(|Reverse(e)| {
            let h = e.task.header();
            h.token.load(Ordering::Relaxed) == e.token
                && h.state.load(Ordering::Acquire) & (SLEEPING | COMPLETE) == SLEEPING
        });
    }

    /// Cancels every task still queued or sleeping (shutdown: these may have
    /// been running when the registry was emptied).
    fn abort_all(&mut self, core: &ChainCore) {
        let owner = core.is_owner_thread();
        let mut tasks: Vec<TaskRef> = Vec::new();
        tasks.extend(self.active.drain(..).map(|e| e.task));
        tasks.extend(self.side.drain().map(|Reverse(e)| e.task));
        tasks.extend(self.fresh.drain(..).map(|e| e.task));
        tasks.extend(self.next.drain(..).map(|e| e.task));
        tasks.extend(self.pickup.drain(..).map(|e| e.task));
        tasks.extend(self.sleep.drain().map(|Reverse(e)| e.task));
        tasks.extend(self.injection.drain(..).map(|(t, _)| t));
        for task in tasks {
            let local = task.header().state.load(Ordering::Relaxed) & LOCAL != 0;
            task.abort(!local || owner);
        }
        self.in_epoch = false;
        self.current_sort = None;
    }

    /// Keeps the runs whose credit allows them this epoch: within a sort, a
    /// task of priority `p` runs `p` times every `P` epochs (`P` the
    /// highest priority there, priorities below 1 counting as 1).
    fn timeslice(&mut self, runs: Vec<Entry>) -> Vec<Entry> {
        let mut kept = Vec::with_capacity(runs.len());
        let mut group: Vec<Entry> = Vec::new();
        let mut iter = runs.into_iter().peekable();
        while let Some(first) = iter.next() {
            let sort = first.sort;
            group.push(first);
            while let Some(e) = iter.next_if(|e| e.sort == sort) {
                group.push(e);
            }
            let weight = |e: &Entry| e.task.header().priority().max(1);
            let top = group.iter().map(weight).max().unwrap_or(1);
            for e in group.drain(..) {
                let h = e.task.header();
                let credit = h.credit.load(Ordering::Relaxed).saturating_add(weight(&e));
                if credit >= top {
                    h.credit.store(credit - top, Ordering::Relaxed);
                    kept.push(e);
                } else {
                    h.credit.store(credit, Ordering::Relaxed);
                    self.next.push(e);
                }
            }
        }
        kept
    }

    /// The next run of this epoch, if any.
    fn pop(&mut self) -> Option<Entry> {
        let from_side = match (self.active.front(), self.side.peek()) {
            (None, None) => return None,
            (Some(a), Some(Reverse(b))) => b < a,
            (None, Some(_)) => true,
            (Some(_), None) => false,
        };
        if from_side {
            self.side.pop().map(|Reverse(e)| e)
        } else {
            self.active.pop_front()
        }
    }

    fn has_runs(&self) -> bool {
        !self.active.is_empty()
            || !self.side.is_empty()
            || !self.next.is_empty()
            || !self.fresh.is_empty()
    }
}

/// The embedded frame chain: it runs only inside [`poll`](TaskChain::poll),
/// on the caller's thread, one epoch per call.
///
/// The manager's chain named "default" is one; make more with
/// [`TaskManager::make_task_chain`](crate::TaskManager::make_task_chain).
///
/// ```
/// use taskchain_core::{DoneStatus, TaskChain, TaskChainExt, TaskContext, TaskManager};
///
/// let manager = TaskManager::new();
/// let chain = manager.default_chain();
/// let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
/// let t = ticks.clone();
/// chain.add(move |_: &TaskContext<'_>| {
///     t.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///     DoneStatus::Cont
/// });
/// for _ in 0..3 {
///     chain.poll().unwrap();
/// }
/// assert_eq!(ticks.load(std::sync::atomic::Ordering::Relaxed), 3);
/// ```
pub struct FrameChain {
    core: Arc<ChainCore>,
    queues: Mutex<RunQueues>,
}

impl FrameChain {
    /// A frame chain named `name` reading `clock`.
    pub fn new(name: &str, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(FrameChain {
            core: ChainCore::new(name, clock, ChainSettings::default()),
            queues: Mutex::new(RunQueues::default()),
        })
    }

    /// A spawner for `!Send` tasks (game state in `Rc`s), bound to the
    /// calling thread: from now on only this thread may poll the chain.
    ///
    /// Returns [`Error::WrongThread`] if another thread owns the chain.
    pub fn local_spawner(&self) -> Result<LocalSpawner, Error> {
        self.core.claim_owner()?;
        Ok(LocalSpawner::new(self.core.clone()))
    }

    fn run_epoch(&self, rq: &mut RunQueues) {
        let _batch = self.core.batch_retire();
        let core = &*self.core;
        let settings = core.settings();
        let timeslice = settings.timeslice_priority;
        core.run_callbacks();
        if !rq.in_epoch {
            rq.begin(core, &settings);
        }
        let poll_start = core.now();
        let within_budget = |ran: bool| match settings.frame_budget {
            None => true,
            Some(b) => !ran || core.now().saturating_sub(poll_start) < b,
        };
        let mut ran = false;
        let mut pickup_round = None;
        rq.in_epoch = false;
        loop {
            if core.injected.load(Ordering::Acquire) {
                rq.drain(core, timeslice);
            }
            if core.is_shut_down() {
                rq.abort_all(core);
                return;
            }
            if !within_budget(ran) {
                rq.in_epoch = rq.active.front().is_some() || !rq.side.is_empty();
                let pickups = std::mem::take(&mut rq.pickup);
                rq.next.extend(pickups);
                break;
            }
            let entry = match rq.pop() {
                Some(entry) => entry,
                None if !rq.pickup.is_empty() => {
                    // Every run of the epoch is done and budget is left:
                    // spend it on the tasks that asked to pick up, in turn,
                    // while the clock shows the time being spent (a clock
                    // that stands still cannot measure a budget).
                    let pickups = std::mem::take(&mut rq.pickup);
                    let now = core.now();
                    if pickup_round == Some(now) {
                        rq.next.extend(pickups);
                        break;
                    }
                    pickup_round = Some(now);
                    rq.side.extend(pickups.into_iter().map(Reverse));
                    continue;
                }
                None => break,
            };
            if !entry.is_current() {
                continue;
            }
            if entry.task.header().state.load(Ordering::Relaxed) & LOCAL != 0
                && !core.is_owner_thread()
            {
                // A `!Send` task spawned after this poll began, by a thread
                // that claimed the chain meanwhile: only that thread runs it.
                rq.next.push(Entry::new(entry.task, timeslice));
                continue;
            }
            rq.current_sort = Some(entry.sort);
            ran = true;
            match entry.task.run(rq.frame_time, rq.epoch) {
                RunResult::Idle => {}
                RunResult::Next(task) => rq.next.push(Entry::new(task, timeslice)),
                RunResult::Pickup(task) => {
                    let entry = Entry::new(task, timeslice);
                    if settings.frame_budget.is_some() {
                        rq.pickup.push(entry);
                    } else {
                        rq.next.push(entry);
                    }
                }
                RunResult::Sleep(task, until) => rq.sleep(task, until),
            }
        }
        if !rq.in_epoch {
            rq.current_sort = None;
        }
    }

    /// Whether anything could run on the next poll without the clock
    /// moving.
    fn has_work(&self) -> bool {
        self.core.injected.load(Ordering::Acquire)
            || self
                .queues
                .try_lock()
                .map(|rq| rq.has_runs() || rq.in_epoch)
                .unwrap_or(true)
    }
}

/// Calls `poll` until `done()` or `timeout` passes ([`Error::Timeout`]),
/// parking on `core` for up to a millisecond whenever `idle()` says nothing
/// can run (a sleeping task may wake as the clock moves).
pub(crate) fn drive(
    core: &ChainCore,
    timeout: Option<Duration>,
    mut poll: impl FnMut() -> Result<(), Error>,
    idle: impl Fn() -> bool,
    mut done: impl FnMut() -> bool,
) -> Result<(), Error> {
    // A timeout too long to represent means no timeout.
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    loop {
        poll()?;
        if done() {
            return Ok(());
        }
        let mut nap = Duration::from_millis(1);
        if let Some(deadline) = deadline {
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout);
            }
            nap = nap.min(deadline - now);
        }
        if idle() {
            core.park(nap);
        }
    }
}

impl TaskChain for FrameChain {
    fn core(&self) -> &Arc<ChainCore> {
        &self.core
    }

    fn poll(&self) -> Result<(), Error> {
        if !self.core.is_owner_thread() {
            return Err(Error::WrongThread);
        }
        let mut rq = match self.queues.try_lock() {
            Ok(rq) => rq,
            Err(TryLockError::WouldBlock) => return Err(Error::Reentrant),
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
        };
        self.run_epoch(&mut rq);
        Ok(())
    }

    fn is_idle(&self) -> bool {
        !self.has_work()
    }

    fn wait_for_tasks(&self, timeout: Option<Duration>) -> Result<(), Error> {
        drive(
            &self.core,
            timeout,
            || self.poll(),
            || self.is_idle(),
            || self.core.task_count() == 0,
        )
    }

    fn shutdown(&self) {
        self.core.shutdown();
        // If a poll holds the queues (this call comes from one of its tasks,
        // or another thread), that poll aborts what is left when it sees the
        // shutdown.
        if let Ok(mut rq) = self.queues.try_lock() {
            rq.abort_all(&self.core);
        }
    }

    fn stats(&self) -> ChainStats {
        let total = self.core.task_count();
        let sleeping = self.core.sleeping_count().min(total);
        ChainStats {
            active: total - sleeping,
            sleeping,
            epochs: self.core.epoch(),
        }
    }

    fn configure(&self, settings: ChainSettings) -> Result<(), Error> {
        if settings.num_threads != 0 {
            return Err(Error::InvalidSetting(format!(
                "a frame chain runs inside poll(); num_threads must be 0, not {}",
                settings.num_threads
            )));
        }
        self.core.set_settings(settings);
        Ok(())
    }
}

impl Drop for FrameChain {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for FrameChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameChain")
            .field("name", &self.core.name())
            .field("stats", &self.stats())
            .finish()
    }
}
