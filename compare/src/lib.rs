//! The comparison report of taskchain against the raw runtimes underneath,
//! measured in one run so that the abstraction's overhead reads as a ratio.
//!
//! - [`workloads()`]: every workload of the comparison (spawn, yield,
//!   ping-pong, chained spawn, recurring tasks per frame, gather fan-out,
//!   latency, memory, scaling), runnable on every [`Subject`] it applies
//!   to. The `compare` binary (`cargo run --release -p taskchain-compare`)
//!   runs them all and writes the report; the criterion bench `workloads`
//!   of `taskchain-benches` measures the same code.
//! - [`report`]: the samples of a run, the figures, ratios and verdicts read
//!   off them, and the text, Markdown, JSON and SVG outputs.

pub mod report;
mod subject;
mod workload;
pub mod workloads;

pub use subject::{Raw, Subject, THREADS};
pub use workload::{Metric, Mode, Sample, Workload};
pub use workloads::workloads;
