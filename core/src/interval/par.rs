//! Parallel composition of intervals: all at once, as one interval
//! (Panda3D's `Parallel`).

use std::time::Duration;

use crate::interval::interval_trait::Interval;

/// Intervals played together, all starting at 0, as one interval whose
/// duration is the longest of theirs.
///
/// Each step steps every child that has not ended, in the order given; a
/// child shorter than the whole gets its last step (at exactly its
/// duration) and `on_finish` on the first step at or past its end, and is
/// left alone afterwards.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{par, Interval, Lerp, Wait};
///
/// let p = par([
///     Lerp::new(0.0, 1.0, Duration::from_secs(1), |_x: f64| {}).boxed(),
///     Wait::new(Duration::from_secs(3)).boxed(),
/// ]);
/// assert_eq!(p.duration(), Duration::from_secs(3));
/// ```
#[must_use = "an interval does nothing until it is played"]
pub struct IntervalPar {
    children: Vec<Child>,
    duration: Duration,
}

/// A child and how far it got in this play.
struct Child {
    interval: Box<dyn Interval>,
    duration: Duration,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    Running,
    Ended,
}

/// `intervals` played together: see [`IntervalPar`]. An empty parallel
/// lasts zero and does nothing.
pub fn par<I: Interval + 'static>(intervals: impl IntoIterator<Item = I>) -> IntervalPar {
    intervals
        .into_iter()
        .fold(IntervalPar::new(), IntervalPar::with)
}

impl IntervalPar {
    /// An empty parallel.
    pub fn new() -> Self {
        IntervalPar {
            children: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    /// Adds `other`, to play alongside the others (its duration is read
    /// now).
    pub fn with(mut self, other: impl Interval + 'static) -> Self {
        let duration = other.duration();
        self.children.push(Child {
            interval: Box::new(other),
            duration,
            state: State::NotStarted,
        });
        self.duration = self.duration.max(duration);
        self
    }

    /// How many intervals play together.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether it holds no interval.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }
}

impl Default for IntervalPar {
    fn default() -> Self {
        Self::new()
    }
}

impl Interval for IntervalPar {
    fn duration(&self) -> Duration {
        self.duration
    }

    fn on_start(&mut self) {
        // A new play starts every child over.
        for child in &mut self.children {
            child.state = State::NotStarted;
        }
    }

    fn step(&mut self, t: Duration) {
        for child in &mut self.children {
            if child.state == State::Ended {
                continue;
            }
            if child.state == State::NotStarted {
                child.state = State::Running;
                child.interval.on_start();
            }
            if t < child.duration {
                child.interval.step(t);
            } else {
                child.interval.step(child.duration);
                child.interval.on_finish();
                child.state = State::Ended;
            }
        }
    }
}

impl std::fmt::Debug for IntervalPar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntervalPar")
            .field("len", &self.children.len())
            .field("duration", &self.duration)
            .finish()
    }
}
