//! Event streams: every send of an event after the stream was made is
//! buffered until read, in order, whatever thread sent it; a full buffer
//! drops its oldest payload and counts it lost; a dropped stream leaves
//! nothing in the messenger; a stream ends once its messenger is gone or
//! closed; wakers, clones and destructors that panic break no send; a
//! cancel request is delivered at the await; bad input is a typed error.

mod common;

use std::pin::Pin;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use common::{poll_n, poll_until, setup, PATIENCE};
use futures_util::stream::FusedStream;
use futures_util::{Stream, StreamExt, TryStreamExt};
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::drops::{DropCounter, DropToken};
use taskchain_conformance::kit::log::{new_log, push, seen};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    next_frame, AsyncFuture, DoneStatus, Error, EventStream, Messenger, TaskChain, TaskContext,
    TaskHandle, TaskManager,
};

/// Polls `stream` once with `waker`.
fn poll_with<T>(stream: &mut EventStream<T>, waker: &Waker) -> Poll<Option<Result<T, Error>>> {
    Pin::new(stream).poll_next(&mut Context::from_waker(waker))
}

/// Spawns a coroutine that reads `count` payloads of `stream`, waiting a
/// frame after each read (so that sends also land while it is not
/// awaiting the stream), and returns them.
fn reader(
    manager: &TaskManager,
    mut stream: EventStream<u32>,
    count: usize,
) -> TaskHandle<Result<Vec<u32>, Error>> {
    manager.spawn(async move {
        let mut read = Vec::new();
        while read.len() < count {
            match stream.next().await {
                Some(payload) => read.push(payload?),
                None => break,
            }
            next_frame().await;
        }
        Ok(read)
    })
}

/// Counts its wakes.
struct CountingWaker(Arc<AtomicUsize>);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        bump(&self.0);
    }
}

/// Counts its wakes, then panics.
struct PanicsOnWake(Arc<AtomicUsize>);

impl Wake for PanicsOnWake {
    fn wake(self: Arc<Self>) {
        bump(&self.0);
        panic!("boom: waker");
    }
}

// ------------------------------------------------------- order, nothing lost

#[test]
fn payloads_come_in_send_order_and_none_is_lost_between_polls() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let stream = messenger.stream::<u32>("hit", 16).unwrap();
    let reading = reader(&manager, stream, 6);
    // Before the reader ever ran.
    messenger.send("hit", 1_u32).unwrap();
    messenger.send("hit", 2_u32).unwrap();
    manager.poll().unwrap();
    // Between two polls, while the reader waits a frame, not the stream.
    messenger.send("hit", 3_u32).unwrap();
    messenger.send("hit", 4_u32).unwrap();
    messenger.send("hit", 5_u32).unwrap();
    manager.poll().unwrap();
    messenger.send("hit", 6_u32).unwrap();
    assert_eq!(
        poll_until(&manager, &reading, 20),
        Some(Ok(Ok(vec![1, 2, 3, 4, 5, 6])))
    );
}

#[test]
fn a_send_wakes_the_coroutine_awaiting_the_stream() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<u32>("hit", 4).unwrap();
    let reading = manager.spawn(async move { stream.next().await });
    poll_n(&manager, 3);
    assert!(!reading.is_done(), "nothing sent yet");
    messenger.send("hit", 9_u32).unwrap();
    manager.poll().unwrap();
    assert_eq!(reading.try_take(), Some(Ok(Some(Ok(9)))));
}

#[test]
fn try_stream_ext_reads_it_with_the_cancel_propagated_by_question_mark() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<u32>("hit", 4).unwrap();
    let total = manager.spawn_fallible(async move {
        let mut total = 0;
        while let Some(damage) = stream.try_next().await? {
            total += damage;
        }
        Ok(total)
    });
    messenger.send("hit", 2_u32).unwrap();
    messenger.send("hit", 3_u32).unwrap();
    poll_n(&manager, 2);
    assert!(total.cancel());
    manager.poll().unwrap();
    assert_eq!(total.result(None), Err(Error::Cancelled));
}

