//! The threads of an owned `TokioRuntime` are named `taskchain-tokio-{i}`.

use std::sync::mpsc;
use std::time::Duration;

use taskchain_core::Runtime;
use taskchain_tokio::TokioRuntime;

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn futures_run_on_threads_named_after_the_backend() {
    let runtime = TokioRuntime::new(3).unwrap();
    let (tx, rx) = mpsc::channel();
    for _ in 0..30 {
        let tx = tx.clone();
        runtime.spawn(Box::pin(async move {
            let _ = tx.send(std::thread::current().name().map(str::to_owned));
        }));
    }
    for _ in 0..30 {
        let name = rx.recv_timeout(PATIENCE).unwrap().unwrap();
        let index = name.strip_prefix("taskchain-tokio-").unwrap();
        assert!(index.parse::<usize>().is_ok(), "{name}");
    }
}
