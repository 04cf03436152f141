//! A threaded chain's worker: a future its runtime polls, which takes the
//! epoch's runs in order from the shared queues, runs them, and waits as
//! an idle worker (and on the runtime's timer for the next sleeper) when
//! there is nothing to run.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::chain::core::{run_jobs, ChainCore};
use crate::chain::epoch_queues::{abort_tasks, Entry, EpochQueues};
use crate::chain::runtime::RuntimeFuture;
use crate::chain::settings::ChainSettings;
use crate::chain::threaded::epoch_gate::EpochGate;
use crate::chain::threaded::Inner;
use crate::future::state::Job;
use crate::task::cell::RunResult;

/// Runs a worker makes before yielding to its runtime, so the runtime's
/// own timers, sockets and other tasks are not starved.
const RUNS_PER_POLL: u32 = 64;

/// Most runs a worker takes from the queue at once.
const MAX_BATCH: usize = 16;

/// How long an idle worker waits before looking at a clock that does not
/// follow real time (a manual clock may jump at any moment).
const CLOCK_RECHECK: Duration = Duration::from_millis(1);

/// The queues and the epoch's progress, under the chain's lock.
#[derive(Default)]
pub(crate) struct Sched {
    pub(crate) queues: EpochQueues,
    gate: EpochGate,
    /// Runs taken with the one `next` returns (see
    /// [`EpochQueues::take_batch`]); moved to the worker at once.
    batch: Vec<Entry>,
    /// How many of the chain's late done callbacks were queued before the
    /// open epoch began: they run once its runs are over (see `Dispatch`).
    /// They stay in the chain's queue until then, so a chain closed with
    /// the epoch open (its runtime dropped the workers) runs them.
    late_before_epoch: usize,
    /// Late done callbacks due now, for the worker to run outside the lock.
    due_late: Vec<Job>,
}

/// What a worker does next.
enum Next {
    Run(Entry),
    /// Run the done callbacks queued before the tasks just taken in: a
    /// completion queues those registered before its wakers first.
    Callbacks,
    /// Wait for a wake; `Some(t)`: also for the clock to reach `t`.
    Wait(Option<Duration>),
    /// The chain is shut down.
    Stop,
}

impl Sched {
    fn next(&mut self, core: &ChainCore, settings: &ChainSettings, frame: u64) -> Next {
        let timeslice = settings.timeslice_priority;
        let queues = &mut self.queues;
        loop {
            queues.take_injected(core, timeslice);
            if core.is_shut_down() {
                return Next::Stop;
            }
            if core.has_callbacks() {
                return Next::Callbacks;
            }
            if self.gate.is_open() {
                match queues.pop_run() {
                    Some(entry) => {
                        if queues.is_behind(entry.sort) && self.gate.has_runs_in_flight() {
                            // The sort barrier: wait for the lower sort.
                            queues.put_back(entry);
                            return Next::Wait(None);
                        }
                        queues.enter_sort(entry.sort);
                        queues.take_batch(
                            entry.sort,
                            settings.num_threads,
                            MAX_BATCH - 1,
                            &mut self.batch,
                        );
                        return Next::Run(entry);
                    }
                    None if self.gate.has_runs_in_flight() => return Next::Wait(None),
                    None => {
                        self.gate.close();
                        queues.end_epoch();
                        let queued = std::mem::take(&mut self.late_before_epoch);
                        self.due_late.extend(core.take_late_callbacks(queued));
                    }
                }
            }
            let frame_ready = self.gate.frame_ready(settings, frame);
            let due = queues.next_wake().is_some_and(|t| t <= core.now());
            let empty_epoch = settings.frame_sync && settings.tick_clock;
            if frame_ready && (queues.has_runs() || due || empty_epoch) {
                queues.begin(core, settings);
                self.gate.open(frame);
                self.late_before_epoch = core.late_callbacks_queued();
                continue;
            }
            // No epoch to run: every task woken before a late callback
            // was queued has run.
            self.due_late.extend(core.take_late_callbacks(usize::MAX));
            // Waiting for a frame: `poll()` wakes the workers.
            return Next::Wait(if frame_ready {
                queues.next_wake()
            } else {
                None
            });
        }
    }
}

/// One of the chain's workers: a future the runtime polls.
pub(crate) struct Worker {
    inner: Arc<Inner>,
    /// The runtime's timer for the next sleeper, and when it is due on the
    /// chain's clock.
    timer: Option<(Duration, RuntimeFuture)>,
    /// Its waker may be in the idle list.
    registered: bool,
    /// Buffers for a batch of runs and their results, kept between polls.
    batch: Vec<Entry>,
    results: Vec<RunResult>,
}

impl Worker {
    pub(crate) fn new(inner: Arc<Inner>) -> Self {
        Worker {
            inner,
            timer: None,
            registered: false,
            batch: Vec::new(),
            results: Vec::new(),
        }
    }

