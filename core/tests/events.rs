//! Events: one shared pending future per event name until it fires, a fresh
//! one after (or after a cancel); every send fires it, however sent;
//! handlers run on the chain's next poll, can be unsubscribed, and a
//! panicking one stops no other; bad input is a typed error.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use common::{poll_n, poll_until, setup, threaded, PATIENCE};
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_conformance::kit::log::{new_log, push, seen, Log};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    shield, AsyncFuture, ChainSettings, DoneStatus, Error, EventFuture, Messenger, TaskChain,
    TaskChainExt, TaskContext, TaskManager,
};

/// Subscribes a handler that logs `"{tag} {payload:?}"` for each firing.
fn log_payloads<T: Clone + Send + Sync + std::fmt::Debug + 'static>(
    messenger: &Messenger,
    name: &str,
    log: &Log,
    tag: &'static str,
) -> taskchain_core::Subscription {
    let log = log.clone();
    messenger
        .accept(name, move |payload: &T| {
            push(&log, format!("{tag} {payload:?}"))
        })
        .unwrap()
}

/// Spawns a coroutine that awaits the next firing of `name` and returns
/// its payload.
fn awaiter<T: Clone + Send + Sync + 'static>(
    manager: &TaskManager,
    name: &'static str,
) -> taskchain_core::TaskHandle<Result<T, Error>> {
    let messenger = manager.messenger();
    manager.spawn(async move { messenger.future::<T>(name)?.await })
}

// ---------------------------------------------------------------- futures

#[test]
fn every_caller_before_the_fire_gets_the_same_future() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let a = messenger.future::<u32>("door-open").unwrap();
    let b = messenger.future::<u32>("door-open").unwrap();
    let c = manager.event_future::<u32>("door-open").unwrap();
    assert!(a.same_future(&b) && b.same_future(&c) && a.same_future(&a.clone()));
    assert_eq!(a.name(), "door-open");
    let other = messenger.future::<u32>("door-closed").unwrap();
    assert!(!other.same_future(&a), "one future per name");
    // The same future behaves as one: finishing it through a send is seen
    // by every handle.
    messenger.send("door-open", 3_u32).unwrap();
    assert_eq!(
        [a.try_take(), b.try_take(), c.try_take()],
        [Some(Ok(3)), Some(Ok(3)), Some(Ok(3))]
    );
    assert!(!other.is_done());
}

#[test]
fn the_future_resolves_with_the_payload_for_every_awaiter() {
    let (_clock, manager) = setup();
    let first = awaiter::<String>(&manager, "greeting");
    let second = awaiter::<String>(&manager, "greeting");
    manager.poll().unwrap();
    assert!(!first.is_done() && !second.is_done(), "both wait");
    manager.send("greeting", "hello".to_string()).unwrap();
    manager.poll().unwrap();
    assert_eq!(first.try_take(), Some(Ok(Ok("hello".to_string()))));
    assert_eq!(second.try_take(), Some(Ok(Ok("hello".to_string()))));
}

#[test]
fn after_a_fire_the_next_call_makes_a_fresh_future() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let first = messenger.future::<u32>("wave").unwrap();
    messenger.send("wave", 1_u32).unwrap();
    let second = messenger.future::<u32>("wave").unwrap();
    assert!(!second.same_future(&first));
    assert!(
        !second.is_done(),
        "the fresh future waits for the next fire"
    );
    assert!(messenger
        .future::<u32>("wave")
        .unwrap()
        .same_future(&second));
    messenger.send("wave", 2_u32).unwrap();
    assert_eq!(first.result(None), Ok(1), "the old one keeps its payload");
    assert_eq!(second.result(None), Ok(2));
}

#[test]
fn a_send_with_nobody_waiting_is_not_stored_for_later() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    messenger.send("early", 1_u32).unwrap();
    let late = messenger.future::<u32>("early").unwrap();
    manager.poll().unwrap();
    assert!(!late.is_done());
}

