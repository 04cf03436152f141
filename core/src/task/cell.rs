//! The task cell: one allocation per spawned task that holds its header
//! (see `header`), its work (the closure or future), and then its result. Who may touch the work is decided by the state word
//! (see the `task` module).

use std::cell::UnsafeCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_task::{waker_ref, ArcWake};

use crate::chain::core::{ChainCore, Placement};
use crate::error::{drop_payload, panic_message};
use crate::future::state::{Bind, FutureState, Outcome};
use crate::sync::yield_now;
use crate::task::context::TaskContext;
use crate::task::current::{self, RunFrame};
use crate::task::header::{Header, Options};
use crate::task::kinds::{Step, Task};
use crate::task::state::{Abort, CancelRequest, Ending, Invocation, Release, RunStart, WakeAction};

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
///
/// # Safety
///
/// Implemented by [`TaskCell`] only, which is `#[repr(C)]` with its
/// [`Header`] first: [`header`](<dyn RawTask>::header) reads it through the
/// data pointer, without a virtual call on the hot path.
pub(crate) unsafe trait RawTask: Send + Sync + 'static {
    /// Runs the task once; the caller has seen it `SCHEDULED`.
    fn run(self: Arc<Self>, now: Duration, epoch: u64) -> RunResult;
    /// Requests cancellation (see the module docs).
    fn cancel(self: Arc<Self>) -> bool;
    /// Cancels at once, whatever the task is doing (shutdown). Off the
    /// owner thread of a `!Send` task its work is leaked rather than dropped
    /// on the wrong thread, with its cell, since a pinned future never
    /// dropped must keep its memory.
    fn abort(self: Arc<Self>);
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

impl dyn RawTask {
    /// The task's header.
    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the only implementor, `TaskCell`, is `#[repr(C)]` with its
        // header as the first field (see `RawTask`), so the data pointer of
        // this trait object points at a `Header` that lives as long as
        // `self`.
        unsafe { &*(self as *const dyn RawTask).cast::<Header>() }
    }
}

/// A type-erased task reference.
pub(crate) type TaskRef = Arc<dyn RawTask>;

/// The cell of a task with work `W`.
#[repr(C)]
pub(crate) struct TaskCell<W: Task> {
    /// First, so that `<dyn RawTask>::header` finds it without a virtual
    /// call.
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
unsafe impl<W: Task> Send for TaskCell<W> {}
// SAFETY: as above; shared access goes through atomics and mutexes.
unsafe impl<W: Task> Sync for TaskCell<W> {}

impl<W: Task> TaskCell<W> {
    /// A task whose work and output may move between threads.
    pub(crate) fn new_send(chain: Arc<ChainCore>, work: W, opts: Options) -> Arc<Self>
    where
        W: Send,
        W::Output: Send,
    {
        Self::new(chain, work, opts, false)
    }

    /// A `!Send` task: only the thread that owns `chain` (the caller claimed
    /// it, see `LocalSpawner`) runs or drops its work and its output.
    pub(crate) fn new_local(chain: Arc<ChainCore>, work: W, opts: Options) -> Arc<Self> {
        Self::new(chain, work, opts, true)
    }

