//! Task sequences: children run one after another as one task, `Exit` ends
//! the sequence, loops repeat, cancelling drops the running child.

mod common;

use std::future::IntoFuture;
use std::time::Duration;

use common::{ms, poll_and_drain, setup};
use futures_util::FutureExt;
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_conformance::kit::log::{drain, new_log, push, Log};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    loop_sequence, pause, sequence, AsyncFuture, Coroutine, DoneStatus, Error, FallibleCoroutine,
    Sequence, TaskBuilder, TaskChain, TaskChainExt, TaskContext,
};

/// A recurring child that logs `name:frame` and continues until its frame
/// `last`, then returns `end`.
fn child(
    log: &Log,
    name: &'static str,
    last: u64,
    end: DoneStatus,
) -> impl FnMut(&TaskContext<'_>) -> DoneStatus + Send + 'static {
    let log = log.clone();
    move |t: &TaskContext<'_>| {
        push(&log, format!("{name}:{}", t.frame()));
        if t.frame() < last {
            DoneStatus::Cont
        } else {
            end
        }
    }
}

#[test]
fn children_run_one_after_another_one_run_per_epoch() {
    let (_clock, manager) = setup();
    let log = new_log();
    let l = log.clone();
    let seq = Sequence::new()
        .then_recurring(child(&log, "a", 2, DoneStatus::Done))
        .then_recurring(child(&log, "b", 0, DoneStatus::Done))
        .then_coroutine(async move { push(&l, "c") });
    let handle = manager.add_task(TaskBuilder::new(seq)).unwrap();

    assert_eq!(poll_and_drain(&manager, &log), ["a:0"]);
    assert_eq!(poll_and_drain(&manager, &log), ["a:1"]);
    assert_eq!(poll_and_drain(&manager, &log), ["a:2"]);
    assert!(!handle.is_done());
    // The next child starts on the next epoch, with its own frame count.
    assert_eq!(poll_and_drain(&manager, &log), ["b:0"]);
    assert!(!handle.is_done());
    assert_eq!(poll_and_drain(&manager, &log), ["c"]);
    assert!(handle.is_done(), "done in the run its last child finished");
    assert_eq!(handle.result(None), Ok(vec![(), (), ()]));
    assert_eq!(poll_and_drain(&manager, &log), Vec::<String>::new());
}

#[test]
fn awaiting_a_sequence_yields_the_outputs_in_order() {
    let (clock, manager) = setup();
    let outer = manager.spawn(async {
        let words = Sequence::new()
            .then_coroutine(async { "one" })
            .then_coroutine(async {
                pause(ms(100)).await.unwrap();
                "two"
            })
            .then(Coroutine::new(async { "three" }))
            .await?;
        let squares = sequence((1..=4).map(|i| Coroutine::new(async move { i * i }))).await?;
        Ok::<_, Error>((words, squares))
    });
    for _ in 0..20 {
        if outer.is_done() {
            break;
        }
        manager.poll().unwrap();
        clock.advance(ms(50));
    }
    assert_eq!(
        outer.result(None),
        Ok(Ok((vec!["one", "two", "three"], vec![1, 4, 9, 16])))
    );
}

#[test]
fn exit_ends_the_sequence_and_the_rest_never_runs() {
    let (_clock, manager) = setup();
    let log = new_log();
    let rest_drops = DropCounter::new();
    let guard = rest_drops.token();
    let l = log.clone();
    let seq = Sequence::new()
        .then_recurring(child(&log, "a", 0, DoneStatus::Done))
        .then_recurring(child(&log, "b", 1, DoneStatus::Exit))
        .then_recurring(move |_: &TaskContext<'_>| {
            let _keep = &guard;
            push(&l, "never");
            DoneStatus::Done
        });
    let handle = manager.add_task(TaskBuilder::new(seq)).unwrap();
    assert_eq!(poll_and_drain(&manager, &log), ["a:0"]);
    assert_eq!(poll_and_drain(&manager, &log), ["b:0"]);
    assert_eq!(poll_and_drain(&manager, &log), ["b:1"]);
    assert!(handle.is_done(), "Exit ends it in the same run");
    assert_eq!(rest_drops.dropped(), 1, "the children left are dropped");
    assert_eq!(
        handle.result(None),
        Ok(vec![(), ()]),
        "outputs up to the Exit"
    );
    assert_eq!(poll_and_drain(&manager, &log), Vec::<String>::new());
}

