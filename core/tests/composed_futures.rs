//! Futures that compose: boxed futures of every kind in one gather, tuple
//! gathers, `wait_for` on the chain clock, and `as_completed`.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::{ms, poll_n, setup};
use futures_util::{FutureExt, Stream, StreamExt};
use taskchain_conformance::kit::alloc::{measure_thread, CountingAlloc};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    as_completed, gather, gather_tuple, pause, shield, wait_for, AsyncFuture, BoxedAsyncFuture,
    Error, Promise, TaskChain,
};

// Counts the allocations `measure_thread` reads.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// A user's own `AsyncFuture`: a promise under another name.
struct Relay(Promise<u32>);

impl Future for Relay {
    type Output = Result<u32, Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl AsyncFuture for Relay {
    type Value = u32;
    fn is_done(&self) -> bool {
        self.0.is_done()
    }
    fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
    fn cancel(&self) -> bool {
        self.0.cancel()
    }
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.0.poll_done(cx)
    }
    fn try_take(&self) -> Option<Result<u32, Error>> {
        self.0.try_take()
    }
    fn error(&self) -> Option<Error> {
        self.0.error()
    }
    fn add_done_callback<F>(&self, callback: F) -> Result<(), Error>
    where
        F: FnOnce(&Self) + Send + 'static,
    {
        self.0
            .add_done_callback(move |p| callback(&Relay(p.clone())))
    }
    fn result(&self, timeout: Option<Duration>) -> Result<u32, Error> {
        self.0.result(timeout)
    }
}

/// A waker that counts nothing: its `Arc`'s strong count tells how many
/// copies are registered somewhere.
struct Probe;

impl Wake for Probe {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn boxed_futures_of_every_kind_go_in_one_gather() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let shielded = manager.promise::<u32>();
    let relayed = manager.promise::<u32>();
    let messenger = manager.messenger();
    let event = messenger.future::<u32>("score").unwrap();
    let task = manager.spawn(async { 2 });
    let children: Vec<BoxedAsyncFuture<u32>> = vec![
        promise.clone().into(),
        task.into(),
        shield(shielded.clone()).into(),
        event.into(),
        Relay(relayed.clone()).into_boxed(),
        // Boxing a boxed future keeps it as it is.
        manager.spawn(async { 6 }).into_boxed().into_boxed(),
    ];
    let all = manager.spawn(gather(children));
    manager.poll().unwrap();
    assert!(!all.is_done());
    promise.set_result(1).unwrap();
    shielded.set_result(3).unwrap();
    messenger.send("score", 4_u32).unwrap();
    relayed.set_result(5).unwrap();
    poll_n(&manager, 2);
    assert_eq!(
        all.result(Some(Duration::ZERO)),
        Ok(Ok(vec![1, 2, 3, 4, 5, 6]))
    );

    // Gathers are futures too: gathers of gathers and of tuple gathers.
    let (a, b) = (manager.promise::<u32>(), manager.promise::<u32>());
    let nested = gather(vec![
        BoxedAsyncFuture::from(gather(vec![a.clone()])),
        gather(vec![b.clone()]).into_boxed(),
    ]);
    let pairs = gather(vec![
        BoxedAsyncFuture::from(gather_tuple((a.clone(), b.clone()))),
        gather_tuple((b.clone(), a.clone())).into_boxed(),
    ]);
    a.set_result(7).unwrap();
    assert!(!nested.is_done() && !pairs.is_done());
    b.set_result(8).unwrap();
    assert_eq!(nested.try_take(), Some(Ok(vec![vec![7], vec![8]])));
    assert_eq!(pairs.try_take(), Some(Ok(vec![(7, 8), (8, 7)])));
}

