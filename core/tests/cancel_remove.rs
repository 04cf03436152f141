//! Cancellation and removal: immediate for queued and sleeping tasks,
//! deferred for running ones, delivered at the await point of suspended
//! coroutines, propagated to what they await; upon_death exactly once;
//! shutdown; nothing leaks.

mod common;

use std::future::Future;
use std::sync::atomic::AtomicUsize;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{counting, poll_n, setup};
use taskchain_conformance::kit::counters::{bump, counter, get, Deaths};
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_conformance::kit::log::{new_log, push, seen};
use taskchain_core::{
    gather, pause, shield, AnyTask, AsyncFuture, Clock, DoneStatus, Error, FrameChain, ManualClock,
    Promise, Task, TaskBuilder, TaskChain, TaskChainExt, TaskContext, TaskHandle, TaskManager,
};

const HOUR: Duration = Duration::from_secs(3600);

/// A recurring task that counts its runs in `runs`, forever, and its ends in
/// `deaths`.
fn counted_forever(
    runs: &Arc<AtomicUsize>,
    deaths: &Arc<Deaths>,
) -> TaskBuilder<impl Task<Output = ()> + Send> {
    TaskBuilder::recurring(counting(runs, DoneStatus::Cont)).upon_death(deaths.hook())
}

/// A coroutine task that holds a token of `drops` while it runs
/// `body`, its ends counted in `deaths`.
fn guarded_coroutine<F>(
    drops: &DropCounter,
    deaths: &Arc<Deaths>,
    body: F,
) -> TaskBuilder<impl Task<Output = F::Output> + Send>
where
    F: Future + Send + 'static,
{
    let guard = drops.token();
    TaskBuilder::coroutine(async move {
        let _guard = guard;
        body.await
    })
    .upon_death(deaths.hook())
}

#[test]
fn cancel_of_a_queued_task_is_immediate() {
    let (_clock, manager) = setup();
    let runs = counter();
    let deaths = Deaths::new();
    let handle = manager.add_task(counted_forever(&runs, &deaths)).unwrap();
    assert!(handle.cancel());
    assert!(handle.is_cancelled());
    assert!(handle.is_done());
    assert!(handle.is_cancel_requested());
    assert_eq!(deaths.get(), (0, 1));
    assert!(manager.tasks().is_empty());
    assert_eq!(handle.result(Some(Duration::ZERO)), Err(Error::Cancelled));
    assert!(!handle.cancel(), "second cancel returns false");
    poll_n(&manager, 3);
    assert_eq!(get(&runs), 0);
    assert_eq!(deaths.get(), (0, 1));
}

#[test]
fn cancel_of_a_task_queued_after_running_is_immediate() {
    let (_clock, manager) = setup();
    let runs = counter();
    let deaths = Deaths::new();
    let handle = manager.add_task(counted_forever(&runs, &deaths)).unwrap();
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(get(&runs), 2);
    assert!(handle.cancel());
    assert!(handle.is_cancelled());
    assert_eq!(deaths.get(), (0, 1));
    manager.poll().unwrap();
    assert_eq!(get(&runs), 2);
}

#[test]
fn cancel_of_an_unstarted_coroutine_drops_it_at_once() {
    let (_clock, manager) = setup();
    let drops = DropCounter::new();
    let deaths = Deaths::new();
    let handle = manager
        .add_task(guarded_coroutine(&drops, &deaths, async { 1 }))
        .unwrap();
    assert_eq!(drops.dropped(), 0);
    assert!(handle.cancel());
    assert_eq!(
        drops.dropped(),
        1,
        "the future is dropped before cancel returns"
    );
    assert!(handle.is_cancelled());
    assert_eq!(deaths.get(), (0, 1));
    assert_eq!(handle.result(None), Err(Error::Cancelled));
}

#[test]
fn cancel_of_a_sleeping_task_is_immediate() {
    let (clock, manager) = setup();
    let runs = counter();
    let deaths = Deaths::new();
    let handle = manager
        .add_task(counted_forever(&runs, &deaths).delay(Duration::from_secs(1)))
        .unwrap();
    manager.poll().unwrap();
    assert!(handle.is_sleeping());
    assert_eq!(manager.default_chain().stats().sleeping, 1);
    assert!(handle.cancel());
    assert!(handle.is_cancelled());
    assert_eq!(deaths.get(), (0, 1));
    assert_eq!(manager.default_chain().stats().sleeping, 0);
    assert!(manager.sleeping_tasks().is_empty());
    clock.advance(Duration::from_secs(2));
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(get(&runs), 0);
    assert_eq!(deaths.get(), (0, 1));
}

