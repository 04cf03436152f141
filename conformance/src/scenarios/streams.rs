//! Event streams on every chain kind: a coroutine reading an event's
//! stream gets every payload sent from another thread, in order, none
//! lost, however its reads and the sends interleave; a cancel request
//! reaches it at the stream's await.

use std::future::poll_fn;
use std::pin::Pin;
use std::thread;

use futures_core::Stream;
use taskchain_core::{AsyncFuture, Error, EventStream, Messenger, TaskChainExt};

use crate::kit::log::{new_log, push, seen};
use crate::{settle, ChainFactory};

/// Sends per run: more than a frame chain reads between two polls.
const SENDS: u32 = 500;

/// The next item of `stream` (what `StreamExt::next` gives).
async fn next(stream: &mut EventStream<u32>) -> Option<Result<u32, Error>> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

/// A coroutine reads `SENDS` payloads of a stream while another thread
/// sends them: it gets them all, in send order, and the stream lost none.
pub(crate) fn reads_every_send_from_another_thread_in_order(f: &dyn ChainFactory) {
    let fx = f.build();
    let messenger = Messenger::new(&*fx.chain);
    let mut stream = messenger
        .stream::<u32>("tick", SENDS as usize)
        .expect("a stream");
    let log = new_log();
    let reader = {
        let log = log.clone();
        fx.chain.spawn(async move {
            push(&log, "reading");
            let mut read = Vec::new();
            while read.len() < SENDS as usize {
                match next(&mut stream).await {
                    Some(payload) => read.push(payload?),
                    None => break,
                }
            }
            Ok::<_, Error>((read, stream.lost()))
        })
    };
    // The reader waits on the stream before the first send, so that the
    // sends race its reads (on a frame chain, the polls `settle` makes).
    settle(f, &fx, "the reader to start", || !seen(&log).is_empty());
    let sender = {
        let messenger = messenger.clone();
        thread::spawn(move || (0..SENDS).try_for_each(|tick| messenger.send("tick", tick)))
    };
    settle(f, &fx, "the reader to read every send", || reader.is_done());
    assert_eq!(sender.join().expect("the sender does not panic"), Ok(()));
    assert_eq!(
        reader.result(None),
        Ok(Ok(((0..SENDS).collect(), 0))),
        "every send, in order, none lost"
    );
}

/// A cancel request reaches a coroutine at the stream's await, after the
/// payload buffered before it: one that catches it reads on and loses
/// nothing; a fallible one that propagates it ends cancelled.
pub(crate) fn cancel_reaches_the_await(f: &dyn ChainFactory) {
    let fx = f.build();
    let messenger = Messenger::new(&*fx.chain);
    let mut stream = messenger.stream::<u32>("tick", 4).expect("a stream");
    let log = new_log();
    let refusing = {
        let log = log.clone();
        fx.chain.spawn(async move {
            let mut read = Vec::new();
            while read.len() < 2 {
                match next(&mut stream).await {
                    Some(Ok(tick)) => {
                        push(&log, format!("read {tick}"));
                        read.push(tick);
                    }
                    Some(Err(error)) => push(&log, format!("refused {error:?}")),
                    None => break,
                }
            }
            read
        })
    };
    messenger.send("tick", 1_u32).expect("send");
    // Started (a task cancelled before it starts ends at once, unrun).
    settle(f, &fx, "the reader to read the first send", || {
        !seen(&log).is_empty()
    });
    assert!(refusing.cancel(), "the reader is pending");
    settle(f, &fx, "the cancel to reach the reader", || {
        seen(&log).len() == 2
    });
    assert_eq!(seen(&log), ["read 1", "refused Cancelled"]);
    messenger.send("tick", 2_u32).expect("send");
    settle(f, &fx, "the reader to read on", || refusing.is_done());
    assert_eq!(refusing.result(None), Ok(vec![1, 2]), "nothing lost");

    let mut stream = messenger.stream::<u32>("tock", 4).expect("a stream");
    let started = new_log();
    let propagating = fx.chain.spawn_fallible({
        let started = started.clone();
        async move {
            push(&started, "started");
            while let Some(tock) = next(&mut stream).await {
                tock?;
            }
            Ok(())
        }
    });
    settle(f, &fx, "the second reader to start", || {
        !seen(&started).is_empty()
    });
    assert!(propagating.cancel(), "the reader is pending");
    settle(f, &fx, "the cancel to end the reader", || {
        propagating.is_done()
    });
    assert_eq!(propagating.result(None), Err(Error::Cancelled));
}
