//! What each `DoneStatus` asks of the chain: `Done` and `Exit` finish,
//! `Cont` runs next epoch, `Again` after the task's delay (restarting its
//! age), `Pickup` again this epoch while a frame budget lasts; coroutine
//! and recurring coroutine tasks.

use std::time::Duration;

use taskchain_core::{
    AsyncFuture, ChainSettings, DoneStatus, Error, TaskBuilder, TaskChainExt, TaskContext,
};

use super::support::ms;
use crate::kit::counters::{bump, counter, get, Deaths};
use crate::kit::log::{new_log, push, seen};
use crate::{settle, ChainFactory, Stepper};

/// `Done` and `Exit` (outside a sequence) end the task after one run,
/// cleanly; `Cont` runs once per epoch.
pub(crate) fn done_exit_cont(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let runs = [counter(), counter(), counter()];
    let deaths = [Deaths::new(), Deaths::new(), Deaths::new()];
    let statuses = [DoneStatus::Done, DoneStatus::Exit, DoneStatus::Cont];
    let handles: Vec<_> = statuses
        .iter()
        .zip(runs.iter().zip(&deaths))
        .map(|(&status, (runs, deaths))| {
            let runs = runs.clone();
            fx.chain
                .add_task(
                    TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                        bump(&runs);
                        status
                    })
                    .upon_death(deaths.hook()),
                )
                .expect("add_task")
        })
        .collect();
    stepper.steps(3);
    for (i, status) in statuses.iter().enumerate() {
        let (h, n, d) = (&handles[i], get(&runs[i]), deaths[i].get());
        if *status == DoneStatus::Cont {
            assert_eq!(n, 3, "Cont runs once per epoch");
            assert!(!h.is_done(), "Cont keeps the task alive");
            assert_eq!(d, (0, 0), "Cont: no upon_death yet");
        } else {
            assert_eq!(n, 1, "{status:?} runs once");
            assert!(h.is_done() && !h.is_cancelled(), "{status:?} finishes");
            assert_eq!(h.result(Some(Duration::ZERO)), Ok(()), "{status:?}");
            assert_eq!(d, (1, 0), "{status:?}: upon_death(clean_exit = true) once");
        }
    }
    handles[2].cancel();
    settle(f, &fx, "the Cont task to end", || handles[2].is_done());
    assert_eq!(deaths[2].get(), (0, 1), "a cancelled task dies unclean");
}

/// `Again` sleeps for the task's delay on the chain's clock (a first run
/// delayed too), and restarts the task's age.
pub(crate) fn again_with_delay(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let times = new_log();
    let deaths = Deaths::new();
    let handle = {
        let times = times.clone();
        let mut runs = 0;
        fx.chain
            .add_task(
                TaskBuilder::recurring(move |task: &TaskContext<'_>| {
                    runs += 1;
                    push(&times, format!("{:?}", task.time()));
                    if runs < 3 {
                        DoneStatus::Again
                    } else {
                        DoneStatus::Done
                    }
                })
                .delay(ms(10))
                .upon_death(deaths.hook()),
            )
            .expect("add_task")
    };
    assert_eq!(handle.delay(), Some(ms(10)));
    stepper.steps(2);
    assert!(seen(&times).is_empty(), "delayed: no run at 0 ms");
    assert!(handle.is_sleeping(), "a delayed task sleeps");
    fx.clock.advance(ms(10));
    stepper.step();
    assert_eq!(seen(&times).len(), 1, "runs once the clock reached 10 ms");
    assert!(handle.is_sleeping(), "Again puts it to sleep");
    assert_eq!(handle.elapsed(), Duration::ZERO, "Again restarts the age");
    fx.clock.advance(ms(9));
    stepper.steps(2);
    assert_eq!(seen(&times).len(), 1, "still asleep at 19 ms");
    fx.clock.advance(ms(1));
    stepper.step();
    fx.clock.advance(ms(10));
    stepper.step();
    assert_eq!(
        seen(&times)[1..],
        [format!("{:?}", ms(10)), format!("{:?}", ms(10))],
        "each run after Again sees the time since that Again"
    );
    assert!(handle.is_done() && !handle.is_cancelled());
    assert_eq!(deaths.get(), (1, 0));
}

