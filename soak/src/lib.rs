//! The soak: a randomized mixed workload run on one chain for a chosen
//! time, with the contract's invariants checked as it goes (the `soak`
//! binary).
//!
//! - [`options`]: the command line.
//! - [`actions`]: the mix — coroutines awaiting promises (set or cancelled
//!   from the [`settler`]'s thread), events, other tasks, shields and
//!   gathers; pauses; recurring tasks returning `Cont`/`Again`/`Done`;
//!   panicking tasks; cancels and removals by name; done callbacks and
//!   `upon_death` on every task.
//! - [`ledger`] and [`outcome`]: what the soak did to each task and the
//!   verdict on how it ended: exactly one terminal state, never changing;
//!   the value it returned follows from what it awaited; cancelled only if
//!   a cancel reached it, panicked only if its body panics; `upon_death`
//!   and done callbacks exactly once; finished within the liveness bound
//!   after what it waits on settled.
//! - [`counts_check`]: `chain.stats()` against the ledger.
//! - [`census`] and [`heap`]: after shutdown every coroutine, closure and
//!   value is dropped, and the heap is back near its start.
//! - [`summary`]: the progress lines and the final summary.
//!
//! ```no_run
//! use taskchain_soak::{run, Options};
//!
//! let mut options = Options::new(42);
//! options.duration = std::time::Duration::from_secs(2);
//! let summary = run(&options, &mut std::io::stderr()).unwrap();
//! assert!(summary.passed(), "{summary}");
//! ```

pub mod actions;
pub mod census;
pub mod counts_check;
pub mod deliberate_panic;
pub mod heap;
pub mod ledger;
pub mod options;
pub mod outcome;
pub mod plan;
pub mod probe;
mod run;
pub mod settler;
pub mod summary;
pub mod tally;

pub use options::{Command, Fault, Options, Target};
pub use run::run;
pub use summary::Summary;
