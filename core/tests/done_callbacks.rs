//! Done callbacks: they run on a later poll of the chain the future belongs
//! to (never inline in `set_result` or `cancel`), on cancel too, and get the
//! future.

mod common;

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{setup, PanicOnDrop};
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_conformance::kit::log::{new_log, push, seen, Log};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    pause, AsyncFuture, DoneStatus, Error, Promise, TaskBuilder, TaskChain, TaskChainExt,
    TaskContext,
};

/// Logs what `describe` makes of `f` once `f` is done.
fn log_when_done<F: AsyncFuture>(
    f: &F,
    log: &Log,
    describe: impl FnOnce(&F) -> String + Send + 'static,
) {
    let log = log.clone();
    f.add_done_callback(move |f| push(&log, describe(f)))
        .unwrap();
}

/// Counts in `calls` the runs of a done callback on `f`.
fn count_calls<F: AsyncFuture>(f: &F, calls: &Arc<AtomicUsize>) {
    let calls = calls.clone();
    f.add_done_callback(move |_| {
        bump(&calls);
    })
    .unwrap();
}

#[test]
fn promise_callback_runs_on_a_later_poll_not_in_set_result() {
    let (_clock, manager) = setup();
    let log = new_log();
    let p = manager.promise::<u32>();
    log_when_done(&p, &log, |f| format!("cb {:?}", f.try_take()));
    manager.poll().unwrap();
    assert!(seen(&log).is_empty(), "not run while pending");
    p.set_result(5).unwrap();
    assert!(seen(&log).is_empty(), "not inline in set_result");
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["cb Some(Ok(5))"]);
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["cb Some(Ok(5))"], "runs once");
}

#[test]
fn promise_callback_runs_on_cancel_and_sees_the_cancelled_future() {
    let (_clock, manager) = setup();
    let log = new_log();
    let p = manager.promise::<u32>();
    log_when_done(&p, &log, |f| {
        format!("cancelled={} {:?}", f.is_cancelled(), f.try_take())
    });
    assert!(p.cancel());
    assert!(seen(&log).is_empty(), "not inline in cancel");
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["cancelled=true Some(Err(Cancelled))"]);
}

#[test]
fn set_result_from_inside_a_task_runs_callbacks_on_a_later_poll() {
    let (_clock, manager) = setup();
    let log = new_log();
    let p = manager.promise::<u32>();
    log_when_done(&p, &log, |f| format!("cb {:?}", f.try_take()));
    {
        let (log, p) = (log.clone(), p.clone());
        manager.add(move |_: &TaskContext<'_>| {
            p.set_result(1).unwrap();
            push(&log, "set");
            DoneStatus::Done
        });
    }
    {
        let log = log.clone();
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    push(&log, "later task");
                    DoneStatus::Done
                })
                .sort(10),
            )
            .unwrap();
    }
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["set", "later task"]);
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["set", "later task", "cb Some(Ok(1))"]);
}

#[test]
fn callback_added_after_done_still_runs_on_a_later_poll() {
    let (_clock, manager) = setup();
    let calls = counter();
    let p = manager.promise::<u32>();
    p.set_result(2).unwrap();
    {
        let calls = calls.clone();
        p.add_done_callback(move |f: &Promise<u32>| {
            assert_eq!(f.try_take(), Some(Ok(2)));
            bump(&calls);
        })
        .unwrap();
    }
    assert_eq!(get(&calls), 0, "not inline in add_done_callback");
    manager.poll().unwrap();
    assert_eq!(get(&calls), 1);
}

#[test]
fn promise_made_outside_any_task_has_no_chain() {
    let p = Promise::<u32>::new();
    assert_eq!(p.add_done_callback(|_| {}), Err(Error::NoChain));
    let d = Promise::<u32>::default();
    assert_eq!(d.add_done_callback(|_| {}), Err(Error::NoChain));
    // Still a working promise.
    p.set_result(3).unwrap();
    assert_eq!(p.result(None), Ok(3));
}

