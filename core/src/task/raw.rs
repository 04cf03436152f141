//! References to a task cell: [`TaskRef`], blind to the cell's types (what
//! chains, queues and registries hold), and [`OutputRef`], which knows the
//! output type (what handles hold); the table of the functions that know
//! the types; and the task's waker.
//!
//! A cell counts its references in its state word (see `state`) and is
//! freed by the last one, through its table. A reference is one pointer.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

use crate::chain::core::Placement;
use crate::error::Error;
use crate::future::state::{take, Bind, FutureState, Slot};
use crate::task::awaited;
use crate::task::cell::{CellHead, InStage, RunResult};
use crate::task::header::Header;
use crate::task::state::WakeAction;

/// What a cancel request of a task came to.
#[must_use]
pub(crate) enum CancelMade {
    /// None was made: the task is done or finishing, or a removal found
    /// a request pending.
    No,
    /// Made; the task's runner (or the caller, who ended it) sees to it.
    Yes,
    /// Joined to a request already pending, which whoever made it sees to.
    Joined,
    /// Made of a task at rest (suspended, or `!Send` off its owner
    /// thread): the caller cancels what it awaits, then wakes it.
    AtRest,
}

/// What a task cell does that depends on its work's type: one table per
/// work type, in static memory, pointed to by every cell's header.
pub(crate) struct TaskVTable {
    /// The work or its output is `!Send`: only the chain's owner thread may
    /// run or drop it.
    pub(crate) local: bool,
    /// The work's `Task::is_coroutine`.
    pub(crate) is_coroutine: fn() -> bool,
    /// Runs the task once; the caller has seen it `SCHEDULED`.
    pub(crate) run: fn(TaskRef, Duration, u64) -> RunResult,
    /// Makes a cancel request (see the `task` module); `join`: a request
    /// already pending takes this one in, else refuses it. A suspended
    /// task is left for the caller to wake, once it has cancelled what the
    /// task awaits (`awaited::cancel`).
    pub(crate) cancel: fn(&TaskRef, bool) -> CancelMade,
    /// Cancels at once, whatever the task is doing (shutdown). Off the
    /// owner thread of a `!Send` task its work is leaked rather than
    /// dropped on the wrong thread, with its cell, since a pinned future
    /// never dropped must keep its memory.
    pub(crate) abort: fn(&TaskRef),
    /// The typed handle went away: drop the output (on the owner thread).
    pub(crate) release_handle: fn(&TaskRef),
    /// Moves the output out of the cell's stage into `*out`, an
    /// `Option<Output>`, if it is there. Unsafe to call: the caller took
    /// the value's mark out of the future state (see `InStage`), and `out`
    /// is of the cell's output type.
    pub(crate) take_output: unsafe fn(&TaskRef, *mut ()),
    /// The output where it lies in the cell's stage (null if it is not
    /// there), for a reader to clone. Unsafe to call: the caller holds the
    /// future state's lock with the value's mark `Ready`, so nobody takes
    /// or drops the output meanwhile.
    pub(crate) output_ptr: unsafe fn(&TaskRef) -> *const (),
    /// Frees the cell; called by the last reference.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
}

/// A counted reference to a task cell, blind to its types.
///
/// Invariant: `ptr` points to the header of a live cell whose
/// `header.vtable` is the cell's own table, and this reference is one of
/// those its state word counts.
pub(crate) struct TaskRef {
    ptr: NonNull<Header>,
}

// SAFETY: a cell is shared between threads by design: its header is made of
// atomics and values fixed at spawn, and its work and output are guarded by
// the state word (see `TaskCell`'s `Send`/`Sync`).
unsafe impl Send for TaskRef {}
// SAFETY: as above.
unsafe impl Sync for TaskRef {}

impl TaskRef {
    /// Takes over one of the references a new cell's state word counts.
    ///
    /// # Safety
    ///
    /// `ptr` points to the header of a cell whose state word counts a
    /// reference nobody else owns.
    pub(crate) unsafe fn from_counted(ptr: NonNull<Header>) -> Self {
        TaskRef { ptr }
    }

    /// The task's header.
    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the cell lives at least as long as this reference (see
        // the invariant).
        unsafe { self.ptr.as_ref() }
    }

    /// Gives up this reference without releasing it, as the cell's
    /// address; [`from_counted`](Self::from_counted) takes it back.
    pub(crate) fn into_counted(self) -> NonNull<Header> {
        ManuallyDrop::new(self).ptr
    }

