//! The stress suite: the contract held at sizes and under contention the
//! scenarios and random programs never reach, generic over the
//! [`ChainFactory`](crate::ChainFactory) like the rest of the suite, so
//! every backend runs the same checks.
//!
//! - [`check_delayed_removal`]: thousands of delayed tasks, removed by name
//!   in bulk and respawned while the clock moves, then a shutdown (the
//!   reference engine's own stress case);
//! - [`check_suspended_coroutines`]: a million suspended coroutines, all
//!   cancelled, and the heap back to its baseline (needs the counting
//!   allocator, [`kit::alloc`](crate::kit::alloc), installed in the test
//!   binary);
//! - [`check_cancel_storms`]: threads racing to cancel, complete and await
//!   the same futures: one winner each, every waiter sees it;
//! - [`check_panics_under_load`]: one task in ten panics among thousands;
//!   every panic lands in its own task's future, nothing else is touched;
//! - [`check_teardown_races`]: `set_result`, wakes, `cancel` and `send`
//!   from several threads against the manager's last drop: the chain core
//!   is freed, no callback runs inline, each runs once or is dropped unrun.
//!
//! Each takes its size as an argument; [`stress_size`] picks one for the
//! environment (scaled down under valgrind, scaled by
//! [`STRESS_SCALE_ENV`]). Every check counts what it expects with counters
//! that can fail: outcomes, `upon_death` calls per task, drop-counted
//! guards in every coroutine and value. Delays run on the fixture's
//! [`ManualClock`](taskchain_core::ManualClock), so the outcomes are exact.

mod cancel_storms;
mod death_book;
mod delayed_removal;
mod panics_under_load;
mod stress_tests;
mod suspended_coroutines;
mod teardown_races;

use std::time::Duration;

pub use cancel_storms::check_cancel_storms;
pub use delayed_removal::check_delayed_removal;
pub use panics_under_load::check_panics_under_load;
pub use suspended_coroutines::{check_suspended_coroutines, HEAP_SLACK};
pub use teardown_races::{check_teardown_races, teardown_rounds, TEARDOWN_ROUNDS_ENV};

pub(crate) use death_book::DeathBook;

/// The environment variable that scales every stress size (a float: `0.1`
/// for a quick look, `10` for a long soak).
pub const STRESS_SCALE_ENV: &str = "TASKCHAIN_STRESS_SCALE";

/// How long a stress check waits for something that must happen before it
/// fails as hung: a hang guard, far beyond what a healthy debug run on a
/// loaded machine needs, never a timing expectation.
pub(crate) const STRESS_PATIENCE: Duration = Duration::from_secs(300);

/// The size to run a stress check at: `default`, or `under_valgrind` when
/// [`UNDER_VALGRIND_ENV`](crate::kit::valgrind::UNDER_VALGRIND_ENV) is set; then multiplied by [`STRESS_SCALE_ENV`]
/// if it is set to a positive number. At least 1.
pub fn stress_size(default: usize, under_valgrind: usize) -> usize {
    let base = if crate::kit::valgrind::under_valgrind() {
        under_valgrind
    } else {
        default
    };
    let scale = std::env::var(STRESS_SCALE_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(1.0);
    // `as` saturates: a huge scale gives usize::MAX, not a wrap.
    ((base as f64 * scale).round() as usize).max(1)
}