#[test]
fn a_cancelled_future_is_replaced_by_a_fresh_one_on_the_next_call() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let first = messenger.future::<u32>("alarm").unwrap();
    let held = first.clone();
    assert!(first.cancel());
    assert!(held.is_cancelled(), "cancelled for every holder");
    assert_eq!(held.result(None), Err(Error::Cancelled));
    let second = messenger.future::<u32>("alarm").unwrap();
    assert!(!second.same_future(&first));
    assert!(!second.is_done());
    messenger.send("alarm", 9_u32).unwrap();
    assert_eq!(second.result(None), Ok(9));
    assert!(first.is_cancelled(), "terminal states never change");
}

#[test]
fn a_send_after_a_cancel_with_no_new_call_delivers_nothing_and_the_next_call_waits() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let first = messenger.future::<u32>("alarm").unwrap();
    first.cancel();
    messenger.send("alarm", 1_u32).unwrap();
    assert!(first.is_cancelled());
    let next = messenger.future::<u32>("alarm").unwrap();
    assert!(!next.is_done());
}

#[test]
fn cancelling_an_awaiting_coroutine_cancels_the_shared_future_and_the_next_call_is_fresh() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    // Fallible: the cancellation delivered at its await ends it.
    let waiting = {
        let messenger = messenger.clone();
        manager.spawn_fallible(async move { messenger.future::<u32>("signal")?.await })
    };
    manager.poll().unwrap();
    let shared = messenger.future::<u32>("signal").unwrap();
    assert!(!shared.is_done());
    assert!(waiting.cancel());
    manager.poll().unwrap();
    assert!(waiting.is_cancelled());
    assert!(shared.is_cancelled(), "cancellation propagates down");
    let fresh = messenger.future::<u32>("signal").unwrap();
    assert!(!fresh.same_future(&shared) && !fresh.is_done());
}

#[test]
fn a_shielded_awaiter_cancelled_leaves_the_shared_future_to_the_others() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let shielded = {
        let messenger = messenger.clone();
        manager.spawn_fallible(async move {
            let door = messenger.future::<u32>("door")?;
            shield(door).await
        })
    };
    let other = awaiter::<u32>(&manager, "door");
    manager.poll().unwrap();
    shielded.cancel();
    manager.poll().unwrap();
    assert!(shielded.is_cancelled());
    messenger.send("door", 4_u32).unwrap();
    manager.poll().unwrap();
    assert_eq!(other.try_take(), Some(Ok(Ok(4))));
}

#[test]
fn done_callbacks_of_an_event_future_run_on_a_later_poll_with_the_same_future() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let log = new_log();
    let future = messenger.future::<u32>("ding").unwrap();
    {
        let (log, expected) = (log.clone(), future.clone());
        future
            .add_done_callback(move |f| {
                push(
                    &log,
                    format!("same={} {:?}", f.same_future(&expected), f.try_take()),
                )
            })
            .unwrap();
    }
    drop(future);
    messenger.send("ding", 2_u32).unwrap();
    assert!(seen(&log).is_empty(), "not inline in send");
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["same=true Some(Ok(2))"]);
}

// ------------------------------------------------- every way of sending

#[test]
fn a_send_from_another_thread_wakes_an_awaiting_coroutine() {
    let (_clock, manager) = setup();
    let waiting = awaiter::<u64>(&manager, "remote");
    manager.poll().unwrap();
    assert!(!waiting.is_done());
    let messenger = manager.messenger();
    std::thread::spawn(move || messenger.send("remote", 42_u64))
        .join()
        .unwrap()
        .unwrap();
    // The send woke the coroutine: it runs on the very next poll.
    manager.poll().unwrap();
    assert_eq!(waiting.try_take(), Some(Ok(Ok(42))));
}

#[test]
fn a_send_from_another_thread_reaches_a_poller_parked_on_the_chain() {
    let (_clock, manager) = setup();
    let waiting = awaiter::<u64>(&manager, "remote");
    manager.poll().unwrap();
    let messenger = manager.messenger();
    let sender = std::thread::spawn(move || messenger.send("remote", 42_u64));
    // Polls, parking while nothing can run, until the chain is empty: the
    // send's wake must reach the parked poller (bounded, so a lost wake
    // fails rather than hangs).
    assert_eq!(
        manager.default_chain().wait_for_tasks(Some(PATIENCE)),
        Ok(())
    );
    assert_eq!(waiting.try_take(), Some(Ok(Ok(42))));
    assert_eq!(sender.join().unwrap(), Ok(()));
}

