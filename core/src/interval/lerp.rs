//! Lerp intervals: a value moved from one end to the other over a duration
//! (Panda3D's `LerpFunc`), for any `Lerpable` value or through a closure
//! that takes the fraction done.

use std::time::Duration;

use crate::clock::duration_from_secs;
use crate::error::Error;
use crate::interval::interval_trait::Interval;

/// A value that can be linearly interpolated: `from.lerp(&to, 0.0)` is
/// `from`, `from.lerp(&to, 1.0)` is `to`.
///
/// Implemented for `f32`, `f64`, arrays and pairs and triples of lerpable
/// values (vectors, colours, positions).
///
/// ```
/// use taskchain_core::Lerpable;
///
/// assert_eq!(2.0_f64.lerp(&4.0, 0.5), 3.0);
/// assert_eq!([0.0_f32, 10.0].lerp(&[1.0, 20.0], 0.5), [0.5, 15.0]);
/// ```
pub trait Lerpable: Clone {
    /// The value `fraction` of the way from `self` to `to` (`fraction` is
    /// in `0.0..=1.0`).
    fn lerp(&self, to: &Self, fraction: f64) -> Self;
}

impl Lerpable for f64 {
    fn lerp(&self, to: &Self, fraction: f64) -> Self {
        self + (to - self) * fraction
    }
}

impl Lerpable for f32 {
    fn lerp(&self, to: &Self, fraction: f64) -> Self {
        self + (to - self) * fraction as f32
    }
}

impl<T: Lerpable, const N: usize> Lerpable for [T; N] {
    fn lerp(&self, to: &Self, fraction: f64) -> Self {
        std::array::from_fn(|i| self[i].lerp(&to[i], fraction))
    }
}

impl<A: Lerpable, B: Lerpable> Lerpable for (A, B) {
    fn lerp(&self, to: &Self, fraction: f64) -> Self {
        (self.0.lerp(&to.0, fraction), self.1.lerp(&to.1, fraction))
    }
}

impl<A: Lerpable, B: Lerpable, C: Lerpable> Lerpable for (A, B, C) {
    fn lerp(&self, to: &Self, fraction: f64) -> Self {
        (
            self.0.lerp(&to.0, fraction),
            self.1.lerp(&to.1, fraction),
            self.2.lerp(&to.2, fraction),
        )
    }
}

/// The fraction of `duration` that `t` is; a zero duration is done at once.
fn fraction(t: Duration, duration: Duration) -> f64 {
    if duration.is_zero() || t >= duration {
        1.0
    } else {
        // In nanoseconds: exact for whole numbers of them, where seconds as
        // `f64` would make 0.3 s / 0.4 s a hair under 0.75.
        (t.as_nanos() as f64 / duration.as_nanos() as f64).clamp(0.0, 1.0)
    }
}

/// An interval that moves a value from `from` to `to`, handing each step's
/// value to a setter.
///
/// The first step of a play hands over exactly `from` and the last exactly
/// `to` (not a rounded neighbour), so a chain of lerps meets end to end.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use taskchain_core::{IntervalChainExt, Lerp, ManualClock, TaskManager};
///
/// let clock = ManualClock::new();
/// let manager = TaskManager::with_clock(clock.clone());
/// let x = Arc::new(Mutex::new(0.0));
/// let setter = x.clone();
/// let slide = Lerp::new(0.0, 8.0, Duration::from_secs(2), move |v| *setter.lock().unwrap() = v);
/// let handle = manager.default_chain().play(slide);
///
/// manager.poll().unwrap(); // t = 0
/// clock.advance(Duration::from_millis(500));
/// manager.poll().unwrap(); // t = 0.5 s
/// assert_eq!(*x.lock().unwrap(), 2.0);
/// clock.advance(Duration::from_secs(5));
/// manager.poll().unwrap(); // past the end: steps at exactly t = 2 s
/// assert_eq!(*x.lock().unwrap(), 8.0);
/// assert!(handle.is_done());
/// ```
#[must_use = "an interval does nothing until it is played"]
pub struct Lerp<T, F> {
    from: T,
    to: T,
    duration: Duration,
    set: F,
}