    /// Arms the timer for `until` on the chain's clock unless an earlier
    /// one is armed; returns false if it is already due.
    fn arm(&mut self, until: Duration) -> bool {
        let core = &self.inner.core;
        let now = core.now();
        if until <= now {
            return false;
        }
        if self.timer.as_ref().is_some_and(|(at, _)| *at <= until) {
            return true;
        }
        let mut wait = until - now;
        if !core.clock().follows_real_time() {
            wait = wait.min(CLOCK_RECHECK);
        }
        match self.inner.runtime() {
            Some(runtime) => {
                self.timer = Some((until, runtime.sleep(wait)));
                true
            }
            // Shut down: nothing to wait for.
            None => false,
        }
    }

    /// Runs the batch `first` heads, taken under `sched` (still held, so
    /// that no other worker sees the epoch without these runs in flight),
    /// then files what each run asked for. Returns how many ran.
    fn run_batch(
        &mut self,
        mut sched: MutexGuard<'_, Sched>,
        first: Entry,
        timeslice: bool,
    ) -> u32 {
        let inner = &*self.inner;
        let mut batch = std::mem::take(&mut self.batch);
        let mut results = std::mem::take(&mut self.results);
        batch.push(first);
        batch.append(&mut sched.batch);
        sched.gate.take(batch.len());
        let (now, epoch) = (sched.queues.frame_time(), sched.queues.epoch());
        drop(sched);
        results.extend(batch.drain(..).map(|e| e.task.run(now, epoch)));
        let ran = results.len();
        let mut sched = inner.sched();
        let lifted = sched.gate.finish(ran);
        for result in results.drain(..) {
            sched.queues.record(result, timeslice, false);
        }
        drop(sched);
        (self.batch, self.results) = (batch, results);
        if lifted {
            // A barrier lifted or the epoch ended: whoever waits on it may
            // go on.
            inner.idle.wake(true);
        }
        ran as u32
    }
}

impl Future for Worker {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let inner = this.inner.clone();
        let core = &inner.core;
        let _scope = inner.enter_worker();
        // A shutdown during this poll closes the chain when it ends.
        let _runner = core.enter_runner();
        if this.registered {
            // Woken by its timer or its runtime rather than by a wake of
            // the idle list: leave it.
            this.registered = false;
            inner.idle.unregister(cx.waker());
        }
        if let Some((_, timer)) = &mut this.timer {
            if timer.as_mut().poll(cx).is_ready() {
                this.timer = None;
            }
        }
        let mut version = core.settings_version();
        let mut settings = core.settings();
        let mut runs = 0;
        loop {
            if core.has_callbacks() {
                core.run_callbacks();
            }
            if core.settings_version() != version {
                // `configure` ran: its settings hold from the next decision.
                version = core.settings_version();
                settings = core.settings();
            }
            let frame = inner.frames.load(Ordering::Acquire);
            let mut sched = inner.sched();
            match sched.next(core, &settings, frame) {
                Next::Stop => {
                    let left = sched.queues.take_all();
                    let late = std::mem::take(&mut sched.due_late);
                    drop(sched);
                    abort_tasks(left);
                    run_jobs(late);
                    inner.idle.wake(true);
                    return Poll::Ready(());
                }
                Next::Callbacks => {
                    let late = std::mem::take(&mut sched.due_late);
                    drop(sched);
                    run_jobs(late);
                    core.run_callbacks();
                }
                Next::Run(entry) => {
                    let late = std::mem::take(&mut sched.due_late);
                    runs += this.run_batch(sched, entry, settings.timeslice_priority);
                    run_jobs(late);
                    if runs >= RUNS_PER_POLL {
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                }
                Next::Wait(until) => {
                    let late = std::mem::take(&mut sched.due_late);
                    if !late.is_empty() {
                        drop(sched);
                        // They may wake tasks or queue more: look again.
                        run_jobs(late);
                        continue;
                    }
                    inner.idle.register(cx.waker());
                    this.registered = true;
                    drop(sched);
                    // Out of work: give a burst's registry memory back.
                    core.shrink_registry();
                    // Work injected (or a frame marked) after `next` looked,
                    // before the waker was registered, found no idle worker:
                    // look again.
                    if core.injected.load(Ordering::SeqCst)
                        || core.has_callbacks()
                        || core.has_late_callbacks()
                        || inner.frames.load(Ordering::SeqCst) != frame
                    {
                        continue;
                    }
                    if let Some(until) = until {
                        if !this.arm(until) {
                            continue;
                        }
                        if let Some((_, timer)) = &mut this.timer {
                            if timer.as_mut().poll(cx).is_ready() {
                                this.timer = None;
                                continue;
                            }
                        }
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Whether the worker stopped or its runtime dropped it.
        self.inner.worker_gone();
    }
}
