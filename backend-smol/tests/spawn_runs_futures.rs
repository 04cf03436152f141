//! `SmolRuntime::spawn` runs every future handed to it; a panicking one
//! does not take a thread down.

use std::sync::mpsc;
use std::time::Duration;

use taskchain_core::{Error, Runtime};
use taskchain_smol::SmolRuntime;

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn every_spawned_future_runs() {
    let runtime = SmolRuntime::new(2).unwrap();
    assert_eq!(runtime.name(), "smol");
    assert_eq!(runtime.threads(), 2);
    let (tx, rx) = mpsc::channel();
    for i in 0..100 {
        let tx = tx.clone();
        runtime.spawn(Box::pin(async move {
            let _ = tx.send(i);
        }));
    }
    let mut seen: Vec<i32> = (0..100)
        .map(|_| rx.recv_timeout(PATIENCE).unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..100).collect::<Vec<_>>());
}

#[test]
fn a_panicking_future_leaves_the_threads_running() {
    let runtime = SmolRuntime::new(1).unwrap();
    runtime.spawn(Box::pin(async { panic!("on purpose") }));
    let (tx, rx) = mpsc::channel();
    runtime.spawn(Box::pin(async move {
        let _ = tx.send(());
    }));
    assert_eq!(rx.recv_timeout(PATIENCE), Ok(()));
}

#[test]
fn zero_threads_is_an_invalid_setting() {
    assert!(matches!(SmolRuntime::new(0), Err(Error::InvalidSetting(_))));
}
