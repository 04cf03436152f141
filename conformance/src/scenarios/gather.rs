//! `gather`: empty is done; done when every child is; results in argument
//! order; reading it yields the first child's error; a cancelled child
//! does not cancel it; cancelling it cancels every child.

use std::time::Duration;

use taskchain_core::{gather, pause, AsyncFuture, Error, Promise, TaskChainExt};

use super::support::ms;
use crate::kit::counters::{bump, counter, get};
use crate::kit::log::{new_log, push, seen};
use crate::{settle, ChainFactory, Stepper};

/// Results come in argument order whatever order the children finish in,
/// for promises and for tasks, read from outside and awaited inside.
pub(crate) fn results_in_argument_order(f: &dyn ChainFactory) {
    let fx = f.build();
    let promises: Vec<Promise<u32>> = (0..3).map(|_| fx.chain.promise()).collect();
    let awaiting = fx.chain.spawn(fx.chain.gather(promises.clone()));
    for (i, p) in promises.iter().enumerate().rev() {
        p.set_result(i as u32 * 10).expect("set_result");
    }
    settle(
        f,
        &fx,
        "the coroutine awaiting the gather to finish",
        || awaiting.is_done(),
    );
    assert_eq!(awaiting.result(None), Ok(Ok(vec![0, 10, 20])));

    // Tasks finishing in the order 1, 2, 0.
    let log = new_log();
    let pauses = [30u64, 10, 20];
    let tasks: Vec<_> = pauses
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let log = log.clone();
            fx.chain.spawn(async move {
                pause(ms(d)).await.expect("pause");
                push(&log, format!("{i}"));
                i * i
            })
        })
        .collect();
    // The pauses count from the first run: let every child reach its
    // pause before the clock moves.
    settle(f, &fx, "the children to pause", || {
        tasks.iter().all(|t| t.is_sleeping())
    });
    let all = fx.chain.gather(tasks);
    let callbacks = counter();
    {
        let callbacks = callbacks.clone();
        all.add_done_callback(move |g| {
            if g.is_done() {
                bump(&callbacks);
            }
        })
        .expect("add_done_callback");
    }
    for step in 1..=3 {
        fx.clock.advance(ms(10));
        settle(f, &fx, "the next child to finish", || {
            seen(&log).len() == step
        });
        if step < 3 {
            assert!(!all.is_done(), "done only when every child is");
        }
    }
    // The last child logs just before it returns: on a threaded chain its
    // completion may still be on the way.
    settle(f, &fx, "the gather to finish with its last child", || {
        all.is_done()
    });
    assert_eq!(
        seen(&log),
        ["1", "2", "0"],
        "the children finished out of order"
    );
    assert_eq!(all.try_take(), Some(Ok(vec![0, 1, 4])), "argument order");
    settle(f, &fx, "the gather's done callback", || {
        get(&callbacks) == 1
    });
}

/// An empty gather is done at once, and awaiting it does not suspend.
pub(crate) fn empty_is_done(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let empty = fx.chain.gather(Vec::<Promise<u32>>::new());
    assert!(empty.is_done() && !empty.is_cancelled());
    assert_eq!(empty.try_take(), Some(Ok(vec![])));
    assert_eq!(empty.result(Some(Duration::ZERO)), Ok(vec![]));
    let awaiting = fx
        .chain
        .spawn(async { gather(Vec::<Promise<u32>>::new()).await });
    stepper.step();
    assert!(
        awaiting.is_done(),
        "awaiting an empty gather does not suspend"
    );
    assert_eq!(awaiting.result(None), Ok(Ok(vec![])));
}

/// A cancelled child leaves the gather pending until the others are done;
/// then reading it yields `Cancelled`, though the gather itself was not
/// cancelled, and the other children were left alone.
pub(crate) fn cancelled_child(f: &dyn ChainFactory) {
    let fx = f.build();
    let promises: Vec<Promise<u32>> = (0..3).map(|_| fx.chain.promise()).collect();
    let all = fx.chain.gather(promises.clone());
    let awaiting = fx.chain.spawn(fx.chain.gather(promises.clone()));
    assert!(promises[1].cancel());
    assert!(!all.is_done(), "the other children are pending");
    assert!(!promises[0].is_done() && !promises[2].is_done());
    promises[0].set_result(1).expect("set_result");
    promises[2].set_result(3).expect("set_result");
    assert!(all.is_done());
    assert!(!all.is_cancelled(), "a cancelled child does not cancel it");
    assert_eq!(all.error(), Some(Error::Cancelled));
    assert_eq!(all.try_take(), Some(Err(Error::Cancelled)));
    assert_eq!(
        promises[0].try_take(),
        Some(Ok(1)),
        "the others keep their values"
    );
    settle(f, &fx, "the awaiting coroutine to finish", || {
        awaiting.is_done()
    });
    assert_eq!(
        awaiting.result(None),
        Ok(Err(Error::Cancelled)),
        "the awaiter reads the first child error"
    );
}

/// Cancelling the gather cancels every pending child: promises, and tasks
/// (which in turn cancel what they await).
pub(crate) fn cancel_cancels_children(f: &dyn ChainFactory) {
    let fx = f.build();
    let log = new_log();
    let (p, q) = (fx.chain.promise::<u32>(), fx.chain.promise::<u32>());
    // It propagates what its await returns: the cancellation ends it.
    let task = {
        let (log, q) = (log.clone(), q.clone());
        fx.chain.spawn_fallible(async move {
            push(&log, "child waits");
            q.await
        })
    };
    let task_any = task.as_any();
    let done_child = fx.chain.promise::<u32>();
    done_child.set_result(9).expect("set_result");
    settle(f, &fx, "the child task to reach its await", || {
        seen(&log).len() == 1
    });
    let promises = fx.chain.gather(vec![p.clone(), done_child.clone()]);
    assert!(promises.cancel(), "cancel moves the gather");
    assert!(!promises.cancel(), "once");
    assert!(promises.is_cancelled());
    assert!(p.is_cancelled(), "a pending promise child is cancelled");
    assert_eq!(
        done_child.try_take(),
        Some(Ok(9)),
        "a done child keeps its value"
    );
    let tasks = fx.chain.gather(vec![task]);
    assert!(tasks.cancel());
    settle(f, &fx, "the child task to end", || task_any.is_done());
    assert!(task_any.is_cancelled(), "a task child is cancelled");
    assert!(q.is_cancelled(), "and what it awaited");
}