/// `Pickup`: without a frame budget like `Cont`. With one (frame chains;
/// a threaded chain refuses a budget), the task runs again in the same
/// epoch after every other run; on a clock that does not move during the
/// poll it gets one extra round.
pub(crate) fn pickup(f: &dyn ChainFactory) {
    let fx = f.build();
    let log = new_log();
    let add = |name: &'static str, status: DoneStatus| {
        let log = log.clone();
        fx.chain
            .add_task(TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                push(&log, name);
                status
            }))
            .expect("add_task")
    };
    let stepper = Stepper::new(f, &fx);
    let p = add("P", DoneStatus::Pickup);
    let c = add("C", DoneStatus::Cont);
    stepper.steps(3);
    let runs = |name: &str| seen(&log).iter().filter(|n| *n == name).count();
    assert_eq!(
        (runs("P"), runs("C")),
        (3, 3),
        "without a frame budget Pickup runs once per epoch: {:?}",
        seen(&log)
    );
    stepper.release();
    let budget = fx
        .chain
        .settings()
        .frame_budget(Some(Duration::from_secs(1)));
    if f.threads() > 0 {
        assert!(
            matches!(fx.chain.configure(budget), Err(Error::InvalidSetting(_))),
            "a threaded chain refuses a frame budget"
        );
        return;
    }
    fx.chain
        .configure(budget)
        .expect("configure a frame budget");
    let _ = crate::kit::log::drain(&log);
    for _ in 0..2 {
        f.drive(&fx).expect("drive");
    }
    assert_eq!(
        seen(&log),
        ["P", "C", "P", "P", "C", "P"],
        "with a budget: one extra round after the epoch's other runs"
    );
    p.cancel();
    c.cancel();
}

/// A coroutine task's output is its result; a recurring coroutine is
/// invoked once per epoch, may suspend mid-invocation, and its status
/// applies when the invocation ends.
pub(crate) fn coroutines(f: &dyn ChainFactory) {
    let fx = f.build();
    let once = fx.chain.spawn(async { 6 * 7 });
    settle(f, &fx, "the coroutine to finish", || once.is_done());
    assert_eq!(once.result(Some(Duration::ZERO)), Ok(42));

    let gate = fx.chain.promise::<u32>();
    let invocations = counter();
    let log = new_log();
    let recurring = {
        let (gate, invocations, log) = (gate.clone(), invocations.clone(), log.clone());
        fx.chain
            .add_task(TaskBuilder::recurring_coroutine(move || {
                let (gate, invocations, log) = (gate.clone(), invocations.clone(), log.clone());
                async move {
                    let n = bump(&invocations);
                    if n == 2 {
                        let v = gate.await;
                        push(&log, format!("invocation 2 resumed with {v:?}"));
                    }
                    if n < 4 {
                        DoneStatus::Cont
                    } else {
                        DoneStatus::Done
                    }
                }
            }))
            .expect("add_task")
    };
    settle(f, &fx, "the second invocation to suspend", || {
        get(&invocations) == 2
    });
    for _ in 0..5 {
        f.drive(&fx).expect("drive");
    }
    assert_eq!(
        get(&invocations),
        2,
        "a suspended invocation is not invoked again"
    );
    assert!(!recurring.is_done());
    gate.set_result(5).expect("set_result");
    settle(f, &fx, "the recurring coroutine to finish", || {
        recurring.is_done()
    });
    assert_eq!(get(&invocations), 4);
    assert_eq!(seen(&log), ["invocation 2 resumed with Ok(5)"]);
    assert_eq!(recurring.result(Some(Duration::ZERO)), Ok(()));
}

/// `ChainSettings` round-trips through `configure` (keeping the workers).
pub(crate) fn configure_round_trip(f: &dyn ChainFactory) {
    let fx = f.build();
    let before = fx.chain.settings();
    assert_eq!(before.num_threads, f.threads(), "the chain runs as built");
    let changed = before.clone().timeslice_priority(true);
    fx.chain.configure(changed.clone()).expect("configure");
    assert_eq!(fx.chain.settings(), changed);
    let other_threads = ChainSettings::default().num_threads(f.threads() + 1);
    assert!(
        matches!(
            fx.chain.configure(other_threads),
            Err(Error::InvalidSetting(_))
        ),
        "the number of workers is fixed when the chain is made"
    );
    fx.chain.configure(before.clone()).expect("configure back");
    assert_eq!(fx.chain.settings(), before);
}
