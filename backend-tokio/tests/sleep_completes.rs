//! `TokioRuntime::sleep` completes, on its own runtime, whichever thread
//! created it.

use std::sync::mpsc;
use std::time::Duration;

use taskchain_core::Runtime;
use taskchain_tokio::TokioRuntime;

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn a_sleep_made_outside_the_runtime_completes_on_it() {
    let runtime = TokioRuntime::new(1).unwrap();
    // Created on the test thread, which has no tokio context.
    let sleep = runtime.sleep(Duration::from_millis(1));
    let (tx, rx) = mpsc::channel();
    runtime.spawn(Box::pin(async move {
        sleep.await;
        let _ = tx.send(());
    }));
    assert_eq!(rx.recv_timeout(PATIENCE), Ok(()));
}

#[test]
fn a_zero_sleep_completes() {
    let runtime = TokioRuntime::new(1).unwrap();
    let sleep = runtime.sleep(Duration::ZERO);
    let (tx, rx) = mpsc::channel();
    runtime.spawn(Box::pin(async move {
        sleep.await;
        let _ = tx.send(());
    }));
    assert_eq!(rx.recv_timeout(PATIENCE), Ok(()));
}
