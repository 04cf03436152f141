//! Blocking on your own chain from inside one of its tasks: a blocking
//! wait on a sibling only the blocked runner could run, and a chain await
//! point (`pause`, `next_frame`) under a nested executor, return at once
//! instead of hanging.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::{setup, threaded};
use futures_util::stream::{FuturesUnordered, StreamExt};
use taskchain_core::{
    next_frame, pause, AnyTask, AsyncFuture, ChainSettings, Error, Messenger, TaskBuilder,
    TaskChain, TaskChainExt, TaskManager,
};

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(120);

/// A nested executor: polls `future` on this thread until it is ready,
/// parking in between, as `futures_lite::future::block_on` does.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

// regression: `sibling.result(None)` inside a frame-chain task, on a
// sibling that needs another frame, hung for ever.
#[test]
fn blocking_on_a_pending_sibling_of_a_frame_chain_is_would_deadlock() {
    let (_clock, manager) = setup();
    let sibling = manager.spawn(async {
        next_frame().await;
        5
    });
    let any = manager.tasks().pop().unwrap();
    let waiter = manager.spawn(async move {
        (
            sibling.result(Some(PATIENCE)),
            any.wait_done(Some(PATIENCE)),
            sibling.wait(),
        )
    });
    assert_eq!(
        manager.run_until(&waiter),
        Ok((
            Err(Error::WouldDeadlock),
            Err(Error::WouldDeadlock),
            Err(Error::WouldDeadlock)
        ))
    );
}

#[test]
fn blocking_on_a_finished_sibling_of_a_frame_chain_reads_it() {
    let (_clock, manager) = setup();
    let sibling = manager.spawn(async { 5 });
    manager.poll().unwrap();
    let waiter = manager.spawn(async move { sibling.result(Some(PATIENCE)) });
    assert_eq!(manager.run_until(&waiter), Ok(Ok(5)));
}

// regression: the same on a threaded chain with one worker (the one that
// would block), and with two (the blocked run holds its epoch open, and a
// sibling that already ran in it waits for the next epoch: a hang or not
// depending on timing, so refused every time).
#[test]
fn blocking_on_a_pending_sibling_of_a_threaded_chain_is_would_deadlock() {
    for workers in [1, 2] {
        let (_clock, manager) = setup();
        let chain = threaded(&manager, ChainSettings::default(), workers);
        let gate = chain.promise::<()>();
        let sibling = chain.spawn(gate.clone());
        let any = sibling.as_any();
        let waiter = chain.spawn(async move {
            (
                sibling.result(Some(PATIENCE)),
                any.wait_done(Some(PATIENCE)),
            )
        });
        assert_eq!(
            waiter.result(Some(PATIENCE)),
            Ok((Err(Error::WouldDeadlock), Err(Error::WouldDeadlock))),
            "{workers} workers"
        );
        gate.set_result(()).unwrap();
        manager.shutdown();
    }
}

#[test]
fn blocking_on_a_task_of_another_chain_waits_for_it() {
    let (_clock, manager) = setup();
    let blocking = threaded(&manager, ChainSettings::default(), 2);
    let other = manager
        .make_threaded_chain(
            "other",
            ChainSettings::default().num_threads(1),
            Arc::new(common::ThreadRuntime),
        )
        .unwrap();
    let gate = other.promise::<()>();
    let task = {
        let gate = gate.clone();
        other.spawn(async move {
            gate.await.unwrap();
            7
        })
    };
    let waiter = blocking.spawn(async move { task.result(Some(PATIENCE)) });
    gate.set_result(()).unwrap();
    assert_eq!(waiter.result(Some(PATIENCE)), Ok(Ok(7)));
    manager.shutdown();
}

// regression: `block_on(pause(..))` inside a task hung: the chain woke the
// task, never the nested executor's waker.
#[test]
fn pause_under_a_nested_executor_is_would_deadlock_on_a_frame_chain() {
    let (clock, manager) = setup();
    let task = manager.spawn(async {
        let nested = block_on(pause(Duration::from_secs(1)));
        // The task itself still pauses normally afterwards.
        let direct = pause(Duration::from_secs(1)).await;
        (nested, direct)
    });
    manager.poll().unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        manager.run_until(&task),
        Ok((Err(Error::WouldDeadlock), Ok(())))
    );
}

// regression: `block_on(next_frame())` inside a task hung.
#[test]
fn next_frame_under_a_nested_executor_returns_instead_of_hanging() {
    let (_clock, manager) = setup();
    let task = manager.spawn(async {
        block_on(next_frame());
        next_frame().await;
        "done"
    });
    assert_eq!(manager.run_until(&task), Ok("done"));
}

