//! `TaskGroup` on the frame chain: values in spawn order, the first
//! failure cancelling the rest, drops and cancels that leave no child
//! running, refusals once the group closed, children on other chains.

mod common;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{eventually, ms, setup, threaded};
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    pause, AnyTask, AsyncFuture, ChainSettings, Error, ManualClock, TaskBuilder, TaskChainExt,
    TaskGroup, TaskManager,
};

/// Polls `manager`, advancing the clock by `step` after each poll, until
/// `done()` holds or `polls` polls ran.
fn poll_with_clock(
    manager: &TaskManager,
    clock: &ManualClock,
    step: Duration,
    polls: usize,
    mut done: impl FnMut() -> bool,
) {
    for _ in 0..polls {
        if done() {
            return;
        }
        manager.poll().unwrap();
        clock.advance(step);
    }
}

/// Polls `manager` until `future` is done (at most ten seconds, for the
/// children on threaded chains), then reads it: `None` if it is still
/// pending, so that a broken group fails the test instead of hanging it.
fn run_bounded<F: AsyncFuture>(
    manager: &TaskManager,
    future: &F,
) -> Option<Result<F::Value, Error>> {
    let deadline = std::time::Instant::now() + common::PATIENCE;
    while !future.is_done() && std::time::Instant::now() < deadline {
        manager.poll().unwrap();
        std::thread::yield_now();
    }
    future.try_take()
}

/// The handles a parent task spawned, for the test to inspect.
type Spawned = Arc<Mutex<Vec<AnyTask>>>;

fn spawned(handles: &Spawned) -> Vec<AnyTask> {
    handles.lock().unwrap().clone()
}

#[test]
fn all_children_succeed_and_join_yields_their_values_in_spawn_order() {
    let (clock, manager) = setup();
    let finished: Arc<Mutex<Vec<u64>>> = Arc::default();
    let parent = {
        let finished = finished.clone();
        manager.spawn_fallible(async move {
            let group = TaskGroup::new();
            for x in [3u64, 2, 1] {
                let finished = finished.clone();
                // The larger x pauses longer: the children end in reverse.
                group.spawn(async move {
                    pause(ms(100 * x)).await.unwrap();
                    finished.lock().unwrap().push(x);
                    x * 10
                })?;
            }
            assert_eq!((group.len(), group.running()), (3, 3));
            let values = group.join().await?;
            assert!(group.is_done());
            assert_eq!(group.running(), 0);
            Ok(values)
        })
    };
    poll_with_clock(&manager, &clock, ms(50), 40, || parent.is_done());
    assert_eq!(*finished.lock().unwrap(), [1, 2, 3], "ended in reverse");
    assert_eq!(parent.try_take(), Some(Ok(vec![30, 20, 10])), "spawn order");
}

#[test]
fn an_empty_group_joins_at_once() {
    let (_clock, manager) = setup();
    let parent = manager.spawn(async { TaskGroup::<u32>::new().join().await });
    manager.poll().unwrap();
    assert_eq!(parent.try_take(), Some(Ok(Ok(vec![]))));
}

#[test]
fn the_first_failure_cancels_the_others_and_join_yields_it() {
    let (clock, manager) = setup();
    let never = manager.promise::<u32>();
    let unstarted = DropCounter::new();
    let handles = Spawned::default();
    let parent = {
        let (never, handles) = (never.clone(), handles.clone());
        let (chain, token) = (manager.default_chain().clone(), unstarted.token());
        manager.spawn(async move {
            let group = TaskGroup::new();
            let children = [
                // Suspended on a promise: cancelled, and the promise with it.
                group.spawn_fallible(never),
                // Catches its cancel and fails afterwards: a later failure,
                // not the group's.
                group.spawn_fallible(async {
                    assert_eq!(pause(ms(10_000)).await, Err(Error::Cancelled));
                    Err(Error::InvalidSetting("a later failure".into()))
                }),
                // Fails first, after a pause.
                group.spawn_fallible(async {
                    pause(ms(100)).await?;
                    Err(Error::Timeout)
                }),
                // Delayed: not started when the failure comes, ended at once
                // with its future dropped unpolled.
                group.add_task(
                    &*chain,
                    TaskBuilder::coroutine(async move {
                        drop(token);
                        7
                    })
                    .delay(ms(10_000)),
                ),
            ];
            handles
                .lock()
                .unwrap()
                .extend(children.into_iter().map(Result::unwrap));
            let joined = group.join().await;
            (joined, group.error(), group.is_cancelled())
        })
    };
    poll_with_clock(&manager, &clock, ms(50), 40, || parent.is_done());
    let (joined, error, cancelled) = parent.try_take().unwrap().unwrap();
    assert_eq!(joined, Err(Error::Timeout), "the first failure");
    assert_eq!(error, Some(Error::Timeout));
    assert!(!cancelled, "a failure is not a cancel of the group");
    let children = spawned(&handles);
    assert!(children[0].is_cancelled() && never.is_cancelled());
    assert!(!children[1].is_cancelled(), "it refused its cancel");
    assert!(children[1].is_cancel_requested());
    assert!(!children[2].is_cancelled());
    assert!(children[3].is_cancelled());
    assert_eq!(
        (unstarted.made(), unstarted.dropped()),
        (1, 1),
        "the unstarted child's future was dropped"
    );
}

