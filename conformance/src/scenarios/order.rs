//! Order of runs within an epoch: sort ascending, priority descending,
//! start time, insertion; re-ordering queued tasks; tasks added or woken
//! during an epoch; the sort barrier across worker threads.
//!
//! Each scenario steps the chain one epoch at a time ([`Stepper`]) and
//! reads what the tasks logged in that epoch. With at most one worker the
//! whole order must hold; with more, runs of equal sort overlap, so only
//! what the sort barrier guarantees is checked.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use taskchain_core::{DoneStatus, Promise, TaskBuilder, TaskChainExt, TaskContext};

use super::support::add_recorder;
use crate::kit::log::{drain, new_log, push};
use crate::{ChainFactory, Stepper};

/// Whether the full run order is observable: one run at a time.
fn full_order(f: &dyn ChainFactory) -> bool {
    f.threads() <= 1
}

/// Checks one epoch's log of recorders against `expected` (name, sort):
/// the exact order with at most one worker, else each task once and sorts
/// never going down (a higher sort starts only after every lower one
/// finished, so its log line comes after theirs).
fn check_epoch(f: &dyn ChainFactory, got: &[String], expected: &[(&str, i32)], what: &str) {
    if full_order(f) {
        let want: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
        assert_eq!(got, want.as_slice(), "{what}: run order");
        return;
    }
    let mut names: Vec<&str> = got.iter().map(String::as_str).collect();
    let mut want: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    let sort_of = |n: &str| {
        expected
            .iter()
            .find(|(e, _)| *e == n)
            .map(|(_, s)| *s)
            .unwrap_or_else(|| panic!("{what}: unexpected run {n:?} in {got:?}"))
    };
    let sorts: Vec<i32> = names.iter().map(|n| sort_of(n)).collect();
    assert!(
        sorts.windows(2).all(|w| w[0] <= w[1]),
        "{what}: a higher sort ran before a lower one: {got:?}"
    );
    names.sort_unstable();
    want.sort_unstable();
    assert_eq!(names, want, "{what}: each task runs once per epoch");
}

/// Sort ascending, then priority descending, then insertion order, every
/// epoch.
pub(crate) fn sort_priority_insertion(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let log = new_log();
    // (name, sort, priority), inserted in this order.
    let specs = [
        ("s1p0", 1, 0),
        ("s0p0a", 0, 0),
        ("s0p5a", 0, 5),
        ("s-1", -1, 0),
        ("s0p0b", 0, 0),
        ("s1p9", 1, 9),
        ("s0p-3", 0, -3),
        ("s0p5b", 0, 5),
    ];
    for (name, sort, priority) in specs {
        add_recorder(&fx.chain, &log, name, sort, priority);
    }
    let expected = [
        ("s-1", -1),
        ("s0p5a", 0),
        ("s0p5b", 0),
        ("s0p0a", 0),
        ("s0p0b", 0),
        ("s0p-3", 0),
        ("s1p9", 1),
        ("s1p0", 1),
    ];
    for epoch in 1..=3 {
        stepper.step();
        check_epoch(f, &drain(&log), &expected, &format!("epoch {epoch}"));
    }
}

/// Equal sort and priority: a task whose start time is later runs after
/// one inserted later but started earlier (`Again` restarts the start
/// time). Only observable one run at a time.
pub(crate) fn start_time_before_insertion(f: &dyn ChainFactory) {
    if !full_order(f) {
        return;
    }
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let log = new_log();
    {
        // Inserted first; its first run moves the clock on and returns
        // Again (no delay: next epoch), which restarts its start time
        // after the others'.
        let (log, clock) = (log.clone(), fx.clock.clone());
        let mut runs = 0;
        fx.chain.add(move |_: &TaskContext<'_>| {
            push(&log, "a");
            runs += 1;
            if runs == 1 {
                clock.advance(Duration::from_secs(2));
                DoneStatus::Again
            } else {
                DoneStatus::Cont
            }
        });
    }
    fx.clock.advance(Duration::from_secs(1));
    add_recorder(&fx.chain, &log, "b", 0, 0);
    add_recorder(&fx.chain, &log, "c", 0, 0);
    stepper.step();
    assert_eq!(drain(&log), ["a", "b", "c"], "first epoch: insertion order");
    stepper.step();
    assert_eq!(
        drain(&log),
        ["b", "c", "a"],
        "after Again, \"a\" started last and runs last"
    );
}

