//! Playing an interval: the task that steps it once per frame on its
//! chain's clock, and `IntervalHandle`, the awaitable that controls it.
//!
//! The interval lives behind a lock that only its own code runs under
//! (`work`); the play's state (phase, time, awaitable) sits behind another
//! (`status`) that is never held while the interval's code runs. So the
//! handle's controls can be called from anywhere — another thread, a task
//! of the same chain, even the interval's own step — without deadlock: a
//! `finish` that finds the interval's code running leaves its final step
//! owed, and whoever holds `work` does it before letting go.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};
use std::time::Duration;

use crate::chain::core::ChainCore;
use crate::chain::task_chain::TaskChain;
use crate::error::panic_message;
use crate::error::Error;
use crate::future::async_future::AsyncFuture;
use crate::future::state::{clone_out, FutureState, Job, Outcome, WaiterKey};
use crate::interval::interval_trait::Interval;
use crate::task::builder::TaskBuilder;
use crate::task::context::TaskContext;
use crate::task::current;
use crate::task::handle::AnyTask;
use crate::task::kinds::{Step, Task};
use crate::task::raw::TaskRef;

/// A caught panic's payload, handed on to the poll boundary.
type Payload = Box<dyn Any + Send>;

/// What the task and every handle of one played interval share.
struct PlayedInterval {
    chain: Arc<ChainCore>,
    duration: Duration,
    status: Mutex<Status>,
    work: Mutex<Work>,
    /// Live handles: when the last one goes while the interval is paused,
    /// nobody can resume it, so it is stopped rather than left parked.
    handles: AtomicUsize,
}

struct Status {
    phase: Phase,
    /// The `t` of the latest step.
    t: Duration,
    /// Whether the interval was stepped in this play.
    stepped: bool,
    /// The awaitable of the current play; `resume` starts a new one.
    done: Arc<FutureState<()>>,
    /// The player task's waker while it is parked (paused).
    waker: Option<Waker>,
    /// The thread running the interval's code now, if any.
    stepper: Option<ThreadId>,
    /// `finish` ended the play and left its final step to the holder of
    /// `work`.
    final_owed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Stepped once per run at `t = from + (now - since)`; the first run
    /// sets a missing `since` to its own time.
    Playing {
        from: Duration,
        since: Option<Duration>,
    },
    Paused,
    Ended,
}

struct Work {
    interval: Box<dyn Interval>,
    started: bool,
}

