//! `gather` and `shield`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::setup;
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{gather, pause, shield, AsyncFuture, Error, Promise, TaskBuilder};

#[test]
fn empty_gather_is_done_at_once() {
    let (_clock, manager) = setup();
    let empty = gather(Vec::<Promise<u32>>::new());
    assert!(empty.is_done());
    assert!(!empty.is_cancelled());
    assert_eq!(empty.result(Some(Duration::ZERO)), Ok(vec![]));
    let empty = manager.gather(Vec::<Promise<u32>>::new());
    assert!(empty.is_done());
    assert_eq!(empty.try_take(), Some(Ok(vec![])));
    assert!(!empty.cancel(), "a done gather cannot be cancelled");

    // Awaited from a coroutine: done in its first run.
    let h = manager.spawn(async { gather(Vec::<Promise<u32>>::new()).await });
    manager.poll().unwrap();
    assert_eq!(h.result(Some(Duration::ZERO)), Ok(Ok(vec![])));
}

#[test]
fn gather_cubes_in_argument_order_while_runs_interleave() {
    let (clock, manager) = setup();
    let finished: Arc<Mutex<Vec<u64>>> = Arc::default();
    let cubes: Vec<_> = [3u64, 4, 5]
        .into_iter()
        .map(|x| {
            let finished = finished.clone();
            manager.spawn(async move {
                // The larger x pauses less: completions come in reverse order.
                pause(Duration::from_millis(100 * (6 - x))).await.unwrap();
                let square = TaskBuilder::coroutine(async move { x * x }).await.unwrap();
                finished.lock().unwrap().push(x);
                x * square
            })
        })
        .collect();
    let all = manager.spawn(async move { gather(cubes).await });
    for _ in 0..40 {
        if all.is_done() {
            break;
        }
        manager.poll().unwrap();
        clock.advance(Duration::from_millis(50));
    }
    assert_eq!(*finished.lock().unwrap(), [5, 4, 3]);
    assert_eq!(all.result(Some(Duration::ZERO)), Ok(Ok(vec![27, 64, 125])));
}

#[test]
fn gather_is_done_when_all_children_are_done() {
    let (_clock, manager) = setup();
    let ps: Vec<Promise<u32>> = (0..3).map(|_| manager.promise()).collect();
    let g = manager.gather(ps.clone());
    assert_eq!(g.children().len(), 3);
    ps[2].set_result(30).unwrap();
    ps[0].set_result(10).unwrap();
    assert!(!g.is_done());
    assert_eq!(g.result(Some(Duration::ZERO)), Err(Error::Timeout));
    assert_eq!(g.try_take(), None);
    ps[1].set_result(20).unwrap();
    assert!(g.is_done());
    assert_eq!(g.result(None), Ok(vec![10, 20, 30]));
}

#[test]
fn gather_reports_the_first_child_error_in_argument_order() {
    let (_clock, manager) = setup();
    let ps: Vec<Promise<u32>> = (0..3).map(|_| manager.promise()).collect();
    let g = gather(ps.clone());
    ps[0].set_result(1).unwrap();
    ps[2].cancel();
    ps[1].set_result(2).unwrap();
    assert!(g.is_done());
    assert_eq!(g.result(None), Err(Error::Cancelled));

    // With tasks: a panic before a cancel in argument order is reported.
    quiet_panics("boom:");
    let ok = manager.spawn(async { 1 });
    let boom = manager.spawn(async {
        if true {
            panic!("boom: gathered");
        }
        2
    });
    let gate = manager.promise::<u32>();
    let cancelled = {
        let gate = gate.clone();
        manager.spawn(async move { gate.await.unwrap() })
    };
    cancelled.cancel();
    let g = gather(vec![ok, boom, cancelled]);
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert!(g.is_done());
    match g.result(None) {
        Err(Error::Panicked(msg)) => assert!(msg.contains("boom: gathered"), "{msg}"),
        other => panic!("expected the panic of the second child, got {other:?}"),
    }
    // The failed read took no value: the first child's output is still there.
    assert!(matches!(g.error(), Some(Error::Panicked(_))));
    assert_eq!(g.children()[0].try_take(), Some(Ok(1)));
}

