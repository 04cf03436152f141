//! Loom models of a gather's completion racing its cancellation: children
//! completing on their own threads while another cancels the gather.
#![cfg(loom)]

mod loom_support;

use std::future::poll_fn;
use std::sync::Arc;

use loom::future::block_on;
use loom::thread;
use taskchain_core::{AsyncFuture, Error, TaskChain, TaskChainExt};

use loom_support::{frame_chain, model};

/// Two children set from two threads while the model thread cancels the
/// gather: the gather ends exactly one way, and no child is left pending.
#[test]
fn children_complete_vs_gather_cancel() {
    model(|| {
        let chain = frame_chain();
        let children = [chain.promise::<u32>(), chain.promise::<u32>()];
        let gathered = chain.gather(children.clone());
        let setters: Vec<_> = children
            .iter()
            .enumerate()
            .map(|(i, child)| {
                let child = child.clone();
                thread::spawn(move || child.set_result(i as u32).is_ok())
            })
            .collect();
        let cancelled = gathered.cancel();
        let set: Vec<bool> = setters.into_iter().map(|s| s.join().unwrap()).collect();

        assert!(gathered.is_done());
        if cancelled {
            assert!(gathered.is_cancelled());
            assert_eq!(gathered.try_take(), Some(Err(Error::Cancelled)));
            // Each child was either set before the cancel reached it, or
            // cancelled by it (and then refused its value).
            for (child, set) in children.iter().zip(set) {
                assert!(child.is_done());
                assert_eq!(child.is_cancelled(), !set);
            }
        } else {
            // Refused only because both children had completed it.
            assert_eq!(set, [true, true]);
            assert_eq!(gathered.try_take(), Some(Ok(vec![0, 1])));
        }
    });
}

/// An awaiter of the gather always finishes: with both values, or
/// cancelled, as the race went.
#[test]
fn gather_completion_vs_cancel_vs_await() {
    model(|| {
        let chain = frame_chain();
        let child = chain.promise::<u32>();
        let gathered = Arc::new(chain.gather([child.clone()]));
        let setter = thread::spawn(move || child.set_result(5).is_ok());
        let canceller = {
            let gathered = gathered.clone();
            thread::spawn(move || gathered.cancel())
        };
        // A gather is not `Clone`: await it through `poll_done`, as its
        // `Future` impl does, and read it once done.
        let awaited = block_on(poll_fn(|cx| {
            gathered
                .poll_done(cx)
                .map(|()| gathered.try_take().expect("done"))
        }));
        let set = setter.join().unwrap();
        let cancelled = canceller.join().unwrap();
        if cancelled {
            assert_eq!(awaited, Err(Error::Cancelled));
        } else {
            assert!(set);
            assert_eq!(awaited, Ok(vec![5]));
        }
    });
}

/// A coroutine task awaits a gather of one promise; the promise is set on
/// one thread while the task is cancelled on another and the model thread
/// polls: the cancel reaches the gather through the await (cancelling it
/// and its pending child), or comes too late; either way the task ends
/// once, consistently.
#[test]
fn child_completion_vs_cancel_of_a_task_awaiting_the_gather() {
    model(|| {
        let chain = frame_chain();
        let child = chain.promise::<u32>();
        let task = {
            let gathered = chain.gather([child.clone()]);
            let child = child.clone();
            // Cancellation propagates down: by the time a cancelled await
            // of the gather returns, its child is done too. Fallible: the
            // cancellation delivered at its await ends it.
            chain.spawn_fallible(async move {
                let awaited = gathered.await;
                assert!(
                    child.is_done(),
                    "the gather's await ended, its child pending"
                );
                awaited
            })
        };
        chain.poll().unwrap(); // the coroutine suspends on the gather
        let setter = {
            let child = child.clone();
            thread::spawn(move || child.set_result(4).is_ok())
        };
        let canceller = {
            let task = task.as_any();
            thread::spawn(move || task.cancel())
        };
        chain.poll().unwrap();
        let set = setter.join().unwrap();
        let cancelled = canceller.join().unwrap();
        for _ in 0..3 {
            if task.is_done() {
                break;
            }
            chain.poll().unwrap();
        }

        assert!(task.is_done(), "the task never ended");
        if cancelled {
            assert_eq!(task.try_take(), Some(Err(Error::Cancelled)));
        } else {
            assert!(set);
            assert_eq!(task.try_take(), Some(Ok(vec![4])));
        }
        // The child ends cancelled exactly when the cancel, delivered
        // through the gather, beat its value.
        assert!(child.is_done());
        assert_eq!(child.is_cancelled(), !set);
        assert!(set || cancelled);
    });
}