#[test]
fn a_panicking_child_fails_the_group_and_cancels_the_others() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let never = manager.promise::<u32>();
    let handles = Spawned::default();
    let parent = {
        let (never, handles) = (never.clone(), handles.clone());
        manager.spawn(async move {
            let group = TaskGroup::new();
            let waiting = group.spawn_fallible(never).unwrap();
            let panicking = group
                .spawn(async {
                    taskchain_core::next_frame().await;
                    panic!("boom: a child panics")
                })
                .unwrap();
            handles.lock().unwrap().extend([waiting, panicking]);
            group.join().await
        })
    };
    assert_eq!(
        run_bounded(&manager, &parent).expect("the parent ended"),
        Ok(Err(Error::Panicked("boom: a child panics".into())))
    );
    let children = spawned(&handles);
    assert!(children[0].is_cancelled() && never.is_cancelled());
    assert!(children[1].is_done() && !children[1].is_cancelled());
}

#[test]
fn dropping_the_group_cancels_its_running_children() {
    let (_clock, manager) = setup();
    let never = manager.promise::<u32>();
    let futures = DropCounter::new();
    let values = DropCounter::new();
    let group = manager.task_group();
    let suspended = {
        let (never, token) = (never.clone(), futures.token());
        group
            .spawn_fallible(async move {
                let _token = token;
                never.await.map(|_| None)
            })
            .unwrap()
    };
    let finished = {
        let token = values.token();
        group.spawn(async move { Some(token) }).unwrap()
    };
    manager.poll().unwrap();
    assert!(finished.is_done() && !suspended.is_done());
    let unstarted = {
        let token = futures.token();
        group
            .spawn(async move {
                let _token = token;
                None
            })
            .unwrap()
    };
    assert_eq!(futures.alive(), 2);

    drop(group);
    // Not started: ended on the spot. Suspended: asked, and it ends at
    // its next run.
    assert!(unstarted.is_cancelled());
    assert!(suspended.is_cancel_requested());
    assert_eq!(values.alive(), 0, "the unread value went with the group");
    manager.poll().unwrap();
    assert!(suspended.is_cancelled() && never.is_cancelled());
    assert_eq!(futures.alive(), 0, "no child left running");
    assert!(!finished.is_cancelled());
    assert_eq!(manager.tasks().len(), 0);
}

#[test]
fn a_parent_ending_without_joining_cancels_the_children_with_its_group() {
    let (_clock, manager) = setup();
    let never = manager.promise::<u32>();
    let handles = Spawned::default();
    let parent = {
        let (never, handles) = (never.clone(), handles.clone());
        manager.spawn(async move {
            let group = TaskGroup::new();
            let child = group.spawn_fallible(never).unwrap();
            handles.lock().unwrap().push(child);
            taskchain_core::next_frame().await;
            // Returns without a join: the group is dropped here.
        })
    };
    run_bounded(&manager, &parent)
        .expect("the parent ended")
        .unwrap();
    manager.poll().unwrap();
    assert!(spawned(&handles)[0].is_cancelled());
    assert!(never.is_cancelled());
}

