//! The state a chain shares with its tasks: its name, clock and settings,
//! the registry of live tasks (for lookups, listing and shutdown), and the
//! queues through which any thread hands it woken tasks and done callbacks.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use concurrent_queue::ConcurrentQueue;

use crate::chain::host::TaskHost;
use crate::chain::live_count::LiveCount;
use crate::chain::local_runs::LocalRuns;
use crate::chain::registry::slots::SlotTable;
use crate::chain::registry::{matching_names, Registry, SHRINK_ABOVE};
use crate::chain::runnable::TaskRunnable;
use crate::chain::runner_count::RunnerCount;
use crate::chain::runtime::{Runtime, TaskScheduling};
use crate::chain::settings::{ChainSettings, ChainStats};
use crate::clock::Clock;
use crate::error::Error;
use crate::error::{drop_payload, isolated};
use crate::future::state::{Dispatch, Job};
use crate::sync::{
    const_thread_local, current_thread, park_timeout, scoped_thread_local, AtomicBool, AtomicIsize,
    AtomicU32, AtomicU64, AtomicUsize, Mutex, MutexGuard, ScopeGuard, Thread,
};
use crate::task::header::Header;
use crate::task::raw::TaskRef;
use crate::trace;

/// The part of a chain its tasks point to.
///
/// Opaque: it is public only so that chains of other crates (the backends)
/// can be built around it with [`ChainCore::new`].
pub struct ChainCore {
    name: Arc<str>,
    clock: Arc<dyn Clock>,
    settings: Mutex<ChainSettings>,
    /// Bumped by every `set_settings`, so runners keeping a copy notice.
    settings_version: AtomicU64,
    shared: Mutex<ChainLocked>,
    /// The registry's references to the live tasks (its bookkeeping is in
    /// `ChainLocked`): a task's retirement empties its slot without the
    /// lock.
    slots: SlotTable,
    /// The registry's capacity and the live tasks at its last shrink (see
    /// `shrink_registry`).
    shrunk_at: (AtomicUsize, AtomicUsize),
    /// The highest occupied slot the last shrink found (`u32::MAX`: none):
    /// the retirement of a task at or above it (a straggler of a burst)
    /// lets the next shrink try again.
    shrink_blocker: AtomicU32,
    /// Set by such a retirement.
    shrink_unblocked: AtomicBool,
    /// Wakes and re-sorts handed over by other threads (and by this one
    /// outside a poll of the chain): lock-free, closed with the chain.
    injector: ConcurrentQueue<(TaskRef, Placement)>,
    /// Set when a spawn or a wake was handed over (the injection queue or
    /// the injector), so a poller checks without the lock.
    pub(crate) injected: AtomicBool,
    /// Set when the injection queue of new tasks is non-empty, so a drain
    /// of wakes alone takes no lock.
    spawns_queued: AtomicBool,
    sleeping: AtomicIsize,
    /// Registered tasks not yet terminal.
    live: LiveCount,
    epoch: AtomicU64,
    /// The thread (`thread_number`) that owns the chain's `!Send` tasks,
    /// or `NO_OWNER`.
    owner: AtomicU64,
    /// Successful `claim_owner` calls.
    owner_claims: AtomicU64,
    /// Set by `shutdown`: no new task is registered. The queues stay open
    /// until `close` (see `ChainLocked::closed`).
    shut_down: AtomicBool,
    /// The runtime the chain ran on went away (see `runtime_gone`).
    runtime_gone: AtomicBool,
    parked: Mutex<Option<Thread>>,
    has_parked: AtomicBool,
    /// Set while done callbacks wait, so runners check without the lock.
    callbacks_queued: AtomicBool,
    /// Set while late done callbacks wait (see `take_late_callbacks`);
    /// written under the lock.
    late_queued: AtomicBool,
    /// Wakes a threaded chain's idle workers when work arrives.
    listener: OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// How a threaded chain's runtime takes coroutines, if it does (see
    /// `hand_over`).
    scheduling: OnceLock<TaskScheduling>,
    /// Whether the tasks whose order is free go to the runtime (see
    /// `set_unordered`).
    unordered: AtomicBool,
    /// A threaded chain's runtime, weakly (the chain lets go of it at
    /// shutdown), for `stalls_if_blocked`.
    runtime: OnceLock<Weak<dyn Runtime>>,
    /// Polls (frame chain), worker polls and runs outside the epochs
    /// (threaded chain) in progress, and whether `shutdown` has ended
    /// every task: the chain closes once both hold (see `RunnerCount`).
    runners: RunnerCount,
}

