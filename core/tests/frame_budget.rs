//! The frame budget: an epoch stops once the budget is spent and goes on at
//! the next poll; `Pickup` runs again while the budget lasts. Tasks move the
//! manual clock inside their runs to stand for the time they cost.

mod common;

use std::time::Duration;

use common::{ms, poll_and_drain, setup, setup_with};
use taskchain_conformance::kit::log::{drain, new_log, push, Log};
use taskchain_core::{
    ChainSettings, DoneStatus, Error, ManualClock, TaskBuilder, TaskChain, TaskContext, TaskManager,
};

fn setup_with_budget(budget: Duration) -> (ManualClock, TaskManager) {
    setup_with(
        ManualClock::new(),
        ChainSettings::default().frame_budget(Some(budget)),
    )
}

/// A task that costs `cost` of clock time per run and returns `status`.
fn costly(
    manager: &TaskManager,
    clock: &ManualClock,
    log: &Log,
    name: &str,
    cost: Duration,
    status: DoneStatus,
) {
    let (clock, log, name_owned) = (clock.clone(), log.clone(), name.to_owned());
    manager
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                push(&log, name_owned.clone());
                clock.advance(cost);
                status
            })
            .name(name),
        )
        .unwrap();
}

#[test]
fn budget_cuts_an_epoch_and_the_rest_runs_next_poll() {
    let (clock, manager) = setup_with_budget(ms(10));
    let log = new_log();
    for name in ["a", "b", "c", "d", "e"] {
        costly(&manager, &clock, &log, name, ms(4), DoneStatus::Cont);
    }
    let chain = manager.default_chain();
    manager.poll().unwrap();
    // 4, 8 (< 10: go on), 12 (spent): stop.
    assert_eq!(drain(&log), ["a", "b", "c"]);
    assert_eq!(chain.stats().epochs, 1);
    manager.poll().unwrap();
    // The same epoch goes on: nothing runs twice in it.
    assert_eq!(drain(&log), ["d", "e"]);
    assert_eq!(chain.stats().epochs, 1);
    assert_eq!(poll_and_drain(&manager, &log), ["a", "b", "c"]);
    assert_eq!(chain.stats().epochs, 2);
    assert_eq!(poll_and_drain(&manager, &log), ["d", "e"]);
}

#[test]
fn without_a_budget_the_whole_epoch_runs() {
    let (clock, manager) = setup();
    let log = new_log();
    for name in ["a", "b", "c", "d", "e"] {
        costly(&manager, &clock, &log, name, ms(4), DoneStatus::Cont);
    }
    assert_eq!(poll_and_drain(&manager, &log), ["a", "b", "c", "d", "e"]);
    // Setting a budget, then clearing it.
    manager
        .default_chain()
        .configure(ChainSettings::default().frame_budget(Some(ms(6))))
        .unwrap();
    assert_eq!(poll_and_drain(&manager, &log), ["a", "b"]);
    manager
        .default_chain()
        .configure(ChainSettings::default())
        .unwrap();
    assert_eq!(poll_and_drain(&manager, &log), ["c", "d", "e"]);
    assert_eq!(poll_and_drain(&manager, &log), ["a", "b", "c", "d", "e"]);
}

#[test]
fn pickup_runs_again_while_the_budget_lasts() {
    let (clock, manager) = setup_with_budget(ms(10));
    let log = new_log();
    costly(&manager, &clock, &log, "p", ms(3), DoneStatus::Pickup);
    manager.poll().unwrap();
    // 3, 6, 9 (< 10: again), 12: spent.
    assert_eq!(drain(&log), ["p", "p", "p", "p"]);
    assert_eq!(poll_and_drain(&manager, &log), ["p", "p", "p", "p"]);
    assert_eq!(manager.default_chain().stats().epochs, 2);
}

#[test]
fn pickup_with_a_budget_does_not_starve_a_later_poll() {
    let (clock, manager) = setup_with_budget(ms(10));
    let log = new_log();
    costly(&manager, &clock, &log, "p", ms(5), DoneStatus::Pickup);
    let mut runs = 0;
    {
        let log = log.clone();
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    runs += 1;
                    push(&log, "q");
                    if runs == 2 {
                        DoneStatus::Done
                    } else {
                        DoneStatus::Cont
                    }
                })
                .sort(1),
            )
            .unwrap();
    }
    let mut total_q = 0;
    for _ in 0..8 {
        manager.poll().unwrap();
        total_q += drain(&log).iter().filter(|n| *n == "q").count();
    }
    assert_eq!(total_q, 2, "the sort-1 task still gets its runs");
}

#[test]
fn budget_in_seconds_rejects_bad_values() {
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(
                ChainSettings::default().frame_budget_secs(bad),
                Err(Error::InvalidDuration(_))
            ),
            "frame_budget_secs({bad})"
        );
    }
    let ok = ChainSettings::default().frame_budget_secs(0.005).unwrap();
    assert_eq!(ok.frame_budget, Some(ms(5)));
}

#[test]
fn threads_on_a_frame_chain_are_an_invalid_setting() {
    let (_clock, manager) = setup();
    let chain = manager.default_chain();
    chain
        .configure(ChainSettings::default().frame_budget(Some(ms(3))))
        .unwrap();
    let err = chain
        .configure(ChainSettings::default().num_threads(2))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSetting(_)), "{err:?}");
    assert_eq!(
        chain.settings().frame_budget,
        Some(ms(3)),
        "a rejected configure leaves the settings as they were"
    );
    assert_eq!(chain.settings().num_threads, 0);
    let other = manager.make_task_chain("other").unwrap();
    assert!(matches!(
        other.configure(ChainSettings::default().num_threads(1)),
        Err(Error::InvalidSetting(_))
    ));
}
