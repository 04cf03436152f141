//! The task header: the type-independent part of a task cell (id, sort,
//! priority, start time, state word, chain, and the rarely used properties
//! kept out of line), and the options a task is spawned with.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::chain::core::ChainCore;
use crate::sync::{
    ptr_mut, AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, Mutex,
};
use crate::task::awaited::{AwaitedHook, AwaitedSlot};
use crate::task::death::DeathHook;
use crate::task::host_waker::HostWaker;
use crate::task::name::TaskName;
use crate::task::raw::TaskVTable;
use crate::task::state::State;

// From std even under loom: loom objects cannot live in statics, and an id
// only needs to be unique.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The start time (an ordering key) of a task that has not run yet: it
/// orders after every started task of the same sort and priority, as the
/// newest. Whether a task started is its `started` flag.
const NOT_STARTED: u64 = u64::MAX;

/// The callback a task runs once when it ends, with the task (see
/// `TaskDeath`).
pub(crate) type UponDeath = Box<dyn DeathHook>;

/// What a task does once it finished with its value, after it left its
/// chain (a done event's send): set by the builder, opaque to the cell.
pub(crate) type AfterDone = Box<dyn FnOnce() + Send>;

/// Rarely used task properties, allocated only for tasks that set one.
#[derive(Default)]
pub(crate) struct Meta {
    name: TaskName,
    pub(crate) upon_death: Mutex<Option<UponDeath>>,
    /// Run when the task finishes (not when it is cancelled or panics).
    after_done: Mutex<Option<AfterDone>>,
    /// Nanoseconds; `u64::MAX` means no delay.
    delay: AtomicU64,
    /// `cancel()` calls that returned true, less `uncancel()` calls: the
    /// cancel requests the task has not yet declared handled.
    cancels: AtomicU32,
}

/// The type-independent part of a task cell.
pub(crate) struct Header {
    /// The flags of the task and the count of references to its cell.
    pub(crate) state: State,
    /// The functions that know the cell's types.
    pub(crate) vtable: &'static TaskVTable,
    /// Bumped on every enqueue; queue entries with an older token are stale.
    pub(crate) token: AtomicU32,
    pub(crate) id: u64,
    sort: AtomicI32,
    priority: AtomicI32,
    /// Timeslice credit (see `FrameChain`).
    pub(crate) credit: AtomicI32,
    /// Key in the chain's registry.
    pub(crate) slot: AtomicU32,
    start_time: AtomicU64,
    /// The task has run: its start time and epoch are set. Written by the
    /// runner (a plain store, it owns the task then) after them, so a
    /// reader that sees it finds them. A flag rather than a sentinel start
    /// time, since a saturated clock can read any `u64`.
    started: AtomicBool,
    /// What the cell's stage holds: its work, its output or nothing. Read
    /// and written only by the cell (see `cell`), by whoever owns the stage
    /// at the time.
    pub(crate) stage: AtomicU8,
    /// Wrapping epoch numbers: a task's age in frames is a wrapping
    /// difference, so 32 bits do.
    start_epoch: AtomicU32,
    /// The epoch whose run of the task was last taken from its queue (set
    /// by the queues, under their owner's lock).
    pub(crate) ran_epoch: AtomicU32,
    pub(crate) chain: Arc<ChainCore>,
    /// The future the task is suspended on, if one of ours: its cancel
    /// cancels it at once (see `awaited`).
    awaited_hook: Mutex<Option<AwaitedHook>>,
    /// Whether `awaited_hook` may hold one.
    awaited_set: AtomicBool,
    /// The task has a name (see `rename`), read without the name's lock.
    named: AtomicBool,
    /// The waker of the runtime task that hosts the task (see
    /// `TaskHost`), once it first ran it: a wake of the task wakes it.
    /// Whether a host was made is the state's `HOSTED`.
    pub(crate) host: HostWaker,
    /// Null until the task has one of the rarely used properties; set
    /// once (from a `Box`), freed with the header.
    meta: AtomicPtr<Meta>,
}

/// How a task is set up before it is scheduled.
pub(crate) struct Options {
    pub(crate) name: Option<Arc<str>>,
    pub(crate) sort: i32,
    pub(crate) priority: i32,
    pub(crate) delay: Option<Duration>,
    pub(crate) upon_death: Option<UponDeath>,
    pub(crate) after_done: Option<AfterDone>,
}

