//! `EventStream<T>`: every later firing of a named event, as a `Stream`
//! of its payloads (asyncio's `async for` over events).

use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};

use crate::error::Error;
use crate::event::buffer::StreamBuffer;
use crate::event::messenger::MessengerInner;
use crate::task::current;

/// Every firing of a named event from the moment it was made, as a
/// [`Stream`] of payloads, given by
/// [`Messenger::stream`](crate::Messenger::stream): the form of Python's
/// `async for ev in events("hit")`.
///
/// Each [`send`](crate::Messenger::send) of the event after the stream was
/// made is buffered until read, whatever thread it came from and however
/// long the reader takes to come back to it: nothing is lost between two
/// polls, up to the stream's capacity (see "Overflow" below). Payloads come in the order they were sent: the sends of one
/// thread in its order, concurrent sends from several threads interleaved
/// in some order. Every stream of an event gets every send, like every
/// handler does.
///
/// Items are `Result<T, Error>`, as every taskchain future's output is: a
/// payload is `Ok`, and the only error is [`Error::Cancelled`], the
/// awaiting task's cancel request (see "Cancellation" below). A payload of
/// another type is refused by the send itself
/// ([`Error::WrongPayloadType`], nothing delivered), as it is for event
/// futures and handlers: a stream only ever sees its own type.
///
/// ```
/// use futures_util::StreamExt;
/// use taskchain_core::{Error, TaskManager};
///
/// let manager = TaskManager::new();
/// let messenger = manager.messenger();
/// let mut hits = messenger.stream::<u32>("hit", 16)?;
/// let health = manager.spawn_fallible(async move {
///     let mut health = 100;
///     while let Some(damage) = hits.next().await {
///         health -= damage?; // a cancel ends the task cancelled
///         if health <= 70 {
///             break;
///         }
///     }
///     Ok(health)
/// });
/// // Sent before the coroutine first runs: buffered, none lost.
/// for damage in [10_u32, 5, 15] {
///     messenger.send("hit", damage)?;
/// }
/// assert_eq!(manager.run_until(&health), Ok(70));
/// # Ok::<(), Error>(())
/// ```
///
/// # Overflow: the oldest payloads are dropped
///
/// The buffer holds at most [`capacity`](Self::capacity) payloads. A send
/// that finds it full drops the oldest payload to make room, and the
/// stream counts it in [`lost`](Self::lost). A send never fails nor waits
/// because a reader lags (events come from the frame loop, handlers and
/// other threads, which must not stall on a slow reader), and a reader
/// that catches up sees the newest events, which describe the game as it
/// is now, rather than stale ones while newer ones are thrown away. A
/// reader that must not miss anything checks `lost` (a count since the
/// stream was made) and resynchronizes from the game's state when it grew.
///
/// # Lifetime
///
/// Dropping the stream unsubscribes it: the messenger keeps nothing of it,
/// and its buffered payloads are dropped. When its messenger is gone (its
/// last clone dropped) or closed (its manager shut down), the stream
/// yields what it holds, then ends (`None`), for good
/// ([`FusedStream`]). It needs no chain: a send on a messenger whose chain
/// was shut down still reaches it.
///
/// # Cancellation
///
/// Like every taskchain future, a stream delivers a cancel request of the
/// task awaiting it: if the task's cancel was requested while it waits for
/// the next payload (or when it asks for one and none is buffered), the
/// stream yields `Some(Err(Error::Cancelled))`. A buffered payload is
/// yielded first, as a done future's value is: the cancel then comes at
/// the next await that would wait. A fallible coroutine
/// ([`spawn_fallible`](crate::TaskChainExt::spawn_fallible)) that
/// propagates it with `?` ends cancelled. The stream itself is not
/// cancelled: it stays subscribed and loses nothing, so a coroutine that
/// catches the cancel and goes on (refuses it) reads on where it stopped.
///
/// # Panics
///
/// Never. Payload clones, payload destructors and wakers are user code and
/// each is caught where it runs: a waker that panics when woken does not
/// break the send that woke it (the payload is still buffered); a payload
/// whose `Clone` panics while a send copies it for this stream is counted
/// in [`lost`](Self::lost), and the send goes on to the other receivers.
pub struct EventStream<T> {
    buffer: Arc<StreamBuffer<T>>,
    messenger: Weak<MessengerInner>,
    name: Arc<str>,
    /// Its place among the event's streams in the messenger.
    key: usize,
}

impl<T> EventStream<T> {
    pub(crate) fn new(
        buffer: Arc<StreamBuffer<T>>,
        messenger: Weak<MessengerInner>,
        name: Arc<str>,
        key: usize,
    ) -> Self {
        EventStream {
            buffer,
            messenger,
            name,
            key,
        }
    }

    /// The name of the event this stream follows.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many payloads the stream buffers at most before it drops the
    /// oldest.
    pub fn capacity(&self) -> usize {
        self.buffer.capacity()
    }

    /// How many payloads are buffered, not yet read.
    pub fn len(&self) -> usize {
        self.buffer.len()
    }

    /// Whether no payload is buffered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many firings of the event this stream missed since it was
    /// made: the oldest payloads dropped when a send found the buffer full
    /// (see "Overflow" above), and those whose clone panicked.
    ///
    /// ```
    /// use taskchain_core::TaskManager;
    ///
    /// let manager = TaskManager::new();
    /// let messenger = manager.messenger();
    /// let mut moves = messenger.stream::<u32>("move", 2).unwrap();
    /// for step in 1..=5_u32 {
    ///     messenger.send("move", step).unwrap();
    /// }
    /// assert_eq!(moves.lost(), 3);
    /// assert_eq!(moves.try_recv(), Some(4));
    /// assert_eq!(moves.try_recv(), Some(5));
    /// assert_eq!(moves.try_recv(), None);
    /// ```
    pub fn lost(&self) -> u64 {
        self.buffer.lost()
    }

    /// The oldest buffered payload, without waiting: for a recurring task
    /// that drains the stream once per frame. `None` when nothing is
    /// buffered (or the stream ended). It delivers no cancel request.
    ///
    /// Not named `try_next`: `futures_util::TryStreamExt` gives every
    /// stream of `Result`s an awaitable `try_next`, which this would hide.
    pub fn try_recv(&mut self) -> Option<T> {
        match self.buffer.poll_pop(None) {
            Poll::Ready(payload) => payload,
            Poll::Pending => None,
        }
    }
}

impl<T> Stream for EventStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(read) = self.buffer.poll_pop(None) {
            return Poll::Ready(read.map(Ok));
        }
        // Nothing to read: this await would wait, so it delivers a cancel
        // request of the awaiting task, as every taskchain future does.
        if current::take_cancel() {
            return Poll::Ready(Some(Err(Error::Cancelled)));
        }
        // Registers the waker, unless a payload or the close came since the
        // first look.
        self.buffer
            .poll_pop(Some(cx.waker()))
            .map(|read| read.map(Ok))
    }
}

impl<T> FusedStream for EventStream<T> {
    fn is_terminated(&self) -> bool {
        self.buffer.is_terminated()
    }
}

impl<T> Drop for EventStream<T> {
    fn drop(&mut self) {
        // Forgets the waker first, so that the messenger letting go of the
        // buffer does not wake the task dropping the stream.
        self.buffer.detach();
        if let Some(messenger) = self.messenger.upgrade() {
            messenger.remove_stream(&self.name, self.key, Arc::as_ptr(&self.buffer).cast());
        }
    }
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("name", &self.name)
            .field("capacity", &self.capacity())
            .field("buffered", &self.len())
            .field("lost", &self.lost())
            .finish()
    }
}