    /// A new reference to the cell at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` came from [`into_counted`](Self::into_counted) and that
    /// reference is not released for the length of this call.
    pub(crate) unsafe fn clone_counted(ptr: NonNull<Header>) -> Self {
        ManuallyDrop::new(TaskRef { ptr }).deref().clone()
    }

    /// The start of the cell, for the typed functions of its table.
    pub(crate) fn cell_ptr(&self) -> NonNull<Header> {
        self.ptr
    }

    /// Runs the task once; the caller has seen it `SCHEDULED`.
    pub(crate) fn run(self, now: Duration, epoch: u64) -> RunResult {
        (self.header().vtable.run)(self, now, epoch)
    }

    /// Requests cancellation (see the `task` module), and cancels what
    /// the task awaits.
    pub(crate) fn cancel(&self) -> bool {
        awaited::cancel(self, true)
    }

    /// A removal (`remove`, `remove_by_name`): a cancel request, unless one
    /// is already pending (it is not counted twice).
    pub(crate) fn remove(&self) -> bool {
        awaited::cancel(self, false)
    }

    /// Makes a cancel request and nothing more (see `TaskVTable::cancel`).
    pub(crate) fn request_cancel(&self, join: bool) -> CancelMade {
        (self.header().vtable.cancel)(self, join)
    }

    /// Cancels at once, whatever the task is doing (shutdown).
    pub(crate) fn abort(&self) {
        (self.header().vtable.abort)(self)
    }

    /// The task's future state, where its outcome is published.
    pub(crate) fn state(&self) -> &FutureState<InStage> {
        // SAFETY: every cell is `#[repr(C)]` and starts with a `CellHead`
        // (see `TaskCell`), and lives as long as this reference.
        unsafe { &self.ptr.cast::<CellHead>().as_ref().result }
    }

    /// Whether the outcome is published (not only the `COMPLETE` bit, which
    /// is set a moment before): a reader told "done" finds the outcome.
    pub(crate) fn is_done(&self) -> bool {
        self.state().is_done()
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.state().is_cancelled()
    }

    /// Why the task ended without a value, if it did.
    pub(crate) fn error(&self) -> Option<Error> {
        self.state().error()
    }

    /// Blocks until the task is done (or `timeout` passes: `Err(Timeout)`).
    pub(crate) fn wait_done(&self, timeout: Option<Duration>) -> Result<(), Error> {
        self.state().wait_done(timeout)
    }

    pub(crate) fn add_callback(&self, bind: Bind) -> Result<(), Error> {
        self.state().add_callback(bind, Some(&*self.header().chain))
    }

    /// The typed handle went away: drop the output (on the owner thread).
    pub(crate) fn release_handle(&self) {
        (self.header().vtable.release_handle)(self)
    }

    /// Wakes the task: queues it on its chain if that makes it runnable.
    /// The queue gets a reference of its own; this one keeps the cell, and
    /// with it the chain, alive until the wake is over.
    pub(crate) fn wake(&self) {
        match self.header().state.wake() {
            WakeAction::Submit => self.header().chain.schedule(self.clone(), Placement::Run),
            WakeAction::Nothing => {}
        }
    }

    /// Keeps the cell for good: this reference is never released (a
    /// `!Send` task's work that no thread may drop stays in it).
    pub(crate) fn leak(self) {
        std::mem::forget(self);
    }

    /// The task's waker, lent for the length of a run without taking a
    /// reference of its own (its clones take theirs).
    #[inline]
    pub(crate) fn lend_waker(&self) -> LentWaker<'_> {
        // SAFETY: the waker's data is this cell's header, as every function
        // of `WAKER` expects; it is never dropped (`ManuallyDrop`), so it
        // releases no reference it did not take, and it lives no longer
        // than `self`, which keeps the cell alive.
        let waker = unsafe { Waker::from_raw(RawWaker::new(self.ptr.as_ptr().cast(), &WAKER)) };
        LentWaker {
            waker: ManuallyDrop::new(waker),
            _task: PhantomData,
        }
    }
}

impl Clone for TaskRef {
    fn clone(&self) -> Self {
        self.header().state.ref_inc();
        TaskRef { ptr: self.ptr }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        let header = self.header();
        let dealloc = header.vtable.dealloc;
        if header.state.ref_dec() {
            // SAFETY: that was the last reference: nobody else can reach the
            // cell, and the table's `dealloc` is the one for its type.
            unsafe { dealloc(self.ptr) }
        }
    }
}

