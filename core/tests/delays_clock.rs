//! Delays, pauses, `next_frame`, clock ticking, task ages and listing.

mod common;

use std::future::IntoFuture;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{counting, ms, poll_n, setup};
use futures_util::future::select;
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_core::{
    next_frame, pause, AsyncFuture, ChainSettings, Clock, DoneStatus, Error, ManualClock,
    TaskBuilder, TaskChain, TaskChainExt, TaskContext, TaskManager,
};

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn delayed_task_wakes_once_the_clock_passes_its_delay() {
    let (clock, manager) = setup();
    let runs = counter();
    let handle = manager
        .add_task(
            TaskBuilder::recurring(counting(&runs, DoneStatus::Done)).delay(Duration::from_secs(2)),
        )
        .unwrap();
    assert!(handle.is_sleeping());
    manager.poll().unwrap();
    assert_eq!(get(&runs), 0);
    assert_eq!(manager.default_chain().stats().sleeping, 1);
    assert_eq!(manager.default_chain().stats().active, 0);

    clock.advance(ms(1999));
    manager.poll().unwrap();
    assert_eq!(get(&runs), 0);
    assert!(handle.is_sleeping());

    clock.advance(ms(1));
    manager.poll().unwrap();
    assert_eq!(get(&runs), 1);
    assert!(handle.is_done());
    assert_eq!(manager.default_chain().stats().total(), 0);
}

#[test]
fn delayed_task_wakes_only_at_an_epoch_boundary() {
    let (clock, manager) = setup();
    let epoch_log: Arc<Mutex<Vec<u64>>> = Arc::default();
    // Sort 0: moves the clock 1 s on during each run.
    {
        let clock = clock.clone();
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    clock.advance(Duration::from_secs(1));
                    DoneStatus::Cont
                })
                .sort(0),
            )
            .unwrap();
    }
    let chain = manager.default_chain().clone();
    {
        let epoch_log = epoch_log.clone();
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    epoch_log.lock().unwrap().push(chain.stats().epochs);
                    DoneStatus::Done
                })
                .sort(10)
                .delay(Duration::from_secs(1)),
            )
            .unwrap();
    }
    manager.poll().unwrap();
    // The deadline passed during epoch 1, after it began: not run in it.
    assert!(epoch_log.lock().unwrap().is_empty());
    assert_eq!(clock.now(), Duration::from_secs(1));
    manager.poll().unwrap();
    assert_eq!(*epoch_log.lock().unwrap(), [2]);
}

#[test]
fn pause_suspends_a_coroutine_on_the_manual_clock() {
    let (clock, manager) = setup();
    let log: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let handle = {
        let log = log.clone();
        manager.spawn(async move {
            log.lock().unwrap().push("before");
            pause(ms(1500)).await.unwrap();
            log.lock().unwrap().push("after");
            "done"
        })
    };
    manager.poll().unwrap();
    assert_eq!(*log.lock().unwrap(), ["before"]);
    assert!(handle.is_sleeping());
    assert_eq!(manager.sleeping_tasks().len(), 1);
    clock.advance(ms(1000));
    manager.poll().unwrap();
    assert_eq!(*log.lock().unwrap(), ["before"]);
    clock.advance(ms(499));
    manager.poll().unwrap();
    assert!(!handle.is_done());
    clock.advance(ms(1));
    manager.poll().unwrap();
    assert_eq!(*log.lock().unwrap(), ["before", "after"]);
    assert_eq!(handle.result(None), Ok("done"));
    assert!(manager.sleeping_tasks().is_empty());
}

#[test]
fn pause_runs_on_the_awaiting_tasks_chain_not_the_default_one() {
    let (clock, manager) = setup();
    let anim = manager.make_task_chain("anim").unwrap();
    let handle = anim.spawn(async {
        pause(Duration::from_secs(1)).await.unwrap();
        "woke"
    });
    assert_eq!(handle.chain_name(), "anim");
    anim.poll().unwrap();
    assert!(handle.is_sleeping());
    assert_eq!(anim.stats().sleeping, 1);
    assert_eq!(anim.sleeping_tasks().len(), 1);
    assert_eq!(manager.default_chain().stats().sleeping, 0);
    assert!(manager.default_chain().tasks().is_empty());

    clock.advance(Duration::from_secs(1));
    // Polling only the default chain must not run (or wake) it.
    manager.default_chain().poll().unwrap();
    manager.default_chain().poll().unwrap();
    assert!(!handle.is_done());
    anim.poll().unwrap();
    assert_eq!(handle.result(None), Ok("woke"));
}