// regression: a read after one child's value was taken returned
// AlreadyTaken, but only after moving out and dropping the values of the
// children before it.
#[test]
fn a_read_that_finds_a_taken_child_value_takes_no_other() {
    let (_clock, manager) = setup();
    let values: Vec<_> = (0..3u32)
        .map(|x| manager.spawn(async move { x * 10 }))
        .collect();
    let g = gather(values);
    manager.poll().unwrap();
    assert!(g.is_done());
    assert_eq!(g.children()[1].try_take(), Some(Ok(10)));
    assert_eq!(g.try_take(), Some(Err(Error::AlreadyTaken)));
    assert_eq!(g.result(None), Err(Error::AlreadyTaken));
    assert_eq!(g.error(), None, "a taken value is not an error");
    assert_eq!(g.children()[0].try_take(), Some(Ok(0)));
    assert_eq!(g.children()[2].try_take(), Some(Ok(20)));

    // A shield over a task whose output was taken says so too.
    let task = manager.spawn(async { 1u32 });
    manager.poll().unwrap();
    let s = shield(task);
    assert!(s.get_ref().has_value());
    assert_eq!(s.get_ref().try_take(), Some(Ok(1)));
    assert!(!s.get_ref().has_value());
    assert_eq!(s.try_take(), Some(Err(Error::AlreadyTaken)));
}

#[test]
fn a_cancelled_child_does_not_cancel_the_gather() {
    let (_clock, manager) = setup();
    let ps: Vec<Promise<u32>> = (0..2).map(|_| manager.promise()).collect();
    let g = manager.gather(ps.clone());
    assert!(ps[0].cancel());
    assert!(!g.is_done());
    assert!(!g.is_cancelled());
    assert!(!ps[1].is_done(), "siblings are left alone");
    ps[1].set_result(5).unwrap();
    assert!(g.is_done());
    assert!(!g.is_cancelled());
    assert_eq!(g.result(None), Err(Error::Cancelled));
}

#[test]
fn cancelling_the_gather_cancels_every_child() {
    let (_clock, manager) = setup();
    let done = manager.promise::<u32>();
    done.set_result(1).unwrap();
    let pending = manager.promise::<u32>();
    let g = manager.gather(vec![done.clone(), pending.clone()]);
    assert!(g.cancel());
    assert!(!g.cancel());
    assert!(g.is_cancelled());
    assert!(pending.is_cancelled());
    assert!(!done.is_cancelled(), "a done child keeps its value");
    assert_eq!(done.result(None), Ok(1));
    assert_eq!(g.result(None), Err(Error::Cancelled));

    // Task children: a queued one is cancelled at once, a suspended one on
    // its next run.
    let gate = manager.promise::<u32>();
    let suspended = {
        let gate = gate.clone();
        // Fallible: the cancellation delivered at its await ends it.
        manager.spawn_fallible(gate)
    };
    manager.poll().unwrap();
    let queued = manager.spawn(async { 9u32 });
    let g = manager.gather(vec![suspended, queued]);
    assert!(g.cancel());
    assert!(g.children()[1].is_cancelled());
    assert!(g.children()[0].is_cancel_requested());
    manager.poll().unwrap();
    assert!(g.children()[0].is_cancelled());
    assert!(gate.is_cancelled());
}

#[test]
fn cancelling_the_shield_leaves_the_inner_future_running() {
    let (_clock, manager) = setup();
    let save = manager.promise::<u32>();
    let guard = shield(save.clone());
    assert!(guard.cancel());
    assert!(!guard.cancel());
    assert!(guard.is_cancelled());
    assert!(!save.is_done());
    save.set_result(4).unwrap();
    assert_eq!(save.result(None), Ok(4));
    assert!(guard.is_cancelled(), "terminal states never change");
    assert_eq!(guard.result(None), Err(Error::Cancelled));
}