#[test]
fn a_send_from_another_thread_wakes_a_coroutine_on_a_threaded_chain() {
    let (_clock, manager) = setup();
    let workers = threaded(&manager, ChainSettings::default(), 2);
    let messenger = manager.messenger();
    let asked = Arc::new(Barrier::new(2));
    let waiting = {
        let (messenger, asked) = (messenger.clone(), asked.clone());
        workers.spawn(async move {
            let future = messenger.future::<u64>("remote")?;
            asked.wait();
            future.await
        })
    };
    asked.wait();
    messenger.send("remote", 7_u64).unwrap();
    assert_eq!(waiting.result(Some(PATIENCE)), Ok(Ok(7)));
}

#[test]
fn a_send_from_a_recurring_task_fires_the_event() {
    let (_clock, manager) = setup();
    let waiting = awaiter::<u32>(&manager, "tick");
    let messenger = manager.messenger();
    manager.add(move |task: &TaskContext<'_>| {
        if task.frame() < 2 {
            return DoneStatus::Cont;
        }
        messenger.send("tick", task.frame() as u32).unwrap();
        DoneStatus::Done
    });
    assert_eq!(poll_until(&manager, &waiting, 10), Some(Ok(Ok(2))));
}

#[test]
fn a_send_from_a_coroutine_fires_the_event() {
    let (_clock, manager) = setup();
    let waiting = awaiter::<&'static str>(&manager, "hello");
    let messenger = manager.messenger();
    let sender = manager.spawn(async move {
        taskchain_core::next_frame().await;
        messenger.send("hello", "from a coroutine")
    });
    assert_eq!(
        poll_until(&manager, &waiting, 10),
        Some(Ok(Ok("from a coroutine")))
    );
    assert_eq!(sender.try_take(), Some(Ok(Ok(()))));
}

#[test]
fn a_send_from_a_done_callback_fires_the_event() {
    let (_clock, manager) = setup();
    let waiting = awaiter::<u32>(&manager, "relay");
    let promise = manager.promise::<u32>();
    let messenger = manager.messenger();
    promise
        .add_done_callback(move |p| {
            let value = p.try_take().and_then(Result::ok).unwrap_or(0);
            messenger.send("relay", value + 1).unwrap();
        })
        .unwrap();
    manager.poll().unwrap();
    promise.set_result(10).unwrap();
    assert_eq!(poll_until(&manager, &waiting, 10), Some(Ok(Ok(11))));
}

#[test]
fn a_send_from_a_handler_fires_the_event() {
    let (_clock, manager) = setup();
    let waiting = awaiter::<u32>(&manager, "second");
    let messenger = manager.messenger();
    let relay = messenger.clone();
    let _sub = messenger
        .accept("first", move |n: &u32| relay.send("second", n * 2).unwrap())
        .unwrap();
    manager.poll().unwrap();
    messenger.send("first", 21_u32).unwrap();
    assert_eq!(poll_until(&manager, &waiting, 10), Some(Ok(Ok(42))));
}

#[test]
fn concurrent_senders_and_askers_share_one_future_and_lose_no_send() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let calls = counter();
    let _sub = {
        let calls = calls.clone();
        messenger
            .accept("hit", move |_: &usize| {
                bump(&calls);
            })
            .unwrap()
    };
    let threads = 4;
    let sends_per_thread = 50;
    let start = Arc::new(Barrier::new(threads));
    let askers: Vec<_> = (0..threads)
        .map(|_| {
            let (messenger, start) = (messenger.clone(), start.clone());
            std::thread::spawn(move || {
                let future = messenger.future::<usize>("ask").unwrap();
                start.wait();
                for i in 0..sends_per_thread {
                    messenger.send("hit", i).unwrap();
                }
                future
            })
        })
        .collect();
    let futures: Vec<EventFuture<usize>> = askers.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(
        futures.iter().all(|f| f.same_future(&futures[0])),
        "every asker before the fire got the same future"
    );
    messenger.send("ask", 5_usize).unwrap();
    assert!(futures.iter().all(|f| f.try_take() == Some(Ok(5))));
    manager.poll().unwrap();
    assert_eq!(get(&calls), threads * sends_per_thread);
}