#[test]
fn promise_made_inside_a_task_belongs_to_that_tasks_chain() {
    let (_clock, manager) = setup();
    let b = manager.make_task_chain("b").unwrap();
    let slot: Arc<Mutex<Option<Promise<u32>>>> = Arc::default();
    {
        let slot = slot.clone();
        b.spawn(async move {
            *slot.lock().unwrap() = Some(Promise::new());
        });
    }
    b.poll().unwrap();
    let p = slot.lock().unwrap().take().unwrap();
    let calls = counter();
    count_calls(&p, &calls);
    p.set_result(1).unwrap();
    manager.default_chain().poll().unwrap();
    assert_eq!(get(&calls), 0, "runs on chain b, not default");
    b.poll().unwrap();
    assert_eq!(get(&calls), 1);
}

#[test]
fn task_handle_callback_runs_after_the_task_finishes_and_gets_the_handle() {
    let (clock, manager) = setup();
    let log = new_log();
    let h = manager.spawn(async {
        pause(Duration::from_secs(1)).await.unwrap();
        9u32
    });
    log_when_done(&h, &log, |t| {
        format!(
            "done={} cancelled={} {:?}",
            t.is_done(),
            t.is_cancelled(),
            t.try_take()
        )
    });
    manager.poll().unwrap();
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert!(h.is_done());
    assert!(seen(&log).is_empty(), "not inline in the task's completion");
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["done=true cancelled=false Some(Ok(9))"]);
}

#[test]
fn task_handle_callback_runs_on_cancel() {
    let (_clock, manager) = setup();
    let log = new_log();
    let h = manager.add(|_: &TaskContext<'_>| DoneStatus::Cont);
    log_when_done(&h, &log, |t| format!("cancelled={}", t.is_cancelled()));
    assert!(h.cancel());
    assert!(seen(&log).is_empty(), "not inline in cancel");
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["cancelled=true"]);
}

#[test]
fn callbacks_of_a_task_on_another_chain_run_on_that_chain() {
    let (_clock, manager) = setup();
    let b = manager.make_task_chain("b").unwrap();
    let calls = counter();
    let h = b.spawn(async { 1 });
    count_calls(&h, &calls);
    b.poll().unwrap();
    assert!(h.is_done());
    manager.default_chain().poll().unwrap();
    assert_eq!(get(&calls), 0);
    b.poll().unwrap();
    assert_eq!(get(&calls), 1);
}

#[test]
fn gather_and_shield_callbacks() {
    let (_clock, manager) = setup();
    let log = new_log();
    let ps: Vec<Promise<u32>> = (0..2).map(|_| manager.promise()).collect();
    let g = manager.gather(ps.clone());
    log_when_done(&g, &log, |g| format!("gather {:?}", g.try_take()));
    let inner = manager.promise::<u32>();
    let s = manager.default_chain().shield(inner.clone());
    log_when_done(&s, &log, |s| format!("shield {:?}", s.try_take()));
    ps[0].set_result(1).unwrap();
    ps[1].set_result(2).unwrap();
    s.cancel();
    assert!(seen(&log).is_empty());
    manager.poll().unwrap();
    let mut got = seen(&log);
    got.sort();
    assert_eq!(
        got,
        ["gather Some(Ok([1, 2]))", "shield Some(Err(Cancelled))"]
    );
    assert!(!inner.is_done());

    // A gather or shield made outside any task with the free functions has
    // no chain to run callbacks on.
    let free = taskchain_core::gather(vec![manager.promise::<u32>()]);
    assert_eq!(free.add_done_callback(|_| {}), Err(Error::NoChain));
    let free = taskchain_core::shield(manager.promise::<u32>());
    assert_eq!(free.add_done_callback(|_| {}), Err(Error::NoChain));
}