#[test]
fn a_boxed_future_forwards_every_method_to_the_one_inside() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let boxed = promise.clone().into_boxed();
    assert!(!boxed.is_done() && !boxed.has_value());
    assert_eq!(boxed.try_take(), None);
    assert_eq!(boxed.error(), None);
    assert_eq!(boxed.result(Some(Duration::ZERO)), Err(Error::Timeout));
    let probe = Arc::new(Probe);
    let waker = Waker::from(probe.clone());
    assert!(boxed
        .poll_done(&mut Context::from_waker(&waker))
        .is_pending());
    assert_eq!(Arc::strong_count(&probe), 3, "registered on the promise");
    assert!(boxed.cancel());
    assert!(promise.is_cancelled(), "the cancel reaches the promise");
    assert!(boxed.is_done() && boxed.is_cancelled());
    assert_eq!(boxed.error(), Some(Error::Cancelled));
    assert_eq!(boxed.wait(), Err(Error::Cancelled));
    assert!(!boxed.cancel());

    // A boxed task handle moves its output out once, as the handle does.
    let task = manager.spawn(async { String::from("once") }).into_boxed();
    manager.poll().unwrap();
    assert!(task.has_value());
    assert_eq!(task.try_take(), Some(Ok(String::from("once"))));
    assert!(!task.has_value());
    assert_eq!(task.try_take(), Some(Err(Error::AlreadyTaken)));
}

#[test]
fn a_boxed_futures_done_callback_gets_a_boxed_handle_and_outlives_the_box() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    {
        let boxed = promise.clone().into_boxed();
        let seen = seen.clone();
        boxed
            .add_done_callback(move |f: &BoxedAsyncFuture<u32>| {
                seen.lock()
                    .unwrap()
                    .push(format!("{} {:?}", f.is_done(), f.try_take()));
            })
            .unwrap();
        // Dropped before the promise completes: the callback is the
        // promise's, and stays.
    }
    promise.set_result(9).unwrap();
    assert!(seen.lock().unwrap().is_empty(), "never inline");
    manager.poll().unwrap();
    assert_eq!(*seen.lock().unwrap(), ["true Some(Ok(9))"]);

    // On a task: the callback takes the output through its lent handle.
    let task = manager.spawn(async { 4_u32 }).into_boxed();
    let taken: Arc<Mutex<Option<Result<u32, Error>>>> = Arc::default();
    {
        let taken = taken.clone();
        task.add_done_callback(move |f| *taken.lock().unwrap() = f.try_take())
            .unwrap();
    }
    poll_n(&manager, 2);
    assert_eq!(*taken.lock().unwrap(), Some(Ok(4)));
    assert_eq!(task.try_take(), Some(Err(Error::AlreadyTaken)));

    // A promise with no chain has nowhere to run it.
    let homeless = Promise::<u32>::new().into_boxed();
    assert_eq!(homeless.add_done_callback(|_| {}), Err(Error::NoChain));
}

#[test]
fn a_task_cancelled_while_awaiting_a_boxed_future_cancels_the_one_inside() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let boxed = promise.clone().into_boxed();
    // Spawned as a fallible coroutine itself: its `Err(Cancelled)` ends the
    // task cancelled.
    let waiting = manager.spawn_fallible(boxed);
    manager.poll().unwrap();
    assert!(waiting.cancel());
    manager.poll().unwrap();
    assert!(promise.is_cancelled(), "the awaited promise is cancelled");
    assert!(
        waiting.is_cancelled(),
        "the propagated cancel ends the task"
    );
}

