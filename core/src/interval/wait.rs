//! The wait interval: time that passes with nothing happening, to space the
//! parts of a sequence (Panda3D's `Wait`).

use std::time::Duration;

use crate::clock::duration_from_secs;
use crate::error::Error;
use crate::interval::interval_trait::Interval;

/// An interval that does nothing for its duration: a gap in a sequence.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{Interval, Wait};
///
/// let beat = Wait::new_secs(0.5).unwrap();
/// assert_eq!(beat.duration(), Duration::from_millis(500));
/// assert!(Wait::new_secs(f64::NAN).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "an interval does nothing until it is played"]
pub struct Wait {
    duration: Duration,
}

impl Wait {
    /// A wait of `duration`.
    pub fn new(duration: Duration) -> Self {
        Wait { duration }
    }

    /// A wait of `secs` seconds.
    ///
    /// Returns [`Error::InvalidDuration`] for a negative, NaN or infinite
    /// value.
    pub fn new_secs(secs: f64) -> Result<Self, Error> {
        Ok(Wait::new(duration_from_secs(secs)?))
    }
}

impl Interval for Wait {
    fn duration(&self) -> Duration {
        self.duration
    }

    fn step(&mut self, _t: Duration) {}
}