// ---------------------------------------------------------------- handlers

#[test]
fn a_handler_runs_on_the_next_poll_with_the_payload_not_inline() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let log = new_log();
    let _a = log_payloads::<(i32, i32)>(&messenger, "click", &log, "a");
    let _b = log_payloads::<(i32, i32)>(&messenger, "click", &log, "b");
    messenger.send("click", (1, 2)).unwrap();
    messenger.send("click", (3, 4)).unwrap();
    assert!(seen(&log).is_empty(), "never inline in send");
    manager.poll().unwrap();
    assert_eq!(
        seen(&log),
        ["a (1, 2)", "b (1, 2)", "a (3, 4)", "b (3, 4)"],
        "in send order, handlers in subscription order"
    );
}

#[test]
fn a_handler_and_the_future_both_receive_a_send() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let log = new_log();
    let _sub = log_payloads::<u32>(&messenger, "both", &log, "handler");
    let future = messenger.future::<u32>("both").unwrap();
    messenger.send("both", 8_u32).unwrap();
    assert_eq!(future.result(None), Ok(8));
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["handler 8"]);
    // The handler stays; the future was for one firing.
    messenger.send("both", 9_u32).unwrap();
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["handler 8", "handler 9"]);
    assert_eq!(future.result(None), Ok(8));
}

#[test]
fn handlers_run_on_the_messengers_chain() {
    let (_clock, manager) = setup();
    let ui = manager.make_task_chain("ui").unwrap();
    let ui_events = Messenger::new(&*ui);
    assert_eq!(ui_events.chain_name(), "ui");
    let log = new_log();
    let _sub = log_payloads::<u8>(&ui_events, "key", &log, "ui");
    ui_events.send("key", 1_u8).unwrap();
    manager.default_chain().poll().unwrap();
    assert!(seen(&log).is_empty(), "not on the default chain");
    ui.poll().unwrap();
    assert_eq!(seen(&log), ["ui 1"]);
}

#[test]
fn a_handler_can_mutate_its_state() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let total = Arc::new(AtomicUsize::new(0));
    let mut seen_so_far = 0;
    let t = total.clone();
    let _sub = messenger
        .accept("coin", move |value: &usize| {
            seen_so_far += value;
            t.store(seen_so_far, Ordering::SeqCst);
        })
        .unwrap();
    for v in [1_usize, 2, 3] {
        messenger.send("coin", v).unwrap();
    }
    manager.poll().unwrap();
    assert_eq!(get(&total), 6);
}

#[test]
fn dropping_the_subscription_unsubscribes() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let log = new_log();
    let sub = log_payloads::<u32>(&messenger, "e", &log, "h");
    assert!(sub.is_active());
    assert_eq!(sub.name(), "e");
    drop(sub);
    messenger.send("e", 1_u32).unwrap();
    poll_n(&manager, 2);
    assert!(seen(&log).is_empty());
}

#[test]
fn unsubscribe_stops_calls_for_sends_not_yet_delivered() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let log = new_log();
    let stays = log_payloads::<u32>(&messenger, "e", &log, "stays");
    let leaves = log_payloads::<u32>(&messenger, "e", &log, "leaves");
    messenger.send("e", 1_u32).unwrap();
    leaves.unsubscribe();
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["stays 1"]);
    assert!(stays.is_active());
}

#[test]
fn a_handler_can_unsubscribe_itself() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let calls = counter();
    let slot: Arc<std::sync::Mutex<Option<taskchain_core::Subscription>>> = Arc::default();
    let sub = {
        let (calls, slot) = (calls.clone(), slot.clone());
        messenger
            .accept("once", move |_: &()| {
                bump(&calls);
                // Unsubscribing from inside the handler must not deadlock.
                drop(slot.lock().unwrap().take());
            })
            .unwrap()
    };
    *slot.lock().unwrap() = Some(sub);
    messenger.send("once", ()).unwrap();
    messenger.send("once", ()).unwrap();
    poll_n(&manager, 2);
    messenger.send("once", ()).unwrap();
    manager.poll().unwrap();
    assert_eq!(get(&calls), 1);
}

