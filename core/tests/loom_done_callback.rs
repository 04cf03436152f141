//! Loom models of done callbacks racing completion: a callback added while
//! another thread completes the future runs exactly once, on a later poll
//! of the future's home chain, never inline in `set_result`.
#![cfg(loom)]

mod loom_support;

use loom::sync::atomic::{AtomicU32, Ordering};
use loom::thread;
use taskchain_core::{AsyncFuture, Error, Promise, TaskChain, TaskChainExt};

use loom_support::{frame_chain, model, spawn_set_result, Counter};

/// A callback that counts its runs and records the value it found.
fn recording(runs: &Counter, seen: &loom::sync::Arc<AtomicU32>) -> impl FnOnce(&Promise<u32>) {
    let (runs, seen) = (runs.clone(), seen.clone());
    move |promise: &Promise<u32>| {
        runs.bump();
        assert!(
            promise.is_done(),
            "a done callback found its future pending"
        );
        if let Some(Ok(v)) = promise.try_take() {
            seen.store(v, Ordering::SeqCst);
        }
    }
}

/// `set_result` on one thread, `add_done_callback` on another.
#[test]
fn set_result_vs_add_done_callback() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let setter = spawn_set_result(&promise, 7);
        let runs = Counter::default();
        let seen = loom::sync::Arc::new(AtomicU32::new(0));
        assert_eq!(promise.add_done_callback(recording(&runs, &seen)), Ok(()));
        assert_eq!(setter.join().unwrap(), Ok(()));

        assert_eq!(runs.get(), 0, "the callback ran before the chain's poll");
        chain.poll().unwrap();
        assert_eq!(runs.get(), 1);
        assert_eq!(seen.load(Ordering::SeqCst), 7);
        chain.poll().unwrap();
        assert_eq!(runs.get(), 1, "the callback ran twice");
    });
}

/// Three threads: two add callbacks while the main thread cancels; each
/// callback runs once, and sees the promise cancelled.
#[test]
fn cancel_vs_two_add_done_callbacks() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let runs = Counter::default();
        let adders: Vec<_> = (0..2)
            .map(|_| {
                let (promise, runs) = (promise.clone(), runs.clone());
                thread::spawn(move || {
                    promise.add_done_callback(move |p: &Promise<u32>| {
                        assert_eq!(p.try_take(), Some(Err(Error::Cancelled)));
                        runs.bump();
                    })
                })
            })
            .collect();
        assert!(promise.cancel());
        for adder in adders {
            assert_eq!(adder.join().unwrap(), Ok(()));
        }

        assert_eq!(runs.get(), 0, "a callback ran before the chain's poll");
        chain.poll().unwrap();
        assert_eq!(runs.get(), 2);
        chain.poll().unwrap();
        assert_eq!(runs.get(), 2, "a callback ran twice");
    });
}
