//! `SmolRuntime::sleep` completes on async-io's timer.

use std::sync::mpsc;
use std::time::Duration;

use taskchain_core::Runtime;
use taskchain_smol::SmolRuntime;

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn sleeps_complete() {
    let runtime = SmolRuntime::new(1).unwrap();
    let (tx, rx) = mpsc::channel();
    for d in [Duration::ZERO, Duration::from_millis(1)] {
        let sleep = runtime.sleep(d);
        let tx = tx.clone();
        runtime.spawn(Box::pin(async move {
            sleep.await;
            let _ = tx.send(d);
        }));
    }
    let mut seen = [
        rx.recv_timeout(PATIENCE).unwrap(),
        rx.recv_timeout(PATIENCE).unwrap(),
    ];
    seen.sort();
    assert_eq!(seen, [Duration::ZERO, Duration::from_millis(1)]);
}

#[test]
fn a_sleep_past_the_end_of_time_is_not_an_error() {
    let runtime = SmolRuntime::new(1).unwrap();
    // Never fires; making it and dropping it must not panic.
    drop(runtime.sleep(Duration::MAX));
}
