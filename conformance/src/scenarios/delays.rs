//! Time on the chain's clock: a delayed task runs only once the clock has
//! passed its delay, at an epoch boundary; `pause` suspends a coroutine
//! until the clock passes its deadline; `next_frame` until the next epoch;
//! a task's age and frame count.

use std::time::Duration;

use taskchain_core::{next_frame, pause, AsyncFuture, DoneStatus, TaskBuilder, TaskChainExt};

use super::support::{add_recorder, ms};
use crate::kit::log::{drain, new_log, push, seen};
use crate::{ChainFactory, Stepper};

/// A task spawned with a delay sleeps (listed as sleeping, counted in
/// `stats().sleeping`) and runs at the first epoch boundary at or after
/// its wake time, never before.
pub(crate) fn delayed_spawn(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let log = new_log();
    let sleeper = fx
        .chain
        .add_task(
            TaskBuilder::recurring(crate::kit::log::recorder(&log, "late", DoneStatus::Cont))
                .name("late")
                .delay(ms(10)),
        )
        .expect("add_task");
    add_recorder(&fx.chain, &log, "now", 0, 0);
    assert!(sleeper.is_sleeping());
    assert_eq!(fx.chain.stats().sleeping, 1);
    let sleeping: Vec<u64> = fx.chain.sleeping_tasks().iter().map(|t| t.id()).collect();
    assert_eq!(sleeping, [sleeper.id()], "sleeping_tasks lists it");
    assert!(
        !fx.chain
            .active_tasks()
            .iter()
            .any(|t| t.id() == sleeper.id()),
        "active_tasks leaves it out"
    );
    stepper.steps(2);
    assert_eq!(drain(&log), ["now", "now"], "not due at 0 ms");
    fx.clock.advance(ms(5));
    stepper.step();
    assert_eq!(drain(&log), ["now"], "not due at 5 ms");
    fx.clock.advance(ms(5));
    stepper.step();
    let got = drain(&log);
    assert!(
        got.iter().filter(|n| *n == "late").count() == 1,
        "due at 10 ms: runs in the next epoch: {got:?}"
    );
    assert!(!sleeper.is_sleeping());
    assert_eq!(fx.chain.stats().sleeping, 0);
}

/// `pause(d)` suspends a coroutine until the chain's clock passes `d` from
/// the await, resuming at an epoch boundary.
pub(crate) fn pause_resumes_after_its_time(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let log = new_log();
    let handle = {
        let log = log.clone();
        fx.chain.spawn(async move {
            push(&log, "before");
            let r = pause(ms(10)).await;
            push(&log, format!("after {r:?}"));
            7
        })
    };
    stepper.step();
    assert_eq!(seen(&log), ["before"]);
    assert!(handle.is_sleeping(), "a paused coroutine sleeps");
    fx.clock.advance(ms(9));
    stepper.steps(2);
    assert_eq!(seen(&log), ["before"], "9 ms is not enough");
    fx.clock.advance(ms(1));
    stepper.step();
    assert_eq!(seen(&log), ["before", "after Ok(())"]);
    assert_eq!(handle.result(Some(Duration::ZERO)), Ok(7));
}

/// `next_frame()` resumes the coroutine in the next epoch; the task's
/// frame count and age follow the chain's epochs and clock.
pub(crate) fn next_frame_and_age(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let log = new_log();
    let handle = {
        let log = log.clone();
        fx.chain.spawn(async move {
            for i in 0..3 {
                push(&log, format!("step {i}"));
                next_frame().await;
            }
        })
    };
    assert_eq!(handle.frame_count(), 0, "no frame before its first run");
    assert_eq!(
        handle.elapsed(),
        Duration::ZERO,
        "no age before its first run"
    );
    let mut frames = Vec::new();
    for i in 0..3 {
        stepper.step();
        assert_eq!(drain(&log), [format!("step {i}")], "one step per epoch");
        frames.push(handle.frame_count());
        fx.clock.advance(ms(100));
    }
    assert_eq!(frames, [0, 1, 2], "frame count: epochs since the first run");
    assert_eq!(handle.elapsed(), ms(300), "age on the chain's clock");
    stepper.step();
    assert!(handle.is_done());
}
