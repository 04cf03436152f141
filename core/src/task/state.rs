//! The task state word and its transitions (the bits, which of them may
//! coexist and who owns what in each state are documented once, in the
//! `task` module).
//!
//! Every change of the word is a named method here that returns what the
//! caller must do next; the bits are private to this file, and everyone
//! else reads a [`Snapshot`].

use std::sync::atomic::Ordering;

use crate::sync::{fence, AtomicU64};

/// In a run queue, the injection queue, or about to be.
const SCHEDULED: u64 = 1 << 0;
/// Being run; the runner owns the work.
const RUNNING: u64 = 1 << 1;
/// Woken while running: run again next epoch.
const WOKEN: u64 = 1 << 2;
/// Terminal: the outcome is (about to be) in the future state.
const COMPLETE: u64 = 1 << 3;
/// A cancel request waits to be delivered (at an await point of a
/// coroutine, or by ending the task).
const CANCEL_PENDING: u64 = 1 << 4;
/// `cancel()` was called (and returned true), or shutdown aborted the task.
const CANCEL_REQUESTED: u64 = 1 << 5;
/// The current run began with a cancel request pending.
const CANCEL_SEEN: u64 = 1 << 6;
/// A coroutine invocation is in progress (returned `Pending`).
const SUSPENDED: u64 = 1 << 7;
/// In the sleep heap (delay, `Again`, `pause`).
const SLEEPING: u64 = 1 << 8;
/// A typed handle is alive; without one the output is dropped at once.
const HANDLE: u64 = 1 << 9;
/// The runner took the task's value as its outcome: a later cancel request
/// comes too late.
const FINISHING: u64 = 1 << 10;

/// A runtime task was made to host the task: a wake before it first ran
/// (with no waker of it kept yet) must not make a second one.
const HOSTED: u64 = 1 << 11;
/// A re-sort of the task is on its way to the chain's queues: another one
/// would only add an entry.
const RESORT_PENDING: u64 = 1 << 12;

/// One reference to the task cell: the count lives above the flags, so a
/// transition never touches it and a reference never needs its own word.
const REF_ONE: u64 = 1 << 16;
/// A count past this is a leak of references (as `Arc`'s limit): abort
/// rather than wrap. The word is 64 bits on every target (the crate needs
/// 64-bit atomics anyway), so the limit is 2^47 references.
const MAX_REFS: u64 = u64::MAX >> 1;
const REF_SHIFT: u32 = REF_ONE.trailing_zeros();

/// A task's state word.
pub(crate) struct State(AtomicU64);

/// One reading of a task's state word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(u64);

/// What a wake asks of the waker.
#[must_use]
pub(crate) enum WakeAction {
    /// The task is now `SCHEDULED`: hand it to its chain.
    Submit,
    /// Already queued, running (it will be requeued), or done.
    Nothing,
}

/// How a run begins.
#[must_use]
pub(crate) enum RunStart {
    /// The runner now owns the work; the state before the run.
    Run(Snapshot),
    /// A stale queue entry: the task is done, not queued, or running
    /// elsewhere.
    Stale,
}

/// What a run that produced a value (or panicked) ends with.
#[must_use]
pub(crate) enum Ending {
    /// No cancel came first: the value is the outcome.
    Value,
    /// A cancel landed first and wins.
    Cancelled,
}

/// Where a coroutine that returned `Pending` goes (see [`State::suspend`]).
#[derive(Clone, Copy)]
pub(crate) enum Suspension {
    /// Back to its queue, for the next epoch (`next_frame`).
    Requeue,
    /// To the sleep heap (`pause`).
    Sleep,
    /// Nowhere: it waits for a wake.
    Wait,
}