#[test]
fn a_recurring_task_drains_the_stream_once_per_frame() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<u32>("hit", 8).unwrap();
    let log = new_log();
    {
        let log = log.clone();
        manager.add(move |task: &TaskContext<'_>| {
            let hits: Vec<u32> = std::iter::from_fn(|| stream.try_recv()).collect();
            push(&log, format!("frame {} {hits:?}", task.frame()));
            DoneStatus::Cont
        });
    }
    manager.poll().unwrap();
    messenger.send("hit", 1_u32).unwrap();
    messenger.send("hit", 2_u32).unwrap();
    manager.poll().unwrap();
    manager.poll().unwrap();
    messenger.send("hit", 3_u32).unwrap();
    manager.poll().unwrap();
    assert_eq!(
        seen(&log),
        ["frame 0 []", "frame 1 [1, 2]", "frame 2 []", "frame 3 [3]"]
    );
}

#[test]
fn a_send_before_the_stream_was_made_is_not_in_it() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    messenger.send("hit", 1_u32).unwrap();
    let mut stream = messenger.stream::<u32>("hit", 4).unwrap();
    messenger.send("hit", 2_u32).unwrap();
    assert_eq!(stream.try_recv(), Some(2));
    assert_eq!(stream.try_recv(), None);
    assert_eq!(stream.lost(), 0);
}

#[test]
fn every_stream_of_an_event_gets_every_send_alongside_the_future_and_handlers() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut first = messenger.stream::<u32>("hit", 4).unwrap();
    let mut second = messenger.stream::<u32>("hit", 4).unwrap();
    let future = messenger.future::<u32>("hit").unwrap();
    let log = new_log();
    let _sub = {
        let log = log.clone();
        messenger
            .accept("hit", move |payload: &u32| {
                push(&log, format!("handler {payload}"))
            })
            .unwrap()
    };
    messenger.send("hit", 7_u32).unwrap();
    messenger.send("hit", 8_u32).unwrap();
    manager.poll().unwrap();
    assert_eq!(future.result(None), Ok(7));
    assert_eq!(seen(&log), ["handler 7", "handler 8"]);
    for stream in [&mut first, &mut second] {
        assert_eq!(stream.len(), 2);
        assert_eq!((stream.try_recv(), stream.try_recv()), (Some(7), Some(8)));
        assert!(stream.is_empty());
    }
}

// ------------------------------------------------------------- overflow

#[test]
fn a_full_buffer_drops_its_oldest_payload_and_counts_it_lost() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<(u32, DropToken)>("move", 3).unwrap();
    assert_eq!(stream.capacity(), 3);
    let drops = DropCounter::new();
    for step in 1..=7_u32 {
        messenger.send("move", (step, drops.token())).unwrap();
    }
    assert_eq!(stream.lost(), 4);
    assert_eq!(stream.len(), 3);
    assert_eq!(drops.dropped(), 4, "the evicted payloads are freed at once");
    let read: Vec<u32> = std::iter::from_fn(|| stream.try_recv().map(|(step, _)| step)).collect();
    assert_eq!(read, [5, 6, 7], "the newest are kept, in order");
    // Reading made room again: nothing more is lost.
    messenger.send("move", (8_u32, drops.token())).unwrap();
    assert_eq!(stream.try_recv().map(|(step, _)| step), Some(8));
    assert_eq!(stream.lost(), 4);
}

#[test]
fn a_reader_that_lags_behind_reads_the_newest_payloads_and_the_count_of_lost_ones() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let stream = messenger.stream::<u32>("hit", 2).unwrap();
    let reading = reader(&manager, stream, 3);
    manager.poll().unwrap();
    // Five sends in one frame: the reader only ever sees the last two.
    for damage in 1..=5_u32 {
        messenger.send("hit", damage).unwrap();
    }
    poll_n(&manager, 4);
    assert!(!reading.is_done());
    messenger.send("hit", 6_u32).unwrap();
    assert_eq!(
        poll_until(&manager, &reading, 20),
        Some(Ok(Ok(vec![4, 5, 6])))
    );
}

// ------------------------------------------------------------- bad input