/// Why a task is handed to the poller.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Placement {
    /// Spawned or woken: run it this epoch if its sort allows, else next.
    Run,
    /// Its sort or priority changed: re-order it, but never run it twice in
    /// one epoch.
    Resort,
    /// Spawned with a delay: sleep until this time.
    SleepUntil(Duration),
}

#[derive(Default)]
pub(crate) struct ChainLocked {
    registry: Registry,
    /// New tasks to place in the run queues (registered under this lock).
    pub(crate) injection: Vec<(TaskRef, Placement)>,
    pub(crate) callbacks: Vec<Job>,
    /// Done callbacks registered after a waker of their future: they run
    /// after the runs of the epoch that follows (see `Dispatch`).
    late_callbacks: Vec<Job>,
    /// Set by `close`, with the queues taken in the same critical section:
    /// from then on the chain accepts nothing (a task reference or a job
    /// left in a queue nobody drains would keep the chain alive through
    /// the task or promise that points back to it).
    closed: bool,
}

impl std::fmt::Debug for ChainCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainCore")
            .field("name", &self.name)
            .finish()
    }
}

impl ChainCore {
    /// A chain core named `name` reading `clock`, with `settings`.
    pub fn new(name: &str, clock: Arc<dyn Clock>, settings: ChainSettings) -> Arc<Self> {
        Arc::new(ChainCore {
            name: name.into(),
            clock,
            settings: Mutex::new(settings),
            settings_version: AtomicU64::new(0),
            shared: Mutex::new(ChainLocked::default()),
            slots: SlotTable::new(),
            shrunk_at: (AtomicUsize::new(0), AtomicUsize::new(0)),
            shrink_blocker: AtomicU32::new(u32::MAX),
            shrink_unblocked: AtomicBool::new(false),
            injector: ConcurrentQueue::unbounded(),
            injected: AtomicBool::new(false),
            spawns_queued: AtomicBool::new(false),
            sleeping: AtomicIsize::new(0),
            live: LiveCount::default(),
            epoch: AtomicU64::new(0),
            owner: AtomicU64::new(NO_OWNER),
            owner_claims: AtomicU64::new(0),
            shut_down: AtomicBool::new(false),
            runtime_gone: AtomicBool::new(false),
            parked: Mutex::new(None),
            has_parked: AtomicBool::new(false),
            callbacks_queued: AtomicBool::new(false),
            late_queued: AtomicBool::new(false),
            listener: OnceLock::new(),
            scheduling: OnceLock::new(),
            unordered: AtomicBool::new(false),
            runtime: OnceLock::new(),
            runners: RunnerCount::default(),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub(crate) fn now(&self) -> Duration {
        self.clock.now()
    }

    pub(crate) fn settings(&self) -> ChainSettings {
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Changes whenever the settings do.
    pub(crate) fn settings_version(&self) -> u64 {
        self.settings_version.load(Ordering::Acquire)
    }

    pub(crate) fn set_settings(&self, settings: ChainSettings) {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = settings;
        self.settings_version.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn locked(&self) -> MutexGuard<'_, ChainLocked> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[inline]
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    /// The runtime dropped the chain's workers: nothing will run its tasks
    /// again. Cancels them all and takes no more, as a shutdown does (one
    /// that waits for no worker: they are gone), and says why from now on
    /// ([`Error::RuntimeGone`]). Nothing if the chain was shut down first.
    pub(crate) fn runtime_gone(&self) {
        if self.is_shut_down() {
            return;
        }
        self.runtime_gone.store(true, Ordering::Release);
        self.shutdown();
    }

    /// Whether the chain was shut down because its runtime went away.
    pub(crate) fn is_runtime_gone(&self) -> bool {
        self.runtime_gone.load(Ordering::Acquire)
    }

    /// Binds the chain to the calling thread for `!Send` tasks.
    pub(crate) fn claim_owner(&self) -> Result<(), Error> {
        let me = thread_number();
        match self
            .owner
            .compare_exchange(NO_OWNER, me, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {}
            Err(owner) if owner == me => {}
            Err(_) => return Err(Error::WrongThread),
        }
        self.owner_claims.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Whether the chain is bound to a thread, and how many claims bound
    /// it so far (for [`release_owner`](Self::release_owner)).
    pub(crate) fn owner_claims(&self) -> (bool, u64) {
        (
            self.owner.load(Ordering::Acquire) != NO_OWNER,
            self.owner_claims.load(Ordering::Acquire),
        )
    }

    /// Unbinds the chain from the calling thread if nobody claimed it since
    /// `claims` were counted: the caller bound it for one `!Send` task,
    /// which is over, and no spawner of `!Send` tasks (nor any such task)
    /// was made meanwhile.
    pub(crate) fn release_owner(&self, claims: u64) {
        if self.owner_claims.load(Ordering::Acquire) == claims {
            let _ = self.owner.compare_exchange(
                thread_number(),
                NO_OWNER,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
    }

    /// True unless the chain is bound to another thread.
    #[inline]
    pub(crate) fn is_owner_thread(&self) -> bool {
        let owner = self.owner.load(Ordering::Acquire);
        owner == NO_OWNER || owner == thread_number()
    }

    /// Epochs run so far.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }

    /// Starts the next epoch; returns its number.
    pub(crate) fn next_epoch(&self) -> u64 {
        self.epoch.fetch_add(1, Ordering::Relaxed) + 1
    }

    #[inline]
    pub(crate) fn sleeping_changed(&self, delta: isize) {
        self.sleeping.fetch_add(delta, Ordering::Relaxed);
    }

    pub(crate) fn sleeping_count(&self) -> usize {
        self.sleeping.load(Ordering::Relaxed).max(0) as usize
    }

    /// Live tasks: registered and not yet terminal.
    pub(crate) fn task_count(&self) -> usize {
        self.live.get()
    }

    /// Registers a new task (`registered`: the registry's reference) and
    /// queues it (to sleep until `wake_at` if given). After shutdown the
    /// task is cancelled instead.
    pub(crate) fn submit(&self, task: TaskRef, registered: TaskRef, wake_at: Option<Duration>) {
        let header = task.header();
        header.state.submit(wake_at.is_some());
        if wake_at.is_some() {
            self.sleeping_changed(1);
        }
        let mut shared = self.locked();
        if self.is_shut_down() {
            drop(shared);
            task.abort();
            return;
        }
        let slot = match shared.registry.insert(&self.slots, registered) {
            Ok(slot) => slot,
            Err(registered) => {
                // More tasks than fit in memory: it cannot be registered.
                drop(shared);
                drop(registered);
                task.abort();
                return;
            }
        };
        self.live.registered_under_lock();
        header.slot.store(slot, Ordering::Relaxed);
        if wake_at.is_none() {
            if let Some(scheduling) = self.unordered_scheduling(header) {
                drop(shared);
                match scheduling {
                    TaskScheduling::Runnables(s) => s.schedule(TaskRunnable::new(task, false)),
                    // A re-sort from another thread may have hosted it
                    // already (see `hand_over`): one host per task.
                    TaskScheduling::Hosts(s) => {
                        if header.state.claim_host() {
                            s.spawn_host(TaskHost::new(task));
                        }
                    }
                }
                return;
            }
        }
        let placement = wake_at.map_or(Placement::Run, Placement::SleepUntil);
        // The poll on this thread, if there is one, places it; it needs no
        // notification.
        let Err(run) = LocalRuns::push(self, task, placement) else {
            return;
        };
        shared.injection.push(run);
        drop(shared);
        self.spawns_queued.store(true, Ordering::Release);
        self.injected.store(true, Ordering::Release);
        self.notify();
    }

    /// Hands a woken (`Run`) or re-sorted (`Resort`) task to the poller,
    /// without a lock. A closed chain refuses it: the task has ended
    /// (shutdown ended every task before closing), so the reference is only
    /// dropped.
    pub(crate) fn schedule(&self, task: TaskRef, placement: Placement) {
        self.hand_over(task, placement, false);
    }

    /// Hands over a task that ran and asks to run again (it yielded, or was
    /// woken while it ran): as a wake, but a runtime that schedules it
    /// queues it behind its other work.
    pub(crate) fn schedule_again(&self, task: TaskRef) {
        self.hand_over(task, Placement::Run, true);
    }

    fn hand_over(&self, task: TaskRef, placement: Placement, again: bool) {
        if placement == Placement::Run && !self.injector.is_closed() {
            match self.unordered_scheduling(task.header()) {
                Some(TaskScheduling::Runnables(s)) => {
                    s.schedule(TaskRunnable::new(task, again));
                    return;
                }
                Some(TaskScheduling::Hosts(s)) => {
                    match catch_unwind(AssertUnwindSafe(|| task.header().host.wake(&**s))) {
                        Ok(true) => return,
                        // A task that ran in the epochs so far (spawned with
                        // a delay, of another sort, or before the chain
                        // handed its coroutines over) gets its host now. One
                        // made but not yet run has no waker to wake: the
                        // epochs run the task meanwhile.
                        Ok(false) => {
                            if task.header().state.claim_host() {
                                s.spawn_host(TaskHost::new(task));
                                return;
                            }
                        }
                        // The host's waker (the runtime's) panicked: the host
                        // may not be scheduled, so the epochs run the task
                        // (whichever run starts first takes it; the other
                        // finds it taken).
                        Err(payload) => drop_payload(payload),
                    }
                }
                None => {}
            }
        }
        // A poll of this chain runs on this thread: it is open (it closes
        // only once no poll is left), and places the task before its next
        // run.
        let Err(run) = LocalRuns::push(self, task, placement) else {
            return;
        };
        if let Err(refused) = self.injector.push(run) {
            // It may be the task's last reference.
            drop(refused.into_inner());
            return;
        }
        self.injected.store(true, Ordering::Release);
        self.notify();
    }

    /// How the runtime takes `header`'s task if it goes there: a coroutine
    /// whose order is free, on a chain that hands those to its runtime.
    #[inline]
    fn unordered_scheduling(&self, header: &Header) -> Option<&TaskScheduling> {
        if !self.unordered.load(Ordering::Relaxed) || !header.runs_unordered() {
            return None;
        }
        self.scheduling.get()
    }

    /// Wakes the host of `header`'s task, through the spawner of the
    /// runtime that hosts it (see `HostSpawner::wake_host`); false if the
    /// host kept no waker yet.
    pub(crate) fn wake_host(&self, header: &Header) -> bool {
        match self.scheduling.get() {
            Some(TaskScheduling::Hosts(s)) => header.host.wake(&**s),
            _ => false,
        }
    }

    /// Sets the runtime a threaded chain runs on, and how it takes
    /// coroutines; once per chain.
    pub(crate) fn set_runtime(&self, runtime: &Arc<dyn Runtime>) {
        let _ = self.runtime.set(Arc::downgrade(runtime));
        if let Some(scheduling) = runtime.task_scheduling() {
            let _ = self.scheduling.set(scheduling);
        }
    }

    /// Whether a blocking wait on this thread would stop the chain's
    /// runtime (see [`Runtime::stalls_if_blocked`]).
    pub(crate) fn stalls_if_blocked(&self) -> bool {
        self.runtime
            .get()
            .and_then(Weak::upgrade)
            .is_some_and(|r| r.stalls_if_blocked())
    }

    /// Whether the coroutines whose order is free go to the runtime from
    /// now on (a threaded chain decides, from its settings); on a runtime
    /// that does not take them they never do.
    pub(crate) fn set_unordered(&self, on: bool) {
        self.unordered
            .store(on && self.scheduling.get().is_some(), Ordering::Relaxed);
    }

    /// Moves what was handed over (new tasks, wakes, re-sorts) into
    /// `batch`.
    pub(crate) fn drain_injected(&self, batch: &mut Vec<(TaskRef, Placement)>) {
        // Cleared first: what is handed over from now on sets it again. A
        // swap, so that reading a pusher's `true` also makes its push
        // visible to the drain below.
        self.injected.swap(false, Ordering::SeqCst);
        if self.spawns_queued.swap(false, Ordering::AcqRel) {
            std::mem::swap(batch, &mut self.locked().injection);
        }
        // Only what is there now: a thread pushing as fast as this pops
        // must not keep the poller here (it holds its queues).
        let present = self.injector.len();
        batch.extend(self.injector.try_iter().take(present));
    }

    /// Forgets a task that reached its terminal state: empties its
    /// registry slot without the chain's lock (a named task takes it, to
    /// leave the name index).
    pub(crate) fn retire(&self, header: &Header) {
        // Called once per task, by whoever completed it. Sequentially
        // consistent, with the name check below, against `rename`.
        let slot = header.slot.swap(u32::MAX, Ordering::SeqCst);
        if slot == u32::MAX {
            return;
        }
        let registered = if header.is_named() {
            let mut shared = self.locked();
            shared.registry.forget_name(header);
            self.slots.retire(slot, header)
        } else {
            self.slots.retire(slot, header)
        };
        // Not the last reference: whoever completes a task holds one.
        drop(registered);
        if slot >= self.shrink_blocker.load(Ordering::SeqCst) {
            self.shrink_unblocked.store(true, Ordering::Relaxed);
        }
        let emptied = if LocalRuns::is_polling(self) {
            self.live.retired_by_poll();
            self.live.get() == 0
        } else {
            self.live.retired_elsewhere()
        };
        if emptied {
            // Someone may wait for the chain to empty.
            self.notify();
        }
    }

    /// Renames the task `header`, keeping the name index true. A rename
    /// racing the task's retirement: the rename stores the name before it
    /// reads the slot, the retirement empties the slot before it reads
    /// whether there is a name (all sequentially consistent), so either the
    /// rename sees the task retired and indexes nothing, or the retirement
    /// sees the name and takes this lock to leave the index.
    pub(crate) fn rename(&self, header: &Header, name: Arc<str>) {
        let mut shared = self.locked();
        let before = header.rename(name.clone());
        let slot = header.slot.load(Ordering::SeqCst);
        let slot = (slot != u32::MAX).then_some(slot);
        shared
            .registry
            .rename(header.id, slot, before.as_deref(), name);
    }

    /// Gives the registry's memory back after a burst, once at most a
    /// quarter of its slots are in use, and the live tasks halved or the
    /// task in the highest slot retired since it last tried. Called as each
    /// poll ends; takes the lock only then.
    pub(crate) fn shrink_registry(&self) {
        let capacity = self.slots.capacity();
        let live = self.live.get();
        if capacity <= SlotTable::capacity_for(SHRINK_ABOVE) || live >= capacity / 4 {
            return;
        }
        let (tried_capacity, tried_live) = &self.shrunk_at;
        if tried_capacity.load(Ordering::Relaxed) == capacity
            && live * 2 > tried_live.load(Ordering::Relaxed)
            && !self.shrink_unblocked.load(Ordering::Relaxed)
        {
            return;
        }
        let mut shared = self.locked();
        // After shutdown a task not yet retired may still reach its slot.
        if self.is_shut_down() {
            return;
        }
        let highest = shared.registry.shrink(&self.slots);
        self.shrink_blocker
            .store(highest.unwrap_or(u32::MAX), Ordering::SeqCst);
        // Its task may have retired before it could see the new blocker.
        let retired = highest.is_some_and(|h| self.slots.is_vacant(h as usize));
        self.shrink_unblocked.store(retired, Ordering::Relaxed);
        tried_capacity.store(self.slots.capacity(), Ordering::Relaxed);
        tried_live.store(live, Ordering::Relaxed);
    }

    /// Sets what `notify` calls besides unparking a waiting thread (a
    /// threaded chain wakes an idle worker); once per chain.
    pub(crate) fn set_listener(&self, listener: Box<dyn Fn() + Send + Sync>) {
        let _ = self.listener.set(listener);
    }

    /// The chain's counts, from its live and sleeping counters.
    pub(crate) fn stats(&self) -> ChainStats {
        let total = self.task_count();
        let sleeping = self.sleeping_count().min(total);
        ChainStats {
            active: total - sleeping,
            sleeping,
            epochs: self.epoch(),
        }
    }

    /// Wakes whoever runs the chain's work (a threaded chain's idle worker)
    /// and a thread blocked in `wait_for_tasks` or `run_until`.
    pub(crate) fn notify(&self) {
        if let Some(listener) = self.listener.get() {
            listener();
        }
        if self.has_parked.load(Ordering::Acquire) {
            if let Some(t) = self
                .parked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
            {
                t.unpark();
            }
        }
    }

    /// Parks the calling thread until notified or `timeout` passes.
    pub(crate) fn park(&self, timeout: Duration) {
        *self.parked.lock().unwrap_or_else(|e| e.into_inner()) = Some(current_thread());
        self.has_parked.store(true, Ordering::Release);
        if !self.injected.load(Ordering::Acquire) {
            park_timeout(timeout);
        }
        self.has_parked.store(false, Ordering::Release);
        *self.parked.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    // The lookups drop the done tasks they found outside the lock (see
    // `Registry::all`).

    /// Every live task, in no particular order.
    pub(crate) fn tasks(&self) -> Vec<TaskRef> {
        let all = self.locked().registry.all(&self.slots);
        not_done(all)
    }

    /// Live tasks named exactly `name`, oldest first.
    pub(crate) fn find_by_name(&self, name: &str) -> Vec<TaskRef> {
        let named = self.locked().registry.find_by_name(&self.slots, name);
        not_done(named)
    }

    /// The oldest live task named exactly `name`, without collecting the
    /// others.
    pub(crate) fn find_first_by_name(&self, name: &str) -> Option<TaskRef> {
        let mut done = Vec::new();
        let first = self
            .locked()
            .registry
            .find_first_by_name(&self.slots, name, &mut done);
        drop(done);
        first
    }

    /// Live tasks whose name matches the glob `pattern`, oldest first.
    pub(crate) fn find_matching(&self, pattern: &str) -> Vec<TaskRef> {
        // The names are matched outside the lock: a pattern and a name may
        // be as long as the caller likes, and spawns must not wait on them.
        let names = self.locked().registry.names();
        let matching = matching_names(names, pattern);
        if matching.is_empty() {
            return Vec::new();
        }
        let found = self.locked().registry.find_by_names(&self.slots, &matching);
        let mut found = not_done(found);
        found.sort_by_key(|t| t.header().id);
        found
    }

    /// Stops taking tasks and cancels every live one (running `upon_death`
    /// once each; a task running meanwhile ends when its run does), then
    /// closes the chain at once, or when the last poll in progress ends.
    pub(crate) fn shutdown(&self) {
        if !self.shut_down.swap(true, Ordering::Release) {
            trace::chain_shutdown(self);
        }
        loop {
            let tasks = self.locked().registry.drain(&self.slots);
            if tasks.is_empty() {
                break;
            }
            for task in &tasks {
                task.abort();
            }
        }
        if self.runners.drain() {
            self.close();
        }
    }

    /// Waits until the shut-down chain closed (its last run ended), up to
    /// `deadline`; false if it had not by then.
    pub(crate) fn wait_closed(&self, deadline: std::time::Instant) -> bool {
        loop {
            if self.locked().closed {
                return true;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return false;
            }
            // Woken by the last run's end; the nap bounds a missed unpark.
            self.park((deadline - now).min(Duration::from_millis(1)));
        }
    }

    /// Marks a poll of the chain in progress until the guard drops: a
    /// shut-down chain closes only once every such poll is over.
    pub(crate) fn enter_runner(&self) -> Runner<'_> {
        let shard = self.runners.enter(thread_number());
        Runner {
            chain: self,
            shard,
            scope: Some(POLLED_CHAIN.enter(self)),
        }
    }

    /// Whether this thread is inside a poll of this chain (running its
    /// tasks, done callbacks, handlers): what it waits for may need that
    /// very poll to go on.
    pub(crate) fn is_run_by_this_thread(&self) -> bool {
        POLLED_CHAIN.is(self)
    }

    /// The chain's last drain, after `shutdown` once no task runs: takes
    /// its queues and closes them in one critical section, then runs the
    /// done callbacks found there (those of the tasks the shutdown
    /// cancelled among them). From then on the chain accepts nothing:
    /// a wake is dropped, a done callback or handler call is dropped
    /// unrun. Idempotent.
    fn close(&self) {
        let (injection, callbacks, late, names) = {
            let mut shared = self.locked();
            if shared.closed {
                return;
            }
            shared.closed = true;
            // From here on a wake is refused by the injector itself.
            self.injector.close();
            self.callbacks_queued.store(false, Ordering::Release);
            self.late_queued.store(false, Ordering::SeqCst);
            (
                std::mem::take(&mut shared.injection),
                std::mem::take(&mut shared.callbacks),
                std::mem::take(&mut shared.late_callbacks),
                shared.registry.take_names(),
            )
        };
        drop((injection, names));
        // What was handed over before the injector closed.
        self.injector.try_iter().for_each(drop);
        run_jobs(callbacks);
        run_jobs(late);
    }

    /// Whether done callbacks wait to run.
    pub(crate) fn has_callbacks(&self) -> bool {
        self.callbacks_queued.load(Ordering::Acquire)
    }

    /// Runs the done callbacks queued so far.
    pub(crate) fn run_callbacks(&self) {
        let jobs = {
            let mut shared = self.locked();
            self.callbacks_queued.store(false, Ordering::Release);
            std::mem::take(&mut shared.callbacks)
        };
        run_jobs(jobs);
    }

    /// How many late done callbacks are queued (a threaded chain's epoch
    /// runs those queued before it began once it closes).
    pub(crate) fn late_callbacks_queued(&self) -> usize {
        if !self.has_late_callbacks() {
            return 0;
        }
        self.locked().late_callbacks.len()
    }

    /// Takes the first `n` late done callbacks queued (fewer if the chain
    /// closed and ran them meanwhile), for the caller to run (`run_jobs`)
    /// once the runs of the epoch they wait for are over. They stay queued
    /// until then, so a chain closed first (its worker gone) runs them.
    pub(crate) fn take_late_callbacks(&self, n: usize) -> Vec<Job> {
        if n == 0 || !self.has_late_callbacks() {
            return Vec::new();
        }
        let mut shared = self.locked();
        let n = n.min(shared.late_callbacks.len());
        let taken: Vec<Job> = shared.late_callbacks.drain(..n).collect();
        if shared.late_callbacks.is_empty() {
            self.late_queued.store(false, Ordering::Release);
        }
        taken
    }

    /// Whether late done callbacks wait to run.
    pub(crate) fn has_late_callbacks(&self) -> bool {
        self.late_queued.load(Ordering::SeqCst)
    }
}

/// Runs done callbacks in order. A panicking callback must not take the
/// chain down; it has no future of its own to carry the panic, so it is
/// reported on stderr by the panic hook and the chain goes on.
pub(crate) fn run_jobs(jobs: Vec<Job>) {
    for job in jobs {
        isolated(job);
    }
}

impl ChainCore {
    /// Queues a done callback unless the chain is closed (it is then
    /// dropped unrun); true if queued.
    fn queue_job(&self, job: Job, late: bool) -> bool {
        let mut shared = self.locked();
        if shared.closed {
            drop(shared);
            // Its captures' destructors are user code.
            isolated(move || drop(job));
            return false;
        }
        if late {
            shared.late_callbacks.push(job);
            self.late_queued.store(true, Ordering::SeqCst);
        } else {
            shared.callbacks.push(job);
        }
        true
    }
}

impl ChainCore {
    /// Queues `job` to run on the chain's next poll (or worker), before its
    /// runs; `Err(Shutdown)` once the chain is closed (the job is dropped).
    pub(crate) fn call_soon(&self, job: Job) -> Result<(), Error> {
        if !self.queue_job(job, false) {
            return Err(Error::Shutdown);
        }
        self.callbacks_queued.store(true, Ordering::Release);
        self.notify();
        Ok(())
    }
}

impl Dispatch for ChainCore {
    /// Queues `job` for the chain's next poll or worker. A closed chain
    /// drops it unrun: running it here would run a callback inline in the
    /// call that completed its future (a deadlock if that caller holds a
    /// lock the callback takes), and keeping it would keep the chain alive.
    fn dispatch(&self, job: Job) {
        let _ = self.call_soon(job);
    }

    fn dispatch_late(&self, job: Job) {
        if self.queue_job(job, true) {
            self.notify();
        }
    }

    fn is_closed(&self) -> bool {
        self.locked().closed
    }
}

/// The tasks of `found` that are not done.
fn not_done(mut found: Vec<TaskRef>) -> Vec<TaskRef> {
    found.retain(|t| !t.is_done());
    found
}

/// `ChainCore::owner` of an unbound chain.
const NO_OWNER: u64 = 0;

/// Numbers handed to threads by `thread_number`.
static NEXT_THREAD_NUMBER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

const_thread_local! {
    /// This thread's number (0 until first asked for).
    static THREAD_NUMBER: Cell<u64> = Cell::new(NO_OWNER);
}

/// A number for the calling thread, unique in the process and never
/// `NO_OWNER`; an atomic can hold it, unlike a `ThreadId`.
pub(crate) fn thread_number() -> u64 {
    THREAD_NUMBER
        .try_with(|n| {
            if n.get() == NO_OWNER {
                n.set(NEXT_THREAD_NUMBER.fetch_add(1, Ordering::Relaxed));
            }
            n.get()
        })
        // During thread teardown: a number no thread has, so the chain is
        // not treated as owned by this thread.
        .unwrap_or(u64::MAX)
}

scoped_thread_local! {
    /// The chain whose poll this thread is in (see [`ChainCore::enter_runner`]).
    static POLLED_CHAIN: ChainCore
}

/// A poll in progress (see [`ChainCore::enter_runner`]); the last one to
/// end on a shut-down chain closes it.
pub(crate) struct Runner<'a> {
    chain: &'a ChainCore,
    /// Where it is counted.
    shard: usize,
    /// Marks this thread as polling the chain; restores the outer poll's
    /// chain, if any.
    scope: Option<ScopeGuard<ChainCore>>,
}

impl Drop for Runner<'_> {
    fn drop(&mut self) {
        // The poll is over before the chain may close.
        drop(self.scope.take());
        if self.chain.runners.exit(self.shard) {
            self.chain.close();
            // A shutdown may wait for the runs to end (`wait_closed`).
            self.chain.notify();
        }
    }
}