#[test]
fn exit_ends_only_the_innermost_sequence() {
    let (_clock, manager) = setup();
    let log = new_log();
    let inner = Sequence::new()
        .then_recurring(child(&log, "in1", 0, DoneStatus::Exit))
        .then_recurring(child(&log, "in2", 0, DoneStatus::Done));
    let after = Sequence::new().then_recurring(child(&log, "after", 0, DoneStatus::Done));
    let outer = Sequence::new().then(inner).then(after);
    let handle = manager.add_task(TaskBuilder::new(outer)).unwrap();
    assert_eq!(poll_and_drain(&manager, &log), ["in1:0"]);
    assert_eq!(poll_and_drain(&manager, &log), ["after:0"]);
    assert_eq!(handle.result(None), Ok(vec![vec![()], vec![()]]));
}

#[test]
fn exit_from_a_coroutine_child_through_a_task() {
    // A child returning `Step::Exit` by hand: the sequence ends there.
    struct Exits;
    impl taskchain_core::Task for Exits {
        type Output = u8;
        fn poll_task(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
            _task: &TaskContext<'_>,
        ) -> std::task::Poll<taskchain_core::Step<u8>> {
            std::task::Poll::Ready(taskchain_core::Step::Exit(2))
        }
    }
    let (_clock, manager) = setup();
    let seq = Sequence::new()
        .then_coroutine(async { 1 })
        .then(Exits)
        .then_coroutine(async { 3 });
    let handle = manager.add_task(TaskBuilder::new(seq)).unwrap();
    assert_eq!(manager.run_until(&handle), Ok(vec![1, 2]));
}

#[test]
fn children_see_their_own_age() {
    let (clock, manager) = setup();
    let log = new_log();
    let (a, b) = (log.clone(), log.clone());
    let seq = Sequence::new()
        .then_recurring(move |t: &TaskContext<'_>| {
            push(&a, format!("a {} {:?}", t.frame(), t.time()));
            if t.frame() < 2 {
                DoneStatus::Cont
            } else {
                DoneStatus::Done
            }
        })
        .then_recurring(move |t: &TaskContext<'_>| {
            push(&b, format!("b {} {:?}", t.frame(), t.time()));
            if t.frame() < 1 {
                DoneStatus::Cont
            } else {
                DoneStatus::Done
            }
        });
    let handle = manager.add_task(TaskBuilder::new(seq)).unwrap();
    while !handle.is_done() {
        manager.poll().unwrap();
        clock.advance(ms(100));
    }
    assert_eq!(
        drain(&log),
        ["a 0 0ns", "a 1 100ms", "a 2 200ms", "b 0 0ns", "b 1 100ms"]
    );
}

#[test]
fn again_in_a_child_waits_the_sequence_delay_and_restarts_the_child_age() {
    let (clock, manager) = setup();
    let log = new_log();
    let l = log.clone();
    let mut runs = 0;
    let seq = Sequence::new().then_recurring(move |t: &TaskContext<'_>| {
        runs += 1;
        push(&l, format!("run {runs} {:?}", t.time()));
        if runs == 1 {
            DoneStatus::Again
        } else {
            DoneStatus::Done
        }
    });
    let handle = manager
        .add_task(TaskBuilder::new(seq).delay(ms(500)))
        .unwrap();
    manager.poll().unwrap();
    assert!(
        drain(&log).is_empty(),
        "the sequence's delay delays its first run"
    );
    clock.advance(ms(500));
    assert_eq!(poll_and_drain(&manager, &log), ["run 1 0ns"]);
    clock.advance(ms(200));
    assert!(
        poll_and_drain(&manager, &log).is_empty(),
        "Again waits the delay"
    );
    clock.advance(ms(300));
    assert_eq!(poll_and_drain(&manager, &log), ["run 2 500ms"]);
    assert!(handle.is_done());
}

