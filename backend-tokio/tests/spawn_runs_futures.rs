//! `TokioRuntime::spawn` runs every future handed to it, inside the
//! runtime's context.

use std::sync::mpsc;
use std::time::Duration;

use taskchain_core::Runtime;
use taskchain_tokio::TokioRuntime;

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn every_spawned_future_runs_in_the_runtime_context() {
    let runtime = TokioRuntime::new(2).unwrap();
    assert_eq!(runtime.name(), "tokio");
    assert_eq!(runtime.threads(), 2);
    let (tx, rx) = mpsc::channel();
    for i in 0..100 {
        let tx = tx.clone();
        runtime.spawn(Box::pin(async move {
            // Only inside the runtime's context is there a current handle.
            let in_context = tokio::runtime::Handle::try_current().is_ok();
            let _ = tx.send((i, in_context));
        }));
    }
    let mut seen: Vec<(i32, bool)> = (0..100)
        .map(|_| rx.recv_timeout(PATIENCE).unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..100).map(|i| (i, true)).collect::<Vec<_>>());
}

#[test]
fn zero_threads_is_an_invalid_setting() {
    assert!(matches!(
        TokioRuntime::new(0),
        Err(taskchain_core::Error::InvalidSetting(_))
    ));
}