#[test]
fn a_tuple_gather_yields_each_childs_value_in_argument_order() {
    let (clock, manager) = setup();
    let name = manager.promise::<&'static str>();
    let flag = manager.promise::<bool>();
    let score = manager.spawn(async {
        pause(ms(10)).await.unwrap();
        String::from("ten")
    });
    let all = {
        let (name, flag) = (name.clone(), flag.clone());
        manager.spawn(async move { gather_tuple((name, score, flag)).await })
    };
    manager.poll().unwrap();
    flag.set_result(true).unwrap();
    manager.poll().unwrap();
    assert!(!all.is_done(), "done only when every child is");
    name.set_result("ada").unwrap();
    manager.poll().unwrap();
    assert!(!all.is_done(), "the task still pauses");
    clock.advance(ms(10));
    poll_n(&manager, 2);
    assert_eq!(
        all.result(Some(Duration::ZERO)),
        Ok(Ok(("ada", String::from("ten"), true)))
    );

    // The widest tuple, read from outside any task, with a done callback.
    let ps: Vec<Promise<u8>> = (0..8).map(|_| manager.promise()).collect();
    let wide = gather_tuple((
        ps[0].clone(),
        ps[1].clone(),
        ps[2].clone(),
        ps[3].clone(),
        ps[4].clone(),
        ps[5].clone(),
        ps[6].clone(),
        manager.promise::<u8>(),
    ));
    for (i, p) in ps.iter().enumerate().take(7) {
        p.set_result(i as u8).unwrap();
    }
    assert!(!wide.is_done());
    assert_eq!(wide.children().7.set_result(7), Ok(()));
    assert!(wide.is_done() && wide.has_value());
    assert_eq!(wide.try_take(), Some(Ok((0, 1, 2, 3, 4, 5, 6, 7))));
    // Made outside a task: no chain for its callbacks, as a gather.
    assert_eq!(wide.add_done_callback(|_| {}), Err(Error::NoChain));
}

#[test]
fn a_tuple_gather_reads_the_first_failed_child_and_takes_no_value() {
    quiet_panics("boom");
    let (_clock, manager) = setup();
    let ok = manager.spawn(async { 1_u32 });
    let boom = manager.spawn(async {
        if true {
            panic!("boom");
        }
        String::new()
    });
    let cancelled = manager.promise::<bool>();
    let all = gather_tuple((ok, boom, cancelled.clone()));
    assert!(cancelled.cancel());
    assert!(!all.is_done(), "the tasks have not run");
    manager.poll().unwrap();
    assert!(all.is_done());
    assert!(!all.is_cancelled(), "a failed child does not cancel it");
    assert_eq!(all.error(), Some(Error::Panicked("boom".into())));
    assert_eq!(all.try_take(), Some(Err(Error::Panicked("boom".into()))));
    assert_eq!(
        all.children().0.try_take(),
        Some(Ok(1)),
        "no child's value was taken"
    );
}

#[test]
fn a_tuple_gather_read_after_a_child_value_was_taken_is_already_taken() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    let all = gather_tuple((manager.spawn(async { 1_u8 }), promise.clone()));
    promise.set_result(2).unwrap();
    manager.poll().unwrap();
    assert_eq!(all.children().0.try_take(), Some(Ok(1)));
    assert!(all.is_done() && !all.has_value());
    assert_eq!(all.try_take(), Some(Err(Error::AlreadyTaken)));
    assert_eq!(all.result(None), Err(Error::AlreadyTaken));
}

#[test]
fn cancelling_a_tuple_gather_or_its_awaiter_cancels_every_child() {
    let (_clock, manager) = setup();
    let (p, task) = (
        manager.promise::<u32>(),
        manager.spawn(std::future::pending::<()>()),
    );
    let direct = gather_tuple((p.clone(), task));
    manager.poll().unwrap();
    assert!(direct.cancel());
    assert!(!direct.cancel(), "once");
    manager.poll().unwrap();
    assert!(p.is_cancelled());
    assert!(direct.children().1.is_cancelled(), "the task is cancelled");
    assert_eq!(direct.try_take(), Some(Err(Error::Cancelled)));

    let (q, r) = (manager.promise::<u32>(), manager.promise::<&str>());
    let awaiting = {
        let (q, r) = (q.clone(), r.clone());
        manager.spawn_fallible(async move { gather_tuple((q, r)).await })
    };
    manager.poll().unwrap();
    assert!(awaiting.cancel());
    manager.poll().unwrap();
    assert!(awaiting.is_cancelled());
    assert!(q.is_cancelled() && r.is_cancelled());
}