#[test]
fn a_coroutine_child_pauses_on_the_sequence_chain() {
    let (clock, manager) = setup();
    let anim = manager.make_task_chain("anim").unwrap();
    let log = new_log();
    let (a, b) = (log.clone(), log.clone());
    let seq = Sequence::new()
        .then_coroutine(async move {
            push(&a, "before");
            pause(Duration::from_secs(1)).await.unwrap();
            push(&a, "after");
        })
        .then_coroutine(async move { push(&b, "next") });
    let handle = anim.add_task(TaskBuilder::new(seq)).unwrap();
    assert_eq!(poll_and_drain(&manager, &log), ["before"]);
    assert!(
        handle.is_sleeping(),
        "the whole sequence sleeps on its chain"
    );
    assert_eq!(anim.sleeping_tasks().len(), 1);
    clock.advance(ms(600));
    assert!(poll_and_drain(&manager, &log).is_empty());
    clock.advance(ms(400));
    assert_eq!(poll_and_drain(&manager, &log), ["after"]);
    assert_eq!(poll_and_drain(&manager, &log), ["next"]);
    assert!(handle.is_done());
}

#[test]
fn a_child_awaiting_a_promise_wakes_the_sequence() {
    let (_clock, manager) = setup();
    let ready = manager.promise::<u32>();
    let r = ready.clone();
    let seq = Sequence::new()
        .then_coroutine(async move { r.await.unwrap() })
        .then_coroutine(async { 7 });
    let handle = manager.add_task(TaskBuilder::new(seq)).unwrap();
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert!(!handle.is_done());
    ready.set_result(5).unwrap();
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(handle.result(Some(Duration::ZERO)), Ok(vec![5, 7]));
}

#[test]
fn cancelling_a_sequence_drops_the_running_child() {
    let (_clock, manager) = setup();
    let log = new_log();
    let (running_drops, next_drops) = (DropCounter::new(), DropCounter::new());
    let (g1, g2) = (running_drops.token(), next_drops.token());
    let (l1, l2) = (log.clone(), log.clone());
    let seq = Sequence::new()
        .then_recurring(move |_: &TaskContext<'_>| {
            let _keep = &g1;
            push(&l1, "running");
            DoneStatus::Cont
        })
        .then_recurring(move |_: &TaskContext<'_>| {
            let _keep = &g2;
            push(&l2, "next");
            DoneStatus::Done
        });
    let handle = manager.add_task(TaskBuilder::new(seq)).unwrap();
    assert_eq!(poll_and_drain(&manager, &log), ["running"]);
    assert_eq!(poll_and_drain(&manager, &log), ["running"]);
    assert!(handle.cancel());
    assert_eq!(running_drops.dropped(), 1, "dropped at once");
    assert_eq!(next_drops.dropped(), 1);
    assert!(handle.is_cancelled());
    assert_eq!(poll_and_drain(&manager, &log), Vec::<String>::new());
}

#[test]
fn cancelling_a_sequence_cancels_the_await_of_its_coroutine_child() {
    let (_clock, manager) = setup();
    let log = new_log();
    let waited = manager.promise::<u32>();
    let (w, l, n) = (waited.clone(), log.clone(), log.clone());
    let seq = Sequence::new()
        // Fallible: the cancellation delivered at its await ends it.
        .then(FallibleCoroutine::new(async move {
            let got = w.await;
            push(&l, format!("child saw {got:?}"));
            got.map(drop)
        }))
        .then_coroutine(async move { push(&n, "next") });
    let handle = manager.add_task(TaskBuilder::new(seq)).unwrap();
    manager.poll().unwrap();
    assert!(handle.cancel());
    assert!(handle.is_cancel_requested());
    manager.poll().unwrap();
    assert_eq!(drain(&log), ["child saw Err(Cancelled)"]);
    assert!(handle.is_cancelled());
    assert!(
        waited.is_cancelled(),
        "cancellation flows down to what it awaits"
    );
    manager.poll().unwrap();
    assert!(drain(&log).is_empty(), "the next child never runs");
}