#[test]
fn shield_finishes_or_cancels_with_its_inner_future() {
    let (_clock, manager) = setup();
    let p = manager.promise::<u32>();
    let s = shield(p.clone());
    assert!(!s.is_done());
    assert_eq!(s.result(Some(Duration::ZERO)), Err(Error::Timeout));
    p.set_result(5).unwrap();
    assert!(s.is_done());
    assert!(!s.is_cancelled());
    assert_eq!(s.result(None), Ok(5));

    let q = manager.promise::<u32>();
    let s = shield(q.clone());
    q.cancel();
    assert!(s.is_done());
    assert!(s.is_cancelled());
    assert_eq!(s.result(None), Err(Error::Cancelled));

    // Already done when shielded.
    let s = shield(p.clone());
    assert_eq!(s.result(None), Ok(5));
    assert_eq!(s.get_ref().result(None), Ok(5));
}

#[test]
fn coroutine_cancelled_while_awaiting_a_shielded_task_leaves_the_task_running() {
    let (clock, manager) = setup();
    let inner = manager.spawn(async {
        pause(Duration::from_secs(1)).await.unwrap();
        "saved"
    });
    let inner_any = inner.as_any();
    let seen: Arc<Mutex<Option<String>>> = Arc::default();
    let outer = {
        let seen = seen.clone();
        manager.spawn(async move {
            let mut s = shield(inner);
            let r = (&mut s).await;
            *seen.lock().unwrap() = Some(format!("{r:?}"));
            s.is_cancelled()
        })
    };
    manager.poll().unwrap();
    assert!(outer.cancel());
    manager.poll().unwrap();
    assert_eq!(seen.lock().unwrap().as_deref(), Some("Err(Cancelled)"));
    assert!(!outer.is_cancelled(), "it handled the cancellation");
    assert_eq!(outer.try_take(), Some(Ok(true)), "the shield was cancelled");
    assert!(!inner_any.is_done(), "the shielded task goes on");
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert!(inner_any.is_done());
    assert!(!inner_any.is_cancelled());
}

#[test]
fn shield_over_a_task_finishes_with_the_task() {
    let (clock, manager) = setup();
    let inner = manager.spawn(async {
        pause(Duration::from_secs(1)).await.unwrap();
        11u32
    });
    let s = manager.default_chain().clone();
    let s = taskchain_core::TaskChainExt::shield(&*s, inner);
    manager.poll().unwrap();
    assert!(!s.is_done());
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert!(s.is_done());
    assert_eq!(s.result(None), Ok(11));
}

#[test]
fn nested_gathers_and_shields_compose() {
    let (_clock, manager) = setup();
    let leaves: Vec<Promise<u32>> = (0..4).map(|_| manager.promise()).collect();
    let outer = manager.gather(vec![
        gather(vec![leaves[0].clone(), leaves[1].clone()]),
        gather(vec![leaves[2].clone()]),
    ]);
    assert!(outer.cancel());
    assert!(outer.children().iter().all(|g| g.is_cancelled()));
    assert!(
        leaves[..3].iter().all(|l| l.is_cancelled()),
        "grandchildren too"
    );

    let saved = gather(vec![shield(leaves[3].clone())]);
    assert!(saved.cancel());
    assert!(saved.children()[0].is_cancelled());
    assert!(!leaves[3].is_done(), "the shield stops the cancellation");
    leaves[3].set_result(3).unwrap();
    assert_eq!(leaves[3].result(None), Ok(3));

    // Values flow through nested gathers in argument order.
    let ps: Vec<Promise<u32>> = (0..4).map(|_| manager.promise()).collect();
    let nested = gather(vec![
        gather(vec![ps[0].clone(), ps[1].clone()]),
        gather(vec![ps[2].clone(), ps[3].clone()]),
    ]);
    for (i, p) in ps.iter().enumerate().rev() {
        p.set_result(i as u32 * 10).unwrap();
    }
    assert_eq!(nested.result(None), Ok(vec![vec![0, 10], vec![20, 30]]));
}
