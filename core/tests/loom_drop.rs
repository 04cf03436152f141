//! Loom models of values dropped racing completion: whoever drops the last
//! handle, and whether a value is stored or refused, every value is dropped
//! exactly once.
#![cfg(loom)]

mod loom_support;

use loom::thread;
use taskchain_core::{AsyncFuture, Error, TaskChain, TaskChainExt};

use loom_support::{frame_chain, model, Counted, Tally};

/// The last promise handle goes away on one thread while another sets the
/// result: the stored value is dropped once, with the last handle.
#[test]
fn last_promise_handle_dropped_vs_set_result() {
    model(|| {
        let tally = Tally::default();
        let chain = frame_chain();
        let promise = chain.promise::<Counted>();
        let setter = {
            let (promise, tally) = (promise.clone(), tally.clone());
            thread::spawn(move || {
                assert!(promise.set_result(Counted::new(1, &tally)).is_ok());
            })
        };
        // A loom step (the state's lock) before the drop, so the setter's
        // completion is explored on both sides of it: this thread or the
        // setter drops the last handle.
        assert!(!promise.is_cancelled());
        drop(promise);
        setter.join().unwrap();
        assert_eq!(tally.made(), 1);
        assert_eq!(tally.dropped(), 1, "the value was not dropped exactly once");
    });
}

/// `set_result` loses to `cancel`: its refused value is dropped once, by
/// the caller, and no value is left behind.
#[test]
fn refused_value_dropped_once() {
    model(|| {
        let tally = Tally::default();
        let chain = frame_chain();
        let promise = chain.promise::<Counted>();
        let setter = {
            let (promise, tally) = (promise.clone(), tally.clone());
            thread::spawn(move || promise.set_result(Counted::new(1, &tally)).err())
        };
        let cancelled = {
            let promise = promise.clone();
            thread::spawn(move || promise.cancel())
        };
        drop(promise);
        let refused = setter.join().unwrap();
        let cancelled = cancelled.join().unwrap();
        assert_eq!(refused.is_some(), cancelled);
        assert_eq!(refused.unwrap_or(Error::AlreadyDone), Error::AlreadyDone);
        assert_eq!(
            tally.dropped(),
            tally.made(),
            "a value was leaked or dropped twice"
        );
    });
}

/// A task's handle is dropped on one thread while the chain's thread runs
/// the task to completion: its output is dropped exactly once, as soon as
/// both happened (by the runner if the handle was gone, else by the
/// handle), even while an untyped view keeps the task's cell alive.
#[test]
fn task_handle_dropped_vs_completion() {
    model(|| {
        let tally = Tally::default();
        let chain = frame_chain();
        let handle = {
            let tally = tally.clone();
            chain.spawn(async move { Counted::new(1, &tally) })
        };
        let view = handle.as_any();
        let dropper = thread::spawn(move || drop(handle));
        chain.poll().unwrap();
        dropper.join().unwrap();
        assert!(view.is_done());
        assert_eq!(tally.made(), 1);
        assert_eq!(
            tally.dropped(),
            1,
            "the output was not dropped exactly once"
        );
    });
}
