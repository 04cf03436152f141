//! Order of runs within an epoch: sort ascending, then priority descending,
//! then start time, then insertion order; re-ordering of queued tasks; tasks
//! added during an epoch; chains polled in name order.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{add_recorder, poll_and_drain, setup};
use taskchain_conformance::kit::log::{drain, new_log, push, recorder, Log};
use taskchain_core::{
    AsyncFuture, DoneStatus, Promise, TaskBuilder, TaskChainExt, TaskContext, TaskHandle,
    TaskManager,
};

/// Adds a coroutine of sort `sort` that logs "w:start", waits for `gate`,
/// then logs "w:resumed" and the value.
fn add_waiter(manager: &TaskManager, log: &Log, gate: &Promise<u32>, sort: i32) -> TaskHandle<()> {
    let (log, gate) = (log.clone(), gate.clone());
    manager
        .add_task(
            TaskBuilder::coroutine(async move {
                push(&log, "w:start");
                let v = gate.await.unwrap();
                push(&log, format!("w:resumed {v}"));
            })
            .sort(sort),
        )
        .unwrap()
}

/// Adds a task of sort `sort` that logs `name` on every run and, during its
/// second run, calls `act` on what `target` holds by then.
fn add_acting_on_second_run<T: Send + 'static>(
    manager: &TaskManager,
    log: &Log,
    name: &str,
    sort: i32,
    target: &Arc<Mutex<Option<T>>>,
    act: impl Fn(&T) + Send + 'static,
) {
    let (log, name, target) = (log.clone(), name.to_owned(), target.clone());
    let mut runs = 0;
    manager
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                runs += 1;
                push(&log, name.clone());
                if runs == 2 {
                    act(target.lock().unwrap().as_ref().unwrap());
                }
                DoneStatus::Cont
            })
            .sort(sort),
        )
        .unwrap();
}

#[test]
fn sort_ascending_then_priority_descending_then_insertion() {
    let (_clock, manager) = setup();
    let log = new_log();
    add_recorder(&manager, &log, "s1p0", 1, 0);
    add_recorder(&manager, &log, "s0p0a", 0, 0);
    add_recorder(&manager, &log, "s0p5a", 0, 5);
    add_recorder(&manager, &log, "s-1", -1, 0);
    add_recorder(&manager, &log, "s0p0b", 0, 0);
    add_recorder(&manager, &log, "s1p9", 1, 9);
    add_recorder(&manager, &log, "s0p-3", 0, -3);
    add_recorder(&manager, &log, "s0p5b", 0, 5);
    let expected = vec![
        "s-1", "s0p5a", "s0p5b", "s0p0a", "s0p0b", "s0p-3", "s1p9", "s1p0",
    ];
    for _ in 0..3 {
        assert_eq!(poll_and_drain(&manager, &log), expected);
    }
}

#[test]
fn start_time_orders_before_insertion() {
    let (clock, manager) = setup();
    let log = new_log();
    // "a" is inserted first; on its first run it moves the clock on and
    // returns Again, which restarts its start time after "b" and "c".
    let a = {
        let log = log.clone();
        let clock = clock.clone();
        let mut runs = 0;
        manager.add(move |_: &TaskContext<'_>| {
            push(&log, "a");
            runs += 1;
            if runs == 1 {
                clock.advance(Duration::from_secs(2));
                DoneStatus::Again
            } else {
                DoneStatus::Cont
            }
        })
    };
    clock.advance(Duration::from_secs(1));
    add_recorder(&manager, &log, "b", 0, 0);
    add_recorder(&manager, &log, "c", 0, 0);
    assert_eq!(poll_and_drain(&manager, &log), ["a", "b", "c"]);
    assert_eq!(poll_and_drain(&manager, &log), ["b", "c", "a"]);
    assert!(a.id() < manager.find_task("b").unwrap().id());
}

