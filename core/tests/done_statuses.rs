//! What each `DoneStatus` does, for recurring tasks and recurring coroutine
//! tasks, and what a coroutine task's output becomes.

mod common;

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{counting, poll_n, setup};
use taskchain_conformance::kit::counters::{bump, counter, get, Deaths};
use taskchain_conformance::kit::log::{new_log, push, seen};
use taskchain_core::{
    next_frame, pause, AsyncFuture, DoneStatus, Error, TaskBuilder, TaskChain, TaskChainExt,
    TaskContext, TaskHandle, TaskManager,
};

/// A recurring task returning `statuses[i]` on run `i` (then `Done`),
/// counting runs.
fn scripted(
    manager: &TaskManager,
    statuses: Vec<DoneStatus>,
    deaths: &Arc<Deaths>,
) -> (Arc<AtomicUsize>, TaskHandle<()>) {
    let runs = counter();
    let r = runs.clone();
    let handle = manager
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                let run = bump(&r);
                statuses.get(run - 1).copied().unwrap_or(DoneStatus::Done)
            })
            .upon_death(deaths.hook()),
        )
        .unwrap();
    (runs, handle)
}

#[test]
fn done_runs_once_and_finishes_cleanly() {
    let (_clock, manager) = setup();
    let deaths = Deaths::new();
    let (runs, handle) = scripted(&manager, vec![DoneStatus::Done], &deaths);
    assert!(!handle.is_done());
    manager.poll().unwrap();
    assert!(handle.is_done());
    assert!(!handle.is_cancelled());
    poll_n(&manager, 3);
    assert_eq!(get(&runs), 1);
    assert_eq!(deaths.get(), (1, 0));
    assert_eq!(handle.result(None), Ok(()));
    assert!(manager.tasks().is_empty());
}

#[test]
fn cont_runs_once_per_epoch() {
    let (_clock, manager) = setup();
    let deaths = Deaths::new();
    let (runs, handle) = scripted(&manager, vec![DoneStatus::Cont; 4], &deaths);
    for k in 1..=4 {
        manager.poll().unwrap();
        assert_eq!(get(&runs), k);
        assert!(!handle.is_done());
    }
    manager.poll().unwrap();
    assert_eq!(get(&runs), 5);
    assert!(handle.is_done());
    manager.poll().unwrap();
    assert_eq!(get(&runs), 5);
    assert_eq!(deaths.get(), (1, 0));
}

#[test]
fn again_waits_its_delay_and_restarts_elapsed_time() {
    let (clock, manager) = setup();
    let times: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let handle = {
        let times = times.clone();
        let mut runs = 0;
        manager.add(move |task: &TaskContext<'_>| {
            runs += 1;
            times.lock().unwrap().push(task.time());
            match runs {
                1 => DoneStatus::Cont,
                2 => {
                    task.set_delay(Some(Duration::from_secs(1)));
                    DoneStatus::Again
                }
                _ => DoneStatus::Done,
            }
        })
    };
    manager.poll().unwrap(); // t = 0
    clock.advance(Duration::from_secs(3));
    manager.poll().unwrap(); // t = 3: Again, sleeps 1 s
    assert_eq!(handle.delay(), Some(Duration::from_secs(1)));
    assert!(handle.is_sleeping());
    assert_eq!(manager.sleeping_tasks().len(), 1);
    assert_eq!(handle.elapsed(), Duration::ZERO, "Again restarts the age");

    clock.advance(Duration::from_millis(999));
    manager.poll().unwrap();
    assert_eq!(times.lock().unwrap().len(), 2, "still sleeping at 3.999 s");
    clock.advance(Duration::from_millis(1));
    manager.poll().unwrap(); // t = 4
    assert_eq!(
        *times.lock().unwrap(),
        [
            Duration::ZERO,
            Duration::from_secs(3),
            Duration::from_secs(1)
        ]
    );
    assert!(handle.is_done());
}