#[test]
fn loop_sequence_repeats_until_a_child_exits() {
    let (_clock, manager) = setup();
    let log = new_log();
    let passes = counter();
    let (l, p) = (log.clone(), passes.clone());
    let looped = loop_sequence(move || {
        let pass = bump(&p);
        let (a, b) = (l.clone(), l.clone());
        Sequence::new()
            .then_recurring(move |_: &TaskContext<'_>| {
                push(&a, format!("a{pass}"));
                DoneStatus::Done
            })
            .then_coroutine(async move {
                push(&b, format!("b{pass}"));
            })
            .then_recurring(move |_: &TaskContext<'_>| {
                if pass == 3 {
                    DoneStatus::Exit
                } else {
                    DoneStatus::Done
                }
            })
    });
    let handle = manager.add_task(TaskBuilder::new(looped)).unwrap();
    let mut frames = Vec::new();
    while !handle.is_done() && frames.len() < 20 {
        frames.push(poll_and_drain(&manager, &log).join(" "));
    }
    // One child per epoch; a new pass starts on the epoch after the last.
    assert_eq!(frames, ["a1", "b1", "", "a2", "b2", "", "a3", "b3", ""]);
    assert_eq!(get(&passes), 3);
    assert_eq!(
        handle.result(None),
        Ok(vec![(), (), ()]),
        "the last pass's outputs"
    );
}

#[test]
fn loop_sequence_runs_until_cancelled() {
    let (_clock, manager) = setup();
    let runs = counter();
    let passes = counter();
    let drops = DropCounter::new();
    let (r, p, d) = (runs.clone(), passes.clone(), drops.clone());
    let looped = loop_sequence(move || {
        bump(&p);
        let r = r.clone();
        let guard = d.token();
        // Two runs per pass.
        Sequence::new().then_recurring(move |t: &TaskContext<'_>| {
            let _keep = &guard;
            bump(&r);
            if t.frame() < 1 {
                DoneStatus::Cont
            } else {
                DoneStatus::Done
            }
        })
    });
    let handle = manager.add_task(TaskBuilder::new(looped)).unwrap();
    for _ in 0..9 {
        manager.poll().unwrap();
    }
    assert_eq!((get(&runs), get(&passes)), (9, 5), "it keeps going");
    // The fifth pass's child has run once and is waiting for its second.
    let dropped_before = drops.dropped();
    assert!(handle.cancel());
    assert!(
        drops.dropped() > dropped_before,
        "the running child is dropped"
    );
    manager.poll().unwrap();
    assert!(handle.is_cancelled());
    assert_eq!((get(&runs), get(&passes)), (9, 5), "no run, no pass after");
}

#[test]
fn an_empty_sequence_is_done_on_its_first_run_with_no_outputs() {
    let (_clock, manager) = setup();
    let handle = manager
        .add_task(TaskBuilder::new(Sequence::<u32>::new()))
        .unwrap();
    assert!(!handle.is_done(), "not before it runs");
    manager.poll().unwrap();
    assert_eq!(handle.result(Some(Duration::ZERO)), Ok(vec![]));

    let from_nothing = manager
        .add_task(TaskBuilder::new(sequence(Vec::<
            Coroutine<std::future::Ready<u8>>,
        >::new())))
        .unwrap();
    manager.poll().unwrap();
    assert_eq!(from_nothing.result(Some(Duration::ZERO)), Ok(vec![]));
    assert!(Sequence::<()>::new().is_empty());
}

#[test]
fn a_loop_whose_pass_is_empty_ends_at_once() {
    let (_clock, manager) = setup();
    let made = counter();
    let m = made.clone();
    let looped = loop_sequence(move || {
        bump(&m);
        Sequence::<u8>::new()
    });
    let handle = manager.add_task(TaskBuilder::new(looped)).unwrap();
    manager.poll().unwrap();
    assert_eq!(handle.result(Some(Duration::ZERO)), Ok(vec![]));
    assert_eq!(get(&made), 1, "it does not spin");
}

#[test]
fn awaiting_a_sequence_outside_a_task_is_no_chain() {
    let seq = Sequence::new().then_coroutine(async { 1 });
    assert_eq!(seq.into_future().now_or_never(), Some(Err(Error::NoChain)));
    let looped = loop_sequence(|| Sequence::new().then_coroutine(async { 1 }));
    assert_eq!(
        looped.into_future().now_or_never(),
        Some(Err(Error::NoChain))
    );
}

#[test]
fn a_panicking_child_fails_the_sequence_and_the_chain_goes_on() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let seq = Sequence::new()
        .then_coroutine(async { 1 })
        .then_coroutine(async { panic!("boom: child") });
    let handle = manager.add_task(TaskBuilder::new(seq)).unwrap();
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(
        handle.result(Some(Duration::ZERO)),
        Err(Error::Panicked("boom: child".into()))
    );
    let after = manager.default_chain().spawn(async { 2 });
    assert_eq!(manager.run_until(&after), Ok(2));
}