#[test]
fn lower_sort_finishes_before_higher_sort_starts_woken_task_included() {
    let (_clock, manager) = setup();
    let log = new_log();
    let gate: Promise<u32> = manager.promise();

    // A coroutine of sort 1, inserted first, suspended on `gate`.
    let waiter = add_waiter(&manager, &log, &gate, 1);
    // Sort 0: opens the gate on its second run.
    {
        let log = log.clone();
        let gate = gate.clone();
        let mut runs = 0;
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    runs += 1;
                    push(&log, format!("a:start{runs}"));
                    if runs == 2 {
                        gate.set_result(7).unwrap();
                    }
                    push(&log, format!("a:end{runs}"));
                    DoneStatus::Cont
                })
                .sort(0),
            )
            .unwrap();
    }
    add_recorder(&manager, &log, "b", 1, 0);
    add_recorder(&manager, &log, "c", 2, 0);

    assert_eq!(
        poll_and_drain(&manager, &log),
        ["a:start1", "a:end1", "w:start", "b", "c"]
    );
    manager.poll().unwrap();
    // The woken sort-1 coroutine runs in this epoch, after every sort-0 run
    // ended, before the later-inserted sort-1 task and the sort-2 task.
    assert_eq!(drain(&log), ["a:start2", "a:end2", "w:resumed 7", "b", "c"]);
    assert!(waiter.is_done());
}

#[test]
fn task_woken_below_the_sort_being_run_waits_for_the_next_epoch() {
    let (_clock, manager) = setup();
    let log = new_log();
    let gate: Promise<u32> = manager.promise();
    add_waiter(&manager, &log, &gate, 0);
    add_recorder(&manager, &log, "first", 0, 0);
    {
        let log = log.clone();
        let mut runs = 0;
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    runs += 1;
                    push(&log, format!("opener{runs}"));
                    if runs == 2 {
                        gate.set_result(3).unwrap();
                    }
                    DoneStatus::Cont
                })
                .sort(5),
            )
            .unwrap();
    }
    add_recorder(&manager, &log, "last", 9, 0);
    assert_eq!(
        poll_and_drain(&manager, &log),
        ["w:start", "first", "opener1", "last"]
    );
    assert_eq!(poll_and_drain(&manager, &log), ["first", "opener2", "last"]);
    assert_eq!(
        poll_and_drain(&manager, &log),
        ["w:resumed 3", "first", "opener3", "last"]
    );
}

#[test]
fn set_sort_and_set_priority_reorder_queued_tasks() {
    let (_clock, manager) = setup();
    let log = new_log();
    let a = add_recorder(&manager, &log, "a", 0, 0);
    let b = add_recorder(&manager, &log, "b", 1, 0);
    let c = add_recorder(&manager, &log, "c", 2, 0);
    assert_eq!(poll_and_drain(&manager, &log), ["a", "b", "c"]);

    c.set_sort(-1);
    assert_eq!(c.sort(), -1);
    assert_eq!(poll_and_drain(&manager, &log), ["c", "a", "b"]);

    // Same sort: priority decides.
    a.set_sort(5);
    b.set_sort(5);
    c.set_sort(5);
    assert_eq!(poll_and_drain(&manager, &log), ["a", "b", "c"]);
    c.set_priority(10);
    assert_eq!(c.priority(), 10);
    assert_eq!(poll_and_drain(&manager, &log), ["c", "a", "b"]);
    a.set_priority(-1);
    assert_eq!(poll_and_drain(&manager, &log), ["c", "b", "a"]);
    // Each task still runs exactly once per epoch after re-sorting.
    assert_eq!(poll_and_drain(&manager, &log), ["c", "b", "a"]);
}

#[test]
fn priority_change_during_an_epoch_reorders_the_rest_of_the_epoch() {
    let (_clock, manager) = setup();
    let log = new_log();
    let target: Arc<Mutex<Option<TaskHandle<()>>>> = Arc::new(Mutex::new(None));
    add_acting_on_second_run(&manager, &log, "x", 0, &target, |z| z.set_priority(10));
    add_recorder(&manager, &log, "y", 1, 0);
    let z = add_recorder(&manager, &log, "z", 1, 0);
    *target.lock().unwrap() = Some(z);
    assert_eq!(poll_and_drain(&manager, &log), ["x", "y", "z"]);
    assert_eq!(poll_and_drain(&manager, &log), ["x", "z", "y"]);
    assert_eq!(poll_and_drain(&manager, &log), ["x", "z", "y"]);
}