#[test]
fn every_callback_runs_once_in_the_polling_thread() {
    let (_clock, manager) = setup();
    let p = manager.promise::<u32>();
    let runs: Arc<Mutex<Vec<(usize, std::thread::ThreadId)>>> = Arc::default();
    for i in 0..3 {
        let runs = runs.clone();
        p.add_done_callback(move |_| {
            runs.lock().unwrap().push((i, std::thread::current().id()));
        })
        .unwrap();
    }
    let setter = p.clone();
    std::thread::spawn(move || setter.set_result(4).unwrap())
        .join()
        .unwrap();
    assert!(runs.lock().unwrap().is_empty());
    manager.poll().unwrap();
    manager.poll().unwrap();
    let runs = runs.lock().unwrap().clone();
    let mut ids: Vec<usize> = runs.iter().map(|r| r.0).collect();
    ids.sort();
    assert_eq!(ids, [0, 1, 2]);
    assert!(runs.iter().all(|r| r.1 == std::thread::current().id()));
}

#[test]
fn shutdown_runs_pending_callbacks() {
    let (_clock, manager) = setup();
    let calls = counter();
    let p = manager.promise::<u32>();
    let h = manager.add(|_: &TaskContext<'_>| DoneStatus::Cont);
    count_calls(&p, &calls);
    {
        let calls = calls.clone();
        h.add_done_callback(move |t| {
            assert!(t.is_cancelled());
            bump(&calls);
        })
        .unwrap();
    }
    p.set_result(1).unwrap();
    manager.shutdown();
    assert_eq!(get(&calls), 2);
}

// ---------------------------------------------------------------- shutdown

// regression: after shutdown a done callback ran inline in set_result, so a
// caller holding a lock the callback takes deadlocked.
#[test]
fn a_callback_whose_future_completes_after_shutdown_is_dropped_not_run_inline() {
    let (_clock, manager) = setup();
    let state = Arc::new(Mutex::new(0));
    let (ran, inline, drops) = (counter(), counter(), DropCounter::new());
    // Queued before the shutdown: the shutdown's last drain runs it.
    let early = manager.promise::<u32>();
    count_calls(&early, &ran);
    early.set_result(1).unwrap();
    let late = manager.promise::<u32>();
    {
        let (state, ran, inline, dropped) =
            (state.clone(), ran.clone(), inline.clone(), drops.token());
        late.add_done_callback(move |_| {
            let _held = &dropped;
            bump(&ran);
            // Inline in set_result, the lock would be the caller's.
            if state.try_lock().is_err() {
                bump(&inline);
            }
        })
        .unwrap();
    }
    manager.shutdown();
    assert_eq!(
        get(&ran),
        1,
        "the callback queued before the shutdown ran in it"
    );
    {
        let _caller_holds = state.lock().unwrap();
        late.set_result(2).unwrap();
    }
    assert_eq!(
        (get(&ran), get(&inline)),
        (1, 0),
        "not run, inline or later"
    );
    assert_eq!(drops.dropped(), 1, "dropped at once");
    manager.poll().unwrap();
    assert_eq!(get(&ran), 1);
}

/// An unrun callback of a closed chain is dropped in `set_result`: a
/// panicking destructor of its captures is caught there.
#[test]
fn a_dropped_callback_with_a_panicking_destructor_does_not_reach_set_result() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let capture = PanicOnDrop("boom: a callback's capture");
    promise
        .add_done_callback(move |_| {
            let _held = &capture;
        })
        .unwrap();
    manager.shutdown();
    assert_eq!(promise.set_result(1), Ok(()));
    assert_eq!(promise.result(None), Ok(1));
}

#[test]
fn adding_a_callback_once_the_chain_is_closed_is_shutdown_and_drops_it() {
    let (_clock, manager) = setup();
    let pending = manager.promise::<u32>();
    let done = manager.promise::<u32>();
    done.set_result(1).unwrap();
    manager.shutdown();
    let (ran, drops) = (counter(), DropCounter::new());
    for promise in [&pending, &done] {
        let (ran, dropped) = (ran.clone(), drops.token());
        let added = promise.add_done_callback(move |_| {
            let _held = &dropped;
            bump(&ran);
        });
        assert_eq!(added, Err(Error::Shutdown));
    }
    pending.set_result(2).unwrap();
    assert_eq!(
        (get(&ran), drops.dropped()),
        (0, 2),
        "never run, both dropped"
    );
}
