//! `TaskGroup`: the join yields the children's values in spawn order; the
//! first failure cancels the rest and is what the join yields; dropping
//! the group, or cancelling the task awaiting its join, cancels the
//! children still running; children on another chain are awaited as
//! well, in both directions.

use std::sync::{Arc, Mutex};

use taskchain_core::{AnyTask, AsyncFuture, Error, Promise, TaskChain, TaskChainExt, TaskGroup};

use super::support::marker;
use crate::kit::counters::{bump, counter, get, Counter};
use crate::{settle, ChainFactory, Fixture};

/// The children a parent task spawned, for the scenario to inspect.
type Spawned = Arc<Mutex<Vec<AnyTask>>>;

fn spawned(handles: &Spawned) -> Vec<AnyTask> {
    handles.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A child that counts its start in `started`, then awaits `never`: once
/// started, a cancel reaches `never` too.
async fn await_never(started: Counter, never: Promise<u32>) -> Result<u32, Error> {
    bump(&started);
    never.await
}

/// A chain of the same manager other than the chain under test: the
/// default frame chain, or a new frame chain when the chain under test is
/// the default one.
fn other_chain(fx: &Fixture) -> Arc<dyn TaskChain> {
    if fx.chain.name() == taskchain_core::DEFAULT_CHAIN {
        fx.manager
            .make_task_chain("conformance-groups")
            .expect("make_task_chain")
    } else {
        fx.manager.default_chain().clone()
    }
}

/// The children end in the reverse of their spawn order; the join yields
/// their values in spawn order, from a task on the chain.
pub(crate) fn values_in_spawn_order(f: &dyn ChainFactory) {
    let fx = f.build();
    let gates: Vec<Promise<u32>> = (0..3).map(|_| fx.chain.promise()).collect();
    let parent = {
        let gates = gates.clone();
        fx.chain.spawn_fallible(async move {
            let group = TaskGroup::new();
            for gate in gates {
                group.spawn_fallible(async move { Ok(gate.await? * 10) })?;
            }
            group.join().await
        })
    };
    for (i, gate) in gates.iter().enumerate().rev() {
        gate.set_result(i as u32).expect("set_result");
    }
    settle(f, &fx, "the join to yield", || parent.is_done());
    assert_eq!(parent.result(None), Ok(vec![0, 10, 20]), "spawn order");
}

/// A failing child (an error, then a panic) cancels its running siblings,
/// and the join yields its error once they ended.
pub(crate) fn first_failure_cancels_the_rest(f: &dyn ChainFactory) {
    let fx = f.build();
    for panics in [false, true] {
        let never = fx.chain.promise::<u32>();
        let fail = fx.chain.promise::<u32>();
        let (handles, started) = (Spawned::default(), counter());
        let parent = {
            let (never, fail, handles) = (never.clone(), fail.clone(), handles.clone());
            let started = started.clone();
            fx.chain.spawn(async move {
                let group = TaskGroup::new();
                let waiting = group.spawn_fallible(await_never(started, never));
                let failing = group.spawn_fallible(async move {
                    fail.await?;
                    if panics {
                        panic!("{}", marker("a group child panics"));
                    }
                    Err(Error::Timeout)
                });
                handles
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend([waiting, failing].into_iter().map(Result::unwrap));
                group.join().await
            })
        };
        settle(f, &fx, "the waiting child to start", || get(&started) == 1);
        fail.set_result(0).expect("set_result");
        settle(f, &fx, "the join to yield", || parent.is_done());
        let expected = if panics {
            Error::Panicked(marker("a group child panics"))
        } else {
            Error::Timeout
        };
        assert_eq!(parent.result(None), Ok(Err(expected)));
        let children = spawned(&handles);
        assert!(children[0].is_cancelled(), "the sibling was cancelled");
        assert!(never.is_cancelled(), "and what it awaited");
        assert!(!children[1].is_cancelled());
    }
}

/// Dropping a group cancels its running children: no orphan goes on.
pub(crate) fn drop_cancels_running_children(f: &dyn ChainFactory) {
    let fx = f.build();
    let never = fx.chain.promise::<u32>();
    let group = fx.chain.task_group::<u32>();
    let started = counter();
    let child = group
        .spawn_fallible(await_never(started.clone(), never.clone()))
        .expect("spawn");
    let done = group.spawn(async { 1 }).expect("spawn");
    settle(f, &fx, "the children to run", || {
        done.is_done() && get(&started) == 1
    });
    drop(group);
    settle(f, &fx, "the running child to end", || child.is_done());
    assert!(child.is_cancelled() && never.is_cancelled());
    assert!(!done.is_cancelled());
}

/// Cancelling the task awaiting the join cancels the children; the join
/// yields `Err(Cancelled)` once they ended.
pub(crate) fn cancelled_awaiter_cancels_children(f: &dyn ChainFactory) {
    let fx = f.build();
    let never = fx.chain.promise::<u32>();
    let (handles, started) = (Spawned::default(), counter());
    let parent = {
        let (never, handles, started) = (never.clone(), handles.clone(), started.clone());
        fx.chain.spawn(async move {
            let group = TaskGroup::new();
            let child = group.spawn_fallible(await_never(started, never)).unwrap();
            handles
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(child);
            group.join().await
        })
    };
    settle(f, &fx, "the child to start", || get(&started) == 1);
    assert!(parent.cancel());
    settle(f, &fx, "the join to yield", || parent.is_done());
    assert_eq!(parent.result(None), Ok(Err(Error::Cancelled)));
    assert!(spawned(&handles)[0].is_cancelled());
    assert!(never.is_cancelled());
}

/// Children on another chain, awaited from the chain under test, and
/// children on the chain under test awaited from another chain; a failure
/// on one chain cancels a sibling on the other.
pub(crate) fn across_chains(f: &dyn ChainFactory) {
    let fx = f.build();
    let other = other_chain(&fx);
    for (parent_chain, child_chain) in [(&fx.chain, &other), (&other, &fx.chain)] {
        let parent = {
            let child_chain = child_chain.clone();
            parent_chain.spawn_fallible(async move {
                let group = TaskGroup::new();
                group.spawn_on(&*child_chain, async { 1 })?;
                group.spawn(async { 2 })?;
                group.spawn_on(&*child_chain, async { 3 })?;
                group.join().await
            })
        };
        settle(f, &fx, "the cross-chain join to yield", || parent.is_done());
        assert_eq!(parent.result(None), Ok(vec![1, 2, 3]));

        let (never, fail) = (fx.chain.promise::<u32>(), fx.chain.promise::<u32>());
        let (handles, started) = (Spawned::default(), counter());
        let parent = {
            let (child_chain, handles) = (child_chain.clone(), handles.clone());
            let (never, fail, started) = (never.clone(), fail.clone(), started.clone());
            parent_chain.spawn(async move {
                let group = TaskGroup::new();
                let waiting = group.spawn_fallible(await_never(started, never));
                let failing = group.spawn_fallible_on(&*child_chain, async move {
                    fail.await?;
                    Err(Error::Timeout)
                });
                handles
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend([waiting, failing].into_iter().map(Result::unwrap));
                group.join().await
            })
        };
        settle(f, &fx, "the waiting child to start", || get(&started) == 1);
        fail.set_result(0).expect("set_result");
        settle(f, &fx, "the cross-chain failure to reach the join", || {
            parent.is_done()
        });
        assert_eq!(parent.result(None), Ok(Err(Error::Timeout)));
        assert!(spawned(&handles)[0].is_cancelled());
        assert!(never.is_cancelled());
    }
}