#[test]
fn resorting_a_task_that_already_ran_this_epoch_does_not_run_it_twice() {
    let (_clock, manager) = setup();
    let log = new_log();
    let a = add_recorder(&manager, &log, "a", 0, 0);
    let b = add_recorder(&manager, &log, "b", 1, 0);
    type Pair = (TaskHandle<()>, TaskHandle<()>);
    let target: Arc<Mutex<Option<Pair>>> = Arc::default();
    add_acting_on_second_run(&manager, &log, "mover", 1, &target, |(a, b)| {
        // Both already ran in this epoch; "b" has the sort being run.
        a.set_sort(5);
        b.set_priority(9);
    });
    *target.lock().unwrap() = Some((a, b));
    assert_eq!(poll_and_drain(&manager, &log), ["a", "b", "mover"]);
    assert_eq!(
        poll_and_drain(&manager, &log),
        ["a", "b", "mover"],
        "a recurring task runs once per epoch, even if re-sorted after its run"
    );
    assert_eq!(poll_and_drain(&manager, &log), ["b", "mover", "a"]);
}

#[test]
fn task_added_mid_epoch_runs_now_if_sort_not_lower_else_next_epoch() {
    let (_clock, manager) = setup();
    let log = new_log();
    let chain = manager.default_chain().clone();
    add_recorder(&manager, &log, "t4", 4, 0);
    {
        let log = log.clone();
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    push(&log, "s");
                    for (name, sort, priority) in
                        [("n5", 5, 0), ("n7", 7, 0), ("n3", 3, 0), ("n5hp", 5, 9)]
                    {
                        chain
                            .add_task(
                                TaskBuilder::recurring(recorder(&log, name, DoneStatus::Done))
                                    .name(name)
                                    .sort(sort)
                                    .priority(priority),
                            )
                            .unwrap();
                    }
                    DoneStatus::Done
                })
                .sort(5),
            )
            .unwrap();
    }
    add_recorder(&manager, &log, "t5", 5, 0);
    add_recorder(&manager, &log, "t6", 6, 0);

    assert_eq!(
        poll_and_drain(&manager, &log),
        ["t4", "s", "n5hp", "t5", "n5", "t6", "n7"],
        "tasks added with sort >= 5 run in this epoch, in order"
    );
    assert_eq!(poll_and_drain(&manager, &log), ["n3", "t4", "t5", "t6"]);
    assert_eq!(poll_and_drain(&manager, &log), ["t4", "t5", "t6"]);
}

#[test]
fn coroutine_spawned_by_a_coroutine_mid_epoch() {
    let (_clock, manager) = setup();
    let log = new_log();
    let chain = manager.default_chain().clone();
    let outer = {
        let log = log.clone();
        manager.spawn(async move {
            push(&log, "outer");
            let inner_log = log.clone();
            let inner = chain.spawn(async move {
                push(&inner_log, "inner");
                3
            });
            inner.await.unwrap() * 2
        })
    };
    add_recorder(&manager, &log, "later", 0, 0);
    manager.poll().unwrap();
    // The inner coroutine (same sort, later insertion) runs this epoch after
    // the task inserted before it. The outer one already ran this epoch: a
    // task runs at most once per epoch, so it resumes in the next one.
    assert_eq!(drain(&log), ["outer", "later", "inner"]);
    assert!(!outer.is_done());
    manager.poll().unwrap();
    assert_eq!(drain(&log), ["later"]);
    assert_eq!(outer.try_take(), Some(Ok(6)));
}

