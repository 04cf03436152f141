//! The epoch queues of a chain: one epoch's ordered runs, the runs added
//! during it, the next epoch's, and the sleep heap; shared by the frame
//! chain (one thread, inside `poll()`) and threaded chains (their workers,
//! under a lock), which drive an epoch through `EpochQueues`' methods.
//!
//! An epoch runs every queued task once in order — sort ascending, then
//! priority descending, then start time, then insertion — from a vector
//! ordered at the epoch's start. The runs that ask to run again (a
//! recurring task's `Cont`) are kept in the order they ran, which is the
//! epoch order, so the next epoch starts from that list as it is; only the
//! runs queued some other way (spawns, wakes, re-sorts, a changed order)
//! are sorted, and merged in. Tasks added or woken during the epoch go to
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
use crate::chain::local_runs::LocalRuns;
use crate::chain::settings::ChainSettings;
use crate::task::cell::RunResult;
use crate::task::raw::TaskRef;

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

/// A chain's queues and the progress of its current epoch.
#[derive(Default)]
pub(crate) struct EpochQueues {
    /// This epoch's runs, in order.
    active: VecDeque<Entry>,
    /// Runs added during this epoch.
    side: BinaryHeap<Reverse<Entry>>,
    /// Runs added between epochs, for the next one.
    fresh: Vec<Entry>,
    /// Next epoch's runs queued again by the runs of this one, in the order
    /// they ran, hence in order: the next epoch starts from it as it is.
    ran: Vec<Entry>,
    /// Next epoch's other runs, in no order.
    next: Vec<Entry>,
    /// Runs that returned `Pickup`: again this epoch, after every other
    /// run, while the frame budget lasts.
    pickup: Vec<Entry>,
    /// When the last round of pickups began (a clock that stands still
    /// cannot measure a budget: one round per reading).
    pickup_round: Option<Duration>,
    sleep: BinaryHeap<Reverse<Sleeper>>,
    /// An epoch was cut short by the frame budget and goes on next poll.
    cut_short: bool,
    /// The sort being run (tasks added below it wait for the next epoch).
    current_sort: Option<i32>,
    /// The chain's clock at the epoch's start.
    frame_time: Duration,
    epoch: u64,
    /// The other half of the chain's injection buffer, swapped on drain.
    injection: Vec<(TaskRef, Placement)>,
    /// The memory of a frame chain poll's run list (see `local_runs`)
    /// between polls, and its other half, swapped on take.
    run_list: Vec<(TaskRef, Placement)>,
    local_spare: Vec<(TaskRef, Placement)>,
    /// Whether the queued entries were keyed for timeslice mode.
    keyed_timeslice: bool,
}

/// Releases a buffer's memory when it is mostly unused.
pub(crate) fn shrink<T>(v: &mut Vec<T>) {
    if v.capacity() > 4 * v.len() + 64 {
        v.shrink_to(2 * v.len());
    }
}

impl EpochQueues {
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

    /// Places tasks handed over through the injection queue (spawns,
    /// wakes, re-sorts).
    fn drain(&mut self, core: &ChainCore, timeslice: bool) {
        // Two buffers trade places, so draining allocates nothing.
        let mut batch = std::mem::take(&mut self.injection);
        core.drain_injected(&mut batch);
        self.place(&mut batch, timeslice);
        self.injection = batch;
    }

    /// Places what other threads handed over, if anything.
    #[inline]
    pub(crate) fn take_injected(&mut self, core: &ChainCore, timeslice: bool) {
        if core.injected.load(Ordering::Acquire) {
            self.drain(core, timeslice);
        }
    }

    /// The memory for a poll's run list.
    pub(crate) fn take_run_list(&mut self) -> Vec<(TaskRef, Placement)> {
        std::mem::take(&mut self.run_list)
    }

    /// Keeps the memory of a poll's run list for the next poll (what it
    /// held was placed or handed on).
    pub(crate) fn keep_run_list(&mut self, mut list: Vec<(TaskRef, Placement)>) {
        list.clear();
        shrink(&mut list);
        self.run_list = list;
    }

    /// Places what the poll's own thread handed over, if anything.
    pub(crate) fn take_local(&mut self, local: &LocalRuns, timeslice: bool) {
        if local.is_empty() {
            return;
        }
        let mut batch = local.take(std::mem::take(&mut self.local_spare));
        self.place(&mut batch, timeslice);
        self.local_spare = batch;
    }

