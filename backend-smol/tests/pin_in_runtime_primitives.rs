//! Pin means pin in the runtimes' own primitives: a task cancelled while it
//! awaits async-io's `Timer` (or, with the `async-std` feature, async-std's
//! `task::sleep`) is dropped where it was polled, and the runtime goes on.

mod chain_factory;

use std::time::Duration;

use chain_factory::on_smol;
use taskchain_conformance::pin_probe::check_cancel_in_foreign_await;

/// Never over within the test: the cancelled task must not wait for it.
const LONG: Duration = Duration::from_secs(60);

// regression: a task cancelled in a runtime's timer was moved before it was
// dropped.
#[test]
fn cancelled_in_async_io_timer() {
    for workers in [1, 2] {
        check_cancel_in_foreign_await(
            &on_smol(workers),
            "async_io::Timer",
            |ends| async_io::Timer::after(if ends { Duration::ZERO } else { LONG }),
            || {},
            || {},
        );
    }
}

// regression: as above, in async-std's sleep.
#[cfg(feature = "async-std")]
#[test]
fn cancelled_in_async_std_sleep() {
    check_cancel_in_foreign_await(
        &chain_factory::on_async_std(2),
        "async_std::task::sleep",
        |ends| async_std::task::sleep(if ends { Duration::ZERO } else { LONG }),
        || {},
        || {},
    );
}