/// Locks a mutex, ignoring poison: a panic in the interval's code is
/// recorded as the play's outcome, and the state stays consistent between
/// statements.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl PlayedInterval {
    fn home(&self) -> Option<&dyn crate::future::state::Dispatch> {
        Some(&*self.chain)
    }

    /// `work`, unless someone else holds it (who then does what is owed).
    fn try_work(&self) -> Option<MutexGuard<'_, Work>> {
        match self.work.try_lock() {
            Ok(work) => Some(work),
            Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// Runs the interval's code for what is due: one step at `now` (a
    /// player run) and the final step a `finish` left owed. The caller
    /// holds `work`. Returns the payload of a panic in the interval's code,
    /// which ended the play with [`Error::Panicked`].
    fn drive(&self, work: &mut Work, mut now: Option<Duration>) -> Result<(), Payload> {
        loop {
            let (t, last) = {
                let mut st = lock(&self.status);
                let due = if st.final_owed {
                    st.final_owed = false;
                    (self.duration, true)
                } else {
                    let last_t = st.t;
                    match (now.take(), &mut st.phase) {
                        (Some(now), Phase::Playing { from, since }) => {
                            let since = *since.get_or_insert(now);
                            // Clamped below by the last step: a clock set
                            // back never makes the interval go backwards.
                            let t = from
                                .saturating_add(now.saturating_sub(since))
                                .min(self.duration)
                                .max(last_t);
                            let last = t >= self.duration;
                            if last {
                                st.phase = Phase::Ended;
                            }
                            (t, last)
                        }
                        _ => return Ok(()),
                    }
                };
                st.t = due.0;
                st.stepped = true;
                st.stepper = Some(thread::current().id());
                due
            };
            let ran = catch_unwind(AssertUnwindSafe(|| {
                if !work.started {
                    work.started = true;
                    work.interval.on_start();
                }
                work.interval.step(t);
                if last {
                    work.interval.on_finish();
                }
            }));
            let mut st = lock(&self.status);
            st.stepper = None;
            match ran {
                Err(payload) => {
                    st.phase = Phase::Ended;
                    st.final_owed = false;
                    let (done, waker) = (st.done.clone(), st.waker.take());
                    drop(st);
                    let msg = panic_message(&*payload);
                    let _ = done.complete(Outcome::Panicked(msg), self.home());
                    waker.into_iter().for_each(Waker::wake);
                    return Err(payload);
                }
                Ok(()) if last => {
                    let done = st.done.clone();
                    drop(st);
                    // Fails only if a pause cancelled this play before the
                    // `finish` that made this step: it stays cancelled.
                    let _ = done.complete(Outcome::Ready(()), self.home());
                }
                Ok(()) => {}
            }
        }
    }

    /// Lets go of `work`, then does a final step that a `finish` on another
    /// thread left owed meanwhile (it found `work` held).
    fn release(&self, work: MutexGuard<'_, Work>) -> Result<(), Payload> {
        drop(work);
        loop {
            if !lock(&self.status).final_owed {
                return Ok(());
            }
            // Held again: the new holder sees the debt and pays it.
            let Some(mut work) = self.try_work() else {
                return Ok(());
            };
            self.drive(&mut work, None)?;
            drop(work);
        }
    }

    /// Ends the play without a final step (stop, a dropped task): the
    /// current awaitable is cancelled and a parked player woken to end.
    /// Only the play whose awaitable is `only` if given. Returns whether it
    /// ended the play.
    fn end(&self, only: Option<&Arc<FutureState<()>>>) -> bool {
        let mut st = lock(&self.status);
        if st.phase == Phase::Ended || only.is_some_and(|d| !Arc::ptr_eq(d, &st.done)) {
            return false;
        }
        st.phase = Phase::Ended;
        let (done, waker) = (st.done.clone(), st.waker.take());
        drop(st);
        let _ = done.complete(Outcome::Cancelled, self.home());
        waker.into_iter().for_each(Waker::wake);
        true
    }
}

/// The task that plays an interval: one step per run, once per epoch.
struct Player {
    shared: Arc<PlayedInterval>,
}

impl Player {
    /// The step to return if the play does not need the interval now:
    /// parked while paused, done once ended.
    fn idle(&self, cx: &Context<'_>) -> Option<Poll<Step<()>>> {
        let mut st = lock(&self.shared.status);
        match st.phase {
            // A debt owed by `finish` is paid by whoever holds `work`.
            Phase::Ended => Some(Poll::Ready(Step::Done(()))),
            Phase::Paused => {
                // Parked: no run per frame until `resume` (or `stop`,
                // `finish`) wakes it.
                st.waker = Some(cx.waker().clone());
                Some(Poll::Pending)
            }
            Phase::Playing { .. } => None,
        }
    }
}

impl Task for Player {
    type Output = ();

    fn poll_task(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        task: &TaskContext<'_>,
    ) -> Poll<Step<()>> {
        if let Some(idle) = self.idle(cx) {
            return idle;
        }
        let shared = &self.shared;
        let Some(mut work) = shared.try_work() else {
            // A `finish` is stepping it (on another thread, or on this one
            // with the chain polled from inside the interval's code): try
            // again next frame.
            return Poll::Ready(Step::Cont);
        };
        let ran = shared.drive(&mut work, Some(task.now));
        if let Err(payload) = ran.and(shared.release(work)) {
            // The play already holds the panic; the task reports it too.
            resume_unwind(payload);
        }
        self.idle(cx).unwrap_or(Poll::Ready(Step::Cont))
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        // The task was removed, cancelled or shut down: nobody steps the
        // interval any more, so its awaiter must not wait for it.
        self.shared.end(None);
    }
}