#[test]
fn cancel_of_a_running_recurring_task_finishes_that_run_then_cancels() {
    for returned in [DoneStatus::Cont, DoneStatus::Done, DoneStatus::Again] {
        let (_clock, manager) = setup();
        let log = new_log();
        let me: Arc<Mutex<Option<AnyTask>>> = Arc::default();
        let deaths = Deaths::new();
        let handle = {
            let log = log.clone();
            let me = me.clone();
            let mut runs = 0;
            manager
                .add_task(
                    TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                        runs += 1;
                        if runs == 2 {
                            let me = me.lock().unwrap().clone().unwrap();
                            let first = me.cancel();
                            let second = me.cancel();
                            push(
                                &log,
                                format!(
                                    "cancel={first},{second} requested={} cancelled={} done={}",
                                    me.is_cancel_requested(),
                                    me.is_cancelled(),
                                    me.is_done()
                                ),
                            );
                            push(&log, "rest of run");
                            return returned;
                        }
                        push(&log, format!("run{runs}"));
                        DoneStatus::Cont
                    })
                    .upon_death(deaths.hook()),
                )
                .unwrap()
        };
        *me.lock().unwrap() = Some(handle.as_any());
        manager.poll().unwrap();
        manager.poll().unwrap();
        assert!(handle.is_cancelled(), "returned {returned:?}");
        assert_eq!(handle.result(None), Err(Error::Cancelled));
        assert_eq!(deaths.get(), (0, 1));
        manager.poll().unwrap();
        assert_eq!(
            seen(&log),
            [
                "run1",
                // The second request joins the first, still pending.
                "cancel=true,true requested=true cancelled=false done=false",
                "rest of run"
            ],
            "returned {returned:?}"
        );
        *me.lock().unwrap() = None;
    }
}

#[test]
fn cancel_of_a_coroutine_suspended_on_a_promise() {
    let (_clock, manager) = setup();
    let log = new_log();
    let deaths = Deaths::new();
    let gate = manager.promise::<u32>();
    let handle = {
        let (log, gate) = (log.clone(), gate.clone());
        manager
            .add_task(
                TaskBuilder::coroutine(async move {
                    let r = gate.await;
                    push(&log, format!("{r:?}"));
                    "returned"
                })
                .upon_death(deaths.hook()),
            )
            .unwrap()
    };
    manager.poll().unwrap();
    assert!(handle.cancel());
    assert!(handle.cancel(), "joins the pending request");
    assert_eq!(handle.cancelling(), 2);
    // Requested, not yet cancelled: the coroutine has not run since. What
    // it awaits is cancelled at once.
    assert!(handle.is_cancel_requested());
    assert!(!handle.is_cancelled());
    assert!(!handle.is_done());
    assert!(gate.is_cancelled());
    assert_eq!(deaths.get(), (0, 0));
    assert!(seen(&log).is_empty());

    manager.poll().unwrap();
    assert_eq!(seen(&log), ["Err(Cancelled)"]);
    assert!(gate.is_cancelled(), "the awaited promise is cancelled");
    assert!(
        !handle.is_cancelled(),
        "it handled the cancellation and returned"
    );
    assert_eq!(handle.result(None), Ok("returned"));
    assert_eq!(deaths.get(), (1, 0));
    assert!(!handle.cancel(), "a done task takes no request");
}

#[test]
fn cancel_of_a_paused_coroutine_makes_the_pause_yield_cancelled() {
    let (_clock, manager) = setup();
    let log = new_log();
    let handle = {
        let log = log.clone();
        manager.spawn(async move {
            let r = pause(Duration::from_secs(100)).await;
            push(&log, format!("{r:?}"));
        })
    };
    manager.poll().unwrap();
    assert!(handle.is_sleeping());
    assert!(handle.cancel());
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["Err(Cancelled)"]);
    assert!(handle.is_done() && !handle.is_cancelled(), "it handled it");
    assert_eq!(manager.default_chain().stats().total(), 0);
}

