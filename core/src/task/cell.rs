//! The task cell: one allocation per spawned task that holds its header
//! (see `header`), its future state (see `future::state`), and one stage
//! that holds its work (the closure or future) and then, in the same place,
//! its output; it counts its references in its state word (see `raw`).
//! Who may touch the work is decided by the state word (see the `task`
//! module); who may touch the output, by the future state.

use std::cell::UnsafeCell;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use std::ptr::NonNull;

use crate::chain::core::ChainCore;
use crate::error::{drop_payload, panic_message, Error};
use crate::future::state::{FutureState, Outcome};
use crate::sync::yield_now;
use crate::task::context::TaskContext;
use crate::task::current::{self, RunFrame};
use crate::task::death::{TaskDeath, TaskEnd};
use crate::task::header::{Header, Options};
use crate::task::kinds::{Step, Task};
use crate::task::raw::{CancelMade, OutputRef, TaskRef, TaskVTable};
use crate::task::state::{Abort, CancelRequest, Ending, Release, RunStart, Suspended, Suspension};
use crate::trace::{self, PanicIn};

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

/// How a task with this outcome ended, as its `upon_death` is told.
fn end_of<T>(outcome: &Outcome<T>) -> TaskEnd {
    match outcome {
        Outcome::Ready(_) => TaskEnd::Finished,
        Outcome::Cancelled => TaskEnd::Cancelled,
        Outcome::Panicked(_) => TaskEnd::Panicked,
        Outcome::Failed(_) => TaskEnd::Failed,
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

/// What a run asks of the chain, before the reference is attached (see
/// [`RunResult`]).
enum After {
    Idle,
    Next,
    Pickup,
    Sleep(Duration),
}

/// The references a new task starts with, counted when its cell is made.
pub(crate) struct NewTask<T> {
    /// Its handle's.
    pub(crate) handle: OutputRef<T>,
    /// The one its chain queues it with.
    pub(crate) queued: TaskRef,
    /// The one its chain's registry keeps while it lives.
    pub(crate) registered: TaskRef,
}

/// The part of every cell that does not depend on its types: a reference
/// that knows nothing of them finds the future state here (see `raw`).
#[repr(C)]
pub(crate) struct CellHead {
    /// First, so that a `TaskRef` points at it.
    pub(crate) header: Header,
    /// The task's outcome; a value there is only a mark, the value itself
    /// is in the cell's stage.
    pub(crate) result: FutureState<InStage>,
}

/// The mark of a task's value in its future state: the value is in the
/// cell's stage, and whoever changes the mark from `Ready` to `Taken`
/// (under the state's lock) takes it from there.
pub(crate) struct InStage;

/// A cell's one slot: the work, then the output in the same place (the
/// work is dropped in place before the output is written). Which of them
/// is there, if any, is the header's `stage` mark: `HOLDS_WORK`,
/// `HOLDS_OUTPUT` or `HOLDS_NOTHING`. A union rather than an enum, so the
/// slot is as large as the larger of the two and no larger. A mark of its
/// own rather than one read off the future state, which still reads
/// pending between the work's drop and the value's publication: a drop of
/// the cell in that window (an end cut short by an unwind) must not drop
/// the work twice.
union Stage<W: Task> {
    work: ManuallyDrop<W>,
    output: ManuallyDrop<W::Output>,
}

/// The stage holds the work (as `Header::new` sets it).
const HOLDS_WORK: u8 = 0;
/// The stage holds the output.
const HOLDS_OUTPUT: u8 = 1;
/// The stage holds nothing: the work was dropped and the output was not
/// written or was taken.
const HOLDS_NOTHING: u8 = 2;

/// The cell of a task with work `W`: one allocation, freed by its last
/// reference (see `raw`).
#[repr(C)]
pub(crate) struct TaskCell<W: Task> {
    head: CellHead,
    /// The work, touched only by the holder of `RUNNING` (or by `abort`,
    /// which claims it), never moved: it is pinned in place from its first
    /// poll. Then the output, touched only by whoever takes the `Ready`
    /// mark out of the future state.
    stage: UnsafeCell<Stage<W>>,
}

// SAFETY: the work and the output are only touched by the holder of the
// RUNNING bit (work) or by whoever took the value's mark under the future
// state's mutex (output). For a `LOCAL` task (whose `W` or output may be
// `!Send`), the runner is always the chain's owner thread, `abort` off that
// thread leaks the work instead of dropping it, and the output is dropped by
// the `!Send` handle on the owner thread or at completion by the runner when
// no handle is alive. Spawning a `!Send` task is only possible through
// `LocalSpawner`, which checks the owner thread.
unsafe impl<W: Task> Send for TaskCell<W> {}
// SAFETY: as above; shared access goes through atomics and mutexes.
unsafe impl<W: Task> Sync for TaskCell<W> {}

impl<W: Task> Drop for TaskCell<W> {
    /// Drops what the stage still holds: an output nobody read (its
    /// handle may have dropped it already), or the work of a task that
    /// never ended (its cell is leaked instead while it may be pinned).
    fn drop(&mut self) {
        let stage = self.stage.get_mut();
        match self.head.header.stage.load(Ordering::Relaxed) {
            // SAFETY: the mark says which field is live; `&mut self`: no
            // other reference to the cell exists.
            HOLDS_WORK => unsafe { ManuallyDrop::drop(&mut stage.work) },
            // SAFETY: as above.
            HOLDS_OUTPUT => unsafe { ManuallyDrop::drop(&mut stage.output) },
            _ => {}
        }
    }
}

impl<W: Task> TaskCell<W> {
    /// The table of a `Send` task's cell (see `TaskVTable`).
    const VTABLE: &'static TaskVTable = &Self::vtable(false);
    /// The table of a `!Send` task's cell.
    const LOCAL_VTABLE: &'static TaskVTable = &Self::vtable(true);

    /// The cell's table; `local`: its work or output is `!Send`.
    const fn vtable(local: bool) -> TaskVTable {
        TaskVTable {
            local,
            is_coroutine: W::is_coroutine,
            run: Self::run_ref,
            cancel: |task, join| Self::of(task).cancel(join),
            abort: |task| Self::of(task).abort(task),
            // The published result, not the COMPLETE bit: that bit is set a
            // moment before the outcome is stored, and a reader told "done"
            // must find the outcome.
            release_handle: |task| Self::of(task).release_handle(),
            // SAFETY: the table's caller passes an `Option<W::Output>` (see
            // `TaskVTable::take_output`).
            take_output: |task, out| unsafe { Self::of(task).take_output(out.cast()) },
            output_ptr: |task| Self::of(task).output_ptr().cast(),
            dealloc: Self::dealloc,
        }
    }

    /// A task whose work and output may move between threads.
    pub(crate) fn new_send(chain: Arc<ChainCore>, work: W, opts: Options) -> NewTask<W::Output>
    where
        W: Send,
        W::Output: Send,
    {
        Self::spawn(chain, work, opts, false)
    }

    /// A `!Send` task: only the thread that owns `chain` (the caller claimed
    /// it, see `LocalSpawner`) runs or drops its work and its output.
    pub(crate) fn new_local(chain: Arc<ChainCore>, work: W, opts: Options) -> NewTask<W::Output> {
        Self::spawn(chain, work, opts, true)
    }

    /// Writes the cell in place in its allocation, with the three
    /// references a new task starts with counted at once.
    fn spawn(chain: Arc<ChainCore>, work: W, opts: Options, local: bool) -> NewTask<W::Output> {
        let mut cell = Box::<Self>::new_uninit();
        let p = cell.as_mut_ptr();
        // SAFETY: `p` is valid for writes and every field is written once
        // before the box is taken as initialized.
        let ptr = unsafe {
            let vtable = if local {
                Self::LOCAL_VTABLE
            } else {
                Self::VTABLE
            };
            std::ptr::addr_of_mut!((*p).head.header).write(Header::new(chain, opts, 3, vtable));
            std::ptr::addr_of_mut!((*p).head.result).write(FutureState::new());
            std::ptr::addr_of_mut!((*p).stage).write(UnsafeCell::new(Stage {
                work: ManuallyDrop::new(work),
            }));
            NonNull::new_unchecked(Box::into_raw(cell.assume_init())).cast::<Header>()
        };
        // SAFETY: the state word counts these three references, and the
        // cell is a `TaskCell<W>`, of output `W::Output`, with its header
        // first (`#[repr(C)]`).
        unsafe {
            NewTask {
                handle: OutputRef::new(TaskRef::from_counted(ptr)),
                queued: TaskRef::from_counted(ptr),
                registered: TaskRef::from_counted(ptr),
            }
        }
    }

    /// The cell `task` refers to.
    fn of(task: &TaskRef) -> &Self {
        // SAFETY: a cell's table is only reached through its own header, so
        // `task` refers to a `TaskCell<W>`, alive as long as `task`.
        unsafe { task.cell_ptr().cast::<Self>().as_ref() }
    }

    /// Frees the cell, dropping what is left in it.
    ///
    /// # Safety
    ///
    /// `ptr` came from `spawn`, and no reference to the cell is left.
    unsafe fn dealloc(ptr: NonNull<Header>) {
        // SAFETY: see above: the box `spawn` made, owned by nobody else.
        drop(unsafe { Box::from_raw(ptr.cast::<Self>().as_ptr()) });
    }

    fn header(&self) -> &Header {
        &self.head.header
    }

    fn result(&self) -> &FutureState<InStage> {
        &self.head.result
    }

    /// The output in the stage, or null if the stage does not hold it.
    /// Dereferenced only by a reader that holds the future state's lock
    /// with the value's mark `Ready` (see `TaskVTable::output_ptr`).
    fn output_ptr(&self) -> *const W::Output {
        if self.header().stage.load(Ordering::Relaxed) != HOLDS_OUTPUT {
            return std::ptr::null();
        }
        // SAFETY: only a place is computed here, no value is read; the
        // stage holds the output (checked above).
        let output = unsafe { &raw const (*self.stage.get()).output };
        output.cast()
    }

    /// Moves the output out of the stage into `out`, if it is there.
    ///
    /// # Safety
    ///
    /// The caller took the value's mark (`Ready` to `Taken`) under the
    /// future state's lock, so it alone touches the stage now.
    unsafe fn take_output(&self, out: *mut Option<W::Output>) {
        let mark = &self.header().stage;
        if mark.load(Ordering::Relaxed) != HOLDS_OUTPUT {
            return;
        }
        mark.store(HOLDS_NOTHING, Ordering::Relaxed);
        // SAFETY: see above: the stage holds the output and only the
        // caller reads it, once; an output is a plain value, not pinned, so
        // it may move. `out` is valid for writes.
        unsafe {
            *out = Some(ManuallyDrop::into_inner(std::ptr::read(
                &(*self.stage.get()).output,
            )))
        };
    }

    /// Drops the output, if no reader took it, where this is called.
    fn clear_output(&self) {
        if !self.result().take_ready_mark() {
            return;
        }
        let mut output = None;
        // SAFETY: the mark was taken just above.
        unsafe { self.take_output(&mut output) };
        // Outside the state's lock: the output's destructor is user code.
        drop(output);
    }

    /// Runs the task once and attaches `task` to what the run asks for; a
    /// reference the chain no longer needs is released here, after the run.
    fn run_ref(task: TaskRef, now: Duration, epoch: u64) -> RunResult {
        match Self::of(&task).run(&task, now, epoch) {
            After::Idle => RunResult::Idle,
            After::Next => RunResult::Next(task),
            After::Pickup => RunResult::Pickup(task),
            After::Sleep(until) => RunResult::Sleep(task, until),
        }
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
        trace::finishing(self.header(), end_of(&outcome));
        // From here a `cancel()` (from `upon_death`, or any thread) finds
        // the task finishing: its outcome is decided.
        self.header().state.mark_finishing();
        if drop_work {
            if let Some(message) = self.drop_work() {
                trace::panicked(self.header(), PanicIn::Drop, &message);
                outcome = panicked_unless_ended(outcome, message);
            }
        }
        // An ended task awaits nothing, and keeps nothing it awaited alive.
        self.header().awaited().clear();
        if let Some(upon_death) = self.header().take_upon_death() {
            trace::upon_death(self.header(), end_of(&outcome));
            let death = TaskDeath::new(self.header(), end_of(&outcome));
            if let Err(payload) = catch_unwind(AssertUnwindSafe(move || upon_death.call(&death))) {
                let message = message_of(payload);
                trace::panicked(self.header(), PanicIn::UponDeath, &message);
                outcome = panicked_unless_ended(outcome, message);
            }
        }
        // Taken whatever the outcome, so an ended task no longer holds what
        // it captured; run only if the task finished (a panicking
        // `upon_death` counts as a panic).
        let after_done = self
            .header()
            .take_after_done()
            .filter(|_| matches!(outcome, Outcome::Ready(_)));
        let ended = self.header().state.complete();
        if ended.is_sleeping() {
            self.header().chain.sleeping_changed(-1);
        }
        // `complete` cannot fail: only the RUNNING holder completes a task.
        // It wakes the task's waiters, whose wakers are user code: the task
        // is retired whatever they do.
        let outcome = match outcome {
            Outcome::Ready(value)
                if self.header().stage.load(Ordering::Relaxed) == HOLDS_NOTHING =>
            {
                // SAFETY: the caller holds RUNNING and the work is gone, so
                // nobody else touches the stage until the value's mark is
                // published (`complete`, under the state's lock).
                unsafe { (*self.stage.get()).output = ManuallyDrop::new(value) };
                self.header().stage.store(HOLDS_OUTPUT, Ordering::Relaxed);
                Outcome::Ready(InStage)
            }
            // The work was kept (leaked): there is no room for the value.
            Outcome::Ready(value) => {
                drop_caught(value);
                Outcome::Cancelled
            }
            Outcome::Cancelled => Outcome::Cancelled,
            Outcome::Panicked(message) => Outcome::Panicked(message),
            Outcome::Failed(error) => Outcome::Failed(error),
        };
        let completed = catch_unwind(AssertUnwindSafe(|| {
            self.result().complete(outcome, Some(&*self.header().chain))
        }));
        if let Err(payload) = completed {
            message_of(payload);
        }
        self.header().chain.retire(self.header());
        if !self.header().state.snapshot().has_handle() {
            // Nobody can read the output: drop it now, on the runner's thread,
            // where a panicking destructor is caught, rather than wherever the
            // last reference to the cell happens to go.
            let _ = catch_unwind(AssertUnwindSafe(|| self.clear_output())).map_err(message_of);
        }
        if let Some(after_done) = after_done {
            // Once the task's future is done and the task has left its
            // chain's lists, so whoever it wakes finds the task ended. It
            // may wake foreign wakers: a panic there must not escape the
            // chain's run loop.
            let _ = catch_unwind(AssertUnwindSafe(after_done)).map_err(message_of);
        }
        if ended.is_hosted() {
            // The runtime task hosting it completes once it sees the end (it
            // may not be the one ending it). A task hosted only after this
            // point finds the end on its host's first poll. A waker is
            // foreign code.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                self.header().chain.wake_host(self.header())
            }))
            .map_err(message_of);
        }
    }

    /// Drops the work where it lies (it is pinned from its first poll) and
    /// leaves its slot empty, also when its `Drop` panics; returns that
    /// panic's message. The caller holds `RUNNING`.
    fn drop_work(&self) -> Option<String> {
        let mark = &self.header().stage;
        if mark.load(Ordering::Relaxed) != HOLDS_WORK {
            return None;
        }
        // Whether or not the drop unwinds, the work is gone (an unwinding
        // drop still drops every field): it is never dropped again.
        mark.store(HOLDS_NOTHING, Ordering::Relaxed);
        // SAFETY: the caller holds RUNNING, so nobody else touches the
        // stage, which holds the work. Dropping in place keeps the pin
        // contract.
        let dropped = catch_unwind(AssertUnwindSafe(|| unsafe {
            ManuallyDrop::drop(&mut (*self.stage.get()).work)
        }));
        dropped.err().map(message_of)
    }
}

