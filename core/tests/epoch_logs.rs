//! Run-order logs of frame budgets with pickups, cut-short epochs with
//! spawns and wakes mid-epoch, sort changes and local tasks, compared with
//! recorded logs (`tests/expected_logs/`; `TASKCHAIN_RECORD_LOGS=1`
//! rewrites them).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{ms, setup_with};
use taskchain_conformance::kit::log::{drain, new_log, push, Log};
use taskchain_core::{
    next_frame, AsyncFuture, ChainSettings, DoneStatus, ManualClock, TaskBuilder, TaskContext,
    TaskManager,
};

fn costly(
    manager: &TaskManager,
    clock: &ManualClock,
    log: &Log,
    name: &str,
    sort: i32,
    cost: Duration,
    statuses: Vec<DoneStatus>,
) {
    let (clock, log, name_owned) = (clock.clone(), log.clone(), name.to_owned());
    let mut i = 0;
    manager
        .add_task(
            TaskBuilder::recurring(move |t: &TaskContext<'_>| {
                push(&log, format!("{}@{}", name_owned, t.frame()));
                clock.advance(cost);
                let s = statuses[i.min(statuses.len() - 1)];
                i += 1;
                s
            })
            .name(name)
            .sort(sort),
        )
        .unwrap();
}

fn polls(manager: &TaskManager, log: &Log, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        manager.poll().unwrap();
        out.push(format!("poll{i}: {}", drain(log).join(" ")));
    }
    out
}

#[test]
fn budget_pickups_and_standing_clock() {
    let clock = ManualClock::new();
    let (clock, manager) = setup_with(clock, ChainSettings::default().frame_budget(Some(ms(10))));
    let log = new_log();
    use DoneStatus::*;
    costly(&manager, &clock, &log, "p", 0, ms(1), vec![Pickup]);
    costly(
        &manager,
        &clock,
        &log,
        "q",
        0,
        ms(0),
        vec![Pickup, Pickup, Cont],
    );
    costly(&manager, &clock, &log, "c", 1, ms(3), vec![Cont]);
    costly(&manager, &clock, &log, "z", 2, ms(0), vec![Pickup]);
    let out = polls(&manager, &log, 6);
    check_log(&out, "budget_pickups_and_standing_clock");
}

#[test]
fn cut_short_with_spawn_and_wake_mid_epoch() {
    let clock = ManualClock::new();
    let (clock, manager) = setup_with(clock, ChainSettings::default().frame_budget(Some(ms(5))));
    let log = new_log();
    use DoneStatus::*;
    costly(&manager, &clock, &log, "a", 0, ms(3), vec![Cont]);
    costly(&manager, &clock, &log, "b", 1, ms(3), vec![Pickup]);
    costly(&manager, &clock, &log, "c", 2, ms(3), vec![Cont]);
    // A coroutine yielding each frame, spawning a sort -1 and a sort 5 task
    // on its second run.
    let (l, m) = (log.clone(), manager.default_chain().clone());
    let _h = manager
        .add_task(
            TaskBuilder::coroutine(async move {
                for i in 0..4 {
                    push(&l, format!("co{i}"));
                    if i == 1 {
                        use taskchain_core::TaskChainExt;
                        let l2 = l.clone();
                        let l3 = l.clone();
                        let _ = m.add_task(
                            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                                push(&l2, "neg");
                                DoneStatus::Done
                            })
                            .sort(-1),
                        );
                        let _ = m.add_task(
                            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                                push(&l3, "five");
                                DoneStatus::Done
                            })
                            .sort(5),
                        );
                    }
                    next_frame().await;
                }
            })
            .sort(1),
        )
        .unwrap();
    let out = polls(&manager, &log, 8);
    check_log(&out, "cut_short_with_spawn_and_wake_mid_epoch");
}

#[test]
fn local_tasks_and_resorts_under_budget() {
    let clock = ManualClock::new();
    let (clock, manager) = setup_with(clock, ChainSettings::default().frame_budget(Some(ms(4))));
    let log = new_log();
    let spawner = manager.local_spawner().unwrap();
    for (name, sort) in [("l1", 0), ("l2", 2)] {
        let rc = std::rc::Rc::new(name.to_string());
        let (l, c) = (log.clone(), clock.clone());
        let _ = spawner.add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                push(&l, (*rc).clone());
                c.advance(ms(2));
                DoneStatus::Cont
            })
            .sort(sort)
            .name(name),
        );
    }
    costly(
        &manager,
        &clock,
        &log,
        "s",
        1,
        ms(1),
        vec![DoneStatus::Pickup],
    );
    let mut out = polls(&manager, &log, 3);
    let t = manager.find_task("s").unwrap();
    t.set_sort(3);
    out.extend(polls(&manager, &log, 3));
    check_log(&out, "local_tasks_and_resorts_under_budget");
}

/// Compares with the recorded log (`TASKCHAIN_RECORD_LOGS=1` records it).
fn check_log(out: &[String], name: &str) {
    let path = format!(
        "{}/tests/expected_logs/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = out.join("\n");
    if std::env::var("TASKCHAIN_RECORD_LOGS").is_ok() {
        std::fs::create_dir_all(std::path::Path::new(&path).parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    } else {
        let want = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, want);
    }
}
#[allow(unused)]
fn _unused(_: Arc<()>) {}

/// Shutdown of the frame chain from inside a task, with pickups pending and
/// the epoch about to be cut short; then more polls and a spawn.
#[test]
fn frame_shutdown_from_inside_with_pickups() {
    use taskchain_conformance::kit::counters::Deaths;
    use taskchain_core::TaskChain;
    let clock = ManualClock::new();
    let (clock, manager) = setup_with(clock, ChainSettings::default().frame_budget(Some(ms(10))));
    let log = new_log();
    let deaths = Deaths::new();
    use DoneStatus::*;
    costly(&manager, &clock, &log, "p", 0, ms(1), vec![Pickup]);
    let (l, chain, c) = (log.clone(), manager.default_chain().clone(), clock.clone());
    let _ = manager.add_task(
        TaskBuilder::recurring(move |t: &TaskContext<'_>| {
            push(&l, format!("killer@{}", t.frame()));
            c.advance(ms(2));
            if t.frame() == 1 {
                chain.shutdown();
                push(&l, "shut");
            }
            Pickup
        })
        .sort(1)
        .upon_death(deaths.hook()),
    );
    costly(&manager, &clock, &log, "late", 2, ms(1), vec![Cont]);
    let mut out = Vec::new();
    for i in 0..4 {
        let r = manager.poll();
        out.push(format!("poll{i} {r:?}: {}", drain(&log).join(" ")));
    }
    let h = manager.spawn(async { 1 });
    out.push(format!("after: {:?} {:?}", manager.poll(), h.try_take()));
    out.push(format!("deaths {:?}", deaths.get()));
    check_log(&out, "frame_shutdown_from_inside_with_pickups");
}