#[test]
fn cancel_propagates_through_an_awaited_task() {
    let (_clock, manager) = setup();
    let log = new_log();
    let gate = manager.promise::<u32>();
    let inner = {
        let (log, gate) = (log.clone(), gate.clone());
        manager.spawn_fallible(async move {
            let r = gate.await;
            push(&log, format!("inner {r:?}"));
            r
        })
    };
    let inner_any = inner.as_any();
    let outer = {
        let log = log.clone();
        manager.spawn_fallible(async move {
            let r = inner.await;
            push(&log, format!("outer {r:?}"));
            r
        })
    };
    manager.poll().unwrap();
    assert!(outer.cancel());
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert!(outer.is_cancelled());
    assert!(inner_any.is_cancelled());
    assert!(gate.is_cancelled());
    let mut got = seen(&log);
    got.sort();
    assert_eq!(got, ["inner Err(Cancelled)", "outer Err(Cancelled)"]);
}

#[test]
fn cancel_propagates_through_an_awaited_task_builder() {
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let drops = DropCounter::new();
    let outer = {
        let gate = gate.clone();
        let guard = drops.token();
        manager.spawn_fallible(async move {
            TaskBuilder::fallible(async move {
                let _guard = guard;
                gate.await
            })
            .name("inner")
            .await
        })
    };
    manager.poll().unwrap();
    let inner = manager.find_task("inner").unwrap();
    assert!(outer.cancel());
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert!(outer.is_cancelled());
    assert!(inner.is_cancelled());
    assert!(gate.is_cancelled());
    assert_eq!(drops.dropped(), 1);
    assert!(manager.find_task("inner").is_none());
}

#[test]
fn cancel_propagates_through_a_gather() {
    let (_clock, manager) = setup();
    let gates: Vec<Promise<u32>> = (0..3).map(|_| manager.promise()).collect();
    let children: Vec<_> = gates
        .iter()
        .map(|g| {
            let g = g.clone();
            manager.spawn_fallible(g)
        })
        .collect();
    let any_children: Vec<AnyTask> = children.iter().map(|c| c.as_any()).collect();
    let result: Arc<Mutex<Option<String>>> = Arc::default();
    let outer = {
        let result = result.clone();
        manager.spawn_fallible(async move {
            let r = gather(children).await;
            *result.lock().unwrap() = Some(format!("{r:?}"));
            r
        })
    };
    manager.poll().unwrap();
    assert!(outer.cancel());
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(result.lock().unwrap().as_deref(), Some("Err(Cancelled)"));
    assert!(outer.is_cancelled());
    for (child, gate) in any_children.iter().zip(&gates) {
        assert!(child.is_cancelled());
        assert!(gate.is_cancelled());
    }
    assert_eq!(manager.default_chain().stats().total(), 0);
}

#[test]
fn coroutine_handling_cancellation_with_shielded_cleanup_finishes_with_its_value() {
    let (clock, manager) = setup();
    let log = new_log();
    let deaths = Deaths::new();
    let gate = manager.promise::<u32>();
    let chain = manager.default_chain().clone();
    let handle = {
        let (log, gate) = (log.clone(), gate.clone());
        manager
            .add_task(
                TaskBuilder::coroutine(async move {
                    match gate.await {
                        Err(Error::Cancelled) => {
                            push(&log, "handling");
                            let cleanup = chain.spawn(async {
                                pause(Duration::from_secs(1)).await.unwrap();
                                7
                            });
                            let r = shield(cleanup).await;
                            push(&log, format!("cleanup {r:?}"));
                            "cleaned"
                        }
                        other => {
                            push(&log, format!("unexpected {other:?}"));
                            "unexpected"
                        }
                    }
                })
                .upon_death(deaths.hook()),
            )
            .unwrap()
    };
    manager.poll().unwrap();
    assert!(handle.cancel());
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["handling"]);
    assert!(handle.is_cancel_requested());
    assert!(!handle.is_done(), "still running its cleanup");
    clock.advance(Duration::from_secs(1));
    poll_n(&manager, 3);
    assert_eq!(seen(&log), ["handling", "cleanup Ok(7)"]);
    assert!(!handle.is_cancelled(), "it handled the cancellation");
    assert_eq!(handle.result(None), Ok("cleaned"));
    assert_eq!(deaths.get(), (1, 0));
    assert_eq!(manager.default_chain().stats().total(), 0);
}