#[test]
fn a_capacity_of_zero_or_an_empty_name_is_refused_and_subscribes_nothing() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    assert!(matches!(
        messenger.stream::<u32>("hit", 0),
        Err(Error::InvalidSetting(_))
    ));
    assert_eq!(
        messenger.stream::<u32>("", 4).map(|_| ()),
        Err(Error::EmptyEventName)
    );
    // Nothing was subscribed: the name takes any type.
    let text = messenger.future::<String>("hit").unwrap();
    messenger.send("hit", "ok".to_string()).unwrap();
    assert_eq!(text.result(None), Ok("ok".to_string()));
}

#[test]
fn any_capacity_from_one_up_is_accepted_and_allocates_nothing_until_used() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    for capacity in [1, 2, 1 << 40, usize::MAX / 2, usize::MAX] {
        let mut stream = messenger.stream::<u32>("hit", capacity).unwrap();
        assert_eq!(stream.capacity(), capacity);
        messenger.send("hit", 1_u32).unwrap();
        messenger.send("hit", 2_u32).unwrap();
        let lost = u64::from(capacity == 1);
        assert_eq!(stream.lost(), lost, "capacity {capacity}");
        assert_eq!(stream.try_recv(), Some(if capacity == 1 { 2 } else { 1 }));
    }
}

#[test]
fn a_payload_of_another_type_is_refused_by_the_send_and_the_stream_sees_nothing() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<u32>("score", 4).unwrap();
    assert_eq!(
        messenger.send("score", "ten"),
        Err(Error::WrongPayloadType {
            event: "score".into(),
            expected: std::any::type_name::<u32>(),
            found: std::any::type_name::<&str>(),
        })
    );
    assert!(stream.is_empty());
    assert!(matches!(
        messenger.stream::<String>("score", 4),
        Err(Error::WrongPayloadType { .. })
    ));
    assert!(matches!(
        messenger.future::<String>("score"),
        Err(Error::WrongPayloadType { .. })
    ));
    messenger.send("score", 10_u32).unwrap();
    assert_eq!(stream.try_recv(), Some(10));
    // Once the stream is gone, the name takes another type.
    drop(stream);
    let mut text = messenger.stream::<String>("score", 4).unwrap();
    messenger.send("score", "ten".to_string()).unwrap();
    assert_eq!(text.try_recv(), Some("ten".to_string()));
}

// ------------------------------------------------------------ lifetime

#[test]
fn dropping_the_stream_unsubscribes_it_and_frees_its_payloads() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let stream = messenger.stream::<DropToken>("pickup", 8).unwrap();
    let drops = DropCounter::new();
    messenger.send("pickup", drops.token()).unwrap();
    messenger.send("pickup", drops.token()).unwrap();
    assert_eq!(drops.dropped(), 0, "buffered");
    drop(stream);
    assert_eq!(drops.dropped(), 2, "its buffered payloads are freed");
    // The messenger keeps nothing for it: a send is dropped at once, the
    // name is forgotten and takes another type.
    messenger.send("pickup", drops.token()).unwrap();
    assert_eq!(drops.dropped(), 3, "a later send is stored nowhere");
    assert!(format!("{messenger:?}").contains("events_waited_for: 0"));
    assert_eq!(messenger.send("pickup", 1_u8), Ok(()));
    assert!(messenger.future::<u8>("pickup").is_ok());
}

#[test]
fn a_stream_dropped_inside_its_reader_unsubscribes_it() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<u32>("hit", 4).unwrap();
    let reading = manager.spawn(async move {
        let first = stream.next().await;
        drop(stream);
        first
    });
    manager.poll().unwrap();
    messenger.send("hit", 1_u32).unwrap();
    assert_eq!(poll_until(&manager, &reading, 5), Some(Ok(Some(Ok(1)))));
    assert!(format!("{messenger:?}").contains("events_waited_for: 0"));
}