    fn new(chain: Arc<ChainCore>, work: W, opts: Options, local: bool) -> Arc<Self> {
        Arc::new(TaskCell {
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
        // Taken whatever the outcome, so an ended task no longer holds what
        // it captured; run only if the task finished (a panicking
        // `upon_death` counts as a panic).
        let after_done = self
            .header
            .take_after_done()
            .filter(|_| matches!(outcome, Outcome::Ready(_)));
        if self.header.state.complete().is_sleeping() {
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
        if !self.header.state.snapshot().has_handle() {
            // Nobody can read the output: drop it now, on the runner's thread,
            // where a panicking destructor is caught, rather than wherever the
            // last reference to the cell happens to go.
            let _ =
                catch_unwind(AssertUnwindSafe(|| self.result.clear_value())).map_err(message_of);
        }
        if let Some(after_done) = after_done {
            // Once the task's future is done and the task has left its
            // chain's lists, so whoever it wakes finds the task ended. It
            // may wake foreign wakers: a panic there must not escape the
            // chain's run loop.
            let _ = catch_unwind(AssertUnwindSafe(after_done)).map_err(message_of);
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
}

impl<W: Task> ArcWake for TaskCell<W> {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        match arc_self.header.state.wake() {
            WakeAction::Submit => {
                let task: TaskRef = arc_self.clone();
                arc_self.header.chain.schedule(task, Placement::Run);
            }
            WakeAction::Nothing => {}
        }
    }
}

// SAFETY: `#[repr(C)]` with the header first, as `RawTask` requires.
unsafe impl<W: Task> RawTask for TaskCell<W> {
    fn run(self: Arc<Self>, now: Duration, epoch: u64) -> RunResult {
        let state = &self.header.state;
        let before = match state.start_run() {
            RunStart::Run(before) => before,
            RunStart::Stale => return RunResult::Idle,
        };
        if before.is_sleeping() {
            self.header.chain.sleeping_changed(-1);
        }
        self.header.start_once(now, epoch);
        self.header.ran_epoch.store(epoch as u32, Ordering::Relaxed);
        if before.is_cancel_requested() {
            if !before.is_suspended() {
                self.finish(Outcome::Cancelled, true);
                return RunResult::Idle;
            }
            state.mark_cancel_seen();
        }

        let waker = waker_ref(&self);
        let frame = RunFrame {
            header: &self.header,
            waker: &waker,
            sleep_until: std::cell::Cell::new(None),
            yield_next: std::cell::Cell::new(false),
        };
        let polled = {
            let _enter = current::enter(&frame);
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
                    Some(work) => unsafe { Pin::new_unchecked(work) }.poll_task(&mut cx, &tc),
                    None => Poll::Pending,
                }
            }))
        };

        let (sleep_until, yield_next) = (frame.sleep_until.get(), frame.yield_next.get());
        let step = match polled {
            Err(payload) => {
                // As for a value: a `cancel()` that landed first returned
                // true, and wins.
                let ending = state.take_ending();
                let message = message_of(payload);
                let outcome = match ending {
                    Ending::Cancelled => Outcome::Cancelled,
                    Ending::Value => Outcome::Panicked(message),
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
                // One step reads the cancel request and closes the door to
                // later ones (loom model `loom_task_cancel`).
                let ending = state.take_ending();
                let outcome = if matches!(ending, Ending::Cancelled) || shut_down {
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
            _ if state.snapshot().is_cancel_requested() || shut_down => {
                self.finish(Outcome::Cancelled, true);
                RunResult::Idle
            }
            Step::Cont => {
                state.requeue(Invocation::Over);
                RunResult::Next(self)
            }
            Step::Pickup => {
                state.requeue(Invocation::Over);
                RunResult::Pickup(self)
            }
            Step::Again => {
                let chain = &self.header.chain;
                let now = chain.now();
                self.header.restart(now, epoch);
                match self.header.delay() {
                    Some(d) if !d.is_zero() => self.sleep(now.saturating_add(d), Invocation::Over),
                    _ => {
                        state.requeue(Invocation::Over);
                        RunResult::Next(self)
                    }
                }
            }
        }
    }

    fn cancel(self: Arc<Self>) -> bool {
        let may_claim = self.header.may_drop_work_here();
        match self.header.state.request_cancel(may_claim) {
            CancelRequest::Complete => {
                // Its runner is between completing the state and publishing
                // the outcome (a few instructions, no user code): wait, so
                // that whoever is told "not cancelled by this call" finds it
                // done.
                while !self.result.is_done() {
                    yield_now();
                }
                false
            }
            // Too late: its run ended with a value that is now its outcome
            // (it is dropping its work and running `upon_death`, user code
            // this call must not wait for, and may be coming from).
            CancelRequest::AlreadyRequested | CancelRequest::TooLate => false,
            CancelRequest::RunnerWillSee => true,
            CancelRequest::Wake => {
                // So the request reaches its await point (or its owner).
                ArcWake::wake_by_ref(&self);
                true
            }
            CancelRequest::Claimed => {
                self.finish(Outcome::Cancelled, true);
                true
            }
        }
    }

    fn abort(self: Arc<Self>) {
        match self.header.state.abort() {
            Abort::Complete | Abort::RunnerWillSee => {}
            Abort::Claimed => {
                let may_drop_work = self.header.may_drop_work_here();
                if !may_drop_work {
                    // The work stays where it is, for good: neither dropped
                    // here nor by the cell's own drop, on whatever thread
                    // that happens.
                    std::mem::forget(Arc::clone(&self));
                }
                self.finish(Outcome::Cancelled, may_drop_work);
            }
        }
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
        // Before completion no output exists, and `finish`, which stores it
        // after completing the state, sees the handle gone and drops it.
        if self.header.state.drop_handle().is_complete() {
            self.result.clear_value();
        }
    }
}

impl<W: Task> TaskCell<W> {
    /// Leaves `RUNNING` for the sleep heap, unless woken meanwhile.
    fn sleep(self: Arc<Self>, until: Duration, invocation: Invocation) -> RunResult {
        self.header.chain.sleeping_changed(1);
        match self.header.state.sleep(invocation) {
            Release::Parked => RunResult::Sleep(self, until),
            Release::Requeue => {
                self.header.chain.sleeping_changed(-1);
                RunResult::Next(self)
            }
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
        let state = &self.header.state;
        let before = state.suspend();
        if before.is_cancel_pending() {
            if before.is_cancel_seen() {
                // A whole run passed without an await point of ours taking
                // the request: the coroutine awaits something foreign.
                self.finish(Outcome::Cancelled, true);
                return RunResult::Idle;
            }
            state.requeue(Invocation::Continues);
            return RunResult::Next(self);
        }
        if let Some(until) = sleep_until {
            return self.sleep(until, Invocation::Continues);
        }
        if yield_next {
            state.requeue(Invocation::Continues);
            return RunResult::Next(self);
        }
        match state.idle() {
            Release::Parked => RunResult::Idle,
            Release::Requeue => RunResult::Next(self),
        }
    }
}