/// Changing the sort or priority of a queued task re-orders it.
pub(crate) fn resort_queued_task(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let log = new_log();
    let a = add_recorder(&fx.chain, &log, "a", 0, 0);
    let b = add_recorder(&fx.chain, &log, "b", 0, 0);
    let c = add_recorder(&fx.chain, &log, "c", 0, 0);
    stepper.step();
    check_epoch(f, &drain(&log), &[("a", 0), ("b", 0), ("c", 0)], "before");
    // Queued for the next epoch: re-ordered at once.
    c.set_sort(-1);
    b.set_priority(3);
    assert_eq!((c.sort(), b.priority()), (-1, 3));
    stepper.step();
    check_epoch(f, &drain(&log), &[("c", -1), ("b", 0), ("a", 0)], "after");
    a.set_sort(2);
    stepper.step();
    check_epoch(f, &drain(&log), &[("c", -1), ("b", 0), ("a", 2)], "later");
}

/// A task added during an epoch runs in it if its sort is not below the
/// one running, else next epoch.
pub(crate) fn added_during_epoch(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let log = new_log();
    {
        let (log, chain) = (log.clone(), fx.chain.clone());
        let mut first = true;
        fx.chain
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    push(&log, "spawner");
                    if std::mem::take(&mut first) {
                        add_recorder(&chain, &log, "higher", 1, 0);
                        add_recorder(&chain, &log, "lower", -1, 0);
                    }
                    DoneStatus::Cont
                })
                .sort(0),
            )
            .expect("add_task");
    }
    // Distinct sorts: the order is the same with any number of workers.
    stepper.step();
    assert_eq!(
        drain(&log),
        ["spawner", "higher"],
        "sort 1 added by a sort-0 run runs this epoch, sort -1 waits"
    );
    stepper.step();
    assert_eq!(drain(&log), ["lower", "spawner", "higher"]);
}

/// A coroutine woken during an epoch runs in it if its sort allows (and it
/// has not run in it yet), else next epoch.
pub(crate) fn woken_during_epoch(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let log = new_log();
    let waiter = |name: &'static str, gate: &Promise<u32>, sort: i32| {
        let (log, gate) = (log.clone(), gate.clone());
        fx.chain
            .add_task(
                TaskBuilder::coroutine(async move {
                    push(&log, format!("{name}:start"));
                    let v = gate.await;
                    push(&log, format!("{name}:resumed {v:?}"));
                })
                .sort(sort),
            )
            .expect("add_task")
    };
    let (high_gate, low_gate) = (fx.chain.promise::<u32>(), fx.chain.promise::<u32>());
    let high = waiter("high", &high_gate, 1);
    let low = waiter("low", &low_gate, -1);
    {
        let log = log.clone();
        let gates = (high_gate.clone(), low_gate.clone());
        let mut runs = 0;
        fx.chain
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    runs += 1;
                    push(&log, "opener");
                    if runs == 2 {
                        let _ = gates.0.set_result(1);
                        let _ = gates.1.set_result(2);
                    }
                    DoneStatus::Cont
                })
                .sort(0),
            )
            .expect("add_task");
    }
    stepper.step();
    assert_eq!(drain(&log), ["low:start", "opener", "high:start"]);
    stepper.step();
    assert_eq!(
        drain(&log),
        ["opener", "high:resumed Ok(1)"],
        "woken by a sort-0 run: sort 1 resumes this epoch, sort -1 next"
    );
    stepper.step();
    assert_eq!(drain(&log), ["low:resumed Ok(2)", "opener"]);
    assert!(high.is_done() && low.is_done());
}

