//! The task cell: one allocation per spawned task that holds its header
//! (id, sort, priority, state bits), its work (the closure or future), and
//! then its result.
//!
//! The state word decides who may touch the work: only the holder of the
//! `RUNNING` bit polls or drops it. A cancel from any thread either claims
//! that bit (the task is queued or sleeping: it is dropped at once) or leaves
//! a request the runner honours (the task is running or suspended in an
//! await).

use std::cell::UnsafeCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_task::{waker_ref, ArcWake};

use crate::chain::core::{ChainCore, Placement};
use crate::error::{drop_payload, panic_message};
use crate::event::done::DoneEvent;
use crate::future::state::{Bind, FutureState, Outcome};
use crate::sync::{yield_now, AtomicI32, AtomicU32, AtomicU64, Mutex};
use crate::task::context::{self, RunFrame, TaskContext};
use crate::task::kinds::{Step, Task};

/// In a run queue, the injection queue, or about to be.
pub(crate) const SCHEDULED: u32 = 1 << 0;
/// Being run; the runner owns the work.
pub(crate) const RUNNING: u32 = 1 << 1;
/// Woken while running: run again next epoch.
pub(crate) const WOKEN: u32 = 1 << 2;
/// Terminal: the result is in the future state.
pub(crate) const COMPLETE: u32 = 1 << 3;
/// `cancel()` was called.
pub(crate) const CANCEL_REQUESTED: u32 = 1 << 4;
/// The cancel request reached an await point in the coroutine.
pub(crate) const CANCEL_DELIVERED: u32 = 1 << 5;
/// A run began with the cancel already requested.
pub(crate) const CANCEL_SEEN: u32 = 1 << 6;
/// A coroutine invocation is in progress (returned `Pending`).
pub(crate) const SUSPENDED: u32 = 1 << 7;
/// In the sleep heap (delay, `Again`, `pause`).
pub(crate) const SLEEPING: u32 = 1 << 8;
/// The work is `!Send`: only the chain's owner thread may drop it.
pub(crate) const LOCAL: u32 = 1 << 9;
/// A typed handle is alive; without one the output is dropped at once.
pub(crate) const HANDLE: u32 = 1 << 10;
/// The runner took the task's value as its outcome: a later cancel request
/// comes too late. Set in the same atomic step that reads
/// `CANCEL_REQUESTED`, so a `cancel()` either lands before it (and the task
/// ends cancelled) or sees it (and returns false).
pub(crate) const FINISHING: u32 = 1 << 11;
/// The task has run: its start time and epoch are set. A bit rather than a
/// sentinel start time, since a saturated clock can read any `u64`.
pub(crate) const STARTED: u32 = 1 << 12;

/// A task's state word in `Debug` output, as flag names.
pub(crate) struct StateBits<'a>(pub(crate) &'a Header);

impl std::fmt::Debug for StateBits<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const NAMES: [(u32, &str); 13] = [
            (SCHEDULED, "scheduled"),
            (RUNNING, "running"),
            (WOKEN, "woken"),
            (COMPLETE, "complete"),
            (CANCEL_REQUESTED, "cancel-requested"),
            (CANCEL_DELIVERED, "cancel-delivered"),
            (CANCEL_SEEN, "cancel-seen"),
            (SUSPENDED, "suspended"),
            (SLEEPING, "sleeping"),
            (LOCAL, "local"),
            (HANDLE, "handle"),
            (FINISHING, "finishing"),
            (STARTED, "started"),
        ];
        let s = self.0.state.load(Ordering::Acquire);
        let set: Vec<&str> = NAMES
            .iter()
            .filter(|(bit, _)| s & bit != 0)
            .map(|(_, name)| *name)
            .collect();
        write!(f, "{}", set.join("|"))
    }
}

// From std even under loom: loom objects cannot live in statics, and an id
// only needs to be unique.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The start time (an ordering key) of a task that has not run yet: it
/// orders after every started task of the same sort and priority, as the
/// newest. Whether a task started is its `STARTED` bit.
const NOT_STARTED: u64 = u64::MAX;