/// The handle of a played interval: an [`AsyncFuture`] that completes when
/// the interval ends, and the controls to pause, resume, stop or finish it.
///
/// Get one from [`IntervalChainExt::play`], [`Interval::start`] or, inside
/// a coroutine, [`play`]. Clones share the interval.
///
/// | call | the interval | the awaiter |
/// |---|---|---|
/// | plays to its end | last step at exactly `t == duration` | `Ok(())` |
/// | [`finish`](Self::finish) | jumps to its end at once: last step at `t == duration` | `Ok(())` |
/// | [`pause`](Self::pause) | stays where its last step left it | `Err(Cancelled)` |
/// | [`resume`](Self::resume) after a pause | goes on from there | a new handle |
/// | [`stop`](Self::stop), [`cancel`](AsyncFuture::cancel) | stays where it is, for good | `Err(Cancelled)` |
///
/// The awaitable part belongs to one play: a pause resolves it (cancelled,
/// never left hanging) and a resume hands out a new handle for the rest of
/// the interval. The controls act on the interval itself, from any handle.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{AsyncFuture, Error, IntervalChainExt, LerpFn, ManualClock, TaskManager};
///
/// let clock = ManualClock::new();
/// let manager = TaskManager::with_clock(clock.clone());
/// let fade = LerpFn::new(Duration::from_secs(1), |_alpha| {});
/// let handle = manager.default_chain().play(fade);
/// manager.poll().unwrap();
/// clock.advance(Duration::from_millis(300));
/// manager.poll().unwrap();
///
/// assert!(handle.pause());
/// assert_eq!(handle.result(None), Err(Error::Cancelled));
/// let rest = handle.resume().unwrap();
/// assert!(rest.finish()); // skip to the end
/// assert_eq!(rest.result(None), Ok(()));
/// assert_eq!(rest.t(), Duration::from_secs(1));
/// ```
///
/// # Cancellation
///
/// Cancelling the handle (or the coroutine that awaits it) stops the
/// interval, as [`stop`](Self::stop) does. Removing the player task (see
/// [`task`](Self::task)) or shutting its chain down stops it too.
///
/// # Panics
///
/// Never. A panic in the interval's own code ends the play: its awaiter
/// gets [`Error::Panicked`], and the player task holds the panic too.
pub struct IntervalHandle {
    shared: Arc<PlayedInterval>,
    done: Arc<FutureState<()>>,
    task: AnyTask,
    /// This handle's waker registration on `done`.
    waiter: WaiterKey,
}

impl IntervalHandle {
    /// Plays `interval` on `chain`: the player task is queued there.
    pub(crate) fn spawn(interval: Box<dyn Interval>, chain: &Arc<ChainCore>) -> Self {
        let done = Arc::new(FutureState::new());
        let shared = Arc::new(PlayedInterval {
            chain: chain.clone(),
            duration: interval.duration(),
            status: Mutex::new(Status {
                phase: Phase::Playing {
                    from: Duration::ZERO,
                    since: None,
                },
                t: Duration::ZERO,
                stepped: false,
                done: done.clone(),
                waker: None,
                stepper: None,
                final_owed: false,
            }),
            work: Mutex::new(Work {
                interval,
                started: false,
            }),
            handles: AtomicUsize::new(0),
        });
        let player = Player {
            shared: shared.clone(),
        };
        // On a chain that was shut down this drops the player at once,
        // which cancels the play.
        let cell: TaskRef = TaskBuilder::new(player).spawn_into(chain).into_raw();
        Self::new(shared, done, AnyTask(cell))
    }

    fn new(shared: Arc<PlayedInterval>, done: Arc<FutureState<()>>, task: AnyTask) -> Self {
        shared.handles.fetch_add(1, Ordering::AcqRel);
        IntervalHandle {
            shared,
            done,
            task,
            waiter: WaiterKey::new(),
        }
    }

    /// Pauses the interval where its last step left it; it is not stepped
    /// again until [`resume`](Self::resume). This play's awaiter resolves
    /// [`Error::Cancelled`] at once. The player task stays on its chain,
    /// parked, costing nothing per frame; dropping every handle of a paused
    /// interval stops it.
    ///
    /// Returns false if the interval was not playing (paused already, or
    /// ended).
    pub fn pause(&self) -> bool {
        let mut st = lock(&self.shared.status);
        if !matches!(st.phase, Phase::Playing { .. }) {
            return false;
        }
        st.phase = Phase::Paused;
        let done = st.done.clone();
        drop(st);
        let _ = done.complete(Outcome::Cancelled, self.shared.home());
        true
    }