/// One run's start or end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    Start,
    End,
}

type EdgeLog = Arc<Mutex<Vec<(Edge, &'static str, i32)>>>;

/// Every run of a lower sort finishes before any run of a higher sort
/// starts, across all workers; each task runs once per epoch; with one
/// worker, runs never overlap and keep the full order.
pub(crate) fn sort_barrier(f: &dyn ChainFactory) {
    let fx = f.build();
    let stepper = Stepper::new(f, &fx);
    let edges: EdgeLog = Arc::default();
    let tasks: [(&'static str, i32); 7] = [
        ("a0", 0),
        ("b0", 0),
        ("c0", 0),
        ("a1", 1),
        ("b1", 1),
        ("c1", 1),
        ("a2", 2),
    ];
    for (name, sort) in tasks {
        let edges = edges.clone();
        fx.chain
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    edges.lock().unwrap().push((Edge::Start, name, sort));
                    // Gives runs of equal sort a chance to overlap, and a
                    // barrier that lets a higher sort in early a chance to
                    // show; nothing here depends on how long it takes.
                    std::thread::sleep(Duration::from_micros(300));
                    edges.lock().unwrap().push((Edge::End, name, sort));
                    DoneStatus::Cont
                })
                .name(name)
                .sort(sort),
            )
            .expect("add_task");
    }
    for epoch in 1..=4 {
        stepper.step();
        let got = std::mem::take(&mut *edges.lock().unwrap());
        for (name, _) in tasks {
            let starts = got
                .iter()
                .filter(|(e, n, _)| *e == Edge::Start && *n == name)
                .count();
            let ends = got
                .iter()
                .filter(|(e, n, _)| *e == Edge::End && *n == name)
                .count();
            assert_eq!(
                (starts, ends),
                (1, 1),
                "epoch {epoch}: {name} must run exactly once: {got:?}"
            );
        }
        for (i, (edge, name, sort)) in got.iter().enumerate() {
            if *edge != Edge::Start {
                continue;
            }
            let late = got[i..]
                .iter()
                .find(|(e, _, s)| *e == Edge::End && s < sort);
            assert!(
                late.is_none(),
                "epoch {epoch}: {name} (sort {sort}) started before {late:?} of a lower sort \
                 ended: {got:?}"
            );
        }
        if full_order(f) {
            let want: Vec<(Edge, &str, i32)> = tasks
                .iter()
                .flat_map(|&(n, s)| [(Edge::Start, n, s), (Edge::End, n, s)])
                .collect();
            assert_eq!(got, want, "epoch {epoch}: one run at a time, in order");
        }
    }
}

/// With `timeslice_priority`, priority sets how often a task runs: within
/// a sort, priority `p` runs `p` times every `P` epochs (`P` the highest
/// priority there).
pub(crate) fn timeslice_priority(f: &dyn ChainFactory) {
    let fx = f.build();
    let settings = fx.chain.settings().timeslice_priority(true);
    fx.chain
        .configure(settings)
        .expect("configure timeslice_priority");
    let stepper = Stepper::new(f, &fx);
    let log = new_log();
    for (name, priority) in [("p1", 1), ("p2", 2), ("p3", 3)] {
        add_recorder(&fx.chain, &log, name, 0, priority);
    }
    for block in 1..=3 {
        stepper.steps(3);
        let got = crate::kit::log::seen(&log);
        let count = |n: &str| got.iter().filter(|g| *g == n).count();
        assert_eq!(
            (count("p1"), count("p2"), count("p3")),
            (block, 2 * block, 3 * block),
            "after {} epochs",
            3 * block
        );
    }
}