/// The callback a task runs once when it ends, with `clean_exit`.
pub(crate) type UponDeath = Box<dyn FnOnce(bool) + Send>;

/// Rarely used task properties, allocated only for tasks that set one.
#[derive(Default)]
pub(crate) struct Meta {
    pub(crate) name: Option<Arc<str>>,
    pub(crate) upon_death: Mutex<Option<UponDeath>>,
    /// Sent when the task finishes (not when it is cancelled or panics).
    done_event: Mutex<Option<DoneEvent>>,
    /// Nanoseconds; `u64::MAX` means no delay.
    delay: AtomicU64,
}

/// The type-independent part of a task cell.
pub(crate) struct Header {
    pub(crate) state: AtomicU32,
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
    /// Wrapping epoch numbers: a task's age in frames is a wrapping
    /// difference, so 32 bits do.
    start_epoch: AtomicU32,
    /// The epoch of the task's latest run.
    pub(crate) ran_epoch: AtomicU32,
    pub(crate) chain: Arc<ChainCore>,
    meta: OnceLock<Box<Meta>>,
}

/// How a task is set up before it is scheduled.
pub(crate) struct Options {
    pub(crate) name: Option<Arc<str>>,
    pub(crate) sort: i32,
    pub(crate) priority: i32,
    pub(crate) delay: Option<Duration>,
    pub(crate) upon_death: Option<UponDeath>,
    pub(crate) done_event: Option<DoneEvent>,
}

impl Header {
    fn new(chain: Arc<ChainCore>, opts: Options, local: bool) -> Self {
        let meta = OnceLock::new();
        if opts.name.is_some()
            || opts.upon_death.is_some()
            || opts.delay.is_some()
            || opts.done_event.is_some()
        {
            let m = Meta {
                name: opts.name,
                upon_death: Mutex::new(opts.upon_death),
                done_event: Mutex::new(opts.done_event),
                delay: AtomicU64::new(delay_nanos(opts.delay)),
            };
            let _ = meta.set(Box::new(m));
        }
        Header {
            state: AtomicU32::new(if local { LOCAL | HANDLE } else { HANDLE }),
            token: AtomicU32::new(0),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            sort: AtomicI32::new(opts.sort),
            priority: AtomicI32::new(opts.priority),
            credit: AtomicI32::new(0),
            slot: AtomicU32::new(u32::MAX),
            start_time: AtomicU64::new(NOT_STARTED),
            start_epoch: AtomicU32::new(0),
            ran_epoch: AtomicU32::new(0),
            chain,
            meta,
        }
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.meta.get().and_then(|m| m.name.as_deref())
    }

    pub(crate) fn name_arc(&self) -> Option<&Arc<str>> {
        self.meta.get().and_then(|m| m.name.as_ref())
    }

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
        let nanos = self.meta.get()?.delay.load(Ordering::Relaxed);
        (nanos != u64::MAX).then(|| Duration::from_nanos(nanos))
    }

    pub(crate) fn set_delay(&self, delay: Option<Duration>) {
        let meta = self.meta.get_or_init(|| {
            Box::new(Meta {
                delay: AtomicU64::new(u64::MAX),
                ..Meta::default()
            })
        });
        meta.delay.store(delay_nanos(delay), Ordering::Relaxed);
    }

    /// When the task first ran (or last returned `Again`); `None` before.
    pub(crate) fn start_time(&self) -> Option<Duration> {
        // Acquire: pairs with the release that set STARTED after the start
        // time was stored.
        let started = self.state.load(Ordering::Acquire) & STARTED != 0;
        started.then(|| Duration::from_nanos(self.start_time.load(Ordering::Relaxed)))
    }

    pub(crate) fn start_nanos(&self) -> u64 {
        self.start_time.load(Ordering::Relaxed)
    }

    /// Epochs from the task's start to `epoch`.
    pub(crate) fn frames_since_start(&self, epoch: u64) -> u64 {
        u64::from((epoch as u32).wrapping_sub(self.start_epoch.load(Ordering::Relaxed)))
    }

    /// Restarts the task's age (on its first run and on `Again`).
    pub(crate) fn restart(&self, now: Duration, epoch: u64) {
        let nanos = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        self.start_time.store(nanos, Ordering::Relaxed);
        self.start_epoch.store(epoch as u32, Ordering::Relaxed);
    }

    fn take_upon_death(&self) -> Option<UponDeath> {
        let meta = self.meta.get()?;
        let mut slot = meta.upon_death.lock().unwrap_or_else(|e| e.into_inner());
        slot.take()
    }

    fn take_done_event(&self) -> Option<DoneEvent> {
        let meta = self.meta.get()?;
        let mut slot = meta.done_event.lock().unwrap_or_else(|e| e.into_inner());
        slot.take()
    }
}