impl Header {
    /// The header of a task with `refs` references to its cell, whose
    /// typed functions are `vtable`.
    pub(crate) fn new(
        chain: Arc<ChainCore>,
        opts: Options,
        refs: u64,
        vtable: &'static TaskVTable,
    ) -> Self {
        let mut meta = std::ptr::null_mut();
        let named = opts.name.is_some();
        if opts.name.is_some()
            || opts.upon_death.is_some()
            || opts.delay.is_some()
            || opts.after_done.is_some()
        {
            let m = Meta {
                name: TaskName::new(opts.name),
                upon_death: Mutex::new(opts.upon_death),
                after_done: Mutex::new(opts.after_done),
                delay: AtomicU64::new(delay_nanos(opts.delay)),
                cancels: AtomicU32::new(0),
            };
            meta = Box::into_raw(Box::new(m));
        }
        Header {
            state: State::new(refs),
            vtable,
            token: AtomicU32::new(0),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            sort: AtomicI32::new(opts.sort),
            priority: AtomicI32::new(opts.priority),
            credit: AtomicI32::new(0),
            slot: AtomicU32::new(u32::MAX),
            start_time: AtomicU64::new(NOT_STARTED),
            started: AtomicBool::new(false),
            // The cell's `HOLDS_WORK`: every cell starts with its work.
            stage: AtomicU8::new(0),
            start_epoch: AtomicU32::new(0),
            ran_epoch: AtomicU32::new(0),
            chain,
            awaited_hook: Mutex::new(None),
            awaited_set: AtomicBool::new(false),
            named: AtomicBool::new(named),
            host: HostWaker::default(),
            meta: AtomicPtr::new(meta),
        }
    }

    /// The rarely used properties, if the task has any.
    fn meta(&self) -> Option<&Meta> {
        // SAFETY: a non-null pointer came from `Box::into_raw` and is freed
        // only when the header drops, after every borrow of it.
        unsafe { self.meta.load(Ordering::Acquire).as_ref() }
    }