    /// Places handed-over tasks, emptying `batch` (its memory stays).
    fn place(&mut self, batch: &mut Vec<(TaskRef, Placement)>, timeslice: bool) {
        for (task, placement) in batch.drain(..) {
            if placement == Placement::Resort {
                task.header().state.resort_taken();
            }
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
    }

    /// Starts a poll of the frame chain: goes on with an epoch the last
    /// poll cut short, else begins a new one.
    pub(crate) fn start_poll(&mut self, core: &ChainCore, settings: &ChainSettings) {
        if !self.cut_short {
            self.begin(core, settings);
        }
        self.cut_short = false;
        self.pickup_round = None;
    }

    /// Ends a poll: unless the epoch was cut short, no sort is running.
    pub(crate) fn end_poll(&mut self) {
        if !self.cut_short {
            self.end_epoch();
        }
    }

    /// The frame budget ran out: the runs left go on next poll, pickups
    /// wait for the next epoch. Returns whether runs were left.
    pub(crate) fn cut_short(&mut self) -> bool {
        self.cut_short = !self.active.is_empty() || !self.side.is_empty();
        self.next.append(&mut self.pickup);
        self.cut_short
    }

    /// Every run of the epoch is done and budget is left: queues the tasks
    /// that asked to pick up for another turn, once per clock reading (the
    /// budget is measured on the clock). False if there is none to run.
    pub(crate) fn replay_pickups(&mut self, now: Duration) -> bool {
        if self.pickup.is_empty() {
            return false;
        }
        if self.pickup_round == Some(now) {
            self.next.append(&mut self.pickup);
            return false;
        }
        self.pickup_round = Some(now);
        self.side.extend(self.pickup.drain(..).map(Reverse));
        true
    }

    /// Puts a run off to the next epoch.
    pub(crate) fn defer(&mut self, entry: Entry, timeslice: bool) {
        self.next.push(Entry::new(entry.task, timeslice));
    }

    /// Puts a popped run back, to be popped again this epoch (a threaded
    /// chain's sort barrier holds it). It is no longer taken: a re-sort
    /// meanwhile re-places it in this epoch.
    pub(crate) fn put_back(&mut self, entry: Entry) {
        let ran = &entry.task.header().ran_epoch;
        ran.store((self.epoch as u32).wrapping_sub(1), Ordering::Relaxed);
        self.side.push(Reverse(entry));
    }

    /// Whether `sort` is above the sort being run (a threaded chain waits
    /// for the lower one to finish).
    pub(crate) fn is_behind(&self, sort: i32) -> bool {
        self.current_sort.is_some_and(|c| sort > c)
    }

    /// A run of `sort` begins: tasks added below it wait for the next
    /// epoch.
    pub(crate) fn enter_sort(&mut self, sort: i32) {
        self.current_sort = Some(sort);
    }

    /// The epoch is over (a threaded chain ran all its runs).
    pub(crate) fn end_epoch(&mut self) {
        self.current_sort = None;
    }

    /// The chain's clock at the epoch's start.
    pub(crate) fn frame_time(&self) -> Duration {
        self.frame_time
    }

    /// The epoch's number.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
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
        // Next epoch's runs are mostly this one's, already in order: only
        // the others are sorted, then merged in.
        let mut ordered = std::mem::take(&mut self.ran);
        let mut others = std::mem::take(&mut self.next);
        others.append(&mut self.fresh);
        others.extend(self.side.drain().map(|Reverse(e)| e));
        if self.keyed_timeslice != timeslice {
            // The setting changed: re-key what was queued under the old one.
            self.keyed_timeslice = timeslice;
            others.append(&mut ordered);
            for e in &mut others {
                e.priority = if timeslice {
                    0
                } else {
                    e.task.header().priority()
                };
            }
        }
        // Whether this epoch's runs came mostly from the runs queued again
        // (recurring tasks) or from the others (bursts of spawns and wakes):
        // the larger spare buffer goes where the next epoch's will gather.
        let mostly_ordered = ordered.len() >= others.len();
        // The previous epoch's buffer, empty now, holds the merge.
        let mut spare: Vec<Entry> = std::mem::take(&mut self.active).into();
        spare.clear();
        let mut runs = if others.is_empty() {
            ordered
        } else {
            // Stale entries are sorted too, and skipped when popped: cheaper
            // than reading every task's token here.
            others.sort_unstable();
            if ordered.is_empty() {
                std::mem::swap(&mut ordered, &mut others);
                ordered
            } else {
                merge(&mut ordered, &mut others, &mut spare);
                std::mem::replace(&mut spare, ordered)
            }
        };
        if timeslice {
            runs = self.timeslice(runs);
        }
        self.active = runs.into();
        // Two spare buffers: one becomes the next `ran`, one the next
        // `next`; neither keeps memory far beyond what is queued now (a
        // burst must not pin its memory).
        let queued = self.active.len();
        for buffer in [&mut spare, &mut others] {
            if buffer.capacity() > 4 * queued + 64 {
                *buffer = Vec::new();
            }
        }
        if (spare.capacity() < others.capacity()) == mostly_ordered {
            std::mem::swap(&mut spare, &mut others);
        }
        self.ran = spare;
        // What the timeslice put off.
        others.append(&mut self.next);
        self.next = others;
        shrink(&mut self.fresh);
        shrink(&mut self.injection);
        shrink(&mut self.local_spare);
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
        tasks.extend(self.ran.drain(..).map(|e| e.task));
        tasks.extend(self.next.drain(..).map(|e| e.task));
        tasks.extend(self.pickup.drain(..).map(|e| e.task));
        tasks.extend(self.sleep.drain().map(|Reverse(e)| e.task));
        tasks.extend(self.injection.drain(..).map(|(t, _)| t));
        tasks.extend(self.local_spare.drain(..).map(|(t, _)| t));
        self.cut_short = false;
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
    /// highest priority there, priorities below 1 counting as 1). Stale
    /// entries are dropped here: a task earns credit once per epoch.
    fn timeslice(&mut self, runs: Vec<Entry>) -> Vec<Entry> {
        let mut kept = Vec::with_capacity(runs.len());
        let mut group: Vec<Entry> = Vec::new();
        let mut iter = runs.into_iter().filter(Entry::is_current).peekable();
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

    /// The next run of this epoch, skipping stale entries.
    pub(crate) fn pop_run(&mut self) -> Option<Entry> {
        while let Some(entry) = self.pop() {
            if entry.is_current() {
                self.mark_taken(&entry);
                return Some(entry);
            }
        }
        None
    }

    /// The task's run this epoch is taken: a re-sort handed over before
    /// the run starts (a threaded chain runs it after releasing the
    /// queues) must not queue a second run in this epoch.
    fn mark_taken(&self, entry: &Entry) {
        let ran = &entry.task.header().ran_epoch;
        ran.store(self.epoch as u32, Ordering::Relaxed);
    }

    /// Moves more runs of `sort`, the one just popped, into `batch`, so
    /// that a threaded chain's worker takes a burst of short runs with one
    /// lock: at most `max`, and no more than a fair share (of `workers`) of
    /// what is queued, so the other workers get theirs. Stops at a run
    /// added during the epoch, which may come first.
    pub(crate) fn take_batch(
        &mut self,
        sort: i32,
        workers: usize,
        max: usize,
        batch: &mut Vec<Entry>,
    ) {
        let want = (self.active.len() / workers.max(1)).min(max);
        while batch.len() < want {
            let same_sort =
                self.side.is_empty() && self.active.front().is_some_and(|a| a.sort == sort);
            if !same_sort {
                break;
            }
            let Some(entry) = self.pop() else { break };
            if entry.is_current() {
                self.mark_taken(&entry);
                batch.push(entry);
            }
        }
    }

    /// The next entry of this epoch, stale or not.
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

    /// Files what a run asked for: a run next epoch, a pickup (`pickups`:
    /// the chain has a frame budget to spend on them, else next epoch), or
    /// a sleep.
    pub(crate) fn record(&mut self, result: RunResult, timeslice: bool, pickups: bool) {
        match result {
            RunResult::Idle => {}
            RunResult::Next(task) => self.queue_again(Entry::new(task, timeslice)),
            RunResult::Pickup(task) if pickups => self.pickup.push(Entry::new(task, timeslice)),
            RunResult::Pickup(task) => self.queue_again(Entry::new(task, timeslice)),
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

    /// Queues a run for the next epoch: after the runs queued again so
    /// far if it comes after them in the order (as a run of an unchanged
    /// order does), else among the runs to sort.
    #[inline(always)]
    fn queue_again(&mut self, entry: Entry) {
        match self.ran.last() {
            Some(last) if *last > entry => self.next.push(entry),
            _ => self.ran.push(entry),
        }
    }

    /// When the earliest sleeper is due (a stale entry may make this early,
    /// never late).
    pub(crate) fn next_wake(&self) -> Option<Duration> {
        self.sleep.peek().map(|Reverse(s)| s.until)
    }

    /// Whether anything is queued to run, or an epoch cut short goes on.
    pub(crate) fn has_work(&self) -> bool {
        self.has_runs() || self.cut_short
    }

    pub(crate) fn has_runs(&self) -> bool {
        !self.active.is_empty()
            || !self.side.is_empty()
            || !self.ran.is_empty()
            || !self.next.is_empty()
            || !self.fresh.is_empty()
    }
}

/// Moves the runs of `a` and `b`, each in order, into `out`, in order.
fn merge(a: &mut Vec<Entry>, b: &mut Vec<Entry>, out: &mut Vec<Entry>) {
    out.reserve(a.len() + b.len());
    let mut a = a.drain(..).peekable();
    let mut b = b.drain(..).peekable();
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if y < x => b.next(),
            (Some(_), _) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(entry) => out.push(entry),
            None => break,
        }
    }
}

/// Cancels `tasks` at once (shutdown).
pub(crate) fn abort_tasks(tasks: Vec<TaskRef>) {
    for task in tasks {
        task.abort();
    }
}
