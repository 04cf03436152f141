//! Threaded chains (sort barriers with 2 workers, cancels
//! racing completion and the last drop, shutdown from inside and outside),
//! `!Send` tasks cancelled from another thread, panics in every callback.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{eventually, setup, threaded, PATIENCE};
use taskchain_conformance::kit::counters::Deaths;
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    next_frame, pause, AsyncFuture, ChainSettings, DoneStatus, Error, TaskBuilder, TaskChain,
    TaskChainExt, TaskContext,
};

/// Per epoch, no sort-1 run starts before every sort-0 run of the epoch ended.
#[test]
fn sort_barrier_two_workers() {
    let (_clock, manager) = setup();
    let chain = threaded(&manager, ChainSettings::default(), 2);
    let events: Arc<Mutex<Vec<(i32, u64, bool)>>> = Arc::default();
    let mut handles = Vec::new();
    for sort in [0, 0, 0, 0, 0, 1, 1, 1, 2] {
        let (ev, epochs) = (events.clone(), chain.clone());
        let h = chain
            .add_task(
                TaskBuilder::recurring(move |t: &TaskContext<'_>| {
                    // The chain's epoch, not the task's age: the tasks are
                    // added to a running chain, and may start in different
                    // epochs.
                    let epoch = epochs.stats().epochs;
                    ev.lock().unwrap().push((sort, epoch, true));
                    std::thread::sleep(Duration::from_micros(300));
                    ev.lock().unwrap().push((sort, epoch, false));
                    if t.frame() < 30 {
                        DoneStatus::Cont
                    } else {
                        DoneStatus::Done
                    }
                })
                .sort(sort),
            )
            .unwrap();
        handles.push(h);
    }
    for h in &handles {
        h.result(Some(PATIENCE)).unwrap();
    }
    let ev = events.lock().unwrap();
    for (i, &(sort, frame, start)) in ev.iter().enumerate() {
        if !start {
            continue;
        }
        for &(s2, f2, start2) in &ev[i..] {
            assert!(
                !(f2 == frame && s2 < sort && !start2),
                "sort {sort} started at epoch {frame} before sort {s2} ended"
            );
        }
    }
    chain.shutdown();
}

/// Cancels race completion and the handle's drop, many rounds: a cancel
/// that returns true means the task ends cancelled; upon_death runs once;
/// the output is dropped exactly once.
#[test]
fn cancel_races_completion_and_last_drop() {
    let (_clock, manager) = setup();
    let chain = threaded(&manager, ChainSettings::default(), 2);
    let drops = DropCounter::new();
    let deaths = Deaths::new();
    let rounds = if taskchain_conformance::kit::valgrind::under_valgrind() {
        20
    } else {
        300
    };
    for round in 0..rounds {
        let token = drops.token();
        let h = chain
            .add_task(
                TaskBuilder::coroutine(async move {
                    if round % 3 == 0 {
                        let _ = pause(Duration::ZERO).await;
                    }
                    token
                })
                .upon_death(deaths.hook()),
            )
            .unwrap();
        let any = manager.tasks().into_iter().find(|t| t.id() == h.id());
        let canceller = std::thread::spawn(move || any.map(|t| t.cancel()));
        if round % 2 == 0 {
            drop(h);
            let _ = canceller.join().unwrap();
        } else {
            let cancelled = canceller.join().unwrap();
            let r = h.result(Some(PATIENCE));
            if cancelled == Some(true) {
                assert_eq!(r.as_ref().err(), Some(&Error::Cancelled), "round {round}");
            }
            drop(r);
        }
    }
    chain.wait_for_tasks(Some(PATIENCE)).unwrap();
    eventually("outputs dropped", || drops.alive() == 0);
    assert_eq!(deaths.get().0 + deaths.get().1, rounds);
    chain.shutdown();
}

/// Shutdown from inside one of the chain's tasks and from another thread.
#[test]
fn threaded_shutdown_from_inside_a_task() {
    let (_clock, manager) = setup();
    let chain = threaded(&manager, ChainSettings::default(), 2);
    let deaths = Deaths::new();
    for _ in 0..8 {
        chain
            .add_task(
                TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont)
                    .upon_death(deaths.hook()),
            )
            .unwrap();
    }
    let c = chain.clone();
    let h = chain
        .add_task(
            TaskBuilder::recurring(move |t: &TaskContext<'_>| {
                if t.frame() == 3 {
                    c.shutdown();
                }
                DoneStatus::Cont
            })
            .upon_death(deaths.hook()),
        )
        .unwrap();
    assert_eq!(h.result(Some(PATIENCE)), Err(Error::Cancelled));
    eventually("every task ended", || deaths.get().0 + deaths.get().1 == 9);
    eventually("chain empty", || chain.stats().total() == 0);
}