#[test]
fn a_stream_yields_what_it_holds_then_ends_once_its_messenger_is_gone() {
    let (_clock, manager) = setup();
    let ui = manager.make_task_chain("ui").unwrap();
    let messenger = Messenger::new(&*ui);
    let mut held = messenger.stream::<u32>("click", 4).unwrap();
    let waiting = messenger.stream::<u32>("click", 4).unwrap();
    let reading = reader(&manager, waiting, 10);
    messenger.send("click", 1_u32).unwrap();
    messenger.send("click", 2_u32).unwrap();
    poll_n(&manager, 4);
    assert!(!reading.is_done(), "awaits a third");
    drop(messenger);
    // The end wakes the reader, which has read all there was.
    assert_eq!(poll_until(&manager, &reading, 5), Some(Ok(Ok(vec![1, 2]))));
    assert!(!held.is_terminated(), "still holds two");
    assert_eq!(held.try_recv(), Some(1));
    assert_eq!(held.try_recv(), Some(2));
    assert!(held.is_terminated());
    assert_eq!(poll_with(&mut held, Waker::noop()), Poll::Ready(None));
    assert_eq!(
        poll_with(&mut held, Waker::noop()),
        Poll::Ready(None),
        "fused"
    );
}

#[test]
fn a_manager_shutdown_ends_its_messengers_streams_which_then_still_makes_new_ones() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut before = messenger.stream::<u32>("hit", 4).unwrap();
    messenger.send("hit", 1_u32).unwrap();
    manager.shutdown();
    messenger.send("hit", 2_u32).unwrap();
    assert_eq!(
        poll_with(&mut before, Waker::noop()),
        Poll::Ready(Some(Ok(1)))
    );
    assert_eq!(poll_with(&mut before, Waker::noop()), Poll::Ready(None));
    // The messenger stays usable, for new streams too.
    let mut after = messenger.stream::<u32>("hit", 4).unwrap();
    messenger.send("hit", 3_u32).unwrap();
    assert_eq!(after.try_recv(), Some(3));
    assert!(!after.is_terminated());
}

// A stream made before a close and one made after it may have the same key
// among their event's streams: dropping the old one must leave the new one
// subscribed.
#[test]
fn a_stream_ended_by_a_shutdown_when_dropped_leaves_the_new_streams_of_its_event_alone() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let old = messenger.stream::<u32>("hit", 4).unwrap();
    manager.shutdown();
    let mut new = messenger.stream::<u32>("hit", 4).unwrap();
    drop(old);
    messenger.send("hit", 5_u32).unwrap();
    assert_eq!(new.try_recv(), Some(5));
}

// ------------------------------------------------------------- threads

#[test]
fn sends_from_other_threads_reach_the_awaiting_coroutine_in_order_and_none_is_lost() {
    const THREADS: u32 = 4;
    const EACH: u32 = 200;
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger
        .stream::<(u32, u32)>("tick", (THREADS * EACH) as usize)
        .unwrap();
    let reading = manager.spawn(async move {
        let mut read = Vec::new();
        while read.len() < (THREADS * EACH) as usize {
            match stream.next().await {
                Some(payload) => read.push(payload?),
                None => break,
            }
        }
        Ok::<_, Error>((read, stream.lost()))
    });
    let senders: Vec<_> = (0..THREADS)
        .map(|thread| {
            let messenger = messenger.clone();
            std::thread::spawn(move || {
                for seq in 0..EACH {
                    messenger.send("tick", (thread, seq)).unwrap();
                }
            })
        })
        .collect();
    // Polls, parking while nothing can run: every send's wake must reach
    // the parked poller (bounded, so a lost wake fails rather than hangs).
    assert_eq!(
        manager.default_chain().wait_for_tasks(Some(PATIENCE)),
        Ok(())
    );
    for sender in senders {
        sender.join().unwrap();
    }
    let (read, lost) = reading.try_take().unwrap().unwrap().unwrap();
    assert_eq!(lost, 0);
    assert_eq!(read.len(), (THREADS * EACH) as usize);
    for thread in 0..THREADS {
        let from: Vec<u32> = read
            .iter()
            .filter(|(t, _)| *t == thread)
            .map(|(_, seq)| *seq)
            .collect();
        assert_eq!(from, (0..EACH).collect::<Vec<_>>(), "thread {thread}");
    }
}