#[test]
fn awaited_task_builder_is_scheduled_on_the_awaiting_tasks_chain() {
    let (clock, manager) = setup();
    let anim = manager.make_task_chain("anim").unwrap();
    let inner_chain: Arc<Mutex<Option<String>>> = Arc::default();
    let outer = {
        let inner_chain = inner_chain.clone();
        anim.spawn(async move {
            let inner = TaskBuilder::coroutine(async {
                pause(Duration::from_secs(1)).await.unwrap();
                20
            })
            .name("inner")
            .into_future();
            *inner_chain.lock().unwrap() = inner.handle().map(|h| h.chain_name().to_owned());
            inner.await.unwrap() + 1
        })
    };
    anim.poll().unwrap();
    assert_eq!(inner_chain.lock().unwrap().as_deref(), Some("anim"));
    let inner = manager.find_task("inner").unwrap();
    assert_eq!(inner.chain_name(), "anim");
    assert!(inner.is_sleeping());
    assert_eq!(anim.stats().sleeping, 1);
    clock.advance(Duration::from_secs(1));
    anim.poll().unwrap();
    if !outer.is_done() {
        anim.poll().unwrap();
    }
    assert_eq!(outer.result(None), Ok(21));
}

#[test]
fn tick_clock_ticks_once_per_epoch_even_with_no_tasks() {
    let clock = ManualClock::with_tick_step(ms(10));
    let manager = TaskManager::with_clock(clock.clone());
    let quiet = manager.make_task_chain("quiet").unwrap();
    manager
        .default_chain()
        .configure(ChainSettings::default().tick_clock(true))
        .unwrap();
    assert!(manager.default_chain().settings().tick_clock);
    assert!(!quiet.settings().tick_clock);
    poll_n(&manager, 5);
    assert_eq!(clock.now(), ms(50));
    assert_eq!(clock.frame_count(), 5);
    assert_eq!(manager.default_chain().stats().epochs, 5);
}

#[test]
fn tick_clock_on_a_non_default_chain() {
    let clock = ManualClock::with_tick_step(ms(16));
    let manager = TaskManager::with_clock(clock.clone());
    let ticker = manager.make_task_chain("ticker").unwrap();
    ticker
        .configure(ChainSettings::default().tick_clock(true))
        .unwrap();
    poll_n(&manager, 3);
    assert_eq!(clock.now(), ms(48));
    assert_eq!(clock.frame_count(), 3);
    // Without tick_clock, nothing ticks.
    ticker.configure(ChainSettings::default()).unwrap();
    manager.poll().unwrap();
    assert_eq!(clock.now(), ms(48));
}

#[test]
fn next_frame_resumes_on_the_next_poll() {
    let (_clock, manager) = setup();
    let steps = counter();
    let handle = {
        let steps = steps.clone();
        manager.spawn(async move {
            bump(&steps);
            next_frame().await;
            bump(&steps);
            next_frame().await;
            bump(&steps);
            "end"
        })
    };
    for k in 1..=2 {
        manager.poll().unwrap();
        assert_eq!(get(&steps), k);
        assert!(!handle.is_done());
        assert!(!handle.is_sleeping());
        assert_eq!(manager.active_tasks().len(), 1);
    }
    manager.poll().unwrap();
    assert_eq!(get(&steps), 3);
    assert_eq!(handle.result(None), Ok("end"));
}

#[test]
fn task_context_frame_starts_at_zero_and_time_counts_from_start() {
    let (clock, manager) = setup();
    // Some epochs pass before the task is added.
    manager.poll().unwrap();
    manager.poll().unwrap();
    clock.advance(Duration::from_secs(2));

    let seen: Arc<Mutex<Vec<(u64, Duration)>>> = Arc::default();
    let handle = {
        let seen = seen.clone();
        manager.add(move |task: &TaskContext<'_>| {
            seen.lock().unwrap().push((task.frame(), task.time()));
            DoneStatus::Cont
        })
    };
    let mut counts = Vec::new();
    for _ in 0..3 {
        manager.poll().unwrap();
        counts.push(handle.frame_count());
        clock.advance(ms(500));
    }
    assert_eq!(
        *seen.lock().unwrap(),
        [(0, ms(0)), (1, ms(500)), (2, ms(1000))],
        "TaskContext::frame() is 0 on the first run"
    );
    // The handle's frame count agrees with what the task saw in that epoch.
    assert_eq!(counts, [0, 1, 2]);
    clock.advance(ms(250));
    // Added at t=2 s; now t=3.75 s.
    assert_eq!(handle.elapsed(), ms(1750));
}