#[test]
fn cancelling_the_awaiting_task_cancels_the_children_and_the_join_waits_for_them() {
    let (_clock, manager) = setup();
    let cleanup = manager.promise::<()>();
    let handles = Spawned::default();
    let parent = {
        let (cleanup, handles) = (cleanup.clone(), handles.clone());
        manager.spawn(async move {
            let group = TaskGroup::new();
            // Cleans up after its cancel before it ends.
            let slow = group
                .spawn(async move {
                    assert_eq!(pause(ms(10_000)).await, Err(Error::Cancelled));
                    cleanup.await.unwrap();
                    1
                })
                .unwrap();
            let quick = group
                .spawn(async {
                    let _ = pause(ms(10_000)).await;
                    2
                })
                .unwrap();
            // Fails as it is cancelled: the group's error, but the join
            // answers the parent's cancel.
            let failing = group
                .spawn_fallible(async {
                    assert_eq!(pause(ms(10_000)).await, Err(Error::Cancelled));
                    Err(Error::Timeout)
                })
                .unwrap();
            handles.lock().unwrap().extend([slow, quick, failing]);
            let joined = group.join().await;
            assert_eq!(group.error(), Some(Error::Timeout));
            (joined, group.is_cancelled())
        })
    };
    manager.poll().unwrap();
    assert!(parent.cancel());
    assert!(
        spawned(&handles).iter().all(|c| c.is_cancel_requested()),
        "the parent's cancel reached the children before it returned"
    );
    manager.poll().unwrap();
    manager.poll().unwrap();
    let children = spawned(&handles);
    assert!(children[0].is_cancel_requested() && children[1].is_cancel_requested());
    assert!(children[1].is_done(), "the quick child ended");
    assert!(!children[0].is_done(), "the slow one cleans up");
    assert!(!parent.is_done(), "the join waits for every child to end");
    cleanup.set_result(()).unwrap();
    let (joined, cancelled) = run_bounded(&manager, &parent)
        .expect("the parent ended")
        .unwrap();
    assert_eq!(joined, Err(Error::Cancelled));
    assert!(cancelled);
    assert!(!parent.is_cancelled(), "the parent handled the cancel");
}

#[test]
fn a_child_cancelled_on_its_own_does_not_fail_the_group() {
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let group = manager.task_group();
    let lone = {
        let gate = gate.clone();
        group.spawn_fallible(gate).unwrap()
    };
    let sibling = group
        .spawn(async {
            taskchain_core::next_frame().await;
            5
        })
        .unwrap();
    manager.poll().unwrap();
    assert!(lone.cancel());
    manager.poll().unwrap();
    assert!(lone.is_cancelled());
    assert!(!sibling.is_cancel_requested(), "the sibling goes on");
    assert_eq!(group.error(), None);
    // The group still takes children.
    group.spawn(async { 6 }).unwrap();
    let mut joined = None;
    for _ in 0..10 {
        joined = group.try_join();
        if joined.is_some() {
            break;
        }
        manager.poll().unwrap();
    }
    let joined = joined.expect("the group ended");
    assert!(sibling.is_done() && !sibling.is_cancelled());
    assert_eq!(joined, Err(Error::Cancelled), "the lone child has no value");
    assert!(!group.is_cancelled());
}

#[test]
fn cancelling_the_group_cancels_its_children_and_a_failure_outranks_it() {
    let (_clock, manager) = setup();
    let group = manager.task_group::<u32>();
    let child = group
        .spawn_fallible(async {
            pause(ms(10_000)).await?;
            Ok(1)
        })
        .unwrap();
    manager.poll().unwrap();
    assert!(group.cancel());
    assert!(group.is_cancelled());
    assert_eq!(group.spawn(async { 2 }).unwrap_err(), Error::GroupClosed);
    manager.poll().unwrap();
    assert!(child.is_cancelled());
    assert_eq!(group.try_join(), Some(Err(Error::Cancelled)));
    assert!(!group.cancel(), "it ended");

    // A child that fails while the group is being cancelled: the failure
    // is the group's error.
    let group = manager.task_group::<u32>();
    group
        .spawn_fallible(async {
            assert_eq!(pause(ms(10_000)).await, Err(Error::Cancelled));
            Err(Error::Timeout)
        })
        .unwrap();
    manager.poll().unwrap();
    assert!(group.cancel());
    manager.poll().unwrap();
    assert_eq!(group.try_join(), Some(Err(Error::Timeout)));
}

#[test]
fn adding_a_child_once_the_group_failed_or_ended_is_group_closed() {
    let (_clock, manager) = setup();
    let refused = DropCounter::new();
    let group = manager.task_group::<u32>();
    group.spawn_fallible(async { Err(Error::Timeout) }).unwrap();
    manager.poll().unwrap();
    assert_eq!(group.error(), Some(Error::Timeout));
    let chain = manager.default_chain().clone();
    let attempts = [
        {
            let token = refused.token();
            group.spawn(async move {
                drop(token);
                1
            })
        },
        group.spawn_fallible(async { Ok(1) }),
        group.spawn_on(&*chain, async { 1 }),
        group.spawn_fallible_on(&*chain, async { Ok(1) }),
        group.add_task(&*chain, TaskBuilder::coroutine(async { 1 })),
    ];
    for attempt in attempts {
        assert_eq!(attempt.unwrap_err(), Error::GroupClosed);
    }
    assert_eq!(
        refused.alive(),
        0,
        "the refused future was dropped unpolled"
    );
    assert_eq!(group.len(), 1);
    assert_eq!(manager.tasks().len(), 0, "nothing was spawned");

    // Once a join ended, the group is closed too.
    let group = manager.task_group::<u32>();
    group.spawn(async { 1 }).unwrap();
    manager.poll().unwrap();
    assert_eq!(group.try_join(), Some(Ok(vec![1])));
    assert_eq!(group.try_join(), Some(Err(Error::AlreadyTaken)));
    assert_eq!(group.spawn(async { 2 }).unwrap_err(), Error::GroupClosed);
}