#[test]
fn coroutine_awaiting_a_foreign_future_is_dropped_on_its_next_run() {
    let (_clock, manager) = setup();
    let drops = DropCounter::new();
    let deaths = Deaths::new();
    let foreign = std::future::pending::<()>();
    let handle = manager
        .add_task(guarded_coroutine(&drops, &deaths, foreign))
        .unwrap();
    manager.poll().unwrap();
    assert!(handle.cancel());
    assert!(handle.is_cancel_requested());
    assert!(!handle.is_cancelled());
    assert_eq!(drops.dropped(), 0);
    manager.poll().unwrap();
    assert_eq!(drops.dropped(), 1);
    assert!(handle.is_cancelled());
    assert_eq!(deaths.get(), (0, 1));
    assert!(manager.tasks().is_empty());
}

#[test]
fn remove_by_name_returns_how_many_it_removed() {
    let (_clock, manager) = setup();
    let other = manager.make_task_chain("other").unwrap();
    let gate = manager.promise::<()>();
    let named = |n: &str| TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont).name(n);
    let queued = manager.add_task(named("enemy")).unwrap();
    let sleeping = manager
        .add_task(named("enemy").delay(Duration::from_secs(3)))
        .unwrap();
    let suspended = {
        let gate = gate.clone();
        manager
            .add_task(TaskBuilder::fallible(gate).name("enemy"))
            .unwrap()
    };
    let elsewhere = other.add_task(named("enemy")).unwrap();
    let friend = manager.add_task(named("friend")).unwrap();
    manager.poll().unwrap();

    assert_eq!(manager.remove_by_name("enemy"), 4);
    assert_eq!(manager.remove_by_name("enemy"), 0);
    assert_eq!(manager.remove_by_name("nobody"), 0);
    assert!(queued.is_cancelled());
    assert!(sleeping.is_cancelled());
    assert!(elsewhere.is_cancelled());
    assert!(suspended.is_cancel_requested());
    manager.poll().unwrap();
    assert!(suspended.is_cancelled());
    assert!(manager.find_tasks("enemy").is_empty());
    assert!(!friend.is_done());
    assert_eq!(other.remove_by_name("friend"), 0, "per chain");
    assert_eq!(manager.remove_by_name("friend"), 1);
}

#[test]
fn cancel_returns_false_on_a_finished_task() {
    let (_clock, manager) = setup();
    let handle = manager.spawn(async { 3 });
    manager.poll().unwrap();
    assert!(handle.is_done());
    assert!(!handle.cancel());
    assert!(!handle.is_cancelled());
    assert!(!handle.is_cancel_requested());
    assert_eq!(handle.result(None), Ok(3));
}

/// A task's name, its `upon_death` counter, the task, and the (clean,
/// unclean) counts it should end with.
type Case = (&'static str, Arc<Deaths>, AnyTask, (usize, usize));

/// Tasks each added with an `upon_death` counter of its own.
struct Cases<'m> {
    manager: &'m TaskManager,
    list: Vec<Case>,
}

impl Cases<'_> {
    fn add<W: Task<Output = ()> + Send>(
        &mut self,
        name: &'static str,
        task: TaskBuilder<W>,
        expect: (usize, usize),
    ) -> TaskHandle<()> {
        let deaths = Deaths::new();
        let handle = self
            .manager
            .add_task(task.upon_death(deaths.hook()))
            .unwrap();
        self.list.push((name, deaths, handle.as_any(), expect));
        handle
    }
}

#[test]
fn upon_death_runs_exactly_once_on_every_path() {
    let (clock, manager) = setup();
    let gate = manager.promise::<()>();
    let me: Arc<Mutex<Option<AnyTask>>> = Arc::default();
    let mut cases = Cases {
        manager: &manager,
        list: Vec::new(),
    };
    let cont = |_: &TaskContext<'_>| DoneStatus::Cont;

    let done = TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Done);
    let _done = cases.add("done", done, (1, 0));
    let exit = TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Exit);
    let _exit = cases.add("exit", exit, (1, 0));
    let coroutine = TaskBuilder::coroutine(async {
        pause(Duration::from_secs(1)).await.unwrap();
    });
    let _coroutine = cases.add("coroutine", coroutine, (1, 0));

    let queued = cases.add("cancel queued", TaskBuilder::recurring(cont), (0, 1));
    assert!(queued.cancel());

    let sleeping = TaskBuilder::recurring(cont).delay(Duration::from_secs(9));
    let sleeping = cases.add("cancel sleeping", sleeping, (0, 1));

    let running = {
        let me = me.clone();
        TaskBuilder::recurring(move |_: &TaskContext<'_>| {
            if let Some(t) = me.lock().unwrap().take() {
                t.cancel();
            }
            DoneStatus::Cont
        })
    };
    let running = cases.add("cancel running", running, (0, 1));
    *me.lock().unwrap() = Some(running.as_any());

    let suspended = {
        let gate = gate.clone();
        TaskBuilder::fallible(gate)
    };
    let suspended = cases.add("cancel suspended", suspended, (0, 1));

    let _shutdown = cases.add("shutdown", TaskBuilder::recurring(cont), (0, 1));

    manager.poll().unwrap();
    assert!(sleeping.cancel());
    assert!(suspended.cancel());
    clock.advance(Duration::from_secs(1));
    poll_n(&manager, 3);
    manager.shutdown();
    manager.shutdown();
    let _ = manager.poll();
    let cases = cases.list;
    for (name, deaths, task, expect) in &cases {
        assert!(task.is_done(), "{name}");
        assert_eq!(deaths.get(), *expect, "{name}");
    }
    drop(manager);
    for (name, deaths, _, expect) in &cases {
        assert_eq!(deaths.get(), *expect, "{name} after drop");
    }
}