#[test]
fn threaded_shutdown_from_another_thread_while_running() {
    for _ in 0..20 {
        let (_clock, manager) = setup();
        let chain = threaded(&manager, ChainSettings::default(), 2);
        let deaths = Deaths::new();
        let drops = DropCounter::new();
        let mut hs = Vec::new();
        for i in 0..16 {
            let token = drops.token();
            hs.push(
                chain
                    .add_task(
                        TaskBuilder::coroutine(async move {
                            let _t = token;
                            for _ in 0..(i % 4) {
                                let _ = pause(Duration::ZERO).await;
                            }
                            std::thread::sleep(Duration::from_micros(100));
                            7u8
                        })
                        .upon_death(deaths.hook()),
                    )
                    .unwrap(),
            );
        }
        let c = chain.clone();
        std::thread::spawn(move || c.shutdown()).join().unwrap();
        for h in &hs {
            assert!(h.is_done());
        }
        assert_eq!(deaths.get().0 + deaths.get().1, 16);
        eventually("works dropped", || drops.alive() == 0);
    }
}

/// A `!Send` task cancelled from another thread (queued, sleeping,
/// suspended): it ends cancelled on the owner's next poll, its work dropped
/// on the owner thread.
#[test]
fn local_task_cancelled_from_another_thread() {
    let (_clock, manager) = setup();
    let spawner = manager.local_spawner().unwrap();
    let owner = std::thread::current().id();
    struct OnOwner(
        std::thread::ThreadId,
        Arc<AtomicUsize>,
        #[allow(dead_code)] std::rc::Rc<()>,
    );
    impl Drop for OnOwner {
        fn drop(&mut self) {
            assert_eq!(std::thread::current().id(), self.0, "dropped off the owner");
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for (i, kind) in ["queued", "sleeping", "suspended", "running"]
        .iter()
        .enumerate()
    {
        let g = OnOwner(owner, dropped.clone(), std::rc::Rc::new(()));
        // Fallible: a cancellation delivered at an await ends it.
        let builder = TaskBuilder::fallible(async move {
            let _g = g;
            match i {
                1 => pause(Duration::from_secs(100)).await,
                2 => taskchain_core::Promise::<u8>::new().await.map(drop),
                _ => loop {
                    taskchain_core::next_frame().await;
                },
            }
        })
        .name(kind);
        handles.push(spawner.add_task(builder).unwrap());
    }
    manager.poll().unwrap();
    manager.poll().unwrap();
    let tasks: Vec<_> = ["queued", "sleeping", "suspended", "running"]
        .iter()
        .map(|n| manager.find_task(n).unwrap())
        .collect();
    let results = std::thread::spawn(move || tasks.iter().map(|t| t.cancel()).collect::<Vec<_>>())
        .join()
        .unwrap();
    assert_eq!(results, [true, true, true, true]);
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        0,
        "nothing dropped off the owner"
    );
    for _ in 0..4 {
        manager.poll().unwrap();
    }
    for h in &handles {
        assert!(h.is_cancelled(), "{h:?}");
    }
    assert_eq!(dropped.load(Ordering::SeqCst), 4);
}

/// Panics everywhere at once; the chain survives and outcomes are sane.
#[test]
fn panics_in_every_callback() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("boom: drop");
        }
    }
    let messenger = manager.messenger();
    let _sub = messenger
        .accept("done", |_: &()| panic!("boom: handler"))
        .unwrap();
    let h1 = manager
        .add_task(
            TaskBuilder::coroutine(async { Bomb })
                .upon_death(|_| panic!("boom: upon_death"))
                .done_event(&messenger, "done")
                .unwrap(),
        )
        .unwrap();
    h1.add_done_callback(|_| panic!("boom: callback")).unwrap();
    let h2 = manager
        .add_task(TaskBuilder::coroutine(async {
            panic!("boom: body");
        }))
        .unwrap();
    let h3 = manager.spawn(async { Bomb });
    drop(h3);
    // A work whose Drop panics, cancelled while queued.
    let h4 = manager.spawn({
        let b = Bomb;
        async move {
            let _b = b;
        }
    });
    assert!(h4.cancel());
    assert_eq!(h4.result(None), Err(Error::Cancelled));
    for _ in 0..4 {
        manager.poll().unwrap();
    }
    assert!(matches!(h1.result(None), Err(Error::Panicked(_))));
    assert!(matches!(h2.result(None), Err(Error::Panicked(_))));
    assert_eq!(manager.default_chain().stats().total(), 0);
}