#[test]
fn wait_for_yields_the_value_that_comes_in_time() {
    let (clock, manager) = setup();
    let reply = manager.promise::<u32>();
    let asking = {
        let reply = reply.clone();
        manager.spawn(async move { wait_for(reply, ms(100)).await })
    };
    manager.poll().unwrap();
    assert!(asking.is_sleeping(), "it sleeps until the deadline");
    clock.advance(ms(99));
    reply.set_result(5).unwrap();
    manager.poll().unwrap();
    assert_eq!(asking.result(Some(Duration::ZERO)), Ok(Ok(5)));
    // The stale deadline wakes nothing later.
    clock.advance(ms(10));
    poll_n(&manager, 2);
    assert_eq!(manager.default_chain().stats().total(), 0);

    // Done before the first poll, with no time at all: still its value.
    let done = manager.spawn(async { 7 });
    manager.poll().unwrap();
    let late = manager.spawn(async move { wait_for(done, Duration::ZERO).await });
    manager.poll().unwrap();
    assert_eq!(late.result(Some(Duration::ZERO)), Ok(Ok(7)));
}

#[test]
fn wait_for_times_out_on_the_chain_clock_and_cancels_the_future() {
    let (clock, manager) = setup();
    let slow = manager.spawn(std::future::pending::<u32>());
    let slow_id = slow.id();
    let asking = manager.spawn(async move { wait_for(slow, ms(100)).await });
    manager.poll().unwrap();
    clock.advance(ms(99));
    poll_n(&manager, 2);
    assert!(!asking.is_done(), "99 ms is not enough");
    clock.advance(ms(1));
    poll_n(&manager, 2);
    assert_eq!(asking.result(Some(Duration::ZERO)), Ok(Err(Error::Timeout)));
    let slow = manager.tasks();
    assert!(
        slow.iter().all(|t| t.id() != slow_id),
        "the task that took too long is cancelled and gone"
    );

    // A promise, with no time at all.
    let never = manager.promise::<u32>();
    let asking = {
        let never = never.clone();
        manager.spawn(async move { wait_for(never, Duration::ZERO).await })
    };
    manager.poll().unwrap();
    assert_eq!(asking.result(Some(Duration::ZERO)), Ok(Err(Error::Timeout)));
    assert!(never.is_cancelled());
}

#[test]
fn wait_for_outside_any_task_is_no_chain() {
    let (_clock, manager) = setup();
    let promise = manager.promise::<u32>();
    assert_eq!(
        wait_for(promise.clone(), ms(1)).now_or_never(),
        Some(Err(Error::NoChain))
    );
    assert!(!promise.is_done(), "the future is left alone");
    promise.set_result(1).unwrap();
    assert_eq!(
        wait_for(promise, Duration::MAX).now_or_never(),
        Some(Err(Error::NoChain))
    );
}

#[test]
fn wait_for_under_a_foreign_waker_is_would_deadlock() {
    let (_clock, manager) = setup();
    let reply = manager.promise::<u32>();
    let asking = {
        let reply = reply.clone();
        manager.spawn(async move {
            // `FuturesUnordered` polls with wakers of its own, which the
            // chain's timer would never wake.
            let mut inner = futures_util::stream::FuturesUnordered::new();
            inner.push(wait_for(reply, ms(10)));
            inner.next().await
        })
    };
    manager.poll().unwrap();
    assert_eq!(
        asking.result(Some(Duration::ZERO)),
        Ok(Some(Err(Error::WouldDeadlock)))
    );
    assert!(!reply.is_done(), "the future is left alone");
}

#[test]
fn a_task_cancelled_while_it_waits_for_a_future_cancels_that_future() {
    let (_clock, manager) = setup();
    let reply = manager.promise::<u32>();
    let asking = {
        let reply = reply.clone();
        manager.spawn_fallible(async move { wait_for(reply, ms(100)).await })
    };
    manager.poll().unwrap();
    assert!(asking.cancel());
    manager.poll().unwrap();
    assert!(reply.is_cancelled(), "the awaited future is cancelled");
    assert!(asking.is_cancelled());

    // A coroutine that catches the cancellation sees `Cancelled`.
    let reply = manager.promise::<u32>();
    let catching = {
        let reply = reply.clone();
        manager.spawn(async move { wait_for(reply, ms(100)).await })
    };
    manager.poll().unwrap();
    assert!(catching.cancel());
    manager.poll().unwrap();
    assert_eq!(
        catching.result(Some(Duration::ZERO)),
        Ok(Err(Error::Cancelled))
    );
    assert!(reply.is_cancelled());
}