/// Adds `task` to `chain` with `deaths` as its `upon_death`; its untyped
/// handle.
fn add_counted<W: Task<Output = ()> + Send>(
    chain: &FrameChain,
    deaths: &Arc<Deaths>,
    task: TaskBuilder<W>,
) -> AnyTask {
    chain
        .add_task(task.upon_death(deaths.hook()))
        .unwrap()
        .as_any()
}

#[test]
fn shutdown_cancels_everything_runs_each_upon_death_once_and_leaks_nothing() {
    let (_clock, manager) = setup();
    let deaths = Deaths::new();
    let drops = DropCounter::new();
    let token = Arc::new(());
    let gate = manager.promise::<()>();
    let other = manager.make_task_chain("other").unwrap();
    let main = manager.default_chain();

    // Each task holds a guard: its drop is counted, its token kept.
    let guard = || (drops.token(), token.clone());
    let g = guard();
    let recurring = TaskBuilder::recurring(move |_: &TaskContext<'_>| {
        let _ = &g;
        DoneStatus::Cont
    });
    let g = guard();
    let sleeping = TaskBuilder::recurring(move |_: &TaskContext<'_>| {
        let _ = &g;
        DoneStatus::Done
    })
    .delay(Duration::from_secs(60));
    let (g, gate) = (guard(), gate.clone());
    let suspended = TaskBuilder::coroutine(async move {
        let _g = g;
        let _ = gate.await;
    });
    let g = guard();
    let foreign = TaskBuilder::coroutine(async move {
        let _g = g;
        std::future::pending::<()>().await;
    });
    let g = guard();
    let paused = TaskBuilder::coroutine(async move {
        let _g = g;
        pause(Duration::from_secs(60)).await.unwrap();
    });
    let g = Arc::new(guard());
    let recurring_paused = TaskBuilder::recurring_coroutine(move || {
        let g = g.clone();
        async move {
            let _g = g;
            pause(Duration::from_secs(60)).await.unwrap();
            DoneStatus::Cont
        }
    });
    let handles = [
        add_counted(main, &deaths, recurring),
        add_counted(main, &deaths, sleeping),
        add_counted(main, &deaths, suspended),
        add_counted(&other, &deaths, foreign),
        add_counted(main, &deaths, paused),
        add_counted(main, &deaths, recurring_paused),
    ];
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(drops.dropped(), 0);
    assert_eq!(manager.tasks().len(), 6);

    manager.shutdown();
    for (i, h) in handles.iter().enumerate() {
        assert!(h.is_cancelled(), "task {i}");
        assert_eq!(h.wait_done(Some(Duration::ZERO)), Err(Error::Cancelled));
    }
    assert_eq!(deaths.get(), (0, 6));
    assert_eq!(drops.dropped(), 6, "every task's work was dropped");
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "nothing holds the tasks' state"
    );
    assert!(manager.tasks().is_empty());

    // Later spawns are cancelled at once.
    let late_deaths = Deaths::new();
    let late = manager
        .add_task(TaskBuilder::coroutine(async { 1 }).upon_death(late_deaths.hook()))
        .unwrap();
    assert!(late.is_cancelled());
    assert_eq!(late_deaths.get(), (0, 1));

    drop(manager);
    drop(other);
    assert_eq!(deaths.get(), (0, 6));
    assert_eq!(late_deaths.get(), (0, 1));
}