impl<W: Task> TaskCell<W> {
    /// Runs the task once (`task` is this cell's reference).
    fn run(&self, task: &TaskRef, now: Duration, epoch: u64) -> After {
        let state = &self.header().state;
        let before = match state.start_run() {
            RunStart::Run(before) => before,
            RunStart::Stale => return After::Idle,
        };
        let _span = trace::run_span(self.header());
        if before.is_sleeping() {
            self.header().chain.sleeping_changed(-1);
        }
        if before.is_suspended() {
            // This run polls again; whatever it awaits, it publishes anew.
            self.header().awaited().clear();
        }
        self.header().start_once(now, epoch);
        if before.is_cancel_pending() {
            if !before.is_suspended() {
                self.finish(Outcome::Cancelled, true);
                return After::Idle;
            }
            state.mark_cancel_seen();
        }

        let waker = task.lend_waker();
        let frame = RunFrame {
            task,
            waker: &waker,
            sleep_until: std::cell::Cell::new(None),
            yield_next: std::cell::Cell::new(false),
        };
        let polled = {
            let _enter = current::enter(&frame);
            let mut cx = Context::from_waker(&waker);
            let tc = TaskContext {
                header: self.header(),
                now,
                epoch,
            };
            catch_unwind(AssertUnwindSafe(|| {
                if self.header().stage.load(Ordering::Relaxed) != HOLDS_WORK {
                    return Poll::Pending;
                }
                // SAFETY: we hold RUNNING, so we have exclusive access to the
                // stage, which holds the work (checked above); the work lives
                // in the cell's allocation and is never moved: `finish` drops
                // it in place (or leaks the cell), so pinning is sound.
                let work: &mut W = unsafe { &mut (*self.stage.get()).work };
                // SAFETY: as above.
                unsafe { Pin::new_unchecked(work) }.poll_task(&mut cx, &tc)
            }))
        };

        let (sleep_until, yield_next) = (frame.sleep_until.get(), frame.yield_next.get());
        let step = match polled {
            Err(payload) => {
                // As for a value: a `cancel()` that landed first returned
                // true, and wins.
                let ending = state.take_ending();
                let message = message_of(payload);
                trace::panicked(self.header(), PanicIn::Run, &message);
                let outcome = match ending {
                    Ending::Cancelled => Outcome::Cancelled,
                    Ending::Value => Outcome::Panicked(message),
                };
                self.finish(outcome, true);
                return After::Idle;
            }
            Ok(Poll::Ready(step)) => step,
            Ok(Poll::Pending) => return self.suspend(sleep_until, yield_next),
        };
        // `finish` and `release` clear SUSPENDED: this invocation is over.
        // Shutdown removes every task: one whose run overlapped it (on a
        // threaded chain) ends cancelled whatever it returned, as a task
        // removed while it runs does.
        let shut_down = self.header().chain.is_shut_down();
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
                After::Idle
            }
            Step::Fail(error) => {
                // As for a value: a `cancel()` that landed first wins.
                let ending = state.take_ending();
                let outcome = match *error {
                    _ if matches!(ending, Ending::Cancelled) || shut_down => Outcome::Cancelled,
                    Error::Cancelled => Outcome::Cancelled,
                    error => Outcome::Failed(error),
                };
                self.finish(outcome, true);
                After::Idle
            }
            // A cancel landing after this load finds the task RUNNING: it
            // sets WOKEN, so `release` requeues the task and its next run
            // ends it.
            _ if state.snapshot().is_cancel_pending() || shut_down => {
                self.finish(Outcome::Cancelled, true);
                After::Idle
            }
            Step::Cont => {
                state.requeue();
                After::Next
            }
            Step::Pickup => {
                state.requeue();
                After::Pickup
            }
            Step::Again => {
                let chain = &self.header().chain;
                let now = chain.now();
                self.header().restart(now, epoch);
                match self.header().delay() {
                    Some(d) if !d.is_zero() => self.sleep(now.saturating_add(d)),
                    _ => {
                        state.requeue();
                        After::Next
                    }
                }
            }
        }
    }

    /// Makes a cancel request (see `TaskVTable::cancel`).
    fn cancel(&self, join: bool) -> CancelMade {
        let may_claim = self.header().may_drop_work_here();
        // Counted first, so that whoever the request reaches counts it.
        self.header().count_cancel();
        let request = self.header().state.request_cancel(may_claim, join);
        let made = !matches!(
            request,
            CancelRequest::Complete | CancelRequest::TooLate | CancelRequest::Refused
        );
        trace::cancel_requested(self.header(), made, false);
        match request {
            CancelRequest::Complete => {
                // The request did not take: its count goes.
                let _ = self.header().uncancel();
                // Its runner is between completing the state and publishing
                // the outcome (a few instructions, no user code): wait, so
                // that whoever is told "not cancelled by this call" finds it
                // done.
                while !self.result().is_done() {
                    yield_now();
                }
                CancelMade::No
            }
            // Too late: its run ended with a value that is now its outcome
            // (it is dropping its work and running `upon_death`, user code
            // this call must not wait for, and may be coming from).
            CancelRequest::TooLate | CancelRequest::Refused => {
                // The request did not take: its count goes.
                let _ = self.header().uncancel();
                CancelMade::No
            }
            // Joined to the pending one: a single delivery answers both.
            CancelRequest::AlreadyPending => CancelMade::Joined,
            CancelRequest::RunnerWillSee => CancelMade::Yes,
            CancelRequest::Wake => CancelMade::AtRest,
            CancelRequest::Claimed => {
                self.finish(Outcome::Cancelled, true);
                CancelMade::Yes
            }
        }
    }

    /// Cancels at once, whatever the task is doing (`task` is this cell's
    /// reference).
    fn abort(&self, task: &TaskRef) {
        let abort = self.header().state.abort();
        // A stale queue entry of an ended task is aborted too: no request.
        if !matches!(abort, Abort::Complete) {
            trace::cancel_requested(self.header(), true, true);
        }
        match abort {
            Abort::Complete | Abort::RunnerWillSee => {}
            Abort::Claimed => {
                let may_drop_work = self.header().may_drop_work_here();
                if !may_drop_work {
                    // The work stays where it is, for good: neither dropped
                    // here nor by the cell's own drop, on whatever thread
                    // that happens.
                    task.clone().leak();
                }
                self.finish(Outcome::Cancelled, may_drop_work);
            }
        }
    }

    /// The typed handle went away: drop the output if it exists.
    fn release_handle(&self) {
        // Before completion no output exists, and `finish`, which stores it
        // after completing the state, sees the handle gone and drops it.
        if self.header().state.drop_handle().is_complete() {
            self.clear_output();
        }
    }

    /// Leaves `RUNNING` for the sleep heap (`Again` with a delay), unless
    /// woken meanwhile.
    fn sleep(&self, until: Duration) -> After {
        self.header().chain.sleeping_changed(1);
        match self.header().state.sleep() {
            Release::Parked => After::Sleep(until),
            Release::Requeue => {
                self.header().chain.sleeping_changed(-1);
                After::Next
            }
        }
    }

    /// The coroutine returned `Pending`: decide between suspension, sleep,
    /// a run next frame, or (cancel requested) requeue or abort.
    fn suspend(&self, sleep_until: Option<Duration>, yield_next: bool) -> After {
        let chain = &self.header().chain;
        if chain.is_shut_down() {
            // Shutdown found it running and left it to us.
            self.finish(Outcome::Cancelled, true);
            return After::Idle;
        }
        // Where the coroutine goes, and what the chain then does with it.
        let (to, parked) = match (sleep_until, yield_next) {
            (Some(until), _) => (Suspension::Sleep, After::Sleep(until)),
            (None, true) => (Suspension::Requeue, After::Next),
            (None, false) => (Suspension::Wait, After::Idle),
        };
        let sleeps = matches!(to, Suspension::Sleep);
        if sleeps {
            // Counted before the task can be seen asleep.
            chain.sleeping_changed(1);
        }
        let suspended = self.header().state.suspend(to);
        if sleeps && !matches!(suspended, Suspended::Parked) {
            chain.sleeping_changed(-1);
        }
        match suspended {
            Suspended::CancelIgnored => {
                // A whole run passed without an await point of ours taking
                // the request: the coroutine awaits something foreign.
                self.finish(Outcome::Cancelled, true);
                After::Idle
            }
            Suspended::Requeue => After::Next,
            Suspended::Parked => parked,
        }
    }
}