#[test]
fn again_without_delay_runs_next_epoch_and_restarts_time() {
    let (clock, manager) = setup();
    let times: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let cont_times: Arc<Mutex<Vec<Duration>>> = Arc::default();
    {
        let times = times.clone();
        manager.add(move |task: &TaskContext<'_>| {
            times.lock().unwrap().push(task.time());
            DoneStatus::Again
        });
    }
    {
        let times = cont_times.clone();
        manager.add(move |task: &TaskContext<'_>| {
            times.lock().unwrap().push(task.time());
            DoneStatus::Cont
        });
    }
    for _ in 0..4 {
        manager.poll().unwrap();
        clock.advance(Duration::from_secs(1));
    }
    let s = Duration::from_secs;
    assert_eq!(*times.lock().unwrap(), [s(0), s(1), s(1), s(1)]);
    assert_eq!(*cont_times.lock().unwrap(), [s(0), s(1), s(2), s(3)]);
}

#[test]
fn pickup_without_a_budget_acts_like_cont() {
    let (_clock, manager) = setup();
    let deaths = Deaths::new();
    let (runs, handle) = scripted(&manager, vec![DoneStatus::Pickup; 3], &deaths);
    let other = counter();
    manager.add(counting(&other, DoneStatus::Cont));
    for k in 1..=3 {
        manager.poll().unwrap();
        assert_eq!(get(&runs), k);
        assert_eq!(get(&other), k);
    }
    manager.poll().unwrap();
    assert!(handle.is_done());
    assert_eq!(get(&runs), 4);
}

#[test]
fn exit_outside_a_sequence_acts_like_done() {
    let (_clock, manager) = setup();
    let deaths = Deaths::new();
    let (runs, handle) = scripted(&manager, vec![DoneStatus::Cont, DoneStatus::Exit], &deaths);
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert!(handle.is_done());
    assert!(!handle.is_cancelled());
    manager.poll().unwrap();
    assert_eq!(get(&runs), 2);
    assert_eq!(deaths.get(), (1, 0));
    assert_eq!(handle.result(None), Ok(()));
}

#[test]
fn recurring_coroutine_is_reinvoked_per_status() {
    let (_clock, manager) = setup();
    let calls = counter();
    let deaths = Deaths::new();
    let handle = {
        let calls = calls.clone();
        manager
            .add_task(
                TaskBuilder::recurring_coroutine(move || {
                    let calls = calls.clone();
                    async move {
                        let n = bump(&calls);
                        match n {
                            1 | 2 => DoneStatus::Cont,
                            3 => DoneStatus::Pickup,
                            _ => DoneStatus::Exit,
                        }
                    }
                })
                .upon_death(deaths.hook()),
            )
            .unwrap()
    };
    for k in 1..=3 {
        manager.poll().unwrap();
        assert_eq!(get(&calls), k);
        assert!(!handle.is_done());
    }
    manager.poll().unwrap();
    assert_eq!(get(&calls), 4);
    assert!(handle.is_done());
    assert_eq!(handle.result(None), Ok(()));
    assert_eq!(deaths.get(), (1, 0));
}

#[test]
fn recurring_coroutine_awaiting_a_pause_resumes_then_is_reinvoked() {
    let (clock, manager) = setup();
    let log = new_log();
    let poll_no = counter();
    let handle = {
        let log = log.clone();
        let poll_no = poll_no.clone();
        let mut k = 0;
        manager
            .add_task(TaskBuilder::recurring_coroutine(move || {
                k += 1;
                let (log, poll_no, k) = (log.clone(), poll_no.clone(), k);
                async move {
                    let p = get(&poll_no);
                    push(&log, format!("start{k}@{p}"));
                    pause(Duration::from_secs(1)).await.unwrap();
                    let p = get(&poll_no);
                    push(&log, format!("end{k}@{p}"));
                    if k < 2 {
                        DoneStatus::Cont
                    } else {
                        DoneStatus::Done
                    }
                }
            }))
            .unwrap()
    };
    let poll = |advance: u64| {
        bump(&poll_no);
        manager.poll().unwrap();
        clock.advance(Duration::from_secs(advance));
    };
    poll(1); // 1: start1 (t=0)
    poll(0); // 2: end1 (t=1), Cont
    poll(1); // 3: start2 (t=1)
    poll(0); // 4: end2 (t=2), Done
    assert_eq!(seen(&log), ["start1@1", "end1@2", "start2@3", "end2@4"]);
    assert!(handle.is_done());
}