/// What `as_completed` yields for a future of `u32`.
type Taken = (usize, Result<u32, Error>);

#[test]
fn as_completed_yields_in_completion_order() {
    let (_clock, manager) = setup();
    let ps: Vec<Promise<u32>> = (0..4).map(|_| manager.promise()).collect();
    ps[3].set_result(30).unwrap();
    ps[1].set_result(10).unwrap();
    let order: Arc<Mutex<Vec<Taken>>> = Arc::default();
    let taking = {
        let (ps, order) = (ps.clone(), order.clone());
        manager.spawn(async move {
            let mut stream = as_completed(ps);
            assert_eq!(stream.size_hint(), (4, Some(4)));
            while let Some(item) = stream.next().await {
                order.lock().unwrap().push(item);
            }
        })
    };
    manager.poll().unwrap();
    assert_eq!(
        *order.lock().unwrap(),
        [(1, Ok(10)), (3, Ok(30))],
        "the futures already done come first, in argument order"
    );
    ps[2].set_result(20).unwrap();
    assert!(ps[0].cancel());
    poll_n(&manager, 2);
    assert_eq!(
        *order.lock().unwrap(),
        [
            (1, Ok(10)),
            (3, Ok(30)),
            (2, Ok(20)),
            (0, Err(Error::Cancelled))
        ]
    );
    assert!(taking.is_done());
}

#[test]
fn next_completed_takes_the_first_and_leaves_the_rest_pending() {
    let (_clock, manager) = setup();
    let slow = manager.promise::<u32>();
    let fast = manager.spawn(async { 2_u32 }).into_boxed();
    let first = {
        let futures = vec![slow.clone().into_boxed(), fast];
        manager.spawn(async move {
            let mut stream = as_completed(futures);
            let first = stream.next_completed().await;
            (first, stream.futures()[0].is_done())
        })
    };
    poll_n(&manager, 3);
    assert_eq!(
        first.result(Some(Duration::ZERO)),
        Ok((Some((1, Ok(2))), false))
    );
    assert!(!slow.is_done(), "the rest stays pending, not cancelled");

    // An empty stream ends at once.
    let mut empty = as_completed(Vec::<Promise<u32>>::new());
    assert_eq!(empty.next_completed().now_or_never(), Some(None));
}

#[test]
fn dropping_as_completed_removes_its_waiters() {
    let (_clock, manager) = setup();
    let pending = manager.promise::<u32>();
    let probe = Arc::new(Probe);
    let waker = Waker::from(probe.clone());
    let round = || {
        for _ in 0..1000 {
            let mut stream = as_completed(vec![pending.clone(), pending.clone()]);
            assert!(Pin::new(&mut stream)
                .poll_next_unpin_with(&waker)
                .is_pending());
            drop(stream);
        }
    };
    // The first round grows the promise's waiter list to its size; the
    // second must then leave the heap where it was.
    round();
    assert_eq!(Arc::strong_count(&probe), 2, "the stream's waker is freed");
    let growth = measure_thread(round).live;
    assert!(growth <= 0, "1000 dropped streams left {growth} B behind");
    assert!(!pending.is_done());
}

/// Polls a stream once with `waker`.
trait PollNextWith {
    type Item;
    fn poll_next_unpin_with(self, waker: &Waker) -> Poll<Option<Self::Item>>;
}

impl<S: futures_util::Stream + Unpin> PollNextWith for Pin<&mut S> {
    type Item = S::Item;
    fn poll_next_unpin_with(self, waker: &Waker) -> Poll<Option<S::Item>> {
        self.poll_next(&mut Context::from_waker(waker))
    }
}
