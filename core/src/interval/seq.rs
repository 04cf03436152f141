//! Sequential composition of intervals: one after another, as one interval
//! (Panda3D's `Sequence` of intervals).

use std::time::Duration;

use crate::interval::interval_trait::Interval;

/// Intervals played one after another, as one interval whose duration is
/// the sum of theirs.
///
/// At each step the children whose span the time has passed get their last
/// step (at exactly their duration) and `on_finish`, in order, and the one
/// the time is in gets a step at its local time; so a frame that lands on
/// the boundary between two children steps the first at its end and the
/// second at 0, and zero-duration children (instant actions) run in their
/// place in the order.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::{seq, Interval, Wait};
///
/// let s = seq([Wait::new(Duration::from_secs(1)), Wait::new(Duration::from_secs(2))]);
/// assert_eq!(s.duration(), Duration::from_secs(3));
/// // Different kinds of interval: box them, or chain them with `then`.
/// let t = seq([Wait::new(Duration::from_secs(1)).boxed(), s.boxed()]);
/// assert_eq!(t.duration(), Duration::from_secs(4));
/// ```
#[must_use = "an interval does nothing until it is played"]
pub struct IntervalSeq {
    children: Vec<Child>,
    duration: Duration,
    /// The first child not yet finished in this play.
    current: usize,
    /// Whether `current` got its `on_start`.
    current_started: bool,
}

/// A child and where it sits on the sequence's time line.
struct Child {
    interval: Box<dyn Interval>,
    start: Duration,
    duration: Duration,
}

/// `intervals` one after another: see [`IntervalSeq`]. An empty sequence
/// lasts zero and does nothing.
pub fn seq<I: Interval + 'static>(intervals: impl IntoIterator<Item = I>) -> IntervalSeq {
    intervals
        .into_iter()
        .fold(IntervalSeq::new(), IntervalSeq::then)
}

impl IntervalSeq {
    /// An empty sequence.
    pub fn new() -> Self {
        IntervalSeq {
            children: Vec::new(),
            duration: Duration::ZERO,
            current: 0,
            current_started: false,
        }
    }

    /// Appends `next` (its duration is read now). Unlike
    /// [`Interval::then`] on other intervals, this adds to this sequence
    /// rather than nesting it.
    pub fn then(mut self, next: impl Interval + 'static) -> Self {
        let duration = next.duration();
        self.children.push(Child {
            interval: Box::new(next),
            start: self.duration,
            duration,
        });
        // A sum past `Duration::MAX` stays there: the sequence never ends,
        // as its last child would not.
        self.duration = self.duration.saturating_add(duration);
        self
    }

    /// How many intervals the sequence holds.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether the sequence holds no interval.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }
}

impl Default for IntervalSeq {
    fn default() -> Self {
        Self::new()
    }
}

impl Interval for IntervalSeq {
    fn duration(&self) -> Duration {
        self.duration
    }

    fn on_start(&mut self) {
        // A new play goes through the children from the first.
        self.current = 0;
        self.current_started = false;
    }

    fn step(&mut self, t: Duration) {
        let t = t.min(self.duration);
        while let Some(child) = self.children.get_mut(self.current) {
            // Only a step back in time (not something a player does) finds
            // the current child not reached yet; it is left as it is.
            let Some(local) = t.checked_sub(child.start) else {
                break;
            };
            if !self.current_started {
                self.current_started = true;
                child.interval.on_start();
            }
            if local < child.duration {
                child.interval.step(local);
                break;
            }
            child.interval.step(child.duration);
            child.interval.on_finish();
            self.current += 1;
            self.current_started = false;
        }
    }
}

impl std::fmt::Debug for IntervalSeq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntervalSeq")
            .field("len", &self.children.len())
            .field("duration", &self.duration)
            .field("current", &self.current)
            .finish()
    }
}