/// How a suspension went.
#[must_use]
pub(crate) enum Suspended {
    /// As asked.
    Parked,
    /// A wake or a cancel request came during the run: the task is
    /// `SCHEDULED` and must be requeued whatever was asked.
    Requeue,
    /// A whole run passed with a cancel request pending and no await point
    /// of ours took it (the coroutine awaits something foreign): the task
    /// is still `RUNNING`, for the caller to end it.
    CancelIgnored,
}

/// How leaving `RUNNING` for a sleep went.
#[must_use]
pub(crate) enum Release {
    /// The task sleeps or waits as asked.
    Parked,
    /// A wake arrived during the run: the task is `SCHEDULED` and must be
    /// requeued instead.
    Requeue,
}

/// What a `cancel()` call found, and what the caller must do.
#[must_use]
pub(crate) enum CancelRequest {
    /// The task is complete: nothing was requested. Its outcome may be a
    /// few instructions from being published.
    Complete,
    /// A request is already pending, not yet delivered: this one joins it
    /// (one delivery answers both).
    AlreadyPending,
    /// A request is already pending and this one (a removal) does not join
    /// it.
    Refused,
    /// The task's run already returned the value that is its outcome; the
    /// request is recorded but comes too late.
    TooLate,
    /// Requested while the task runs: its runner requeues it and honours
    /// the request.
    RunnerWillSee,
    /// Requested of a suspended coroutine (or of a `!Send` task off its
    /// owner thread): wake it so the request reaches it.
    Wake,
    /// The caller claimed the work (the task was queued, sleeping or had
    /// not started): end the task cancelled now.
    Claimed,
}

/// What an abort (shutdown) found.
#[must_use]
pub(crate) enum Abort {
    /// Already complete.
    Complete,
    /// Running: flagged, so its runner requeues it and the shut-down chain
    /// ends it.
    RunnerWillSee,
    /// The caller claimed the work: end the task cancelled now.
    Claimed,
}

impl State {
    /// A new task, with its typed handle alive and `refs` references to
    /// its cell.
    pub(crate) fn new(refs: u64) -> Self {
        State(AtomicU64::new(HANDLE | (refs * REF_ONE)))
    }

    /// Marks the task hosted; true if the caller is the one to make its
    /// host (once per task).
    #[must_use]
    pub(crate) fn claim_host(&self) -> bool {
        self.0.fetch_or(HOSTED, Ordering::AcqRel) & HOSTED == 0
    }

    /// A re-sort was asked for (its sort or priority changed): true if
    /// none is on its way yet, so the caller hands one to the chain. A
    /// thread changing the order in a loop then adds one queue entry per
    /// placement, not one per call.
    #[must_use]
    pub(crate) fn request_resort(&self) -> bool {
        self.0.fetch_or(RESORT_PENDING, Ordering::AcqRel) & RESORT_PENDING == 0
    }

    /// The queues take the re-sort on its way; one asked for from now on
    /// is handed over again (they read the order after this).
    pub(crate) fn resort_taken(&self) {
        self.0.fetch_and(!RESORT_PENDING, Ordering::AcqRel);
    }

    /// One more reference to the cell. Relaxed, as `Arc`'s clone: whoever
    /// copies a reference already holds one.
    #[inline]
    pub(crate) fn ref_inc(&self) {
        if self.0.fetch_add(REF_ONE, Ordering::Relaxed) > MAX_REFS {
            std::process::abort();
        }
    }

    /// One reference fewer; true if it was the last (the caller frees the
    /// cell). Release, then acquire for the last one, as `Arc`'s drop: every
    /// use of the cell through another reference happens before the free.
    #[must_use]
    #[inline]
    pub(crate) fn ref_dec(&self) -> bool {
        if self.0.fetch_sub(REF_ONE, Ordering::Release) >> REF_SHIFT != 1 {
            return false;
        }
        fence(Ordering::Acquire);
        true
    }

