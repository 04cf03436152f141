//! Benchmarks of taskchain against the raw runtimes underneath, measured in
//! the same run so that the abstraction's overhead reads as a ratio.
//!
//! - [`workloads()`]: every workload of the comparison (spawn, yield,
//!   ping-pong, chained spawn, recurring tasks per frame, gather fan-out,
//!   latency, memory, scaling), runnable on every [`Subject`] it applies
//!   to; the `compare` binary runs them all and writes the report, the
//!   criterion bench `workloads` measures the same code.
//! - `benches/frame_chain.rs`, `task_ops.rs`, `backends.rs` (criterion):
//!   focused benches of the frame chain, of per-task operations, and of the
//!   backends against their raw runtimes.
//! - `src/bin/memory.rs`, `latency.rs`: memory per suspended coroutine and
//!   latency tables on their own.
//! - [`soak`]: a randomized mixed workload on one chain for a chosen time,
//!   checking the invariants as it goes (the `soak` binary).
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

pub mod alloc;
pub mod cli_flags;
pub mod report;
pub mod soak;
mod subject;
mod workload;
pub mod workloads;

pub use subject::{Raw, Subject, THREADS};
pub use workload::{Metric, Mode, Sample, Workload};
pub use workloads::workloads;