fn delay_nanos(delay: Option<Duration>) -> u64 {
    delay.map_or(u64::MAX, |d| {
        u64::try_from(d.as_nanos()).unwrap_or(u64::MAX - 1)
    })
}

/// Drops a user value, catching a panicking `Drop`; returns its message.
fn drop_caught<T>(value: T) -> Option<String> {
    catch_unwind(AssertUnwindSafe(move || drop(value)))
        .err()
        .map(message_of)
}

/// A caught panic's message. The payload is user data too: a panic while
/// dropping it is caught, and that second payload leaked.
fn message_of(payload: Box<dyn std::any::Any + Send>) -> String {
    let message = panic_message(&*payload);
    drop_payload(payload);
    message
}

/// The outcome of a task after a panic in its end (dropping its work,
/// `upon_death`): a value gives way to the panic (and is dropped, caught);
/// a cancel or an earlier panic stays.
fn panicked_unless_ended<T>(outcome: Outcome<T>, message: String) -> Outcome<T> {
    match outcome {
        Outcome::Ready(value) => {
            drop_caught(value);
            Outcome::Panicked(message)
        }
        ended => ended,
    }
}

/// What the chain must do with a task after running it.
pub(crate) enum RunResult {
    /// Nothing: the task finished, is suspended, or the entry was stale.
    Idle,
    /// Run it again next epoch.
    Next(TaskRef),
    /// Run it again this epoch if the frame budget allows, else next epoch.
    Pickup(TaskRef),
    /// Put it to sleep until this time on the chain's clock (`pause`).
    Sleep(TaskRef, Duration),
}

/// A task cell seen without its types: what chains and registries hold.
pub(crate) trait RawTask: Send + Sync + 'static {
    fn header(&self) -> &Header;
    /// Runs the task once; the caller has seen it `SCHEDULED`.
    fn run(self: Arc<Self>, now: Duration, epoch: u64) -> RunResult;
    /// Requests cancellation (see the module docs).
    fn cancel(self: Arc<Self>) -> bool;
    /// Cancels at once, whatever the task is doing (shutdown). `may_drop_work`
    /// is false off the owner thread of a local task: its work is leaked
    /// rather than dropped on the wrong thread, with its cell, since a
    /// pinned future never dropped must keep its memory.
    fn abort(self: Arc<Self>, may_drop_work: bool);
    fn is_done(&self) -> bool;
    fn is_cancelled(&self) -> bool;
    /// Why the task ended without a value, if it did.
    fn error(&self) -> Option<crate::error::Error>;
    /// Blocks until the task is done (or `timeout` passes: `Err(Timeout)`).
    fn wait_done(&self, timeout: Option<Duration>) -> Result<(), crate::error::Error>;
    fn add_callback(&self, bind: Bind) -> Result<(), crate::error::Error>;
    /// The typed handle went away: drop the output (on the owner thread).
    fn release_handle(&self);
}

/// A type-erased task reference.
pub(crate) type TaskRef = Arc<dyn RawTask>;

/// The cell of a task with work `W`.
pub(crate) struct Cell<W: Task> {
    pub(crate) header: Header,
    pub(crate) result: FutureState<W::Output>,
    /// Touched only by the holder of `RUNNING` (or by `abort`, which claims
    /// it), never moved: it is pinned in place from its first poll.
    work: UnsafeCell<Option<W>>,
}

