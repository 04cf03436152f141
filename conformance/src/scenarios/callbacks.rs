//! Done callbacks: they run later on the owning chain (a frame chain's next
//! poll, a threaded chain's worker), never inline in `set_result`, `cancel`
//! or `add_done_callback`; on cancel too; exactly once; and they receive
//! the future.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use taskchain_core::{AsyncFuture, TaskChainExt};

use super::support::{in_call, is_in_call};
use crate::{settle, ChainFactory, Fixture};

/// What one callback saw when it ran.
#[derive(Debug, Clone, PartialEq)]
struct Call {
    inline: bool,
    thread: ThreadId,
    /// What the callback read from the future it received.
    saw: String,
}

type Calls = Arc<Mutex<Vec<Call>>>;

/// Adds a callback to `fut` recording a [`Call`] with `read(fut)`, inside
/// `in_call` so that running inline would show.
fn watch<A, R>(fut: &A, calls: &Calls, read: R)
where
    A: AsyncFuture,
    R: FnOnce(&A) -> String + Send + 'static,
{
    let calls = calls.clone();
    in_call(|| {
        fut.add_done_callback(move |f: &A| {
            let call = Call {
                inline: is_in_call(),
                thread: std::thread::current().id(),
                saw: read(f),
            };
            calls.lock().unwrap().push(call);
        })
    })
    .expect("add_done_callback on a chain's future");
}

fn calls_of(calls: &Calls) -> Vec<Call> {
    calls.lock().unwrap().clone()
}

/// Waits for exactly one call, drives a little more to catch a second, and
/// checks where it ran.
fn expect_one_call(f: &dyn ChainFactory, fx: &Fixture, calls: &Calls, what: &str) -> String {
    settle(f, fx, &format!("the done callback of {what}"), || {
        !calls.lock().unwrap().is_empty()
    });
    for _ in 0..5 {
        f.drive(fx).expect("drive");
    }
    let got = calls_of(calls);
    assert_eq!(
        got.len(),
        1,
        "{what}: the callback runs exactly once: {got:?}"
    );
    let call = &got[0];
    assert!(!call.inline, "{what}: the callback ran inline");
    if f.threads() > 0 {
        assert_ne!(
            call.thread,
            std::thread::current().id(),
            "{what}: a threaded chain runs callbacks on a worker"
        );
    }
    call.saw.clone()
}

/// Callbacks on promises and tasks, on finish and on cancel, added before
/// and after completion.
pub(crate) fn later_once_on_the_chain(f: &dyn ChainFactory) {
    let fx = f.build();
    let frame = f.threads() == 0;

    let p = fx.chain.promise::<u32>();
    let calls = Calls::default();
    watch(&p, &calls, |p| format!("{:?}", p.try_take()));
    in_call(|| p.set_result(4)).expect("set_result");
    if frame {
        assert!(calls_of(&calls).is_empty(), "not before the next poll");
    }
    assert_eq!(
        expect_one_call(f, &fx, &calls, "a set promise"),
        "Some(Ok(4))"
    );

    let calls = Calls::default();
    watch(&p, &calls, |p| format!("{:?}", p.try_take()));
    if frame {
        assert!(calls_of(&calls).is_empty(), "added when done: still later");
    }
    assert_eq!(
        expect_one_call(f, &fx, &calls, "a promise already done"),
        "Some(Ok(4))"
    );

    let q = fx.chain.promise::<u32>();
    let calls = Calls::default();
    watch(&q, &calls, |q| format!("cancelled {}", q.is_cancelled()));
    assert!(in_call(|| q.cancel()));
    assert_eq!(
        expect_one_call(f, &fx, &calls, "a cancelled promise"),
        "cancelled true"
    );

    let finishing = fx.chain.spawn(async { 3u32 });
    let calls = Calls::default();
    watch(&finishing, &calls, |t| {
        format!("done {} cancelled {}", t.is_done(), t.is_cancelled())
    });
    assert_eq!(
        expect_one_call(f, &fx, &calls, "a finished task"),
        "done true cancelled false"
    );
    assert_eq!(
        finishing.try_take(),
        Some(Ok(3)),
        "the callback's view leaves the output to the handle"
    );

    let never = fx.chain.promise::<u32>();
    // Fallible: a cancellation delivered at its await ends it.
    let waiting = fx.chain.spawn_fallible(never.clone());
    let calls = Calls::default();
    watch(&waiting, &calls, |t| {
        format!("cancelled {}", t.is_cancelled())
    });
    assert!(in_call(|| waiting.cancel()));
    assert_eq!(
        expect_one_call(f, &fx, &calls, "a cancelled task"),
        "cancelled true"
    );

    let all = fx.chain.gather(vec![fx.chain.promise::<u32>()]);
    let calls = Calls::default();
    watch(&all, &calls, |g| format!("cancelled {}", g.is_cancelled()));
    assert!(in_call(|| all.cancel()));
    assert_eq!(
        expect_one_call(f, &fx, &calls, "a cancelled gather"),
        "cancelled true"
    );
}