#[test]
fn pause_under_a_nested_executor_is_would_deadlock_on_a_threaded_chain() {
    let (_clock, manager) = setup();
    let chain = threaded(&manager, ChainSettings::default(), 2);
    let task = chain.spawn(async {
        let nested = block_on(pause(Duration::from_secs(3600)));
        block_on(next_frame());
        nested
    });
    assert_eq!(task.result(Some(PATIENCE)), Ok(Err(Error::WouldDeadlock)));
    manager.shutdown();
}

#[test]
fn pause_through_combinators_that_pass_the_task_waker_works() {
    let (clock, manager) = setup();
    let task = manager
        .add_task(TaskBuilder::coroutine(async {
            let (a, b) = futures_util::future::join(
                pause(Duration::from_secs(1)),
                pause(Duration::from_secs(2)),
            )
            .await;
            next_frame().await;
            (a, b)
        }))
        .unwrap();
    for _ in 0..4 {
        manager.poll().unwrap();
        clock.advance(Duration::from_secs(1));
    }
    assert_eq!(manager.run_until(&task), Ok((Ok(()), Ok(()))));
}

#[test]
fn pause_inside_futures_unordered_is_would_deadlock() {
    let (_clock, manager) = setup();
    let task = manager.spawn(async {
        let mut pauses: FuturesUnordered<_> =
            (0..3).map(|_| pause(Duration::from_secs(1))).collect();
        let mut out = Vec::new();
        while let Some(r) = pauses.next().await {
            out.push(r);
        }
        out
    });
    assert_eq!(
        manager.run_until(&task),
        Ok(vec![Err(Error::WouldDeadlock); 3])
    );
}

/// What the user code run by a chain's poll (a done callback, an event
/// handler, an `upon_death`) got from a blocking wait on a sibling.
type Seen = Arc<Mutex<Vec<(&'static str, Result<(), Error>)>>>;

/// Registers a done callback, an event handler and an `upon_death` on
/// `chain` (of `manager`), each blocking on `sibling`; all of them run in
/// the chain's next poll or worker run.
fn block_on_sibling_from_chain_callbacks(
    manager: &TaskManager,
    chain: &dyn TaskChain,
    sibling: &AnyTask,
) -> Seen {
    let seen = Seen::default();
    let record = |what: &'static str| {
        let (sibling, seen) = (sibling.clone(), seen.clone());
        move || {
            let waited = sibling.wait_done(Some(PATIENCE));
            seen.lock().unwrap().push((what, waited));
        }
    };
    let done = chain.spawn(async {});
    let callback = record("done callback");
    done.add_done_callback(move |_| callback()).unwrap();
    let messenger = Messenger::new(chain);
    let handler = record("event handler");
    messenger
        .accept("e", move |_: &()| handler())
        .unwrap()
        .detach();
    messenger.send("e", ()).unwrap();
    let upon_death = record("upon_death");
    chain
        .add_task(TaskBuilder::coroutine(async {}).upon_death(move |_| upon_death()))
        .unwrap();
    let _ = manager;
    seen
}

// regression: a done callback, event handler or upon_death blocking on a
// pending sibling hung: it runs inside the chain's poll, outside any task.
#[test]
fn blocking_on_a_pending_sibling_from_a_frame_chains_callbacks_is_would_deadlock() {
    let (_clock, manager) = setup();
    let sibling = manager.spawn(async {
        next_frame().await;
        next_frame().await;
    });
    let any = sibling.as_any();
    let seen = block_on_sibling_from_chain_callbacks(&manager, &**manager.default_chain(), &any);
    manager.poll().unwrap();
    manager.poll().unwrap();
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by_key(|(what, _)| *what);
    assert_eq!(
        seen,
        [
            ("done callback", Err(Error::WouldDeadlock)),
            ("event handler", Err(Error::WouldDeadlock)),
            ("upon_death", Err(Error::WouldDeadlock)),
        ]
    );
}

// regression: the same on a threaded chain, whose worker runs them.
#[test]
fn blocking_on_a_pending_sibling_from_a_threaded_chains_callbacks_is_would_deadlock() {
    for workers in [1, 2] {
        let (_clock, manager) = setup();
        let chain = threaded(&manager, ChainSettings::default(), workers);
        let promise = chain.promise::<()>();
        let sibling = chain.spawn(promise.clone());
        let any = sibling.as_any();
        let seen = block_on_sibling_from_chain_callbacks(&manager, &*chain, &any);
        common::eventually("every callback ran", || seen.lock().unwrap().len() == 3);
        promise.set_result(()).unwrap();
        assert_eq!(sibling.result(Some(PATIENCE)), Ok(Ok(())));
        let mut seen = seen.lock().unwrap().clone();
        seen.sort_by_key(|(what, _)| *what);
        assert_eq!(
            seen,
            [
                ("done callback", Err(Error::WouldDeadlock)),
                ("event handler", Err(Error::WouldDeadlock)),
                ("upon_death", Err(Error::WouldDeadlock)),
            ],
            "{workers} workers"
        );
        manager.shutdown();
    }
}