// SAFETY: the work and the output are only touched by the holder of the
// RUNNING bit (work) or through the future state's mutex (output). For a
// `LOCAL` task (whose `W` or output may be `!Send`), the runner is always the
// chain's owner thread, `abort` off that thread leaks the work instead of
// dropping it, and the output is dropped by the `!Send` handle on the owner
// thread or at completion by the runner when no handle is alive. Spawning a
// `!Send` task is only possible through `LocalSpawner`, which checks the
// owner thread.
unsafe impl<W: Task> Send for Cell<W> {}
// SAFETY: as above; shared access goes through atomics and mutexes.
unsafe impl<W: Task> Sync for Cell<W> {}

impl<W: Task> Cell<W> {
    pub(crate) fn new(chain: Arc<ChainCore>, work: W, opts: Options, local: bool) -> Arc<Self> {
        Arc::new(Cell {
            header: Header::new(chain, opts, local),
            result: FutureState::new(),
            work: UnsafeCell::new(Some(work)),
        })
    }

    /// Ends the task: drops the work, runs `upon_death`, publishes the
    /// outcome, and retires it from its chain. The caller holds `RUNNING`.
    ///
    /// Every drop of a user value here is caught. A panic while ending a
    /// task that has its value ends it `Panicked` (the value is dropped); a
    /// cancelled or panicked task keeps its outcome: a `cancel()` that
    /// returned true wins, and the first panic is the one reported. Without
    /// `drop_work` the work stays in its slot (the caller leaks the cell).
    fn finish(&self, mut outcome: Outcome<W::Output>, drop_work: bool) {
        if drop_work {
            if let Some(message) = self.drop_work() {
                outcome = panicked_unless_ended(outcome, message);
            }
        }
        let clean_exit = matches!(outcome, Outcome::Ready(_));
        if let Some(upon_death) = self.header.take_upon_death() {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(move || upon_death(clean_exit))) {
                outcome = panicked_unless_ended(outcome, message_of(payload));
            }
        }
        // Taken whatever the outcome, so an ended task no longer holds its
        // messenger; sent only if the task finished (a panicking
        // `upon_death` counts as a panic).
        let done_event = self
            .header
            .take_done_event()
            .filter(|_| matches!(outcome, Outcome::Ready(_)));
        let prev = self
            .header
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                Some((s | COMPLETE) & !(RUNNING | SCHEDULED | SLEEPING | WOKEN | SUSPENDED))
            })
            .unwrap_or_else(|s| s);
        if prev & SLEEPING != 0 {
            self.header.chain.sleeping_changed(-1);
        }
        // `complete` cannot fail: only the RUNNING holder completes a task.
        // It wakes the task's waiters, whose wakers are user code: the task
        // is retired whatever they do.
        let completed = catch_unwind(AssertUnwindSafe(|| {
            self.result.complete(outcome, Some(&*self.header.chain))
        }));
        match completed {
            Ok(Ok(())) => {}
            Ok(Err((_, outcome))) => {
                drop_caught(outcome);
            }
            Err(payload) => {
                message_of(payload);
            }
        }
        self.header.chain.retire(&self.header);
        if self.header.state.load(Ordering::Acquire) & HANDLE == 0 {
            // Nobody can read the output: drop it now, on the runner's thread,
            // where a panicking destructor is caught, rather than wherever the
            // last reference to the cell happens to go.
            let _ =
                catch_unwind(AssertUnwindSafe(|| self.result.clear_value())).map_err(message_of);
        }
        if let Some(event) = done_event {
            // Sent once the task's future is done and the task has left its
            // chain's lists, so whoever the event wakes finds it ended. The
            // send only queues work, but it wakes foreign wakers: a panic
            // there must not escape the chain's run loop.
            let _ = catch_unwind(AssertUnwindSafe(move || event.send())).map_err(message_of);
        }
    }

    /// Drops the work where it lies (it is pinned from its first poll) and
    /// leaves its slot empty, also when its `Drop` panics; returns that
    /// panic's message. The caller holds `RUNNING`.
    fn drop_work(&self) -> Option<String> {
        let slot = self.work.get();
        // SAFETY: the caller holds RUNNING, so nobody else touches the slot,
        // and it is valid. Dropping in place keeps the pin contract.
        let dropped = catch_unwind(AssertUnwindSafe(|| unsafe {
            std::ptr::drop_in_place(slot)
        }));
        // SAFETY: as above. Whether or not the drop unwound, the old value is
        // gone (an unwinding drop still drops every field): overwrite it
        // without dropping it again.
        unsafe { std::ptr::write(slot, None) };
        dropped.err().map(message_of)
    }

    /// Leaves `RUNNING`, setting `also` and clearing `clear`; returns false
    /// if a wake arrived meanwhile: the task is then `SCHEDULED` (without
    /// `also`) and must be requeued.
    fn release(&self, also: u32, clear: u32) -> bool {
        let mut s = self.header.state.load(Ordering::Acquire);
        loop {
            let woken = s & WOKEN != 0;
            let new = if woken {
                (s & !(RUNNING | WOKEN)) | SCHEDULED
            } else {
                (s & !RUNNING) | also
            };
            let new = new & !clear;
            match self
                .header
                .state
                .compare_exchange(s, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return !woken,
                Err(actual) => s = actual,
            }
        }
    }
}