#[test]
fn shutdown_from_inside_a_running_task() {
    let (_clock, manager) = setup();
    let manager = Arc::new(manager);
    let deaths = Deaths::new();
    let other_deaths = Deaths::new();
    let runs = counter();
    let stopper = {
        let weak = Arc::downgrade(&manager);
        let runs = runs.clone();
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    bump(&runs);
                    if let Some(m) = weak.upgrade() {
                        m.shutdown();
                    }
                    DoneStatus::Cont
                })
                .sort(0)
                .upon_death(deaths.hook()),
            )
            .unwrap()
    };
    let later = manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont)
                .sort(1)
                .upon_death(other_deaths.hook()),
        )
        .unwrap();
    manager.poll().unwrap();
    assert!(stopper.is_cancelled());
    assert!(later.is_cancelled());
    assert_eq!(deaths.get(), (0, 1));
    assert_eq!(other_deaths.get(), (0, 1));
    let _ = manager.poll();
    assert_eq!(get(&runs), 1);
}

#[test]
fn cancel_drops_the_future_and_its_state() {
    let (_clock, manager) = setup();
    let drops = DropCounter::new();
    let token = Arc::new(());
    let gate = manager.promise::<()>();
    let handle = {
        let guard = drops.token();
        let token = token.clone();
        let gate = gate.clone();
        manager.spawn_fallible(async move {
            let _guard = guard;
            let _token = token;
            gate.await
        })
    };
    manager.poll().unwrap();
    assert_eq!(Arc::strong_count(&token), 2);
    handle.cancel();
    manager.poll().unwrap();
    assert_eq!(drops.dropped(), 1);
    assert_eq!(Arc::strong_count(&token), 1);
    assert!(handle.is_cancelled());
}

#[test]
fn output_of_a_detached_task_is_dropped() {
    let (_clock, manager) = setup();
    let drops = DropCounter::new();
    let handle = {
        let drops = drops.clone();
        manager.spawn(async move { drops.token() })
    };
    drop(handle);
    manager.poll().unwrap();
    assert_eq!(
        drops.dropped(),
        1,
        "nobody can read it: it must not be kept"
    );

    // With a live handle, it is dropped once read or with the handle.
    let kept = {
        let drops = drops.clone();
        manager.spawn(async move { drops.token() })
    };
    manager.poll().unwrap();
    assert_eq!(drops.dropped(), 1);
    drop(kept.result(None).unwrap());
    assert_eq!(drops.dropped(), 2);
    let unread = {
        let drops = drops.clone();
        manager.spawn(async move { drops.token() })
    };
    manager.poll().unwrap();
    drop(unread);
    assert_eq!(drops.dropped(), 3);
}

#[test]
fn cancel_requested_then_shutdown_runs_upon_death_once() {
    let (_clock, manager) = setup();
    let deaths = Deaths::new();
    let drops = DropCounter::new();
    let gate = manager.promise::<()>();
    let handle = {
        let gate = gate.clone();
        let waiting = async move {
            let _ = gate.await;
        };
        manager
            .add_task(guarded_coroutine(&drops, &deaths, waiting))
            .unwrap()
    };
    manager.poll().unwrap();
    assert!(handle.cancel());
    manager.shutdown();
    assert!(handle.is_cancelled());
    assert_eq!(deaths.get(), (0, 1));
    assert_eq!(drops.dropped(), 1);
    let _ = manager.poll();
    drop(manager);
    assert_eq!(deaths.get(), (0, 1));
}

#[test]
fn a_task_removing_itself_by_name_mid_run() {
    let (_clock, manager) = setup();
    let manager = Arc::new(manager);
    let counts: Arc<Mutex<Vec<usize>>> = Arc::default();
    let deaths = Deaths::new();
    let handle = {
        let weak = Arc::downgrade(&manager);
        let counts = counts.clone();
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    if let Some(m) = weak.upgrade() {
                        counts
                            .lock()
                            .unwrap()
                            .push(m.remove_by_name("self-remover"));
                        counts
                            .lock()
                            .unwrap()
                            .push(m.remove_by_name("self-remover"));
                    }
                    DoneStatus::Cont
                })
                .name("self-remover")
                .upon_death(deaths.hook()),
            )
            .unwrap()
    };
    manager.poll().unwrap();
    assert_eq!(*counts.lock().unwrap(), [1, 0]);
    assert!(handle.is_cancelled());
    assert_eq!(deaths.get(), (0, 1));
    manager.poll().unwrap();
    assert_eq!(counts.lock().unwrap().len(), 2, "it never ran again");
}