    /// Resumes a paused interval from the `t` it was paused at, counting
    /// time on the chain's clock from now: its next step is at that `t`
    /// plus the time since this call. Returns the handle of the resumed
    /// play, to await; the handle that was paused stays cancelled.
    ///
    /// On an interval that is playing it changes nothing and returns a
    /// handle to the current play. Returns [`Error::AlreadyDone`] if the
    /// interval ended (finished, stopped, or its task removed).
    pub fn resume(&self) -> Result<IntervalHandle, Error> {
        let mut st = lock(&self.shared.status);
        match st.phase {
            Phase::Ended => Err(Error::AlreadyDone),
            Phase::Playing { .. } => {
                let done = st.done.clone();
                drop(st);
                Ok(self.with_done(done))
            }
            Phase::Paused => {
                st.phase = Phase::Playing {
                    from: st.t,
                    // Never stepped: its first step is still at t = 0, on
                    // its next run.
                    since: st.stepped.then(|| self.shared.chain.now()),
                };
                st.done = Arc::new(FutureState::new());
                let (done, waker) = (st.done.clone(), st.waker.take());
                drop(st);
                waker.into_iter().for_each(Waker::wake);
                Ok(self.with_done(done))
            }
        }
    }

    /// Stops the interval where it is, for good (no final step, no
    /// `on_finish`); the current play's awaiter resolves
    /// [`Error::Cancelled`] at once.
    ///
    /// Returns false if it had ended already.
    pub fn stop(&self) -> bool {
        self.shared.end(None)
    }

    /// Jumps the interval to its end: steps it at exactly `t == duration`
    /// (after `on_start`, if it never ran), calls `on_finish`, and completes
    /// the current play's awaiter with `Ok(())` — all before returning,
    /// unless the interval's code is running on another thread right now;
    /// then that thread does it as soon as its step returns. Called from
    /// the interval's own code, it happens as soon as that code returns. A
    /// paused interval jumps to its end too, but its play was already
    /// resolved, cancelled, by the pause.
    ///
    /// Returns false if the interval had ended already.
    pub fn finish(&self) -> bool {
        let shared = &self.shared;
        let mut st = lock(&shared.status);
        if st.phase == Phase::Ended {
            return false;
        }
        st.phase = Phase::Ended;
        st.final_owed = true;
        let reentrant = st.stepper == Some(thread::current().id());
        let waker = st.waker.take();
        drop(st);
        if !reentrant {
            if let Some(mut work) = shared.try_work() {
                // A panic in the interval's code is the play's outcome
                // (its awaiter reads it); `finish` itself goes on.
                let _ = shared.drive(&mut work, None);
                let _ = shared.release(work);
            }
        }
        // A parked player task ends on its next run.
        waker.into_iter().for_each(Waker::wake);
        true
    }

    /// Whether this handle's play is over: finished, cancelled (paused,
    /// stopped) or panicked. The same as [`AsyncFuture::is_done`], without
    /// the import.
    pub fn is_done(&self) -> bool {
        self.done.is_done()
    }

    /// Whether this handle's play ended cancelled (paused, stopped, or its
    /// task removed).
    pub fn is_cancelled(&self) -> bool {
        self.done.is_cancelled()
    }

    /// The interval's local time at its latest step (zero before the
    /// first).
    pub fn t(&self) -> Duration {
        lock(&self.shared.status).t
    }

    /// The interval's duration, as read when it was played.
    pub fn duration(&self) -> Duration {
        self.shared.duration
    }

    /// Whether the interval is playing: neither paused nor ended.
    pub fn is_playing(&self) -> bool {
        matches!(lock(&self.shared.status).phase, Phase::Playing { .. })
    }

    /// Whether the interval is paused (and can be resumed).
    pub fn is_paused(&self) -> bool {
        lock(&self.shared.status).phase == Phase::Paused
    }

    /// The task that steps the interval on its chain, for instance to set
    /// its sort (an animation that must step before rendering).
    pub fn task(&self) -> &AnyTask {
        &self.task
    }

    /// A handle to the same interval for the play of `done`.
    fn with_done(&self, done: Arc<FutureState<()>>) -> Self {
        Self::new(self.shared.clone(), done, self.task.clone())
    }
}

impl Clone for IntervalHandle {
    fn clone(&self) -> Self {
        self.with_done(self.done.clone())
    }
}

impl Drop for IntervalHandle {
    fn drop(&mut self) {
        self.done.remove_waiter(&mut self.waiter);
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 && self.is_paused() {
            // Nobody is left to resume it: end it rather than leave its
            // task parked on the chain until shutdown.
            self.shared.end(None);
        }
    }
}

