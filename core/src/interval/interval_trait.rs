//! The `Interval` trait: a timed action stepped once per frame with its
//! local time `t`, from 0 to its duration (Panda3D's intervals).
//!
//! Intervals are built from a few pieces — [`Lerp`](crate::Lerp) and
//! [`LerpFn`](crate::LerpFn) move a value, [`Wait`](crate::Wait) holds,
//! [`seq`](crate::seq) / [`Interval::then`] and [`par`](crate::par) compose
//! — and played on a chain, which steps them once per frame on its clock.
//! Playing gives an [`IntervalHandle`]: a coroutine awaits it, and the game
//! pauses, resumes, stops or finishes the interval through it.
//!
//! A cutscene — disable input, play camera moves and a fade in order,
//! re-enable input — is one coroutine:
//!
//! ```
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//! use taskchain_core::{play, Error, Interval, Lerp, ManualClock, TaskManager, Wait};
//!
//! let clock = ManualClock::new();
//! let manager = TaskManager::with_clock(clock.clone());
//! let input_enabled = Arc::new(AtomicBool::new(true));
//! let camera_x = Arc::new(Mutex::new(0.0_f32));
//! let fade = Arc::new(Mutex::new(1.0_f32));
//!
//! let cutscene = {
//!     let (input, camera, alpha) = (input_enabled.clone(), camera_x.clone(), fade.clone());
//!     manager.spawn(async move {
//!         input.store(false, Ordering::SeqCst);
//!         let shots = Lerp::new(0.0_f32, 10.0, Duration::from_secs(2), move |x| {
//!             *camera.lock().unwrap() = x;
//!         })
//!         .then(Wait::new(Duration::from_secs(1)))
//!         .then(Lerp::new(1.0_f32, 0.0, Duration::from_millis(500), move |a| {
//!             *alpha.lock().unwrap() = a;
//!         }));
//!         let played = play(shots)?.await; // steps on this coroutine's chain
//!         input.store(true, Ordering::SeqCst);
//!         played
//!     })
//! };
//!
//! manager.poll().unwrap();
//! assert!(!input_enabled.load(Ordering::SeqCst)); // input is off while it plays
//! while !cutscene.is_done() {
//!     clock.advance(Duration::from_millis(100)); // one frame
//!     manager.poll().unwrap();
//! }
//! assert_eq!(manager.run_until(&cutscene), Ok(Ok::<(), Error>(())));
//! assert!(input_enabled.load(Ordering::SeqCst));
//! assert_eq!(*camera_x.lock().unwrap(), 10.0);
//! assert_eq!(*fade.lock().unwrap(), 0.0);
//! ```

use std::time::Duration;

use crate::chain::task_chain::TaskChain;
use crate::interval::player::IntervalHandle;
use crate::interval::seq::IntervalSeq;

/// A timed action: stepped once per frame with its local time `t`, from 0
/// to [`duration`](Interval::duration).
///
/// While it plays, each of its steps gets a `t` no smaller than the one
/// before (it repeats when the clock did not move), and the last step is at
/// exactly `t == duration()`, whatever the frame times were. Played by
/// itself, the first step is at `t == 0`, on the first frame; inside a
/// composition the first step is at the composition's time when it reached
/// the interval, which is past 0 if a frame jumped over its start (a frame
/// that jumps over a whole interval steps it once, at its end). A
/// zero-duration interval is stepped once, at 0: an instant action.
///
/// [`on_start`](Interval::on_start) runs once before the first step and
/// [`on_finish`](Interval::on_finish) once after the last; an interval
/// stopped or paused for good never gets `on_finish`.
///
/// `duration()` is read once, when the interval is played or composed:
/// changing it afterwards has no effect.
///
/// Intervals are `Send` because the handle that controls one may be used
/// from any thread; a step runs on the thread of the chain that plays it,
/// or on the thread that calls [`IntervalHandle::finish`].
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{Interval, ManualClock, TaskManager};
///
/// /// Prints a countdown.
/// struct Countdown(u64);
///
/// impl Interval for Countdown {
///     fn duration(&self) -> Duration {
///         Duration::from_secs(self.0)
///     }
///     fn step(&mut self, t: Duration) {
///         println!("{} s left", self.0 - t.as_secs());
///     }
/// }
///
/// let clock = ManualClock::new();
/// let manager = TaskManager::with_clock(clock.clone());
/// let handle = Countdown(3).start(&**manager.default_chain());
/// while !handle.is_done() {
///     manager.poll().unwrap();
///     clock.advance(Duration::from_secs(1));
/// }
/// ```
pub trait Interval: Send {
    /// How long the interval lasts.
    fn duration(&self) -> Duration;

    /// Puts the action in its state at local time `t` (`0 <= t <=
    /// duration()`).
    fn step(&mut self, t: Duration);

    /// Called once, just before the first step: for instance to read the
    /// value a move starts from.
    fn on_start(&mut self) {}

    /// Called once, just after the last step (the one at `t ==
    /// duration()`).
    fn on_finish(&mut self) {}

    /// This interval, then `next`: a sequential composition (see
    /// [`seq`](crate::seq)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use taskchain_core::{Interval, Wait};
    ///
    /// let both = Wait::new(Duration::from_secs(1)).then(Wait::new(Duration::from_secs(2)));
    /// assert_eq!(both.duration(), Duration::from_secs(3));
    /// ```
    fn then<N: Interval + 'static>(self, next: N) -> IntervalSeq
    where
        Self: Sized + 'static,
    {
        IntervalSeq::new().then(self).then(next)
    }

    /// The interval as a box, for lists of intervals of different types
    /// (`seq([a.boxed(), b.boxed()])`).
    fn boxed(self) -> Box<dyn Interval>
    where
        Self: Sized + 'static,
    {
        Box::new(self)
    }

    /// Plays the interval on `chain`, which steps it once per frame on its
    /// clock; the handle completes when it ends. The first step (at `t =
    /// 0`) comes when the chain first runs the player task (sort 0), as for
    /// any task added to it: in the current epoch if played from one of its
    /// tasks of sort 0 or less, else in the next. The same as [`IntervalChainExt::play`](crate::IntervalChainExt::play),
    /// which is handier when the chain is behind an `Arc`.
    ///
    /// On a chain that was shut down the handle is cancelled at once.
    fn start<C: TaskChain + ?Sized>(self, chain: &C) -> IntervalHandle
    where
        Self: Sized + 'static,
    {
        IntervalHandle::spawn(Box::new(self), chain.core())
    }
}

impl<I: Interval + ?Sized> Interval for Box<I> {
    fn duration(&self) -> Duration {
        (**self).duration()
    }
    fn step(&mut self, t: Duration) {
        (**self).step(t);
    }
    fn on_start(&mut self) {
        (**self).on_start();
    }
    fn on_finish(&mut self) {
        (**self).on_finish();
    }
}