#[test]
fn task_added_mid_epoch_sees_frame_zero() {
    let (_clock, manager) = setup();
    manager.poll().unwrap();
    let seen: Arc<Mutex<Vec<u64>>> = Arc::default();
    let chain = manager.default_chain().clone();
    {
        let seen = seen.clone();
        manager.add(move |_: &TaskContext<'_>| {
            let seen = seen.clone();
            chain.add(move |task: &TaskContext<'_>| {
                seen.lock().unwrap().push(task.frame());
                if task.frame() < 2 {
                    DoneStatus::Cont
                } else {
                    DoneStatus::Done
                }
            });
            DoneStatus::Done
        });
    }
    poll_n(&manager, 4);
    assert_eq!(*seen.lock().unwrap(), [0, 1, 2]);
}

#[test]
fn elapsed_counts_from_spawn_on_the_chain_clock() {
    let (clock, manager) = setup();
    clock.advance(Duration::from_secs(10));
    let handle = manager.spawn(std::future::pending::<()>());
    assert_eq!(handle.elapsed(), Duration::ZERO);
    manager.poll().unwrap();
    clock.advance(ms(1250));
    assert_eq!(handle.elapsed(), ms(1250));
    handle.cancel();
}

#[test]
fn listing_and_stats_separate_active_from_sleeping() {
    let (clock, manager) = setup();
    let worker = manager
        .add_task(TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont).name("worker"))
        .unwrap();
    let sleeper = manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Done)
                .name("sleeper")
                .delay(Duration::from_secs(5)),
        )
        .unwrap();
    let gate = manager.promise::<()>();
    let waiter = {
        let gate = gate.clone();
        manager
            .add_task(
                TaskBuilder::coroutine(async move {
                    gate.await.unwrap();
                })
                .name("waiter"),
            )
            .unwrap()
    };
    let pauser = manager
        .add_task(
            TaskBuilder::coroutine(async {
                pause(Duration::from_secs(1)).await.unwrap();
            })
            .name("pauser"),
        )
        .unwrap();
    manager.poll().unwrap();
    manager.poll().unwrap();

    let ids = |v: Vec<taskchain_core::AnyTask>| v.iter().map(|t| t.id()).collect::<Vec<_>>();
    assert_eq!(ids(manager.active_tasks()), [worker.id(), waiter.id()]);
    assert_eq!(ids(manager.sleeping_tasks()), [sleeper.id(), pauser.id()]);
    assert_eq!(
        ids(manager.tasks()),
        [worker.id(), sleeper.id(), waiter.id(), pauser.id()]
    );
    let stats = manager.default_chain().stats();
    assert_eq!((stats.active, stats.sleeping, stats.epochs), (2, 2, 2));

    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert!(pauser.is_done());
    gate.set_result(()).unwrap();
    manager.poll().unwrap();
    assert!(waiter.is_done());
    let stats = manager.default_chain().stats();
    assert_eq!((stats.active, stats.sleeping, stats.epochs), (1, 1, 4));
    assert_eq!(ids(manager.sleeping_tasks()), [sleeper.id()]);
    clock.advance(Duration::from_secs(4));
    manager.poll().unwrap();
    assert!(sleeper.is_done());
    assert_eq!(ids(manager.tasks()), [worker.id()]);
    let stats = manager.default_chain().stats();
    assert_eq!((stats.active, stats.sleeping), (1, 0));
}

#[test]
fn wait_for_tasks_polls_until_every_chain_is_empty() {
    let (clock, manager) = setup();
    let runs = counter();
    {
        let runs = runs.clone();
        manager.add(move |_: &TaskContext<'_>| {
            if bump(&runs) <= 4 {
                DoneStatus::Cont
            } else {
                DoneStatus::Done
            }
        });
    }
    let other = manager.make_task_chain("other").unwrap();
    let on_other = other.spawn(async {
        next_frame().await;
        next_frame().await;
        "other"
    });
    assert_eq!(manager.wait_for_tasks(None), Ok(()));
    assert_eq!(get(&runs), 5);
    assert_eq!(on_other.result(Some(Duration::ZERO)), Ok("other"));
    assert_eq!(manager.default_chain().stats().total(), 0);

    // A pause on a manual clock that nobody moves: it times out and the
    // task is still there, pending.
    let napping = manager.spawn(async {
        pause(Duration::from_secs(1)).await.unwrap();
        7
    });
    assert_eq!(manager.wait_for_tasks(Some(ms(20))), Err(Error::Timeout));
    assert!(!napping.is_done());
    assert_eq!(
        manager.default_chain().wait_for_tasks(Some(ms(20))),
        Err(Error::Timeout)
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        manager
            .default_chain()
            .wait_for_tasks(Some(Duration::from_secs(10))),
        Ok(())
    );
    assert_eq!(napping.result(Some(Duration::ZERO)), Ok(7));
}

