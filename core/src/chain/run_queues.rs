//! The run queues of a chain: one epoch's ordered runs, the runs added
//! during it, the next epoch's, and the sleep heap; shared by the frame
//! chain (one thread, inside `poll()`) and threaded chains (their workers,
//! under a lock).
//!
//! An epoch runs every queued task once in order — sort ascending, then
//! priority descending, then start time, then insertion — from a vector
//! sorted at the epoch's start (the order barely changes between epochs, so
//! the sort is close to linear). Tasks added or woken during the epoch go to
//! a small heap merged with that vector if their sort is not below the one
//! running, else to the next epoch. A task runs at most once per epoch
//! (`Pickup` aside). Sleeping tasks wait in a timer heap checked at epoch
//! boundaries; suspended coroutines are in no queue at all. Stale entries (a
//! task re-sorted, cancelled or woken elsewhere) are skipped by token, so no
//! operation on a task scans a queue.

use std::cmp::{Ordering as CmpOrdering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::chain::core::{ChainCore, Placement};
use crate::chain::settings::ChainSettings;
use crate::task::cell::{RunResult, TaskRef};

/// A queued run of a task, ordered by the epoch order.
pub(crate) struct Entry {
    pub(crate) sort: i32,
    pub(crate) priority: i32,
    pub(crate) start: u64,
    pub(crate) id: u64,
    pub(crate) token: u32,
    pub(crate) task: TaskRef,
}

impl Entry {
    /// Queues `task`, making every older entry of it stale.
    pub(crate) fn new(task: TaskRef, timeslice: bool) -> Self {
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

    pub(crate) fn is_current(&self) -> bool {
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
pub(crate) struct Sleeper {
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
pub(crate) struct RunQueues {
    /// This epoch's runs, in order.
    pub(crate) active: VecDeque<Entry>,
    /// Runs added during this epoch.
    pub(crate) side: BinaryHeap<Reverse<Entry>>,
    /// Runs added between epochs, for the next one.
    pub(crate) fresh: Vec<Entry>,
    /// Next epoch's runs.
    pub(crate) next: Vec<Entry>,
    /// Runs that returned `Pickup`: again this epoch, after every other
    /// run, while the frame budget lasts.
    pub(crate) pickup: Vec<Entry>,
    pub(crate) sleep: BinaryHeap<Reverse<Sleeper>>,
    /// An epoch was cut short by the frame budget and goes on next poll.
    pub(crate) in_epoch: bool,
    /// The sort being run (tasks added below it wait for the next epoch).
    pub(crate) current_sort: Option<i32>,
    pub(crate) frame_time: Duration,
    pub(crate) epoch: u64,
    pub(crate) injection: Vec<(TaskRef, Placement)>,
    /// Whether the queued entries were keyed for timeslice mode.
    pub(crate) keyed_timeslice: bool,
}

/// Releases a buffer's memory when it is mostly unused.
pub(crate) fn shrink<T>(v: &mut Vec<T>) {
    if v.capacity() > 4 * v.len() + 64 {
        v.shrink_to(2 * v.len());
    }
}

impl RunQueues {
    pub(crate) fn sleep(&mut self, task: TaskRef, until: Duration) {
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
    pub(crate) fn drain(&mut self, core: &ChainCore, timeslice: bool) {
        core.injected.store(false, Ordering::Release);
        std::mem::swap(&mut self.injection, &mut core.locked().injection);
        // Two buffers trade places, so draining allocates nothing.
        let mut batch = std::mem::take(&mut self.injection);
        for (task, placement) in batch.drain(..) {
            let s = task.header().state.snapshot();
            match placement {
                Placement::SleepUntil(until) if s.is_only_sleeping() => self.sleep(task, until),
                Placement::SleepUntil(_) => {}
                _ if !s.is_runnable() => {}
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
    pub(crate) fn begin(&mut self, core: &ChainCore, settings: &ChainSettings) {
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
            if h.state.wake_from_sleep() {
                core.sleeping_changed(-1);
                // Even if a wake queued it meanwhile: this entry replaces
                // that one (tokens), so the task runs once either way.
                self.next.push(Entry::new(sleeper.task, timeslice));
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
            let s = h.state.snapshot();
            h.token.load(Ordering::Relaxed) == e.token && s.is_sleeping() && !s.is_complete()
        });
    }

    /// Empties every queue (shutdown), returning the tasks found there.
    pub(crate) fn take_all(&mut self) -> Vec<TaskRef> {
        let mut tasks: Vec<TaskRef> = Vec::new();
        tasks.extend(self.active.drain(..).map(|e| e.task));
        tasks.extend(self.side.drain().map(|Reverse(e)| e.task));
        tasks.extend(self.fresh.drain(..).map(|e| e.task));
        tasks.extend(self.next.drain(..).map(|e| e.task));
        tasks.extend(self.pickup.drain(..).map(|e| e.task));
        tasks.extend(self.sleep.drain().map(|Reverse(e)| e.task));
        tasks.extend(self.injection.drain(..).map(|(t, _)| t));
        self.in_epoch = false;
        self.current_sort = None;
        tasks
    }

    /// Cancels every task still queued or sleeping (shutdown: these may have
    /// been running when the registry was emptied).
    pub(crate) fn abort_all(&mut self) {
        abort_tasks(self.take_all());
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
    pub(crate) fn pop(&mut self) -> Option<Entry> {
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

    /// Files what a run asked for: a run next epoch, a pickup (`pickups`:
    /// the chain has a frame budget to spend on them, else next epoch), or
    /// a sleep.
    pub(crate) fn record(&mut self, result: RunResult, timeslice: bool, pickups: bool) {
        match result {
            RunResult::Idle => {}
            RunResult::Next(task) => self.next.push(Entry::new(task, timeslice)),
            RunResult::Pickup(task) if pickups => self.pickup.push(Entry::new(task, timeslice)),
            RunResult::Pickup(task) => self.next.push(Entry::new(task, timeslice)),
            // Woken between its run and this record (on a threaded chain
            // another worker may even have queued the wake already): run it
            // next epoch rather than sleep, which would make that wake's
            // entry stale and lose it.
            RunResult::Sleep(task, _) if task.header().state.snapshot().is_scheduled() => {
                self.next.push(Entry::new(task, timeslice))
            }
            RunResult::Sleep(task, until) => self.sleep(task, until),
        }
    }

    /// When the earliest sleeper is due (a stale entry may make this early,
    /// never late).
    pub(crate) fn next_wake(&self) -> Option<Duration> {
        self.sleep.peek().map(|Reverse(s)| s.until)
    }

    pub(crate) fn has_runs(&self) -> bool {
        !self.active.is_empty()
            || !self.side.is_empty()
            || !self.next.is_empty()
            || !self.fresh.is_empty()
    }
}

/// Cancels `tasks` at once (shutdown).
pub(crate) fn abort_tasks(tasks: Vec<TaskRef>) {
    for task in tasks {
        task.abort();
    }
}