impl Future for IntervalHandle {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(r) = self.done.try_read(clone_out) {
            return Poll::Ready(r);
        }
        if current::take_cancel() {
            // Cancellation flows down: the awaiting coroutine was
            // cancelled, so the interval it waits for stops.
            self.cancel();
            return Poll::Ready(Err(Error::Cancelled));
        }
        self.done.poll_read(&self.waiter, cx, clone_out)
    }
}

impl AsyncFuture for IntervalHandle {
    type Value = ();

    fn is_done(&self) -> bool {
        self.done.is_done()
    }
    fn is_cancelled(&self) -> bool {
        self.done.is_cancelled()
    }
    /// Stops the interval if this handle's play is the current one and has
    /// not ended (see [`IntervalHandle::stop`]).
    fn cancel(&self) -> bool {
        self.shared.end(Some(&self.done))
    }
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.done.poll_done(&self.waiter, cx)
    }
    fn try_take(&self) -> Option<Result<(), Error>> {
        self.done.try_read(clone_out)
    }
    fn error(&self) -> Option<Error> {
        self.done.error()
    }
    fn add_done_callback<F>(&self, callback: F) -> Result<(), Error>
    where
        F: FnOnce(&Self) + Send + 'static,
    {
        // Weak until the play ends: a callback must not keep alive the
        // play it waits for. The task is held: it ends (its chain's
        // shutdown ends every task), and drops the player with it.
        let shared = Arc::downgrade(&self.shared);
        let done = Arc::downgrade(&self.done);
        let task = self.task.clone();
        let bind = move || {
            let me = IntervalHandle::new(shared.upgrade()?, done.upgrade()?, task);
            Some(Box::new(move || callback(&me)) as Job)
        };
        self.done.add_callback(Box::new(bind), self.shared.home())
    }
    fn result(&self, timeout: Option<Duration>) -> Result<(), Error> {
        self.done.wait(timeout, clone_out)
    }
}

impl std::fmt::Debug for IntervalHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = lock(&self.shared.status);
        f.debug_struct("IntervalHandle")
            .field("phase", &st.phase)
            .field("t", &st.t)
            .field("duration", &self.shared.duration)
            .field("done", &self.done.is_done())
            .finish()
    }
}

/// Playing intervals on any [`TaskChain`] (and `dyn TaskChain`), through
/// `Arc`s too.
pub trait IntervalChainExt: TaskChain {
    /// Plays `interval` on this chain, which steps it once per frame on
    /// its clock; the handle completes when the interval ends. The first
    /// step (at `t = 0`) comes when the chain first runs the player task
    /// (sort 0), as for any task added to it: in the current epoch if
    /// played from one of its tasks of sort 0 or less, else in the next.
    ///
    /// On a chain that was shut down the handle is cancelled at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use taskchain_core::{IntervalChainExt, ManualClock, TaskManager, Wait};
    ///
    /// let clock = ManualClock::new();
    /// let manager = TaskManager::with_clock(clock.clone());
    /// let handle = manager.default_chain().play(Wait::new(Duration::from_secs(1)));
    /// manager.poll().unwrap();
    /// clock.advance(Duration::from_secs(1));
    /// manager.poll().unwrap();
    /// assert!(handle.is_done());
    /// ```
    fn play<I: Interval + 'static>(&self, interval: I) -> IntervalHandle {
        IntervalHandle::spawn(Box::new(interval), self.core())
    }
}

impl<C: TaskChain + ?Sized> IntervalChainExt for C {}

/// Plays `interval` on the chain of the task that calls it: what a
/// coroutine uses to play an interval and await it.
///
/// Returns [`Error::NoChain`] outside a task.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{play, ManualClock, TaskManager, Wait};
///
/// let clock = ManualClock::new();
/// let manager = TaskManager::with_clock(clock.clone());
/// let scene = manager.spawn(async {
///     play(Wait::new(Duration::from_secs(2)))?.await?;
///     Ok::<_, taskchain_core::Error>("curtain")
/// });
/// while !scene.is_done() {
///     manager.poll().unwrap();
///     clock.advance(Duration::from_millis(500));
/// }
/// assert_eq!(manager.run_until(&scene), Ok(Ok("curtain")));
/// assert!(play(Wait::new(Duration::ZERO)).is_err()); // not in a task
/// ```
pub fn play<I: Interval + 'static>(interval: I) -> Result<IntervalHandle, Error> {
    let chain = current::current_chain().ok_or(Error::NoChain)?;
    Ok(IntervalHandle::spawn(Box::new(interval), &chain))
}