#[test]
fn chains_are_polled_in_name_order() {
    let (_clock, manager) = setup();
    let log = new_log();
    for name in ["b", "zz", "a"] {
        let chain = manager.make_task_chain(name).unwrap();
        chain.add(recorder(&log, name, DoneStatus::Cont));
    }
    manager.add(recorder(&log, "default", DoneStatus::Cont));
    let names: Vec<String> = manager
        .chains()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    assert_eq!(names, ["a", "b", "default", "zz"]);
    assert_eq!(poll_and_drain(&manager, &log), ["a", "b", "default", "zz"]);
}

// regression: tasks waking each other ran every round trip inside one poll() (a livelock).
#[test]
fn ping_pong_advances_once_per_poll() {
    let (_clock, manager) = setup();
    const ROUNDS: usize = 10_000;
    let slots: Arc<Mutex<Vec<Promise<()>>>> = Arc::new(Mutex::new(
        (0..=2 * ROUNDS).map(|_| manager.promise()).collect(),
    ));
    let mk = |first: usize| {
        let slots = slots.clone();
        manager.spawn(async move {
            let mut i = first;
            while i < 2 * ROUNDS {
                let wait = slots.lock().unwrap()[i].clone();
                wait.await.unwrap();
                slots.lock().unwrap()[i + 1].set_result(()).unwrap();
                i += 2;
            }
        })
    };
    let (a, b) = (mk(0), mk(1));
    slots.lock().unwrap()[0].set_result(()).unwrap();
    manager.poll().unwrap();
    let done_in_one_poll = a.is_done() && b.is_done();
    assert!(
        !done_in_one_poll,
        "{ROUNDS} round trips ran inside a single poll(): each task ran {ROUNDS} times in one epoch"
    );
}

#[test]
fn every_epoch_runs_in_order_when_runs_reorder_themselves_and_each_other() {
    // Runs queued again in the order they ran start the next epoch as they
    // are; a run that changed its own order (or was re-sorted from outside)
    // must still take its place in that order.
    use taskchain_conformance::kit::rng::Rng;
    const TASKS: usize = 40;
    let (_clock, manager) = setup();
    let log = new_log();
    let handles: Arc<Mutex<Vec<TaskHandle<()>>>> = Arc::new(Mutex::new(Vec::new()));
    let keys: Arc<Mutex<Vec<(i32, i32)>>> = Arc::new(Mutex::new(vec![(0, 0); TASKS]));
    let rng = Arc::new(Mutex::new(Rng::new(13)));
    for i in 0..TASKS {
        let (log, all, keys, rng) = (log.clone(), handles.clone(), keys.clone(), rng.clone());
        let handle = manager.add(move |_: &TaskContext<'_>| {
            push(&log, i.to_string());
            let mut rng = rng.lock().unwrap();
            if rng.chance(30) {
                let key = (rng.below(5) as i32, rng.below(3) as i32);
                keys.lock().unwrap()[i] = key;
                let all = all.lock().unwrap();
                all[i].set_sort(key.0);
                all[i].set_priority(key.1);
            }
            DoneStatus::Cont
        });
        handles.lock().unwrap().push(handle);
    }
    let mut outside = Rng::new(7);
    for frame in 0..60 {
        // The order this epoch must follow: sort ascending, priority
        // descending, then insertion (every task started at once).
        let mut expected: Vec<usize> = (0..TASKS).collect();
        {
            let keys = keys.lock().unwrap();
            expected.sort_by_key(|&i| (keys[i].0, -keys[i].1, i));
        }
        let expected: Vec<String> = expected.iter().map(|i| i.to_string()).collect();
        assert_eq!(poll_and_drain(&manager, &log), expected, "frame {frame}");
        // Between frames, re-sort a few from outside too.
        for _ in 0..outside.below(4) {
            let i = outside.below(TASKS as u64) as usize;
            let key = (outside.below(5) as i32, outside.below(3) as i32);
            keys.lock().unwrap()[i] = key;
            let handles = handles.lock().unwrap();
            handles[i].set_sort(key.0);
            handles[i].set_priority(key.1);
        }
    }
}
