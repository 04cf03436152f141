//! Clocks: where a chain reads the time for delays, pauses, frame budgets and
//! task ages. The real clock follows `Instant`; the manual clock moves only
//! when told to, so timing behaviour is deterministic in tests and examples.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::Error;

/// A source of time for a chain.
///
/// `now` is the time since the clock's origin. `tick` marks a frame: chains
/// with `tick_clock` call it once per epoch, even when they have no tasks.
pub trait Clock: Send + Sync + 'static {
    /// The current time, measured from the clock's origin.
    fn now(&self) -> Duration;
    /// Marks the start of a new frame.
    fn tick(&self);
    /// How many times `tick` has been called.
    fn frame_count(&self) -> u64;
    /// Whether the clock moves by itself with real time. A threaded chain's
    /// idle workers then sleep until the next sleeper is due; on other
    /// clocks they look again about every millisecond, since the time may
    /// jump at any moment.
    fn follows_real_time(&self) -> bool {
        false
    }
}

/// The wall clock: `now` follows [`Instant`].
#[derive(Debug)]
pub struct RealClock {
    origin: Instant,
    frames: AtomicU64,
}

impl RealClock {
    /// A real clock whose origin is now.
    pub fn new() -> Self {
        RealClock {
            origin: Instant::now(),
            frames: AtomicU64::new(0),
        }
    }
}

impl Default for RealClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for RealClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn tick(&self) {
        self.frames.fetch_add(1, Ordering::Relaxed);
    }
    fn frame_count(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }
    fn follows_real_time(&self) -> bool {
        true
    }
}

/// A clock that moves only by hand: [`advance`](ManualClock::advance),
/// [`set`](ManualClock::set), or `tick` (which advances it by the tick step).
///
/// Cloning gives another handle to the same clock, so a test can keep one and
/// give the other to the manager.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_millis(250));
/// assert_eq!(clock.now(), Duration::from_millis(250));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    inner: Arc<ManualState>,
}

#[derive(Debug, Default)]
struct ManualState {
    nanos: AtomicU64,
    step_nanos: AtomicU64,
    frames: AtomicU64,
}

impl ManualClock {
    /// A manual clock at time zero whose `tick` does not move it.
    pub fn new() -> Self {
        Self::default()
    }

    /// A manual clock at time zero that advances by `step` on every `tick`.
    pub fn with_tick_step(step: Duration) -> Self {
        let clock = Self::new();
        clock.set_tick_step(step);
        clock
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        add_saturating(&self.inner.nanos, saturating_nanos(d));
    }

    /// Moves the clock forward by `secs` seconds.
    ///
    /// Returns [`Error::InvalidDuration`] for a negative, NaN or infinite
    /// value, and leaves the clock alone.
    pub fn advance_secs(&self, secs: f64) -> Result<(), Error> {
        self.advance(duration_from_secs(secs)?);
        Ok(())
    }

    /// Sets the clock to `t` (it may go backwards; chains treat a clock that
    /// went back as not having moved).
    pub fn set(&self, t: Duration) {
        self.inner
            .nanos
            .store(saturating_nanos(t), Ordering::SeqCst);
    }

    /// Sets how far each `tick` moves the clock.
    pub fn set_tick_step(&self, step: Duration) {
        self.inner
            .step_nanos
            .store(saturating_nanos(step), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.inner.nanos.load(Ordering::SeqCst))
    }
    fn tick(&self) {
        let step = self.inner.step_nanos.load(Ordering::SeqCst);
        add_saturating(&self.inner.nanos, step);
        self.inner.frames.fetch_add(1, Ordering::SeqCst);
    }
    fn frame_count(&self) -> u64 {
        self.inner.frames.load(Ordering::SeqCst)
    }
}

/// Adds without wrapping: a clock pushed past its range stays at the end
/// rather than jumping back to zero.
fn add_saturating(nanos: &AtomicU64, add: u64) {
    let _ = nanos.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
        Some(n.saturating_add(add))
    });
}

fn saturating_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Converts seconds given as `f64` (Panda3D's unit) into a [`Duration`].
///
/// Returns [`Error::InvalidDuration`] for a negative, NaN or infinite value,
/// or one too large for a `Duration`.
///
/// ```
/// use taskchain_core::{duration_from_secs, Error};
///
/// assert_eq!(duration_from_secs(0.5).unwrap().as_millis(), 500);
/// assert!(matches!(duration_from_secs(-1.0), Err(Error::InvalidDuration(_))));
/// assert!(matches!(duration_from_secs(f64::NAN), Err(Error::InvalidDuration(_))));
/// ```
pub fn duration_from_secs(secs: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(secs).map_err(|_| Error::InvalidDuration(format!("{secs} s")))
}