#[test]
fn a_stream_read_on_another_thread_gets_the_sends_of_this_one() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<u32>("hit", 64).unwrap();
    let reader = std::thread::spawn(move || {
        let waker = Waker::from(Arc::new(ThreadUnpark(std::thread::current())));
        let mut read = Vec::new();
        let deadline = std::time::Instant::now() + PATIENCE;
        while read.len() < 50 && std::time::Instant::now() < deadline {
            match poll_with(&mut stream, &waker) {
                Poll::Ready(Some(payload)) => read.push(payload.unwrap()),
                Poll::Ready(None) => break,
                Poll::Pending => std::thread::park_timeout(PATIENCE),
            }
        }
        read
    });
    for damage in 0..50_u32 {
        messenger.send("hit", damage).unwrap();
    }
    assert_eq!(reader.join().unwrap(), (0..50).collect::<Vec<_>>());
}

/// Unparks a thread.
struct ThreadUnpark(std::thread::Thread);

impl Wake for ThreadUnpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

// --------------------------------------------------------- user code

#[test]
fn a_waker_that_panics_when_woken_breaks_no_send_and_loses_no_payload() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<u32>("hit", 8).unwrap();
    let wakes = counter();
    let waker = Waker::from(Arc::new(PanicsOnWake(wakes.clone())));
    assert_eq!(poll_with(&mut stream, &waker), Poll::Pending);
    assert_eq!(messenger.send("hit", 1_u32), Ok(()));
    assert_eq!(get(&wakes), 1, "woken once");
    assert_eq!(messenger.send("hit", 2_u32), Ok(()));
    assert_eq!(get(&wakes), 1, "a waker is woken once per registration");
    assert_eq!(poll_with(&mut stream, &waker), Poll::Ready(Some(Ok(1))));
    assert_eq!(poll_with(&mut stream, &waker), Poll::Ready(Some(Ok(2))));
    assert_eq!(poll_with(&mut stream, &waker), Poll::Pending);
    // From another thread too.
    let sender = {
        let messenger = messenger.clone();
        std::thread::spawn(move || messenger.send("hit", 3_u32))
    };
    assert_eq!(sender.join().unwrap(), Ok(()));
    assert_eq!(get(&wakes), 2);
    assert_eq!(stream.try_recv(), Some(3));
    // And on the messenger's end: the manager's shutdown closes the stream
    // and wakes the panicking waker, which breaks nothing.
    assert_eq!(poll_with(&mut stream, &waker), Poll::Pending);
    manager.shutdown();
    assert_eq!(get(&wakes), 3);
    assert_eq!(poll_with(&mut stream, &waker), Poll::Ready(None));
}

#[test]
fn a_repoll_with_the_same_waker_wakes_it_once_per_send() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<u32>("hit", 8).unwrap();
    let wakes = counter();
    let waker = Waker::from(Arc::new(CountingWaker(wakes.clone())));
    assert_eq!(poll_with(&mut stream, &waker), Poll::Pending);
    assert_eq!(poll_with(&mut stream, &waker), Poll::Pending);
    messenger.send("hit", 1_u32).unwrap();
    assert_eq!(get(&wakes), 1);
    // Another waker replaces the first: only it is woken.
    let other_wakes = counter();
    let other = Waker::from(Arc::new(CountingWaker(other_wakes.clone())));
    assert_eq!(poll_with(&mut stream, &other), Poll::Ready(Some(Ok(1))));
    assert_eq!(poll_with(&mut stream, &waker), Poll::Pending);
    assert_eq!(poll_with(&mut stream, &other), Poll::Pending);
    messenger.send("hit", 2_u32).unwrap();
    assert_eq!((get(&wakes), get(&other_wakes)), (1, 1));
}

/// A payload whose clone panics when it carries 13.
#[derive(Debug, PartialEq)]
struct Unlucky(u32);

impl Clone for Unlucky {
    fn clone(&self) -> Self {
        assert!(self.0 != 13, "boom: unlucky clone");
        Unlucky(self.0)
    }
}