#[test]
fn chain_remove_cancels_only_its_own_tasks() {
    let (_clock, manager) = setup();
    let other = manager.make_task_chain("other").unwrap();
    let here = manager.spawn(std::future::pending::<()>());
    let there = other.spawn(std::future::pending::<()>());
    let chain = manager.default_chain();
    assert!(!chain.remove(&there.as_any()), "another chain's task");
    assert!(!there.is_cancel_requested());
    assert!(chain.remove(&here.as_any()));
    assert!(here.is_cancelled(), "a queued task is removed at once");
    assert!(!chain.remove(&here.as_any()), "already removed");
    assert!(other.remove(&there.as_any()));
}

type Hook = Box<dyn FnOnce() + Send>;

/// A manual clock that runs a one-shot hook inside its next `now()` call:
/// lets a test act at an exact point of the runner's code (Clock is a public
/// extension point, so this is user code the runner calls).
#[derive(Clone, Default)]
struct HookClock {
    inner: ManualClock,
    hook: Arc<Mutex<Option<Hook>>>,
}

impl HookClock {
    fn arm(&self, f: impl FnOnce() + Send + 'static) {
        *self.hook.lock().unwrap() = Some(Box::new(f));
    }
}

impl Clock for HookClock {
    fn now(&self) -> Duration {
        let hook = self.hook.lock().unwrap().take();
        if let Some(f) = hook {
            f();
        }
        self.inner.now()
    }
    fn tick(&self) {
        self.inner.tick()
    }
    fn frame_count(&self) -> u64 {
        self.inner.frame_count()
    }
}

// regression: a cancel during the run of a task returning Again was dropped; it slept its delay.
#[test]
fn cancel_during_run_of_again_task_ends_it_next_epoch() {
    let clock = HookClock::default();
    let manager = TaskManager::with_clock(clock.clone());
    let deaths = Deaths::new();
    let me: Arc<Mutex<Option<AnyTask>>> = Arc::default();
    let (c, m) = (clock.clone(), me.clone());
    let handle = manager
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                // The next clock read is the runner's, after this run
                // returned: cancel the task there, as another thread could
                // at that moment.
                let m = m.clone();
                c.arm(move || {
                    assert!(m.lock().unwrap().as_ref().unwrap().cancel());
                });
                DoneStatus::Again
            })
            .delay(HOUR)
            .upon_death(deaths.hook()),
        )
        .unwrap();
    *me.lock().unwrap() = Some(handle.as_any());
    manager.poll().unwrap(); // places the delayed task in the sleep heap
    clock.inner.advance(HOUR);
    manager.poll().unwrap(); // the run that gets cancelled
    assert!(handle.is_cancel_requested());
    for _ in 0..5 {
        manager.poll().unwrap();
    }
    assert!(
        handle.is_done() && handle.is_cancelled(),
        "cancel requested during the run, but the task sleeps out its 1 h delay"
    );
    assert_eq!(deaths.get(), (0, 1));
}

// regression: shutdown racing a runner parked the task: no upon_death, never finished.
#[test]
fn shutdown_racing_a_runner_still_ends_the_task() {
    let clock = HookClock::default();
    let manager = Arc::new(TaskManager::with_clock(clock.clone()));
    let deaths = Deaths::new();
    let (c, weak) = (clock.clone(), Arc::downgrade(&manager));
    let handle = manager
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                let weak = weak.clone();
                c.arm(move || weak.upgrade().unwrap().shutdown());
                DoneStatus::Again
            })
            .delay(Duration::from_millis(1))
            .upon_death(deaths.hook()),
        )
        .unwrap();
    manager.poll().unwrap(); // places the delayed task in the sleep heap
    clock.inner.advance(Duration::from_millis(1));
    manager.poll().unwrap();
    // Shutdown did happen: a later spawn is cancelled at once.
    assert!(manager.spawn(async {}).is_cancelled());
    assert_eq!(
        deaths.get(),
        (0, 1),
        "shutdown must run every upon_death exactly once"
    );
    assert!(handle.is_done(), "shutdown must leave no task pending");
}