impl<T: Lerpable, F: FnMut(T)> Lerp<T, F> {
    /// Moves a value from `from` to `to` over `duration`, calling `set` with
    /// it at every step.
    pub fn new(from: T, to: T, duration: Duration, set: F) -> Self {
        Lerp {
            from,
            to,
            duration,
            set,
        }
    }

    /// [`new`](Self::new) with the duration in seconds.
    ///
    /// Returns [`Error::InvalidDuration`] for a negative, NaN or infinite
    /// duration.
    ///
    /// ```
    /// use taskchain_core::{Error, Lerp};
    ///
    /// assert!(Lerp::new_secs(0.0, 1.0, 0.25, |_: f64| {}).is_ok());
    /// assert!(matches!(Lerp::new_secs(0.0, 1.0, -1.0, |_: f64| {}), Err(Error::InvalidDuration(_))));
    /// ```
    pub fn new_secs(from: T, to: T, secs: f64, set: F) -> Result<Self, Error> {
        Ok(Self::new(from, to, duration_from_secs(secs)?, set))
    }
}

impl<T, F> Interval for Lerp<T, F>
where
    T: Lerpable + Send,
    F: FnMut(T) + Send,
{
    fn duration(&self) -> Duration {
        self.duration
    }

    fn step(&mut self, t: Duration) {
        // The ends are handed over as given: a float lerp at 1.0 may land a
        // rounding error away from `to`.
        let value = if t >= self.duration {
            self.to.clone()
        } else if t.is_zero() {
            self.from.clone()
        } else {
            self.from.lerp(&self.to, fraction(t, self.duration))
        };
        (self.set)(value);
    }
}

impl<T, F> std::fmt::Debug for Lerp<T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lerp")
            .field("duration", &self.duration)
            .finish_non_exhaustive()
    }
}

/// An interval that calls a closure with the fraction done, from `0.0` to
/// exactly `1.0` at its last step: a lerp of anything, computed by the
/// closure.
///
/// With a zero duration it is called once, with `1.0`: an instant action,
/// like Panda3D's `Func`, to put in a sequence.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use taskchain_core::{Interval, IntervalChainExt, LerpFn, ManualClock, TaskManager};
///
/// let clock = ManualClock::new();
/// let manager = TaskManager::with_clock(clock.clone());
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let (a, b) = (log.clone(), log.clone());
/// let grow = LerpFn::new(Duration::from_secs(1), move |f| a.lock().unwrap().push(f))
///     .then(LerpFn::new(Duration::ZERO, move |_| b.lock().unwrap().push(-1.0)));
/// let handle = manager.default_chain().play(grow);
/// while !handle.is_done() {
///     manager.poll().unwrap();
///     clock.advance(Duration::from_millis(500));
/// }
/// assert_eq!(*log.lock().unwrap(), [0.0, 0.5, 1.0, -1.0]);
/// ```
#[must_use = "an interval does nothing until it is played"]
pub struct LerpFn<F> {
    duration: Duration,
    f: F,
}

impl<F: FnMut(f64)> LerpFn<F> {
    /// Calls `f` with the fraction of `duration` done, at every step.
    pub fn new(duration: Duration, f: F) -> Self {
        LerpFn { duration, f }
    }

    /// [`new`](Self::new) with the duration in seconds.
    ///
    /// Returns [`Error::InvalidDuration`] for a negative, NaN or infinite
    /// duration.
    pub fn new_secs(secs: f64, f: F) -> Result<Self, Error> {
        Ok(Self::new(duration_from_secs(secs)?, f))
    }
}

impl<F: FnMut(f64) + Send> Interval for LerpFn<F> {
    fn duration(&self) -> Duration {
        self.duration
    }

    fn step(&mut self, t: Duration) {
        (self.f)(fraction(t, self.duration));
    }
}

impl<F> std::fmt::Debug for LerpFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LerpFn")
            .field("duration", &self.duration)
            .finish_non_exhaustive()
    }
}