#[test]
fn coroutine_output_is_the_task_result() {
    let (_clock, manager) = setup();
    let answer = manager.spawn(async { 6 * 7 });
    let text = manager
        .add_task(TaskBuilder::coroutine(async { String::from("forty-two") }).name("text"))
        .unwrap();
    let fallible = manager.spawn(async { Err::<u8, Error>(Error::Timeout) });
    manager.poll().unwrap();
    assert_eq!(answer.result(None), Ok(42));
    assert_eq!(text.result(None), Ok("forty-two".to_owned()));
    // The coroutine's own Err is its value, not the handle's error.
    assert_eq!(fallible.result(None), Ok(Err(Error::Timeout)));
}

#[test]
fn awaiting_something_already_done_does_not_suspend() {
    let (_clock, manager) = setup();
    let ready = manager.promise::<u32>();
    ready.set_result(5).unwrap();
    let first = manager.spawn(async { 10u32 });
    manager.poll().unwrap();
    assert!(first.is_done());
    let both = {
        let ready = ready.clone();
        manager.spawn(async move { ready.await.unwrap() + first.await.unwrap() })
    };
    manager.poll().unwrap();
    assert!(both.is_done(), "no await suspended: done in its first run");
    assert_eq!(both.result(None), Ok(15));
}

#[test]
fn recurring_coroutine_again_waits_its_delay() {
    let (clock, manager) = setup();
    let calls = counter();
    let handle = {
        let calls = calls.clone();
        manager
            .add_task(TaskBuilder::recurring_coroutine(move || {
                let calls = calls.clone();
                async move {
                    if bump(&calls) == 1 {
                        DoneStatus::Again
                    } else {
                        DoneStatus::Done
                    }
                }
            }))
            .unwrap()
    };
    handle.set_delay(Some(Duration::from_secs(1)));
    manager.poll().unwrap();
    assert_eq!(get(&calls), 1, "the first run is not delayed");
    assert!(handle.is_sleeping());
    clock.advance(Duration::from_millis(500));
    manager.poll().unwrap();
    assert_eq!(get(&calls), 1);
    clock.advance(Duration::from_millis(500));
    manager.poll().unwrap();
    assert_eq!(get(&calls), 2);
    assert!(handle.is_done());
}

#[test]
fn a_promise_awaited_by_several_coroutines_gives_each_the_value() {
    let (_clock, manager) = setup();
    let p = manager.promise::<String>();
    let waiters: Vec<_> = (0..3)
        .map(|i| {
            let p = p.clone();
            manager.spawn(async move { format!("{i}:{}", p.await.unwrap()) })
        })
        .collect();
    manager.poll().unwrap();
    p.set_result("go".to_owned()).unwrap();
    manager.poll().unwrap();
    let got: Vec<_> = waiters.iter().map(|w| w.result(None).unwrap()).collect();
    assert_eq!(got, ["0:go", "1:go", "2:go"]);
}

#[test]
fn awaiting_a_task_on_another_chain() {
    let (_clock, manager) = setup();
    let a = manager.make_task_chain("a").unwrap();
    let b = manager.make_task_chain("b").unwrap();
    let on_b = b.spawn(async {
        next_frame().await;
        next_frame().await;
        "from b"
    });
    let on_a = a.spawn(async move { on_b.await.map(|s| s.len()) });
    for _ in 0..2 {
        a.poll().unwrap();
        b.poll().unwrap();
    }
    assert!(!on_a.is_done());
    b.poll().unwrap();
    assert!(!on_a.is_done(), "resumes on its own chain's poll");
    a.poll().unwrap();
    assert_eq!(on_a.result(None), Ok(Ok(6)));
}