// regression: a cancel after the runner's last check said true, yet the task kept its value.
#[test]
fn cancel_while_the_task_ends_agrees_with_its_outcome() {
    type Slot<T> = Arc<Mutex<Option<T>>>;
    let (_clock, manager) = setup();

    let me: Slot<AnyTask> = Arc::default();
    let told: Slot<bool> = Arc::default();
    let (me_inside, told_inside) = (me.clone(), told.clone());
    let handle = manager
        .add_task(TaskBuilder::coroutine(async { 5 }).upon_death(move |_| {
            if let Some(me) = me_inside.lock().unwrap().take() {
                *told_inside.lock().unwrap() = Some(me.cancel());
            }
        }))
        .unwrap();
    *me.lock().unwrap() = Some(handle.as_any());
    manager.poll().unwrap();
    assert_eq!(*told.lock().unwrap(), Some(false), "the task was ending");
    // Too late, but a cancel was called: the conformance checker holds a
    // `false` to "done or cancel requested".
    assert!(handle.is_cancel_requested());
    assert_eq!(handle.wait(), Ok(5));

    struct CancelOnDrop(Slot<AnyTask>, Slot<bool>);
    impl Drop for CancelOnDrop {
        fn drop(&mut self) {
            if let Some(me) = self.0.lock().unwrap().take() {
                *self.1.lock().unwrap() = Some(me.cancel());
            }
        }
    }
    let deaths = Deaths::new();
    let me: Slot<AnyTask> = Arc::default();
    let told: Slot<bool> = Arc::default();
    let guard = CancelOnDrop(me.clone(), told.clone());
    let handle = manager
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                let _held = &guard;
                DoneStatus::Done
            })
            .upon_death(deaths.hook()),
        )
        .unwrap();
    *me.lock().unwrap() = Some(handle.as_any());
    manager.poll().unwrap();
    assert_eq!(*told.lock().unwrap(), Some(false), "the task was ending");
    assert!(
        !handle.is_cancelled(),
        "a cancel that reported false must not end the task cancelled"
    );
    assert_eq!(handle.wait(), Ok(()));
    assert_eq!(deaths.get(), (1, 0));
    assert_eq!(manager.default_chain().stats().total(), 0);
}

// regression: a cancel from another thread as the task finished said true; it kept its value.
#[test]
fn a_cancel_while_the_task_finishes_is_too_late_and_says_so() {
    let (_clock, manager) = setup();
    let slot: Arc<Mutex<Option<AnyTask>>> = Arc::default();
    let (cancelled_tx, cancelled_rx) = mpsc::channel();
    let canceller = {
        let slot = slot.clone();
        move |_clean: bool| {
            let task = slot.lock().unwrap().clone().expect("the task's handle");
            let other = thread::spawn(move || task.cancel());
            let _ = cancelled_tx.send(other.join().expect("the cancelling thread"));
        }
    };
    let task = manager
        .add_task(TaskBuilder::coroutine(async { 5 }).upon_death(canceller))
        .unwrap();
    *slot.lock().unwrap() = Some(task.as_any());
    manager.poll().unwrap();
    let cancel_said = cancelled_rx.recv_timeout(HOUR).expect("upon_death ran");
    let result = task.wait();
    assert!(
        !cancel_said || result == Err(taskchain_core::Error::Cancelled),
        "cancel() returned {cancel_said} but the task ended {result:?}"
    );
    assert_eq!(result, Ok(5), "the task had finished: it keeps its value");
    assert!(!cancel_said);
}

// regression: guards a cancel propagating through awaited tasks to a shielded cleanup.
#[test]
fn cancel_propagates_down_and_shield_cleanup_finishes() {
    let (clock, manager) = setup();
    let deaths = Deaths::new();
    let inner = manager
        .add_task(TaskBuilder::fallible(async { pause(HOUR).await }).upon_death(deaths.hook()))
        .unwrap();
    let cleanup = manager.spawn(async {
        pause(Duration::from_secs(1)).await.unwrap();
        7
    });
    let outer = manager
        .add_task(
            TaskBuilder::fallible(async move {
                let r = inner.await;
                assert_eq!(r, Err(taskchain_core::Error::Cancelled));
                taskchain_core::shield(cleanup).await?;
                r
            })
            .upon_death(deaths.hook()),
        )
        .unwrap();
    manager.poll().unwrap();
    assert!(outer.cancel());
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert!(!outer.is_done(), "outer still runs its shielded cleanup");
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert!(outer.is_cancelled());
    assert_eq!(deaths.get(), (0, 2));
    assert_eq!(manager.default_chain().stats().total(), 0);
}
