//! Pin means pin in tokio's own primitives: a task cancelled while it
//! awaits tokio's timer or `Notify` is dropped where it was polled (tokio
//! links both into intrusive lists by address), and the runtime goes on.

mod chain_factory;

use std::sync::Arc;
use std::time::Duration;

use chain_factory::on_tokio;
use taskchain_conformance::pin_probe::check_cancel_in_foreign_await;

/// Never over within the test: the cancelled task must not wait for it.
const LONG: Duration = Duration::from_secs(60);

// regression: a task cancelled in `tokio::time::sleep` was moved before it
// was dropped (debug: "Attempt to remove item not present in the timing
// wheel"; release: heap corruption and an abort).
#[test]
fn cancelled_in_tokio_sleep() {
    for workers in [1, 2] {
        check_cancel_in_foreign_await(
            &on_tokio(workers),
            "tokio::time::sleep",
            |ends| tokio::time::sleep(if ends { Duration::ZERO } else { LONG }),
            || {},
            || {},
        );
    }
}

// regression: a task cancelled in `Notify::notified()` was moved before it
// was dropped; the next `notify_waiters` corrupted the heap.
#[test]
fn cancelled_in_tokio_notify() {
    for workers in [1, 2] {
        let notify = Arc::new(tokio::sync::Notify::new());
        let (awaited, fired, released) = (notify.clone(), notify.clone(), notify.clone());
        check_cancel_in_foreign_await(
            &on_tokio(workers),
            "tokio::sync::Notify::notified",
            move |_| {
                let notify = awaited.clone();
                async move { notify.notified().await }
            },
            move || fired.notify_waiters(),
            move || released.notify_waiters(),
        );
    }
}