// regression: a re-sort handed over between a worker taking a task's run
// from the queues and starting it (a worker takes a batch of runs, then
// runs them one after another outside the lock) queued a second run of
// the task in the same epoch, and another worker ran it.
#[test]
fn a_task_resorted_while_its_run_is_taken_runs_once_per_epoch() {
    use std::sync::atomic::AtomicBool;

    if taskchain_conformance::kit::valgrind::under_valgrind() {
        // The race needs two threads running at once, which valgrind never
        // does, and a storm of re-sorts there starves the tests beside it.
        return;
    }
    let frames: u64 = 150;
    let (_clock, manager) = setup();
    let chain = threaded(&manager, ChainSettings::default(), 2);
    let twice: Arc<Mutex<Vec<(usize, u64)>>> = Arc::default();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let twice = twice.clone();
            let mut last = None;
            chain.add(move |t: &TaskContext<'_>| {
                if last == Some(t.frame()) {
                    twice.lock().unwrap().push((i, t.frame()));
                }
                last = Some(t.frame());
                // Work, so that a batch's later runs wait a while after
                // being taken.
                std::thread::sleep(Duration::from_micros(20));
                if t.frame() + 1 >= frames {
                    DoneStatus::Done
                } else {
                    DoneStatus::Cont
                }
            })
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let sorter = {
        let tasks: Vec<_> = handles.iter().map(|h| h.as_any()).collect();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut k = 0;
            while !stop.load(Ordering::Relaxed) {
                for task in &tasks {
                    k += 1;
                    task.set_priority(k % 3);
                }
                std::thread::yield_now();
            }
        })
    };
    for h in &handles {
        let result = h.result(Some(PATIENCE));
        assert!(result.is_ok(), "a task did not finish: {result:?}");
    }
    stop.store(true, Ordering::Relaxed);
    sorter.join().unwrap();
    assert_eq!(
        *twice.lock().unwrap(),
        [],
        "(task, frame) ran twice in an epoch"
    );
}

/// Listings and lookups by name on one thread race tasks ending on another
/// (polled to completion, or cancelled by the lister): a listing finds only
/// live tasks, every output is dropped once, and the chain ends empty.
#[test]
fn listings_racing_the_ends_of_tasks_find_live_tasks_and_lose_none() {
    let (_clock, manager) = setup();
    let manager = Arc::new(manager);
    let drops = DropCounter::new();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let lister = {
        let (manager, stop) = (manager.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut seen = 0;
            while !stop.load(Ordering::Acquire) {
                for (i, task) in manager.tasks().into_iter().enumerate() {
                    // Listed live; it may end any time after.
                    seen += 1;
                    if i % 3 == 0 {
                        task.cancel();
                    }
                }
                seen += manager.find_tasks("named").len();
                seen += manager.find_tasks_matching("na*").len();
                if let Some(task) = manager.find_task("named") {
                    assert_eq!(task.name(), Some("named"));
                }
            }
            seen
        })
    };
    let rounds = if taskchain_conformance::kit::valgrind::under_valgrind() {
        30
    } else {
        300
    };
    for round in 0..rounds {
        let handles: Vec<_> = (0..64)
            .map(|i| {
                let token = drops.token();
                let task = TaskBuilder::coroutine(async move {
                    next_frame().await;
                    token
                });
                let task = if i % 2 == 0 { task.name("named") } else { task };
                manager.default_chain().add_task(task).unwrap()
            })
            .collect();
        manager.poll().unwrap();
        // Half the rounds drop their handles before the tasks end. A task
        // the lister cancelled ends on the lister's thread.
        if round % 2 == 0 {
            drop(handles);
        } else {
            eventually("every task of the round ends", || {
                manager.poll().unwrap();
                handles.iter().all(|h| h.is_done())
            });
        }
    }
    stop.store(true, Ordering::Release);
    let seen = lister.join().unwrap();
    manager.poll().unwrap();
    assert_eq!(manager.default_chain().stats().total(), 0);
    assert!(manager.tasks().is_empty());
    assert_eq!(
        drops.alive(),
        0,
        "made {}, dropped {}",
        drops.made(),
        drops.dropped()
    );
    eprintln!("the lister saw {seen} tasks");
}