#[test]
fn run_until_polls_until_the_future_is_done() {
    let (_clock, manager) = setup();
    let h = manager.spawn(async {
        for _ in 0..3 {
            next_frame().await;
        }
        "ready"
    });
    assert_eq!(manager.run_until(&h), Ok("ready"));
    assert_eq!(manager.default_chain().stats().epochs, 4);
    let p = manager.promise::<u32>();
    {
        let p = p.clone();
        let mut n = 0;
        manager.add(move |_: &TaskContext<'_>| {
            n += 1;
            if n == 2 {
                p.set_result(n).unwrap();
                DoneStatus::Done
            } else {
                DoneStatus::Cont
            }
        });
    }
    assert_eq!(manager.run_until(&p), Ok(2));
}

// regression: a pause woken early kept its sleeper, and a detached task's output, until due.
#[test]
fn stale_sleeper_does_not_pin_finished_task_and_output() {
    let (clock, manager) = setup();
    let drops = DropCounter::new();
    let p = manager.promise::<()>();
    let h = {
        let (p, drops) = (p.clone(), drops.clone());
        manager.spawn(async move {
            let _ = select(pause(HOUR), p).await;
            drops.token()
        })
    };
    drop(h); // detached
    manager.poll().unwrap(); // sleeps in the heap until +1 h
    p.set_result(()).unwrap();
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    assert_eq!(manager.default_chain().stats().total(), 0);
    let before_deadline = drops.dropped();
    clock.advance(HOUR);
    manager.poll().unwrap();
    assert_eq!(drops.dropped(), 1);
    assert_eq!(
        before_deadline, 1,
        "the finished detached task's output lived until its stale 1 h sleeper came due"
    );
}

// regression: a delay already expired at the next epoch boundary ran one epoch late.
#[test]
fn expired_delay_runs_in_the_next_epoch() {
    let (clock, manager) = setup();
    let runs = counter();
    let r = runs.clone();
    manager
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                bump(&r);
                DoneStatus::Done
            })
            .delay(Duration::from_secs(1)),
        )
        .unwrap();
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert_eq!(get(&runs), 1, "due at this epoch boundary, but not run");
}

// regression: guards the sleeping count on every way out of the sleep heap.
#[test]
fn sleeping_counter_stays_exact() {
    let (clock, manager) = setup();
    let chain = manager.default_chain();
    let delayed = manager
        .add_task(TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Done).delay(HOUR))
        .unwrap();
    let again = manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Again)
                .delay(Duration::from_millis(1)),
        )
        .unwrap();
    let p = manager.promise::<()>();
    let early = {
        let p = p.clone();
        manager.spawn(async move {
            let _ = select(pause(HOUR), p).await;
            pause(Duration::from_secs(1)).await
        })
    };
    let cancelled_pause = manager.spawn_fallible(async { pause(HOUR).await });
    manager.poll().unwrap();
    clock.advance(Duration::from_millis(1));
    manager.poll().unwrap(); // `again` ran once and sleeps again
    assert_eq!(chain.stats().sleeping, 4);
    assert!(delayed.cancel() && again.cancel() && cancelled_pause.cancel());
    p.set_result(()).unwrap();
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(
        cancelled_pause.try_take(),
        Some(Err(taskchain_core::Error::Cancelled))
    );
    assert_eq!(
        chain.stats().sleeping,
        1,
        "only `early`'s second pause sleeps"
    );
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert_eq!(early.try_take(), Some(Ok(Ok(()))));
    assert_eq!(chain.stats().sleeping, 0);
    assert_eq!(chain.stats().total(), 0);
}

// regression: a delay of exactly `u64::MAX` nanoseconds was stored as the
// "no delay" marker, so it read back as none and `Again` did not sleep.
#[test]
fn a_delay_of_u64_max_nanoseconds_is_still_a_delay() {
    let (_clock, manager) = setup();
    let h = manager.add(|_: &TaskContext<'_>| DoneStatus::Cont);
    h.set_delay(Some(Duration::from_nanos(u64::MAX)));
    let kept = h.delay().expect("the delay was lost");
    assert!(kept >= Duration::from_nanos(u64::MAX - 1), "{kept:?}");
}
