//! Intervals: timed actions stepped once per frame with their local time,
//! composed and played on a chain (Panda3D's intervals).
//!
//! - `interval_trait`: the `Interval` trait.
//! - `lerp`: `Lerp` and `LerpFn`, a value moved over a duration.
//! - `wait`: `Wait`, time that passes with nothing happening.
//! - `seq`: `IntervalSeq`, intervals one after another.
//! - `par`: `IntervalPar`, intervals all at once.
//! - `player`: the task that plays an interval and `IntervalHandle`, the
//!   awaitable that controls it.

pub(crate) mod interval_trait;
pub(crate) mod lerp;
pub(crate) mod par;
pub(crate) mod player;
pub(crate) mod seq;
pub(crate) mod wait;