    #[inline]
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot(self.0.load(Ordering::Acquire))
    }

    /// Applies `f` until it succeeds or declines; returns the state it
    /// changed (or declined on).
    #[inline]
    fn update(&self, f: impl FnMut(u64) -> Option<u64>) -> Result<u64, u64> {
        self.0.fetch_update(Ordering::AcqRel, Ordering::Acquire, f)
    }

    /// A new task enters its chain, queued (or sleeping until a delay
    /// passes). It is not shared with another thread yet, so nobody can
    /// change the word (its references included) between the load and the
    /// store.
    pub(crate) fn submit(&self, sleeping: bool) {
        let queued = if sleeping { SLEEPING } else { SCHEDULED };
        let s = self.0.load(Ordering::Relaxed);
        self.0.store(s | queued, Ordering::Release);
    }

    /// A wake (from any thread).
    #[inline]
    pub(crate) fn wake(&self) -> WakeAction {
        let changed = self.update(|s| {
            if s & (COMPLETE | SCHEDULED) != 0 {
                None
            } else if s & RUNNING != 0 {
                Some(s | WOKEN)
            } else {
                Some(s | SCHEDULED)
            }
        });
        match changed {
            Ok(s) if s & RUNNING == 0 => WakeAction::Submit,
            _ => WakeAction::Nothing,
        }
    }

    /// A sleeper's time came: queue it unless it was woken, cancelled or
    /// ended meanwhile. True if the caller must queue it.
    #[must_use]
    #[inline]
    pub(crate) fn wake_from_sleep(&self) -> bool {
        self.update(|s| {
            (s & SLEEPING != 0 && s & COMPLETE == 0).then_some((s & !SLEEPING) | SCHEDULED)
        })
        .is_ok()
    }

    /// A chain picked the task from a queue.
    #[inline]
    pub(crate) fn start_run(&self) -> RunStart {
        let started = self.update(|s| {
            (s & (COMPLETE | RUNNING) == 0 && s & SCHEDULED != 0)
                .then_some((s & !(SCHEDULED | SLEEPING | WOKEN | CANCEL_SEEN)) | RUNNING)
        });
        match started {
            Ok(s) => RunStart::Run(Snapshot(s)),
            Err(_) => RunStart::Stale,
        }
    }

    /// A run began with a cancel request pending: if the run ends without
    /// delivering it, the coroutine awaits something foreign.
    pub(crate) fn mark_cancel_seen(&self) {
        self.0.fetch_or(CANCEL_SEEN, Ordering::AcqRel);
    }

    /// The running task produced its value (or panicked): reads the cancel
    /// request and closes the door to later ones in one step, so a
    /// `cancel()` either lands before (and, still pending, wins) or finds
    /// `TooLate`. A request already delivered was the coroutine's to
    /// handle: its value stands.
    #[inline]
    pub(crate) fn take_ending(&self) -> Ending {
        let s = self.0.fetch_or(FINISHING, Ordering::AcqRel);
        if s & CANCEL_PENDING != 0 {
            Ending::Cancelled
        } else {
            Ending::Value
        }
    }

    /// Delivers the pending cancel request at an await point of the
    /// running coroutine: true if there was one (it is no longer pending; a
    /// later `cancel()` makes another, which this run has not seen, so its
    /// `CANCEL_SEEN` goes too). Only the runner calls this.
    #[must_use]
    #[inline]
    pub(crate) fn deliver_cancel(&self) -> bool {
        if self.0.load(Ordering::Acquire) & CANCEL_PENDING == 0 {
            return false;
        }
        let before = self
            .0
            .fetch_and(!(CANCEL_PENDING | CANCEL_SEEN), Ordering::AcqRel);
        before & CANCEL_PENDING != 0
    }

    /// The task is ending (its outcome is decided, the caller holds
    /// `RUNNING`): a later `cancel()` comes too late. Most endings set it
    /// already (`take_ending`): only the others pay for the write.
    #[inline]
    pub(crate) fn mark_finishing(&self) {
        if self.0.load(Ordering::Acquire) & FINISHING == 0 {
            self.0.fetch_or(FINISHING, Ordering::AcqRel);
        }
    }

    /// The coroutine returned `Pending`: its invocation goes on
    /// (`SUSPENDED`), and the run leaves `RUNNING` for `to`, in one step
    /// that also reads a wake or cancel request that came meanwhile.
    #[inline]
    pub(crate) fn suspend(&self, to: Suspension) -> Suspended {
        const IGNORED: u64 = CANCEL_PENDING | CANCEL_SEEN;
        let mut found = Suspended::Parked;
        let _ = self.update(|s| {
            if s & IGNORED == IGNORED {
                found = Suspended::CancelIgnored;
                return None;
            }
            let s = s | SUSPENDED;
            // A request that came during the run set WOKEN too; one that
            // came before it was seen at its start (CANCEL_SEEN, above).
            if s & (WOKEN | CANCEL_PENDING) != 0 {
                found = Suspended::Requeue;
                return Some((s & !(RUNNING | WOKEN)) | SCHEDULED);
            }
            found = Suspended::Parked;
            Some(match to {
                Suspension::Requeue => (s & !RUNNING) | SCHEDULED,
                Suspension::Sleep => (s & !RUNNING) | SLEEPING,
                Suspension::Wait => s & !RUNNING,
            })
        });
        found
    }

    /// The run returned a step asking to run again (next epoch, or a
    /// pickup): it leaves `RUNNING` queued again, its invocation over; a
    /// wake meanwhile changes nothing.
    #[inline]
    pub(crate) fn requeue(&self) {
        let _ = self.release(SCHEDULED);
    }

    /// The run returned a step asking to sleep (`Again` with a delay): it
    /// leaves `RUNNING` for the sleep heap, its invocation over, unless
    /// woken meanwhile.
    #[inline]
    pub(crate) fn sleep(&self) -> Release {
        self.release(SLEEPING)
    }

    #[inline]
    fn release(&self, also: u64) -> Release {
        let prev = self.update(|s| {
            let next = if s & WOKEN != 0 {
                (s & !(RUNNING | WOKEN)) | SCHEDULED
            } else {
                (s & !RUNNING) | also
            };
            Some(next & !SUSPENDED)
        });
        match prev {
            Ok(s) | Err(s) if s & WOKEN != 0 => Release::Requeue,
            _ => Release::Parked,
        }
    }

    /// Ends the task (the caller holds `RUNNING`): returns the state before.
    #[inline]
    pub(crate) fn complete(&self) -> Snapshot {
        let prev = self
            .update(|s| {
                Some((s | COMPLETE) & !(RUNNING | SCHEDULED | SLEEPING | WOKEN | SUSPENDED))
            })
            .unwrap_or_else(|s| s);
        Snapshot(prev)
    }

    /// A `cancel()` call. `may_claim` is false off the owner thread of a
    /// `!Send` task: that thread may not drop its work. `join`: a request
    /// already pending takes this one in (`cancel`); else it refuses it
    /// (`remove`, which counts a pending removal once).
    pub(crate) fn request_cancel(&self, may_claim: bool, join: bool) -> CancelRequest {
        let mut found = CancelRequest::Complete;
        let _ = self.update(|s| {
            if s & COMPLETE != 0 {
                found = CancelRequest::Complete;
                return None;
            }
            if s & FINISHING != 0 {
                // Recorded, so that `is_cancel_requested` says a cancel was
                // called.
                found = CancelRequest::TooLate;
                return Some(s | CANCEL_REQUESTED);
            }
            if s & CANCEL_PENDING != 0 {
                found = if join {
                    CancelRequest::AlreadyPending
                } else {
                    CancelRequest::Refused
                };
                return None;
            }
            const ASKED: u64 = CANCEL_PENDING | CANCEL_REQUESTED;
            let (next, action) = if s & RUNNING != 0 {
                // WOKEN makes the runner requeue the task whatever it asks
                // (sleep, suspend): its next run delivers the request.
                (s | ASKED | WOKEN, CancelRequest::RunnerWillSee)
            } else if s & SUSPENDED != 0 || !may_claim {
                (s | ASKED, CancelRequest::Wake)
            } else {
                ((s | ASKED | RUNNING) & !SCHEDULED, CancelRequest::Claimed)
            };
            found = action;
            Some(next)
        });
        found
    }

    /// Shutdown cancels the task whatever it is doing.
    pub(crate) fn abort(&self) -> Abort {
        let mut found = Abort::Complete;
        let _ = self.update(|s| {
            if s & COMPLETE != 0 {
                found = Abort::Complete;
                None
            } else if s & RUNNING != 0 {
                found = Abort::RunnerWillSee;
                Some(s | CANCEL_PENDING | CANCEL_REQUESTED | WOKEN)
            } else {
                found = Abort::Claimed;
                Some((s | CANCEL_PENDING | CANCEL_REQUESTED | RUNNING) & !SCHEDULED)
            }
        });
        found
    }

    /// The typed handle went away; returns the state before (whether the
    /// output exists yet: see `Snapshot::is_complete`).
    pub(crate) fn drop_handle(&self) -> Snapshot {
        Snapshot(self.0.fetch_and(!HANDLE, Ordering::AcqRel))
    }
}

