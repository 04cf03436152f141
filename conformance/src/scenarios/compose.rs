//! Futures that compose, on every chain kind: a tuple gather over a task
//! and a promise set from another thread; `wait_for` timing out on the
//! chain's clock (and cancelling what it waited for), or yielding a value
//! that came in time.

use std::thread;
use std::time::Duration;

use taskchain_core::{gather_tuple, wait_for, AsyncFuture, Error, TaskChainExt};

use super::support::ms;
use crate::kit::log::{new_log, push, seen};
use crate::{settle, ChainFactory, Stepper};

/// A coroutine awaiting `gather_tuple((task, promise))` resumes with both
/// values, of different types, once another thread sets the promise.
pub(crate) fn tuple_gather_over_a_task_and_a_promise(f: &dyn ChainFactory) {
    let fx = f.build();
    let promise = fx.chain.promise::<&'static str>();
    let task = fx.chain.spawn(async { 6_u32 * 7 });
    let log = new_log();
    let both = {
        let (promise, log) = (promise.clone(), log.clone());
        fx.chain.spawn(async move {
            push(&log, "awaiting");
            gather_tuple((task, promise)).await
        })
    };
    settle(f, &fx, "the coroutine to reach its await", || {
        !seen(&log).is_empty()
    });
    let setter = thread::spawn(move || promise.set_result("answer"));
    assert_eq!(setter.join().expect("the setter does not panic"), Ok(()));
    settle(f, &fx, "the tuple gather's awaiter to finish", || {
        both.is_done()
    });
    assert_eq!(both.result(None), Ok(Ok((42, "answer"))));
}

/// `wait_for(future, 10 ms)` sleeps on the chain's clock: 9 ms are not
/// enough, at 10 ms it cancels the future and yields `Timeout`. A value
/// that comes in time is yielded.
pub(crate) fn wait_for_times_out_on_the_chain_clock(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let (slow, quick) = (fx.chain.promise::<u32>(), fx.chain.promise::<u32>());
    let timed_out = {
        let slow = slow.clone();
        fx.chain.spawn(async move { wait_for(slow, ms(10)).await })
    };
    let in_time = {
        let quick = quick.clone();
        fx.chain.spawn(async move { wait_for(quick, ms(10)).await })
    };
    stepper.step();
    assert!(
        timed_out.is_sleeping() && in_time.is_sleeping(),
        "both sleep until their deadline"
    );
    fx.clock.advance(ms(9));
    quick.set_result(3).expect("set_result");
    stepper.steps(2);
    assert_eq!(
        in_time.result(Some(Duration::ZERO)),
        Ok(Ok(3)),
        "the value came in time"
    );
    assert!(!timed_out.is_done(), "9 ms is not enough");
    assert!(!slow.is_done());
    fx.clock.advance(ms(1));
    stepper.step();
    assert_eq!(
        timed_out.result(Some(Duration::ZERO)),
        Ok(Err(Error::Timeout))
    );
    assert!(
        slow.is_cancelled(),
        "the future that took too long is cancelled"
    );
}