/// Wake-ups and done callbacks keep registration order: a callback
/// registered before a task awaits the promise runs before that task
/// resumes, one registered after runs after it (so it finds the task's
/// reaction done). The order holds with at most one worker; with more,
/// both still run, once each.
pub(crate) fn registration_order(f: &dyn ChainFactory) {
    let fx = f.build();
    let promise = fx.chain.promise::<u32>();
    let log: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let push = |log: &Arc<Mutex<Vec<&'static str>>>, what| log.lock().unwrap().push(what);
    {
        let log = log.clone();
        promise
            .add_done_callback(move |_| push(&log, "callback registered before"))
            .expect("add a callback");
    }
    let task = {
        let (log, mut promise) = (log.clone(), promise.clone());
        fx.chain.spawn(std::future::poll_fn(move |cx| {
            match std::pin::Pin::new(&mut promise).poll(cx) {
                std::task::Poll::Pending => {
                    push(&log, "suspended");
                    std::task::Poll::Pending
                }
                std::task::Poll::Ready(_) => {
                    push(&log, "task resumed");
                    std::task::Poll::Ready(())
                }
            }
        }))
    };
    settle(f, &fx, "the task to suspend on the promise", || {
        log.lock().unwrap().contains(&"suspended")
    });
    {
        let log = log.clone();
        promise
            .add_done_callback(move |_| push(&log, "callback registered after"))
            .expect("add a callback");
    }
    promise.set_result(1).expect("set the promise");
    settle(f, &fx, "the task and both callbacks", || {
        log.lock().unwrap().len() == 4
    });
    assert!(task.is_done());
    let seen = log.lock().unwrap().clone();
    if f.threads() <= 1 {
        assert_eq!(
            seen,
            [
                "suspended",
                "callback registered before",
                "task resumed",
                "callback registered after"
            ]
        );
    } else {
        for what in [
            "callback registered before",
            "task resumed",
            "callback registered after",
        ] {
            assert_eq!(seen.iter().filter(|s| **s == what).count(), 1, "{seen:?}");
        }
    }
}

/// `call_soon` from another thread runs once on the chain, never inline;
/// `call_later` waits for its time on the chain's clock; a cancelled call
/// never runs.
pub(crate) fn call_soon_and_later(f: &dyn ChainFactory) {
    let fx = f.build();
    let calls = Calls::default();
    let record = |calls: &Calls, saw: &str| {
        let calls = calls.clone();
        let saw = saw.to_owned();
        move || {
            calls.lock().unwrap().push(Call {
                inline: is_in_call(),
                thread: std::thread::current().id(),
                saw,
            })
        }
    };
    let chain = fx.chain.clone();
    let soon = record(&calls, "soon");
    std::thread::spawn(move || in_call(|| chain.call_soon(soon)).expect("call_soon"))
        .join()
        .unwrap();
    assert_eq!(expect_one_call(f, &fx, &calls, "call_soon"), "soon");

    // A threaded chain's worker may run it first: then it is not cancelled.
    let calls = Calls::default();
    let raced = fx
        .chain
        .call_soon(record(&calls, "raced"))
        .expect("call_soon");
    if raced.cancel() {
        for _ in 0..5 {
            f.drive(&fx).expect("drive");
        }
        assert!(calls_of(&calls).is_empty(), "a cancelled call ran");
    } else {
        assert!(f.threads() > 0, "a frame chain runs it only when polled");
        assert_eq!(expect_one_call(f, &fx, &calls, "a call that won"), "raced");
    }

    // It holds a threaded chain between its steps: made only now.
    let stepper = crate::Stepper::new(f, &fx);
    let calls = Calls::default();
    let later = fx
        .chain
        .call_later(
            std::time::Duration::from_millis(10),
            record(&calls, "later"),
        )
        .expect("call_later");
    stepper.step();
    fx.clock.advance(std::time::Duration::from_millis(9));
    stepper.steps(2);
    assert!(calls_of(&calls).is_empty(), "9 ms is not enough");
    assert!(later.is_pending());
    fx.clock.advance(std::time::Duration::from_millis(1));
    stepper.step();
    assert_eq!(expect_one_call(f, &fx, &calls, "call_later"), "later");
}