impl Snapshot {
    /// A runtime task was made to host the task.
    #[inline]
    pub(crate) fn is_hosted(self) -> bool {
        self.0 & HOSTED != 0
    }

    #[inline]
    pub(crate) fn is_scheduled(self) -> bool {
        self.0 & SCHEDULED != 0
    }

    #[inline]
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }

    /// Queued and neither running nor complete: a queue entry may run it.
    #[inline]
    pub(crate) fn is_runnable(self) -> bool {
        self.0 & (SCHEDULED | RUNNING | COMPLETE) == SCHEDULED
    }

    #[inline]
    pub(crate) fn is_sleeping(self) -> bool {
        self.0 & SLEEPING != 0
    }

    /// In the sleep heap and nowhere else: a sleep entry may wake it.
    #[inline]
    pub(crate) fn is_only_sleeping(self) -> bool {
        self.0 & (SLEEPING | SCHEDULED | COMPLETE) == SLEEPING
    }

    #[inline]
    pub(crate) fn is_suspended(self) -> bool {
        self.0 & SUSPENDED != 0
    }

    /// `cancel()` was called (and returned true), or shutdown aborted it.
    #[inline]
    pub(crate) fn is_cancel_requested(self) -> bool {
        self.0 & CANCEL_REQUESTED != 0
    }

    /// A cancel request waits to be delivered.
    #[inline]
    pub(crate) fn is_cancel_pending(self) -> bool {
        self.0 & CANCEL_PENDING != 0
    }

    #[inline]
    pub(crate) fn has_handle(self) -> bool {
        self.0 & HANDLE != 0
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const NAMES: [(u64, &str); 13] = [
            (SCHEDULED, "scheduled"),
            (RUNNING, "running"),
            (WOKEN, "woken"),
            (COMPLETE, "complete"),
            (CANCEL_PENDING, "cancel-pending"),
            (CANCEL_REQUESTED, "cancel-requested"),
            (CANCEL_SEEN, "cancel-seen"),
            (SUSPENDED, "suspended"),
            (SLEEPING, "sleeping"),
            (HANDLE, "handle"),
            (FINISHING, "finishing"),
            (HOSTED, "hosted"),
            (RESORT_PENDING, "resort-pending"),
        ];
        let set: Vec<&str> = NAMES
            .iter()
            .filter(|(bit, _)| self.0 & bit != 0)
            .map(|(_, name)| *name)
            .collect();
        write!(f, "{} ({} refs)", set.join("|"), self.0 >> REF_SHIFT)
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.snapshot().fmt(f)
    }
}
