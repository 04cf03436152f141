//! The threads of a `SmolRuntime` are named `taskchain-smol-{i}`.

use std::collections::BTreeSet;
use std::sync::{mpsc, Arc, Barrier};
use std::time::Duration;

use taskchain_core::Runtime;
use taskchain_smol::SmolRuntime;

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn each_thread_is_named_after_the_backend_and_its_index() {
    let runtime = SmolRuntime::new(3).unwrap();
    // Three futures that block until all three run: one on each thread.
    let barrier = Arc::new(Barrier::new(3));
    let (tx, rx) = mpsc::channel();
    for _ in 0..3 {
        let (barrier, tx) = (barrier.clone(), tx.clone());
        runtime.spawn(Box::pin(async move {
            barrier.wait();
            let _ = tx.send(std::thread::current().name().map(str::to_owned));
        }));
    }
    let names: BTreeSet<String> = (0..3)
        .map(|_| rx.recv_timeout(PATIENCE).unwrap().unwrap())
        .collect();
    let expected: BTreeSet<String> = (0..3).map(|i| format!("taskchain-smol-{i}")).collect();
    assert_eq!(names, expected);
}