/// A task reference that knows the task's output type: what handles hold.
pub(crate) struct OutputRef<T> {
    raw: TaskRef,
    _output: PhantomData<fn() -> T>,
}

impl<T> OutputRef<T> {
    /// # Safety
    ///
    /// `raw`'s cell is a `TaskCell` whose work has output `T`.
    pub(crate) unsafe fn new(raw: TaskRef) -> Self {
        OutputRef {
            raw,
            _output: PhantomData,
        }
    }

    /// Reads a done task's outcome (a `read` of its future state, run
    /// under the state's lock): its output, moved out of the cell, or why
    /// there is none.
    pub(crate) fn read_output(&self, slot: &mut Slot<InStage>) -> Result<T, Error> {
        take(slot)?;
        let mut output: Option<T> = None;
        // SAFETY: `take` just moved the mark from `Ready` to `Taken` under
        // the state's lock, and the cell's output type is `T` (see `new`).
        unsafe { (self.raw.header().vtable.take_output)(&self.raw, (&raw mut output).cast()) };
        // The mark and the value go together: a missing value is a bug.
        output.ok_or(Error::AlreadyTaken)
    }

    /// Reads a done task's outcome by cloning its output, which stays in
    /// the cell (a `read` of its future state, run under the state's lock).
    pub(crate) fn clone_output(&self, slot: &mut Slot<InStage>) -> Result<T, Error>
    where
        T: Clone,
    {
        if !matches!(slot, Slot::Ready(_)) {
            return Err(Error::AlreadyTaken);
        }
        // SAFETY: the caller holds the state's lock and the mark is
        // `Ready` (checked above), as `output_ptr` asks.
        let output = unsafe { (self.raw.header().vtable.output_ptr)(&self.raw) };
        // SAFETY: the cell's output type is `T` (see `new`); the output
        // stays where it is while the lock is held.
        unsafe { output.cast::<T>().as_ref() }
            .cloned()
            .ok_or(Error::AlreadyTaken)
    }

    /// An untyped reference to the same task.
    pub(crate) fn to_raw(&self) -> TaskRef {
        self.raw.clone()
    }

    /// The untyped reference this one is.
    pub(crate) fn into_raw(self) -> TaskRef {
        self.raw
    }
}

impl<T> Clone for OutputRef<T> {
    fn clone(&self) -> Self {
        OutputRef {
            raw: self.raw.clone(),
            _output: PhantomData,
        }
    }
}

impl<T> Deref for OutputRef<T> {
    type Target = TaskRef;

    fn deref(&self) -> &TaskRef {
        &self.raw
    }
}

/// The task's waker for the length of a run (see [`TaskRef::lend_waker`]).
pub(crate) struct LentWaker<'a> {
    waker: ManuallyDrop<Waker>,
    _task: PhantomData<&'a TaskRef>,
}

impl Deref for LentWaker<'_> {
    type Target = Waker;

    fn deref(&self) -> &Waker {
        &self.waker
    }
}

/// Every task's waker: its data is the cell's header, and a waker counts
/// as one reference to the cell.
static WAKER: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

/// The reference a waker's data stands for, without releasing it.
///
/// # Safety
///
/// `data` is the data of a waker of `WAKER`, alive for the call.
unsafe fn borrowed(data: *const ()) -> ManuallyDrop<TaskRef> {
    ManuallyDrop::new(TaskRef {
        // SAFETY: a waker's data is never null (see `lend_waker`).
        ptr: unsafe { NonNull::new_unchecked(data.cast_mut().cast()) },
    })
}

unsafe fn waker_clone(data: *const ()) -> RawWaker {
    // SAFETY: called on a live waker of `WAKER`.
    let task = unsafe { borrowed(data) };
    task.header().state.ref_inc();
    RawWaker::new(data, &WAKER)
}

unsafe fn waker_wake(data: *const ()) {
    // SAFETY: called on a live waker of `WAKER`, which gives up its
    // reference: it is released when `task` drops, after the wake.
    let task = ManuallyDrop::into_inner(unsafe { borrowed(data) });
    task.wake();
}

unsafe fn waker_wake_by_ref(data: *const ()) {
    // SAFETY: called on a live waker of `WAKER`.
    let task = unsafe { borrowed(data) };
    task.wake();
}

unsafe fn waker_drop(data: *const ()) {
    // SAFETY: called once on a waker of `WAKER`, which gives up its
    // reference.
    drop(ManuallyDrop::into_inner(unsafe { borrowed(data) }));
}