#[test]
fn a_payload_whose_clone_panics_is_counted_lost_and_the_send_goes_on() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut first = messenger.stream::<Unlucky>("roll", 4).unwrap();
    let mut second = messenger.stream::<Unlucky>("roll", 4).unwrap();
    let future = messenger.future::<Unlucky>("roll").unwrap();
    messenger.send("roll", Unlucky(12)).unwrap();
    assert_eq!(future.try_take(), Some(Ok(Unlucky(12))));
    // The streams need a clone each (the payload itself is kept for the
    // pending future): both clones panic, both count it lost.
    let future = messenger.future::<Unlucky>("roll").unwrap();
    assert_eq!(messenger.send("roll", Unlucky(13)), Ok(()));
    assert!(future.is_done(), "the send went on to the future");
    assert_eq!((first.lost(), second.lost()), (1, 1));
    // Without a future, one stream gets the payload itself.
    assert_eq!(messenger.send("roll", Unlucky(13)), Ok(()));
    assert_eq!(first.lost() + second.lost(), 3);
    messenger.send("roll", Unlucky(14)).unwrap();
    let mut read: Vec<u32> = std::iter::from_fn(|| first.try_recv())
        .chain(std::iter::from_fn(|| second.try_recv()))
        .map(|u| u.0)
        .collect();
    read.sort_unstable();
    assert_eq!(read, [12, 12, 13, 14, 14]);
}

/// Panics when dropped if it carries 13.
#[derive(Clone, Debug)]
struct UnluckyDrop(u32);

impl Drop for UnluckyDrop {
    fn drop(&mut self) {
        assert!(self.0 != 13, "boom: unlucky drop");
    }
}

#[test]
fn payloads_whose_drop_panics_break_neither_an_eviction_nor_the_streams_drop() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<UnluckyDrop>("roll", 1).unwrap();
    messenger.send("roll", UnluckyDrop(13)).unwrap();
    // Evicts the 13, whose drop panics.
    assert_eq!(messenger.send("roll", UnluckyDrop(1)), Ok(()));
    assert_eq!(stream.lost(), 1);
    assert_eq!(stream.try_recv().map(|u| u.0), Some(1));
    messenger.send("roll", UnluckyDrop(13)).unwrap();
    drop(stream);
    assert!(format!("{messenger:?}").contains("events_waited_for: 0"));
}

// ---------------------------------------------------------- cancellation

#[test]
fn a_cancel_is_delivered_at_the_await_and_a_fallible_coroutine_ends_cancelled() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<u32>("hit", 4).unwrap();
    let log = new_log();
    let reading = {
        let log = log.clone();
        manager.spawn_fallible(async move {
            while let Some(damage) = stream.next().await {
                push(&log, format!("hit {}", damage?));
            }
            push(&log, "ended");
            Ok(())
        })
    };
    messenger.send("hit", 1_u32).unwrap();
    poll_n(&manager, 2);
    assert!(reading.cancel());
    manager.poll().unwrap();
    assert_eq!(reading.result(None), Err(Error::Cancelled));
    assert_eq!(seen(&log), ["hit 1"]);
    assert!(format!("{messenger:?}").contains("events_waited_for: 0"));
}

#[test]
fn a_coroutine_that_refuses_the_cancel_reads_on_and_loses_nothing() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<u32>("hit", 4).unwrap();
    let log = new_log();
    let reading = {
        let log = log.clone();
        manager.spawn(async move {
            let mut read = Vec::new();
            while read.len() < 3 {
                match stream.next().await {
                    Some(Ok(damage)) => read.push(damage),
                    Some(Err(e)) => push(&log, format!("refused {e:?}")),
                    None => break,
                }
            }
            read
        })
    };
    manager.poll().unwrap();
    // Buffered before the cancel: read first, then the cancel comes at the
    // next await that waits.
    messenger.send("hit", 1_u32).unwrap();
    assert!(reading.cancel());
    manager.poll().unwrap();
    assert_eq!(seen(&log), ["refused Cancelled"]);
    assert!(!reading.is_done());
    messenger.send("hit", 2_u32).unwrap();
    messenger.send("hit", 3_u32).unwrap();
    assert_eq!(poll_until(&manager, &reading, 5), Some(Ok(vec![1, 2, 3])));
}

#[test]
fn a_stream_polled_outside_any_task_takes_no_cancel() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let mut stream = messenger.stream::<u32>("hit", 4).unwrap();
    assert_eq!(poll_with(&mut stream, Waker::noop()), Poll::Pending);
    messenger.send("hit", 1_u32).unwrap();
    assert_eq!(
        poll_with(&mut stream, Waker::noop()),
        Poll::Ready(Some(Ok(1)))
    );
}