#[test]
fn a_group_made_outside_any_task_has_no_chain_of_its_own() {
    let (_clock, manager) = setup();
    let group = TaskGroup::new();
    assert_eq!(group.spawn(async { 1 }).unwrap_err(), Error::NoChain);
    assert_eq!(
        group.spawn_fallible(async { Ok(1) }).unwrap_err(),
        Error::NoChain
    );
    assert!(group.is_empty() && group.running() == 0);
    // A named chain still works, and the refused spawns left no trace.
    group
        .spawn_on(&**manager.default_chain(), async { 2 })
        .unwrap();
    manager.poll().unwrap();
    assert_eq!(group.try_join(), Some(Ok(vec![2])));
}

#[test]
fn a_spawn_refused_by_its_chain_leaves_the_group_able_to_end() {
    let (_clock, manager) = setup();
    let group = manager.task_group::<u32>();
    let refused = group.add_task(
        &**manager.default_chain(),
        TaskBuilder::coroutine(async { 1 }).chain("elsewhere"),
    );
    assert_eq!(
        refused.unwrap_err(),
        Error::UnknownChain("elsewhere".into())
    );
    assert_eq!((group.len(), group.running()), (0, 0));
    assert_eq!(group.try_join(), Some(Ok(vec![])));
}

#[test]
fn children_on_other_chains_are_awaited_from_the_frame_chain_and_back() {
    let (_clock, manager) = setup();
    let workers = threaded(&manager, ChainSettings::default(), 2);
    let level = manager.make_task_chain("level").unwrap();

    // A frame-chain parent; children on a threaded chain and another frame
    // chain.
    let parent = {
        let (workers, level) = (workers.clone(), level.clone());
        manager.spawn_fallible(async move {
            let group = TaskGroup::new();
            group.spawn_on(&*workers, async { 1 })?;
            group.spawn_on(&*level, async { 2 })?;
            group.spawn(async { 3 })?;
            group.join().await
        })
    };
    assert_eq!(
        run_bounded(&manager, &parent).expect("the parent ended"),
        Ok(vec![1, 2, 3])
    );

    // A threaded-chain parent; children on the default frame chain, one
    // failing: the other, on the threaded chain, is cancelled.
    let never = manager.promise::<u32>();
    // Set once the waiting child awaits `never`: the failing child fails
    // only then, so the cancel it causes finds `never` awaited (a child
    // cancelled before its first poll would drop it unawaited).
    let awaiting = manager.promise::<()>();
    let handles = Spawned::default();
    let parent = {
        let (frames, handles, never, awaiting) = (
            manager.default_chain().clone(),
            handles.clone(),
            never.clone(),
            awaiting.clone(),
        );
        workers.spawn(async move {
            let group = TaskGroup::<u32>::new();
            assert_eq!(group.spawn_on(&*frames, async { 4 }).map(|_| ()), Ok(()));
            let failing = {
                let awaiting = awaiting.clone();
                group
                    .spawn_fallible_on(&*frames, async move {
                        awaiting.await?;
                        taskchain_core::next_frame().await;
                        Err(Error::Timeout)
                    })
                    .unwrap()
            };
            let waiting = group
                .spawn_fallible(async move {
                    let mut never = std::pin::pin!(never);
                    std::future::poll_fn(|cx| {
                        let read = never.as_mut().poll(cx);
                        if read.is_pending() {
                            let _ = awaiting.set_result(());
                        }
                        read
                    })
                    .await
                })
                .unwrap();
            assert_eq!(waiting.chain_name(), "threaded", "the parent's chain");
            handles.lock().unwrap().extend([failing, waiting]);
            group.join().await
        })
    };
    assert_eq!(
        run_bounded(&manager, &parent).expect("the parent ended"),
        Ok(Err(Error::Timeout))
    );
    eventually("the threaded child to end", || {
        spawned(&handles)[1].is_done()
    });
    assert!(spawned(&handles)[1].is_cancelled());
    assert!(never.is_cancelled());
}
