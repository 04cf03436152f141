//! The test kit: the helpers the workspace's tests share, in one place.
//! The conformance suite uses them itself, and so do the core's and the
//! backends' tests, the soak and the compare report.
//!
//! - [`alloc`]: a counting global allocator, read process-wide or per
//!   thread;
//! - [`drops`]: drop-counted tokens, to see that what a task held is freed;
//! - [`counters`]: counters for tasks and callbacks, and an `upon_death`
//!   counter;
//! - [`log`]: a log tasks write to, and a task that writes to it;
//! - [`rng`]: a seeded random number generator;
//! - [`census`]: a census of the threads that ran a marked task;
//! - [`quiet_panics`]: a panic hook that keeps deliberate panics quiet;
//! - [`valgrind`]: whether the run is under valgrind.
//!
//! What only one test file needs stays in that crate's tests.

pub mod alloc;
pub mod census;
pub mod counters;
pub mod drops;
pub mod log;
pub mod quiet_panics;
pub mod rng;
pub mod valgrind;