    /// The future the task is suspended on, if one of ours.
    #[inline]
    pub(crate) fn awaited(&self) -> AwaitedSlot<'_> {
        AwaitedSlot {
            set: &self.awaited_set,
            hook: &self.awaited_hook,
        }
    }

    /// Whether this thread may run or drop the task's work: any thread for
    /// a `Send` task, only the chain's owner for a `!Send` one.
    #[inline]
    pub(crate) fn may_drop_work_here(&self) -> bool {
        !self.vtable.local || self.chain.is_owner_thread()
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.meta().and_then(|m| m.name.get())
    }

    pub(crate) fn name_arc(&self) -> Option<Arc<str>> {
        self.meta().and_then(|m| m.name.get_arc())
    }

    /// Whether the task has a name. Sequentially consistent, with the
    /// store in `rename` and the chain's `retire`: of a rename and a
    /// retirement racing, at least one sees the other (see
    /// `ChainCore::rename`).
    pub(crate) fn is_named(&self) -> bool {
        self.named.load(Ordering::SeqCst)
    }

    /// Renames the task; returns its name before. The caller holds the
    /// chain's lock and updates the name index.
    pub(crate) fn rename(&self, name: Arc<str>) -> Option<Arc<str>> {
        let before = self.meta_or_insert().name.set(name);
        self.named.store(true, Ordering::SeqCst);
        before
    }

    /// Whether the order of the task's runs is free: a `Send` coroutine
    /// of the default sort, which a free-running threaded chain hands its
    /// runtime to schedule (see `ChainCore::hand_over`).
    #[inline]
    pub(crate) fn runs_unordered(&self) -> bool {
        !self.vtable.local && (self.vtable.is_coroutine)() && self.sort() == 0
    }

    #[inline]
    pub(crate) fn sort(&self) -> i32 {
        self.sort.load(Ordering::Relaxed)
    }

    pub(crate) fn priority(&self) -> i32 {
        self.priority.load(Ordering::Relaxed)
    }

    pub(crate) fn set_sort(&self, sort: i32) {
        self.sort.store(sort, Ordering::Relaxed);
    }

    pub(crate) fn set_priority(&self, priority: i32) {
        self.priority.store(priority, Ordering::Relaxed);
    }

    pub(crate) fn delay(&self) -> Option<Duration> {
        let nanos = self.meta()?.delay.load(Ordering::Relaxed);
        (nanos != u64::MAX).then(|| Duration::from_nanos(nanos))
    }

    pub(crate) fn set_delay(&self, delay: Option<Duration>) {
        self.meta_or_insert()
            .delay
            .store(delay_nanos(delay), Ordering::Relaxed);
    }

    /// Counts a cancel request (see `Meta::cancels`).
    pub(crate) fn count_cancel(&self) {
        self.meta_or_insert().cancels.fetch_add(1, Ordering::AcqRel);
    }

    /// The cancel requests not yet declared handled.
    pub(crate) fn cancelling(&self) -> u32 {
        self.meta().map_or(0, |m| m.cancels.load(Ordering::Acquire))
    }

    /// Declares one cancel request handled; returns the requests left.
    pub(crate) fn uncancel(&self) -> u32 {
        let Some(meta) = self.meta() else {
            return 0;
        };
        let left = meta
            .cancels
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        left.map_or(0, |n| n - 1)
    }

    /// The rarely used properties, made now if the task had none.
    fn meta_or_insert(&self) -> &Meta {
        self.meta().unwrap_or_else(|| {
            let fresh = Box::into_raw(Box::new(Meta {
                delay: AtomicU64::new(u64::MAX),
                ..Meta::default()
            }));
            let null = std::ptr::null_mut();
            match self
                .meta
                .compare_exchange(null, fresh, Ordering::AcqRel, Ordering::Acquire)
            {
                // SAFETY: `fresh` is now the header's, freed only with it.
                Ok(_) => unsafe { &*fresh },
                Err(set) => {
                    // SAFETY: `fresh` lost the race: nobody else saw it. `set`
                    // is the header's, freed only with it.
                    unsafe {
                        drop(Box::from_raw(fresh));
                        &*set
                    }
                }
            }
        })
    }

    /// When the task first ran (or last returned `Again`); `None` before.
    pub(crate) fn start_time(&self) -> Option<Duration> {
        // Acquire: pairs with the release that marked the task started
        // after the start time was stored.
        let started = self.started.load(Ordering::Acquire);
        started.then(|| Duration::from_nanos(self.start_time.load(Ordering::Relaxed)))
    }

    pub(crate) fn start_nanos(&self) -> u64 {
        self.start_time.load(Ordering::Relaxed)
    }

    /// Epochs from the task's start to `epoch`.
    pub(crate) fn frames_since_start(&self, epoch: u64) -> u64 {
        u64::from((epoch as u32).wrapping_sub(self.start_epoch.load(Ordering::Relaxed)))
    }

    /// Whether the task has run (its start time is set).
    #[inline]
    pub(crate) fn has_started(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }

    /// Sets the start time and epoch on the task's first run. The caller
    /// runs the task.
    #[inline]
    pub(crate) fn start_once(&self, now: Duration, epoch: u64) {
        if !self.started.load(Ordering::Relaxed) {
            self.restart(now, epoch);
            self.started.store(true, Ordering::Release);
        }
    }

    /// Restarts the task's age (on its first run and on `Again`).
    #[inline]
    pub(crate) fn restart(&self, now: Duration, epoch: u64) {
        let nanos = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        self.start_time.store(nanos, Ordering::Relaxed);
        self.start_epoch.store(epoch as u32, Ordering::Relaxed);
    }

    pub(crate) fn take_upon_death(&self) -> Option<UponDeath> {
        let meta = self.meta()?;
        let mut slot = meta.upon_death.lock().unwrap_or_else(|e| e.into_inner());
        slot.take()
    }

    pub(crate) fn take_after_done(&self) -> Option<AfterDone> {
        let meta = self.meta()?;
        let mut slot = meta.after_done.lock().unwrap_or_else(|e| e.into_inner());
        slot.take()
    }
}

/// A delay as stored: nanoseconds, `u64::MAX` for none, so a delay is
/// clamped below it (584 years).
fn delay_nanos(delay: Option<Duration>) -> u64 {
    delay.map_or(u64::MAX, |d| {
        u64::try_from(d.as_nanos()).map_or(u64::MAX - 1, |n| n.min(u64::MAX - 1))
    })
}

impl Drop for Header {
    fn drop(&mut self) {
        let meta = ptr_mut(&mut self.meta);
        if !meta.is_null() {
            // SAFETY: set once from `Box::into_raw`, and nobody borrows it
            // any more (`&mut self`).
            drop(unsafe { Box::from_raw(meta) });
        }
    }
}