#[test]
fn a_detached_subscription_keeps_its_handler() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let log = new_log();
    log_payloads::<u32>(&messenger, "e", &log, "kept").detach();
    messenger.send("e", 1_u32).unwrap();
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["kept 1"]);
}

#[test]
fn a_panicking_handler_does_not_stop_the_others_nor_the_chain() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let log = new_log();
    let _before = log_payloads::<u32>(&messenger, "e", &log, "before");
    let _bad = messenger
        .accept("e", |n: &u32| panic!("boom: handler {n}"))
        .unwrap();
    let _after = log_payloads::<u32>(&messenger, "e", &log, "after");
    let task_runs = counter();
    manager.add(common::counting(&task_runs, DoneStatus::Cont));
    messenger.send("e", 1_u32).unwrap();
    assert_eq!(manager.poll(), Ok(()));
    messenger.send("e", 2_u32).unwrap();
    assert_eq!(manager.poll(), Ok(()));
    assert_eq!(seen(&log), ["before 1", "after 1", "before 2", "after 2"]);
    assert_eq!(get(&task_runs), 2, "the chain went on");
}

// --------------------------------------------------------------- bad input

#[test]
fn an_empty_event_name_is_an_error_everywhere() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    assert_eq!(messenger.send("", ()), Err(Error::EmptyEventName));
    assert_eq!(
        messenger.future::<()>("").map(|_| ()),
        Err(Error::EmptyEventName)
    );
    assert_eq!(
        messenger.accept("", |_: &()| {}).map(|_| ()),
        Err(Error::EmptyEventName)
    );
    assert_eq!(manager.send("", 1_u8), Err(Error::EmptyEventName));
    assert_eq!(
        manager.event_future::<u8>("").map(|_| ()),
        Err(Error::EmptyEventName)
    );
    assert_eq!(
        taskchain_core::TaskBuilder::coroutine(async {})
            .done_event(&messenger, "")
            .map(|_| ()),
        Err(Error::EmptyEventName)
    );
}

#[test]
fn a_send_of_the_wrong_type_is_refused_and_leaves_the_pending_future_untouched() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let future = messenger.future::<u32>("score").unwrap();
    let err = messenger.send("score", "ten").unwrap_err();
    assert_eq!(
        err,
        Error::WrongPayloadType {
            event: "score".into(),
            expected: std::any::type_name::<u32>(),
            found: std::any::type_name::<&str>(),
        }
    );
    assert!(err.to_string().contains("score"));
    assert!(!future.is_done());
    assert!(messenger
        .future::<u32>("score")
        .unwrap()
        .same_future(&future));
    messenger.send("score", 10_u32).unwrap();
    assert_eq!(future.result(None), Ok(10));
}

#[test]
fn a_send_of_the_wrong_type_reaches_no_handler() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let log = new_log();
    let _sub = log_payloads::<u32>(&messenger, "score", &log, "h");
    assert!(matches!(
        messenger.send("score", 1_i64),
        Err(Error::WrongPayloadType { .. })
    ));
    manager.poll().unwrap();
    assert!(seen(&log).is_empty());
}

#[test]
fn receivers_of_another_type_are_refused_while_the_event_has_receivers() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let future = messenger.future::<u32>("mixed").unwrap();
    assert!(matches!(
        messenger.future::<String>("mixed"),
        Err(Error::WrongPayloadType { .. })
    ));
    assert!(matches!(
        messenger.accept("mixed", |_: &String| {}),
        Err(Error::WrongPayloadType { .. })
    ));
    // Once nobody waits any more, the name takes another type.
    future.cancel();
    let now_text = messenger.future::<String>("mixed").unwrap();
    messenger.send("mixed", "text".to_string()).unwrap();
    assert_eq!(now_text.result(None), Ok("text".to_string()));
    messenger.send("mixed", 1_u32).unwrap();
}

