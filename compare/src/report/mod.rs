//! The `compare` report: collecting the samples of a run, reading
//! figures and ratios off them, checking the targets, and writing
//! it all out as a text table, `report.md`, `report.json` and SVG charts.
//!
//! Every figure is the median over the repeats of a run, with its spread
//! as min–max ([`Summary`]). A ratio is a subject's median divided by
//! another's: ×base divides by the raw runtime a taskchain subject wraps
//! ([`Subject::baseline`](crate::Subject::baseline)), ×floor by the
//! physical floor (a minimal executor, when it ran), ×best by the best
//! subject's on that metric. Verdicts compare repeat by repeat
//! ([`paired`]), and the report opens with an [`overview`]: a summary
//! per subject and which chain suits what.
//!
//! The flow, as the `compare` binary drives it: [`cli::parse`] the
//! arguments, make empty [`Results`], run the [`schedule::schedule`]'s
//! steps and [`Results::record`] each, then [`Report::new`] and render it
//! with [`text::render`] and [`output::write_all`].

pub mod advice;
mod analysis;
pub mod axis;
pub mod chart;
pub mod cli;
pub mod figures;
pub mod format;
pub mod grid;
pub mod json;
mod machine;
pub mod markdown;
pub mod output;
pub mod overview;
pub mod paired;
mod results;
pub mod schedule;
mod summary;
pub mod targets;
#[cfg(test)]
mod testing;
pub mod text;
pub mod verdicts;

pub use analysis::Report;
pub use machine::Machine;
pub use results::{is_skip, Results, Runs, WorkloadRuns};
pub use summary::Summary;
