//! Loom models of a shield's completion racing its cancellation: the
//! shielded future is never cancelled through the shield.
#![cfg(loom)]

mod loom_support;

use std::future::poll_fn;
use std::sync::Arc;

use loom::future::block_on;
use loom::thread;
use taskchain_core::{AsyncFuture, Error, TaskChainExt};

use loom_support::{frame_chain, model};

/// The inner promise is set on one thread while the shield is cancelled on
/// another: the promise always keeps its value; the shield ends one way.
#[test]
fn inner_completion_vs_shield_cancel() {
    model(|| {
        let chain = frame_chain();
        let inner = chain.promise::<u32>();
        let shielded = chain.shield(inner.clone());
        let setter = {
            let inner = inner.clone();
            thread::spawn(move || inner.set_result(3))
        };
        let cancelled = shielded.cancel();
        assert_eq!(
            setter.join().unwrap(),
            Ok(()),
            "the shield cancelled its inner future"
        );

        assert!(!inner.is_cancelled());
        assert_eq!(inner.try_take(), Some(Ok(3)));
        assert!(shielded.is_done());
        if cancelled {
            assert_eq!(shielded.try_take(), Some(Err(Error::Cancelled)));
        } else {
            assert_eq!(shielded.try_take(), Some(Ok(3)));
        }
    });
}

/// Three threads: an awaiter of the shield always finishes, as the race
/// went, and the inner promise is never cancelled.
#[test]
fn inner_completion_vs_shield_cancel_vs_await() {
    model(|| {
        let chain = frame_chain();
        let inner = chain.promise::<u32>();
        let shielded = Arc::new(chain.shield(inner.clone()));
        let setter = {
            let inner = inner.clone();
            thread::spawn(move || inner.set_result(3))
        };
        let canceller = {
            let shielded = shielded.clone();
            thread::spawn(move || shielded.cancel())
        };
        // A shield is not `Clone`: await it through `poll_done`, as its
        // `Future` impl does, and read it once done.
        let awaited = block_on(poll_fn(|cx| {
            shielded
                .poll_done(cx)
                .map(|()| shielded.try_take().expect("done"))
        }));
        assert_eq!(setter.join().unwrap(), Ok(()));
        let cancelled = canceller.join().unwrap();

        assert_eq!(inner.try_take(), Some(Ok(3)));
        if cancelled {
            assert_eq!(awaited, Err(Error::Cancelled));
        } else {
            assert_eq!(awaited, Ok(3));
        }
    });
}