#[test]
fn a_send_of_another_type_with_nobody_waiting_is_not_an_error() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let sub = messenger.accept("free", |_: &u32| {}).unwrap();
    drop(sub);
    assert_eq!(messenger.send("free", "anything"), Ok(()));
}

// ---------------------------------------------------------------- shutdown

#[test]
fn shutdown_cancels_pending_futures_and_frees_handlers_holding_their_messenger() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let pending = messenger.future::<u32>("never").unwrap();
    let drops = DropCounter::new();
    let sub = {
        let guard = drops.token();
        let own = messenger.clone();
        messenger
            .accept("loop", move |_: &()| {
                let _ = &guard;
                own.send("loop", ()).unwrap();
            })
            .unwrap()
    };
    let detached_drops = DropCounter::new();
    {
        let guard = detached_drops.token();
        let own = messenger.clone();
        messenger
            .accept("loop", move |_: &()| {
                let _ = (&guard, &own);
            })
            .unwrap()
            .detach();
    }
    manager.shutdown();
    assert!(pending.is_cancelled());
    assert!(!sub.is_active());
    assert_eq!(detached_drops.dropped(), 1, "a detached handler is freed");
    drop(sub);
    assert_eq!(drops.dropped(), 1);
    // The messenger still works after its manager shut down.
    let later = messenger.future::<u32>("later").unwrap();
    messenger.send("later", 1_u32).unwrap();
    assert_eq!(later.result(None), Ok(1));
}

// regression: after shutdown a handler ran inline in send; one re-sending
// its own event then deadlocked on its own lock.
#[test]
fn a_handler_resending_its_own_event_after_shutdown_does_not_deadlock() {
    let (_clock, manager) = setup();
    let ui = manager.make_task_chain("ui").unwrap();
    let messenger = Messenger::new(&*ui);
    let calls = counter();
    let sub = {
        let (own, calls) = (messenger.clone(), calls.clone());
        messenger
            .accept("echo", move |_: &()| {
                bump(&calls);
                let _ = own.send("echo", ());
            })
            .unwrap()
    };
    // Sent before the shutdown: the shutdown's last drain runs it once (its
    // own re-send comes after the chain closed). Then a send after it. On
    // a thread of its own, so that a deadlock fails the test.
    messenger.send("echo", ()).unwrap();
    let teardown = {
        let (messenger, ui) = (messenger.clone(), ui.clone());
        std::thread::spawn(move || {
            ui.shutdown();
            messenger.send("echo", ())
        })
    };
    let deadline = std::time::Instant::now() + PATIENCE;
    while !teardown.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "the shutdown or a send after it deadlocked"
        );
        std::thread::yield_now();
    }
    assert_eq!(teardown.join().unwrap(), Ok(()));
    assert!(!sub.is_active(), "its chain can no longer call it");
    assert_eq!(get(&calls), 1, "dropped, not run");
    drop(sub);
}

#[test]
fn accept_on_a_shut_down_chain_is_shutdown() {
    let (_clock, manager) = setup();
    let ui = manager.make_task_chain("ui").unwrap();
    let messenger = Messenger::new(&*ui);
    ui.shutdown();
    assert!(matches!(
        messenger.accept("click", |_: &()| {}),
        Err(Error::Shutdown)
    ));
    // Futures need no chain.
    let clicked = messenger.future::<()>("click").unwrap();
    messenger.send("click", ()).unwrap();
    assert_eq!(clicked.result(None), Ok(()));
}

/// The manager's shutdown cancels its messenger's pending futures before it
/// closes the default chain: their done callbacks run in its last drain.
#[test]
fn the_done_callbacks_of_event_futures_cancelled_by_the_shutdown_run_once() {
    let (_clock, manager) = setup();
    let pending = manager.event_future::<u32>("never").unwrap();
    let calls = counter();
    {
        let calls = calls.clone();
        pending
            .add_done_callback(move |f| {
                assert!(f.is_cancelled());
                bump(&calls);
            })
            .unwrap();
    }
    manager.shutdown();
    assert!(pending.is_cancelled());
    assert_eq!(get(&calls), 1);
}