impl<W: Task> ArcWake for Cell<W> {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        let state = &arc_self.header.state;
        let mut s = state.load(Ordering::Acquire);
        loop {
            if s & COMPLETE != 0 || s & SCHEDULED != 0 {
                return;
            }
            let new = if s & RUNNING != 0 {
                s | WOKEN
            } else {
                s | SCHEDULED
            };
            match state.compare_exchange(s, new, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) if s & RUNNING != 0 => return,
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        let task: TaskRef = arc_self.clone();
        arc_self.header.chain.schedule(task, Placement::Run);
    }
}

impl<W: Task> RawTask for Cell<W> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn run(self: Arc<Self>, now: Duration, epoch: u64) -> RunResult {
        let state = &self.header.state;
        let mut s = state.load(Ordering::Acquire);
        loop {
            if s & COMPLETE != 0 || s & SCHEDULED == 0 || s & RUNNING != 0 {
                return RunResult::Idle;
            }
            let new = (s & !(SCHEDULED | SLEEPING | WOKEN)) | RUNNING;
            match state.compare_exchange(s, new, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        if s & SLEEPING != 0 {
            self.header.chain.sleeping_changed(-1);
        }
        if s & STARTED == 0 {
            self.header.restart(now, epoch);
            state.fetch_or(STARTED, Ordering::Release);
        }
        self.header.ran_epoch.store(epoch as u32, Ordering::Relaxed);
        if s & CANCEL_REQUESTED != 0 {
            if s & SUSPENDED == 0 {
                self.finish(Outcome::Cancelled, true);
                return RunResult::Idle;
            }
            state.fetch_or(CANCEL_SEEN, Ordering::AcqRel);
        }

        let frame = RunFrame {
            header: &self.header,
            sleep_until: std::cell::Cell::new(None),
            yield_next: std::cell::Cell::new(false),
        };
        let polled = {
            let _enter = context::enter(&frame);
            let waker = waker_ref(&self);
            let mut cx = Context::from_waker(&waker);
            let tc = TaskContext {
                header: &self.header,
                now,
                epoch,
            };
            catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: we hold RUNNING, so we have exclusive access to the
                // work; it lives inside the `Arc` allocation and is never
                // moved: `finish` drops it in place (or leaks the cell), so
                // pinning is sound.
                match unsafe { &mut *self.work.get() } {
                    Some(work) => context::poll_as_task(&mut cx, |cx| {
                        unsafe { Pin::new_unchecked(work) }.poll_task(cx, &tc)
                    }),
                    None => Poll::Pending,
                }
            }))
        };

        let (sleep_until, yield_next) = (frame.sleep_until.get(), frame.yield_next.get());
        let step = match polled {
            Err(payload) => {
                // As for a value: a `cancel()` that landed first returned
                // true, and wins.
                let s = state.fetch_or(FINISHING, Ordering::AcqRel);
                let message = message_of(payload);
                let outcome = if s & CANCEL_REQUESTED != 0 {
                    Outcome::Cancelled
                } else {
                    Outcome::Panicked(message)
                };
                self.finish(outcome, true);
                return RunResult::Idle;
            }
            Ok(Poll::Ready(step)) => step,
            Ok(Poll::Pending) => return self.suspend(sleep_until, yield_next),
        };
        // `finish` and `release` clear SUSPENDED: this invocation is over.
        // Shutdown removes every task: one whose run overlapped it (on a
        // threaded chain) ends cancelled whatever it returned, as a task
        // removed while it runs does.
        let shut_down = self.header.chain.is_shut_down();
        match step {
            Step::Done(v) | Step::Exit(v) => {
                // Read the cancel request and close the door to later ones in
                // one step: with a plain load here, a `cancel()` landing
                // between the load and `finish` returned true for a task that
                // then finished with its value (loom model
                // `loom_task_cancel`).
                let s = state.fetch_or(FINISHING, Ordering::AcqRel);
                let outcome = if s & CANCEL_REQUESTED != 0 || shut_down {
                    // The value nobody will read is user code's to drop.
                    drop_caught(v);
                    Outcome::Cancelled
                } else {
                    Outcome::Ready(v)
                };
                self.finish(outcome, true);
                RunResult::Idle
            }
            // A cancel landing after this load finds the task RUNNING: it
            // sets WOKEN, so `release` requeues the task and its next run
            // ends it.
            _ if state.load(Ordering::Acquire) & CANCEL_REQUESTED != 0 || shut_down => {
                self.finish(Outcome::Cancelled, true);
                RunResult::Idle
            }
            Step::Cont => {
                self.release(SCHEDULED, SUSPENDED);
                RunResult::Next(self)
            }
            Step::Pickup => {
                self.release(SCHEDULED, SUSPENDED);
                RunResult::Pickup(self)
            }
            Step::Again => {
                let chain = &self.header.chain;
                let now = chain.now();
                self.header.restart(now, epoch);
                match self.header.delay() {
                    Some(d) if !d.is_zero() => self.sleep(now.saturating_add(d), SUSPENDED),
                    _ => {
                        self.release(SCHEDULED, SUSPENDED);
                        RunResult::Next(self)
                    }
                }
            }
        }
    }

    fn cancel(self: Arc<Self>) -> bool {
        let state = &self.header.state;
        let mut s = state.load(Ordering::Acquire);
        loop {
            if s & COMPLETE != 0 {
                // Its runner is between setting COMPLETE and publishing the
                // outcome (a few instructions, no user code): wait, so that
                // whoever is told "not cancelled by this call" finds it done.
                while !self.result.is_done() {
                    yield_now();
                }
                return false;
            }
            if s & CANCEL_REQUESTED != 0 {
                return false;
            }
            if s & FINISHING != 0 {
                // Too late: its run ended with a value that is now its
                // outcome (it is dropping its work and running `upon_death`,
                // user code this call must not wait for, and may be coming
                // from). The request is still recorded, so that
                // `is_cancel_requested` says a cancel was called.
                state.fetch_or(CANCEL_REQUESTED, Ordering::AcqRel);
                return false;
            }
            let off_owner = s & LOCAL != 0 && !self.header.chain.is_owner_thread();
            let new = if s & RUNNING != 0 {
                // WOKEN makes the runner requeue the task whatever it asks
                // (sleep, suspend): its next run ends it.
                s | CANCEL_REQUESTED | WOKEN
            } else if s & SUSPENDED != 0 || off_owner {
                s | CANCEL_REQUESTED
            } else {
                (s | CANCEL_REQUESTED | RUNNING) & !SCHEDULED
            };
            match state.compare_exchange(s, new, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        if s & RUNNING != 0 {
            // The runner sees the request when the run ends.
        } else if s & SUSPENDED != 0 || s & LOCAL != 0 && !self.header.chain.is_owner_thread() {
            // Wake it so the request reaches its await point (or its owner).
            ArcWake::wake_by_ref(&self);
        } else {
            self.finish(Outcome::Cancelled, true);
        }
        true
    }

    fn abort(self: Arc<Self>, may_drop_work: bool) {
        let state = &self.header.state;
        let mut s = state.load(Ordering::Acquire);
        loop {
            if s & COMPLETE != 0 {
                return;
            }
            if s & RUNNING != 0 {
                // Its runner requeues it (WOKEN), and the chain, shut down,
                // aborts what it finds queued.
                state.fetch_or(CANCEL_REQUESTED | WOKEN, Ordering::AcqRel);
                return;
            }
            let new = (s | CANCEL_REQUESTED | RUNNING) & !SCHEDULED;
            match state.compare_exchange(s, new, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        if !may_drop_work {
            // The work stays where it is, for good: neither dropped here nor
            // by the cell's own drop, on whatever thread that happens.
            std::mem::forget(Arc::clone(&self));
        }
        self.finish(Outcome::Cancelled, may_drop_work);
    }

    fn is_done(&self) -> bool {
        // The published result, not the COMPLETE bit: that bit is set a
        // moment before the outcome is stored, and a reader told "done"
        // must find the outcome.
        self.result.is_done()
    }

    fn is_cancelled(&self) -> bool {
        self.result.is_cancelled()
    }

    fn error(&self) -> Option<crate::error::Error> {
        self.result.error()
    }

    fn wait_done(&self, timeout: Option<Duration>) -> Result<(), crate::error::Error> {
        self.result.wait_done(timeout)
    }

    fn add_callback(&self, bind: Bind) -> Result<(), crate::error::Error> {
        self.result.add_callback(bind, Some(&*self.header.chain))
    }

    fn release_handle(&self) {
        let prev = self.header.state.fetch_and(!HANDLE, Ordering::AcqRel);
        // Before COMPLETE no output exists, and `finish`, which stores it
        // before setting COMPLETE, sees HANDLE gone and drops it itself.
        if prev & COMPLETE != 0 {
            self.result.clear_value();
        }
    }
}

impl<W: Task> Cell<W> {
    /// Leaves `RUNNING` for the sleep heap, unless woken meanwhile.
    fn sleep(self: Arc<Self>, until: Duration, clear: u32) -> RunResult {
        self.header.chain.sleeping_changed(1);
        if self.release(SLEEPING, clear) {
            RunResult::Sleep(self, until)
        } else {
            self.header.chain.sleeping_changed(-1);
            RunResult::Next(self)
        }
    }

    /// The coroutine returned `Pending`: decide between suspension, sleep,
    /// a run next frame, or (cancel requested) requeue or abort.
    fn suspend(self: Arc<Self>, sleep_until: Option<Duration>, yield_next: bool) -> RunResult {
        if self.header.chain.is_shut_down() {
            // Shutdown found it running and left it to us.
            self.finish(Outcome::Cancelled, true);
            return RunResult::Idle;
        }
        let s = self.header.state.fetch_or(SUSPENDED, Ordering::AcqRel);
        if s & CANCEL_REQUESTED != 0 && s & CANCEL_DELIVERED == 0 {
            if s & CANCEL_SEEN != 0 {
                // A whole run passed without an await point of ours taking
                // the request: the coroutine awaits something foreign.
                self.finish(Outcome::Cancelled, true);
                return RunResult::Idle;
            }
            self.release(SCHEDULED, 0);
            return RunResult::Next(self);
        }
        if let Some(until) = sleep_until {
            return self.sleep(until, 0);
        }
        if yield_next {
            self.release(SCHEDULED, 0);
            return RunResult::Next(self);
        }
        if self.release(0, 0) {
            RunResult::Idle
        } else {
            RunResult::Next(self)
        }
    }
}
