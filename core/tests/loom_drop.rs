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

/// A suspended task's waker is woken on another thread (the promise it
/// awaits is set there) while this thread drops the task's last handle and
/// polls the chain: the waker's reference to the task, the queue's and the
/// handle's are released in any order, and the task's work and output are
/// each dropped exactly once.
#[test]
fn wake_on_another_thread_vs_last_handle_drop() {
    model(|| {
        let tally = Tally::default();
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let handle = {
            let (promise, tally) = (promise.clone(), tally.clone());
            let held = Counted::new(1, &tally);
            chain.spawn(async move {
                let _held = held;
                let _ = promise.await;
                Counted::new(2, &tally)
            })
        };
        // The task suspends: the promise holds its waker.
        chain.poll().unwrap();
        let setter = loom_support::spawn_set_result(&promise, 7);
        drop(promise);
        drop(handle);
        chain.poll().unwrap();
        setter.join().unwrap().unwrap();
        // A wake that came after the poll above runs the task now.
        chain.poll().unwrap();
        assert_eq!(tally.made(), 2, "the task did not run to its end");
        assert_eq!(
            tally.dropped(),
            2,
            "the work or the output was not dropped exactly once"
        );
    });
}
