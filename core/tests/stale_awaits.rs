//! What a task's cancel may touch of what it awaited: a future it gave up
//! inside a run (the loser of a `select`, dropped) is neither cancelled by
//! its cancel nor kept alive; a task whose awaited future was already done
//! or foreign is still woken so the request reaches it; tasks awaiting one
//! another in a cycle both end when one is cancelled; `call_later` with
//! the longest delay neither panics nor lingers once cancelled.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use common::setup;
use futures_util::future::{select, Either};
use taskchain_core::{AsyncFuture, Error, TaskChain};

/// A foreign future (not one of the crate's): pending on its first poll,
/// without registering the waker, ready on the next poll.
struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

/// A promise the task polled once inside a `select` (which another
/// branch won) and dropped is no longer what the task awaits: when the
/// task then suspends on a foreign future, its cancel leaves that promise
/// (shared with others) alone.
#[test]
fn cancel_does_not_cancel_a_promise_dropped_after_a_select() {
    let (_clock, manager) = setup();
    let shared = manager.promise::<u32>();
    let task = manager.spawn({
        let shared = shared.clone();
        async move {
            match select(Box::pin(shared), std::future::ready(7)).await {
                Either::Left(_) => unreachable!("the promise is not done"),
                Either::Right((won, lost)) => {
                    assert_eq!(won, 7);
                    drop(lost);
                }
            }
            PendingOnce(false).await;
        }
    });
    manager.poll().unwrap();
    assert!(!task.is_done());
    assert!(task.cancel());
    assert!(
        !shared.is_cancelled(),
        "a promise the task no longer awaits was cancelled by the task's cancel"
    );
}

/// A task suspended on a foreign future that never wakes it, cancelled
/// from another thread, is woken so that its run ends it: the cancel must
/// not take an old await for the one that will wake it.
#[test]
fn cancel_wakes_a_task_whose_stale_hook_was_taken() {
    let (_clock, manager) = setup();
    let shared = manager.promise::<u32>();
    let task = manager.spawn_fallible({
        let shared = shared.clone();
        async move {
            // The losing promise future is dropped with the select's output.
            drop(select(Box::pin(shared), std::future::ready(7)).await);
            PendingOnce(false).await;
            taskchain_core::next_frame().await;
            Ok::<_, Error>(())
        }
    });
    manager.poll().unwrap();
    // From another thread: the task is not claimed there, only woken.
    std::thread::scope(|s| s.spawn(|| assert!(task.cancel())).join().unwrap());
    for _ in 0..4 {
        manager.poll().unwrap();
    }
    assert!(task.is_done(), "the cancelled task was never woken again");
}

/// The same with a task handle: a coroutine that raced another task's
/// handle in a `select` and moved on does not cancel that task with its
/// own cancel.
#[test]
fn cancel_does_not_cancel_a_task_whose_handle_was_dropped_after_a_select() {
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let other_handle = manager.spawn_fallible(gate.clone());
    let other = other_handle.as_any();
    let task = manager.spawn({
        let other = other_handle;
        async move {
            drop(select(Box::pin(other), std::future::ready(7)).await);
            PendingOnce(false).await;
        }
    });
    manager.poll().unwrap();
    assert!(!other.is_done() && !task.is_done());
    assert!(task.cancel());
    manager.poll().unwrap();
    assert!(
        !other.is_cancelled() && !gate.is_cancelled(),
        "a task the cancelled task no longer awaited was cancelled"
    );
}

/// Two tasks awaiting each other's handles (a deadlock of the user's
/// making): cancelling one reaches the other and comes back to the first,
/// whose pending request it joins; that task is woken so its await
/// delivers it, and both end, freed.
#[test]
fn cancel_of_a_cycle_of_awaiting_tasks_ends_and_frees_both() {
    let (_clock, manager) = setup();
    let marker = Arc::new(());
    let go = manager.promise::<()>();
    let slot = Arc::new(std::sync::Mutex::new(
        None::<taskchain_core::TaskHandle<()>>,
    ));
    let second = manager.spawn_fallible({
        let (go, slot) = (go.clone(), slot.clone());
        let marker = marker.clone();
        async move {
            let _marker = marker;
            go.await?;
            let first = slot.lock().unwrap().take().expect("set before go");
            first.await
        }
    });
    let second_any = second.as_any();
    let first = manager.spawn_fallible({
        let marker = marker.clone();
        async move {
            let _marker = marker;
            second.await
        }
    });
    let first_any = first.as_any();
    *slot.lock().unwrap() = Some(first);
    go.set_result(()).unwrap();
    drop(go);
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    assert!(!first_any.is_done() && !second_any.is_done(), "deadlocked");
    assert!(first_any.cancel());
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    assert!(first_any.is_cancelled() && second_any.is_cancelled());
    drop((first_any, second_any, slot));
    drop(manager);
    assert_eq!(Arc::strong_count(&marker), 1, "a task's capture leaked");
}

/// `call_later` with the longest delay waits, never panics, and its
/// pending call can still be cancelled.
#[test]
fn call_later_with_the_longest_delay_does_not_panic() {
    use taskchain_core::TaskChainExt;
    let (clock, manager) = setup();
    let chain = manager.default_chain();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    clock.advance(std::time::Duration::from_secs(5));
    let pending = chain.call_later(std::time::Duration::MAX, move || {
        flag.store(true, Ordering::SeqCst)
    });
    manager.poll().unwrap();
    clock.advance(std::time::Duration::from_secs(3600));
    manager.poll().unwrap();
    assert!(!ran.load(Ordering::SeqCst));
    if let Ok(pending) = pending {
        assert!(pending.is_pending());
        assert!(pending.cancel());
        manager.poll().unwrap();
        assert_eq!(chain.stats().total(), 0);
    }
}

/// A promise the task gave up is not kept alive (with its value) by
/// the task while it is suspended on something else: once every handle of
/// it is gone, its value is dropped.
#[test]
fn a_stale_hook_does_not_keep_a_dropped_promise_alive() {
    let (_clock, manager) = setup();
    let shared = manager.promise::<Arc<()>>();
    let task = manager.spawn({
        let shared = shared.clone();
        async move {
            drop(select(Box::pin(shared), std::future::ready(7)).await);
            std::future::pending::<()>().await;
        }
    });
    manager.poll().unwrap();
    let value = Arc::new(());
    shared.set_result(value.clone()).unwrap();
    drop(shared);
    manager.poll().unwrap();
    assert!(!task.is_done());
    assert_eq!(
        Arc::strong_count(&value),
        1,
        "the promise outlived every handle to it"
    );
}
