//! Cancelling a task cancels the future it is suspended on before
//! `cancel()` returns, from any thread, as asyncio's `Task.cancel` does:
//! a promise, a gather's children, a shield (only the shield), and a task
//! it awaits, which cancels what that task awaits in turn. The request is
//! delivered there once: the coroutine reads `Cancelled` from that future
//! and no later await point delivers it again.

mod common;

use common::setup;
use taskchain_core::{gather, gather_tuple, shield, wait_for, AsyncFuture, Error, TaskHandle};

#[test]
fn cancel_cancels_the_awaited_promise_before_it_returns() {
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let task = manager.spawn_fallible(gate.clone());
    manager.poll().unwrap();
    assert!(!gate.is_done());
    assert!(task.cancel());
    assert!(gate.is_cancelled(), "cancelled before cancel() returned");
    manager.poll().unwrap();
    assert!(task.is_cancelled());
    assert_eq!(task.try_take(), Some(Err(Error::Cancelled)));
}

#[test]
fn cancel_from_another_thread_cancels_the_awaited_promise_at_once() {
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let task = manager.spawn_fallible(gate.clone());
    manager.poll().unwrap();
    let (cancelled, gate_cancelled) = std::thread::scope(|s| {
        s.spawn(|| (task.cancel(), gate.is_cancelled()))
            .join()
            .unwrap()
    });
    assert!(cancelled && gate_cancelled);
    manager.poll().unwrap();
    assert!(task.is_cancelled());
}

#[test]
fn the_request_is_delivered_once_where_it_cancelled_the_future() {
    let (_clock, manager) = setup();
    let first = manager.promise::<u32>();
    let second = manager.promise::<u32>();
    let task = manager.spawn({
        let (first, second) = (first.clone(), second.clone());
        async move {
            let caught = first.await;
            // Handled: the next await is not cancelled again.
            let next = second.await;
            (caught, next)
        }
    });
    manager.poll().unwrap();
    assert!(task.cancel());
    assert!(first.is_cancelled());
    manager.poll().unwrap();
    assert!(!task.is_done(), "suspended on the second promise");
    assert!(!second.is_done(), "not cancelled by the same request");
    second.set_result(2).unwrap();
    manager.poll().unwrap();
    assert_eq!(task.try_take(), Some(Ok((Err(Error::Cancelled), Ok(2)))));
}

#[test]
fn a_second_cancel_cancels_what_the_task_awaits_next() {
    let (_clock, manager) = setup();
    let first = manager.promise::<u32>();
    let second = manager.promise::<u32>();
    let task = manager.spawn({
        let (first, second) = (first.clone(), second.clone());
        async move { (first.await, second.await) }
    });
    manager.poll().unwrap();
    assert!(task.cancel());
    manager.poll().unwrap();
    assert!(task.cancel(), "the task lives: a new request");
    assert!(second.is_cancelled());
    manager.poll().unwrap();
    assert_eq!(
        task.try_take(),
        Some(Ok((Err(Error::Cancelled), Err(Error::Cancelled))))
    );
}

#[test]
fn a_done_awaited_future_keeps_the_request_for_the_next_await() {
    let (_clock, manager) = setup();
    let first = manager.promise::<u32>();
    let second = manager.promise::<u32>();
    let task = manager.spawn({
        let (first, second) = (first.clone(), second.clone());
        async move { (first.await, second.await) }
    });
    manager.poll().unwrap();
    first.set_result(1).unwrap();
    // Woken, not yet run: the awaited promise is done and keeps its value.
    assert!(task.cancel());
    assert!(!first.is_cancelled());
    manager.poll().unwrap();
    assert!(second.is_cancelled(), "delivered at the next await");
    assert_eq!(task.try_take(), Some(Ok((Ok(1), Err(Error::Cancelled)))));
}

#[test]
fn cancel_cancels_every_child_of_an_awaited_gather_at_once() {
    let (_clock, manager) = setup();
    let children: Vec<_> = (0..3).map(|_| manager.promise::<u32>()).collect();
    let task = manager.spawn_fallible({
        let children = children.clone();
        async move { gather(children).await }
    });
    manager.poll().unwrap();
    assert!(task.cancel());
    assert!(children.iter().all(AsyncFuture::is_cancelled));
    manager.poll().unwrap();
    assert!(task.is_cancelled());
}

#[test]
fn cancel_cancels_an_awaited_shield_and_not_what_it_shields() {
    let (_clock, manager) = setup();
    let inner = manager.promise::<u32>();
    let task = manager.spawn({
        let inner = inner.clone();
        async move { shield(inner).await }
    });
    manager.poll().unwrap();
    assert!(task.cancel());
    assert!(!inner.is_done(), "the shielded promise is left alone");
    manager.poll().unwrap();
    assert_eq!(task.try_take(), Some(Ok(Err(Error::Cancelled))));
    assert!(!inner.is_done());
}

#[test]
fn cancel_runs_down_a_chain_of_awaiting_tasks_at_once() {
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let innermost = manager.spawn_fallible(gate.clone());
    let mut outer: TaskHandle<u32> = innermost;
    for _ in 0..3 {
        let awaited = outer;
        outer = manager.spawn_fallible(awaited);
    }
    manager.poll().unwrap();
    assert!(outer.cancel());
    assert!(gate.is_cancelled(), "the innermost await was cancelled");
    for _ in 0..4 {
        manager.poll().unwrap();
    }
    assert!(outer.is_cancelled());
}

#[test]
fn a_deep_chain_of_awaiting_tasks_is_cancelled_without_recursion() {
    const DEPTH: usize = 100_000;
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let mut outer = manager.spawn_fallible(gate.clone());
    for _ in 0..DEPTH {
        let awaited = outer;
        outer = manager.spawn_fallible(awaited);
    }
    manager.poll().unwrap();
    // On the test thread's default stack: a recursive walk would overflow.
    assert!(outer.cancel());
    assert!(gate.is_cancelled());
    while !outer.is_done() {
        manager.poll().unwrap();
    }
    assert!(outer.is_cancelled());
}

#[test]
fn cancel_reaches_through_a_boxed_future_a_tuple_gather_and_wait_for_at_once() {
    let (_clock, manager) = setup();
    let (a, b, c) = (
        manager.promise::<u32>(),
        manager.promise::<&'static str>(),
        manager.promise::<u32>(),
    );
    let boxed = manager.spawn_fallible(a.clone().into_boxed());
    let tuple = manager.spawn_fallible({
        let (b, c) = (b.clone(), c.clone());
        async move { gather_tuple((b, c)).await }
    });
    let timed = manager.promise::<u32>();
    let waiting = manager.spawn_fallible({
        let timed = timed.clone();
        async move { wait_for(timed, std::time::Duration::from_secs(60)).await }
    });
    manager.poll().unwrap();
    assert!(boxed.cancel() && tuple.cancel() && waiting.cancel());
    assert!(a.is_cancelled(), "the boxed promise");
    assert!(b.is_cancelled() && c.is_cancelled(), "the tuple's children");
    assert!(timed.is_cancelled(), "what wait_for waits for");
    manager.poll().unwrap();
    assert!(boxed.is_cancelled() && tuple.is_cancelled() && waiting.is_cancelled());
}
