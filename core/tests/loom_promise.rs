//! Loom models of a promise's state machine: `set_result` racing `cancel`
//! and awaiters (a coroutine-style `await` and a blocking `result`), from
//! two and three threads.
#![cfg(loom)]

mod loom_support;

use loom::future::block_on;
use loom::thread;
use taskchain_core::{AsyncFuture, Error, TaskChainExt};

use loom_support::{frame_chain, model, spawn_set_result};

/// Exactly one of `set_result` and `cancel` wins; the loser is told so, and
/// the promise's final state is the winner's.
#[test]
fn set_result_vs_cancel() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let setter = spawn_set_result(&promise, 7);
        let cancelled = promise.cancel();
        let set = setter.join().unwrap();

        match (set, cancelled) {
            (Ok(()), false) => assert_eq!(promise.try_take(), Some(Ok(7))),
            (Err(Error::AlreadyDone), true) => {
                assert!(promise.is_cancelled());
                assert_eq!(promise.try_take(), Some(Err(Error::Cancelled)));
            }
            other => panic!("not exactly one winner: {other:?}"),
        }
        assert!(promise.is_done());
    });
}

/// An awaiter always sees the value: the wake-up of a `set_result` that
/// lands while it registers is never lost.
#[test]
fn set_result_vs_await() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let setter = spawn_set_result(&promise, 7);
        assert_eq!(block_on(promise.clone()), Ok(7));
        assert_eq!(setter.join().unwrap(), Ok(()));
    });
}

/// A thread blocked in `result(None)` (park/unpark) is always woken.
#[test]
fn set_result_vs_blocking_result() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let setter = spawn_set_result(&promise, 7);
        assert_eq!(promise.result(None), Ok(7));
        assert_eq!(setter.join().unwrap(), Ok(()));
    });
}

/// Two awaiters (the waiter list grows from one waker to many while the
/// value lands): both are woken.
#[test]
fn set_result_vs_two_awaiters() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let other = {
            let promise = promise.clone();
            thread::spawn(move || block_on(promise))
        };
        let setter = spawn_set_result(&promise, 7);
        assert_eq!(block_on(promise.clone()), Ok(7));
        assert_eq!(other.join().unwrap(), Ok(7));
        assert_eq!(setter.join().unwrap(), Ok(()));
    });
}

/// Three threads: the awaiter always finishes, with the winner's outcome.
#[test]
fn set_result_vs_cancel_vs_await() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let setter = spawn_set_result(&promise, 7);
        let canceller = {
            let promise = promise.clone();
            thread::spawn(move || promise.cancel())
        };
        let awaited = block_on(promise.clone());
        let set = setter.join().unwrap();
        let cancelled = canceller.join().unwrap();

        match (set, cancelled) {
            (Ok(()), false) => assert_eq!(awaited, Ok(7)),
            (Err(Error::AlreadyDone), true) => assert_eq!(awaited, Err(Error::Cancelled)),
            other => panic!("not exactly one winner: {other:?}"),
        }
    });
}
