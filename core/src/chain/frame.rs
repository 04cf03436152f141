//! The embedded frame chain: a chain with no threads that runs one epoch
//! each time a game loop calls `poll()`, on the caller's thread, from the
//! epoch queues (see `epoch_queues`).

use std::sync::atomic::Ordering;
use std::sync::{Arc, TryLockError};
use std::time::{Duration, Instant};

use crate::chain::core::run_jobs;
use crate::chain::core::ChainCore;
use crate::chain::epoch_queues::EpochQueues;
use crate::chain::local_runs::LocalRuns;
use crate::chain::settings::{ChainSettings, ChainStats};
use crate::chain::task_chain::TaskChain;
use crate::clock::Clock;
use crate::error::Error;
use crate::sync::{Mutex, ScopeGuard};
use crate::task::local::LocalSpawner;
use crate::trace;

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
    queues: Mutex<EpochQueues>,
}

impl FrameChain {
    /// A frame chain named `name` reading `clock`.
    pub fn new(name: &str, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(FrameChain {
            core: ChainCore::new(name, clock, ChainSettings::default()),
            queues: Mutex::new(EpochQueues::default()),
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

    fn run_epoch(&self, queues: &mut EpochQueues) {
        // A shutdown during this poll closes the chain when it ends.
        let _runner = self.core.enter_runner();
        // Queued before this poll, after a waker of their future: they run
        // after this poll's runs, which include the tasks woken before them.
        let late = self.core.take_late_callbacks(usize::MAX);
        let local = LocalRuns::new(&self.core, queues.take_run_list());
        {
            let _poll = LocalPoll::enter(&local, &self.core);
            self.run_runs(queues, &local);
            run_jobs(late);
        }
        queues.keep_run_list(local.into_buffer());
        self.core.shrink_registry();
    }

    /// The body of a poll: done callbacks, then the epoch's runs in order.
    fn run_runs(&self, queues: &mut EpochQueues, local: &LocalRuns) {
        let core = &*self.core;
        let settings = core.settings();
        let timeslice = settings.timeslice_priority;
        core.run_callbacks();
        // What the callbacks woke or spawned.
        queues.take_local(local, timeslice);
        queues.start_poll(core, &settings);
        let poll_start = core.now();
        let within_budget = |ran: bool| match settings.frame_budget {
            None => true,
            Some(b) => !ran || core.now().saturating_sub(poll_start) < b,
        };
        let mut ran = false;
        loop {
            queues.take_local(local, timeslice);
            queues.take_injected(core, timeslice);
            if core.is_shut_down() {
                queues.abort_all();
                return;
            }
            if !within_budget(ran) {
                let deferred = queues.cut_short();
                trace::budget_overrun(core, settings.frame_budget, poll_start, deferred);
                break;
            }
            let Some(entry) = queues.pop_run() else {
                if queues.replay_pickups(core.now()) {
                    continue;
                }
                break;
            };
            // Who may drop a `!Send` task's work may run it: one spawned
            // after this poll began, by a thread that claimed the chain
            // meanwhile, waits for that thread.
            if !entry.task.header().may_drop_work_here() {
                queues.defer(entry, timeslice);
                continue;
            }
            queues.enter_sort(entry.sort);
            ran = true;
            let result = entry.task.run(queues.frame_time(), queues.epoch());
            queues.record(result, timeslice, settings.frame_budget.is_some());
        }
        queues.end_poll();
    }

    /// Whether anything could run on the next poll without the clock
    /// moving.
    fn has_work(&self) -> bool {
        self.core.injected.load(Ordering::Acquire)
            || self
                .queues
                .try_lock()
                .map(|queues| queues.has_work())
                .unwrap_or(true)
    }
}

/// A poll's run list made current on this thread (see `local_runs`); when
/// the poll ends, even by a panic, what was handed over after its last
/// look goes to the injection queue, for the next poll.
struct LocalPoll<'a> {
    local: &'a LocalRuns,
    core: &'a ChainCore,
    scope: Option<ScopeGuard<LocalRuns>>,
}

impl<'a> LocalPoll<'a> {
    fn enter(local: &'a LocalRuns, core: &'a ChainCore) -> Self {
        LocalPoll {
            local,
            core,
            scope: Some(local.enter()),
        }
    }
}

impl Drop for LocalPoll<'_> {
    fn drop(&mut self) {
        drop(self.scope.take());
        // Rarely anything: the list keeps its memory for the next poll
        // unless there is.
        if !self.local.is_empty() {
            for (task, placement) in self.local.take(Vec::new()) {
                self.core.schedule(task, placement);
            }
        }
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

    /// Cancels every task (each `upon_death` once), runs the done
    /// callbacks that were queued or that the cancels queued, and closes
    /// the chain: later done callbacks and handler calls are dropped unrun.
    fn shutdown(&self) {
        self.core.shutdown();
        // If a poll holds the queues (this call comes from one of its tasks,
        // or another thread), that poll drops what is left when it sees the
        // shutdown, and closes the chain as it ends.
        if let Ok(mut rq) = self.queues.try_lock() {
            rq.abort_all();
        }
    }

    fn stats(&self) -> ChainStats {
        self.core.stats()
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
