//! `shield`: cancelling the shield leaves what it wraps running; the inner
//! future finishing or being cancelled finishes or cancels the shield; a
//! coroutine cancelled at a shielded await may go on with its work.

use taskchain_core::{shield, AsyncFuture, Error, TaskChainExt};

use crate::kit::log::{new_log, push, seen};
use crate::{settle, ChainFactory};

/// The shield follows its inner future, but not the other way round.
pub(crate) fn follows_inner_not_back(f: &dyn ChainFactory) {
    let fx = f.build();
    let p = fx.chain.promise::<u32>();
    let s = fx.chain.shield(p.clone());
    assert!(s.cancel(), "cancel moves the shield");
    assert!(s.is_cancelled());
    assert!(!p.is_done(), "the inner promise keeps going");
    p.set_result(5).expect("set_result on the shielded promise");
    assert!(s.is_cancelled(), "the shield stays cancelled");
    assert_eq!(s.try_take(), Some(Err(Error::Cancelled)));

    let finishing = fx.chain.promise::<u32>();
    let s = fx.chain.shield(finishing.clone());
    finishing.set_result(3).expect("set_result");
    assert!(
        s.is_done() && !s.is_cancelled(),
        "inner finished: so is the shield"
    );
    assert_eq!(s.try_take(), Some(Ok(3)));

    let cancelled = fx.chain.promise::<u32>();
    let s = fx.chain.shield(cancelled.clone());
    cancelled.cancel();
    assert!(s.is_cancelled(), "inner cancelled: so is the shield");
}

/// A coroutine cancelled while it awaits a shielded task sees `Cancelled`
/// at that await; the task keeps running; the coroutine may await more
/// (its cleanup), and returning a value it has handled the cancellation:
/// the task finishes with it. A cancel after that delivers another
/// `Cancelled` at its next await.
pub(crate) fn cancelled_awaiter_goes_on(f: &dyn ChainFactory) {
    let fx = f.build();
    let log = new_log();
    let (inner_gate, cleanup) = (fx.chain.promise::<u32>(), fx.chain.promise::<u32>());
    let inner = {
        let gate = inner_gate.clone();
        fx.chain.spawn(async move { gate.await.map(|v| v + 1) })
    };
    let inner_any = inner.as_any();
    let outer = {
        let (log, cleanup) = (log.clone(), cleanup.clone());
        fx.chain.spawn(async move {
            push(&log, "awaiting the shield");
            let r = shield(inner).await;
            push(&log, format!("shield -> {:?}", r.map(|_| ())));
            let c = cleanup.await;
            push(&log, format!("cleanup -> {c:?}"));
            7
        })
    };
    settle(f, &fx, "the coroutine to await the shield", || {
        seen(&log).len() == 1
    });
    assert!(outer.cancel());
    settle(f, &fx, "the coroutine to see the cancel", || {
        seen(&log).len() == 2
    });
    assert_eq!(seen(&log)[1], "shield -> Err(Cancelled)");
    assert!(!outer.is_done(), "it goes on with its cleanup");
    assert!(
        !inner_any.is_done() && !inner_any.is_cancel_requested(),
        "the shielded task is left running"
    );
    cleanup.set_result(1).expect("set_result");
    settle(f, &fx, "the coroutine to finish its cleanup", || {
        outer.is_done()
    });
    assert_eq!(seen(&log)[2], "cleanup -> Ok(1)");
    assert!(!outer.is_cancelled(), "it handled the cancellation");
    assert_eq!(outer.result(None), Ok(7));
    inner_gate.set_result(1).expect("set_result");
    settle(f, &fx, "the shielded task to finish", || {
        inner_any.is_done()
    });
    assert!(!inner_any.is_cancelled(), "the shielded task finished");
}

/// Panda3D's coroutine that refuses cancels: it loops on a shielded
/// future, catching each `Cancelled`. Three `cancel()` calls each return
/// true and each is caught at the next await; the task goes on until the
/// future is set, then ends done, not cancelled.
pub(crate) fn refused_cancels(f: &dyn ChainFactory) {
    let fx = f.build();
    let log = new_log();
    let fut = fx.chain.promise::<u32>();
    let task = {
        let (log, fut) = (log.clone(), fut.clone());
        fx.chain.spawn(async move {
            let mut caught = 0;
            loop {
                push(&log, "awaiting");
                match shield(fut.clone()).await {
                    Err(Error::Cancelled) => {
                        caught += 1;
                        push(&log, format!("caught {caught}"));
                    }
                    other => return (other, caught),
                }
            }
        })
    };
    settle(f, &fx, "the coroutine to await", || seen(&log).len() == 1);
    for n in 1..=3 {
        assert!(task.cancel(), "cancel {n} returns true");
        settle(
            f,
            &fx,
            "the cancel to be caught and the await made again",
            || seen(&log).len() == 1 + 2 * n,
        );
        assert!(!task.is_done(), "it refused cancel {n}");
    }
    assert_eq!(task.cancelling(), 3, "three requests made");
    assert!(!fut.is_done(), "the shielded future is left running");
    fut.set_result(5).expect("set_result");
    settle(f, &fx, "the task to end", || task.is_done());
    assert!(!task.is_cancelled(), "it refused every cancel");
    assert_eq!(task.result(None), Ok((Ok(5), 3)));
}
