//! `StreamBuffer`: the payloads sent to one event stream and not yet read,
//! bounded, dropping the oldest when full; and `Feed`, the messenger's end
//! of it.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use crate::error::{drop_payload, isolated};

/// What a messenger and one [`EventStream`](crate::EventStream) share.
///
/// A `VecDeque` under one lock with the reader's waker, rather than a
/// bounded `concurrent-queue`: that queue allocates its whole capacity up
/// front (a generous capacity would cost its full size per stream, and a
/// huge one could not be allocated), and the waker needs a lock anyway.
/// The lock is held for a push or a pop only, never across user code.
pub(crate) struct StreamBuffer<T> {
    capacity: usize,
    inner: Mutex<Buffered<T>>,
}

struct Buffered<T> {
    /// Oldest first; never longer than the capacity.
    payloads: VecDeque<T>,
    /// Occurrences dropped since the stream was made: evicted when the
    /// buffer was full, or never made because a payload's clone panicked.
    lost: u64,
    /// The reader's, while it waits for a push or the close.
    waker: Option<Waker>,
    /// No push arrives any more: the messenger is gone or closed, or the
    /// reader is.
    closed: bool,
}

/// Drops `value` (user code in its destructor), ignoring a panic.
fn drop_isolated<V>(value: V) {
    isolated(move || drop(value));
}

impl<T> StreamBuffer<T> {
    /// An empty open buffer. `capacity` is at least 1 (checked by
    /// `Messenger::stream`); nothing is allocated until a push.
    pub(crate) fn new(capacity: usize) -> Self {
        StreamBuffer {
            capacity,
            inner: Mutex::new(Buffered {
                payloads: VecDeque::new(),
                lost: 0,
                waker: None,
                closed: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Buffered<T>> {
        // No user code runs under this lock (payloads, evicted payloads and
        // wakers are dropped or woken after it), so a poisoned lock, which
        // only a panicking waker clone could cause, still holds a
        // consistent buffer.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn lost(&self) -> u64 {
        self.lock().lost
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().payloads.len()
    }

    /// Appends `payload`, first dropping the oldest one (counted lost) if
    /// the buffer is full, and wakes the reader. Once closed, `payload` is
    /// dropped.
    pub(crate) fn push(&self, payload: T) {
        let (evicted, waker) = {
            let mut buffered = self.lock();
            if buffered.closed {
                (Some(payload), None)
            } else {
                let evicted = if buffered.payloads.len() >= self.capacity {
                    buffered.lost += 1;
                    buffered.payloads.pop_front()
                } else {
                    None
                };
                buffered.payloads.push_back(payload);
                (evicted, buffered.waker.take())
            }
        };
        // A waker that panics must not break the send that pushed.
        if let Some(waker) = waker {
            isolated(|| waker.wake());
        }
        if let Some(evicted) = evicted {
            drop_isolated(evicted);
        }
    }

    /// Pushes a clone of `payload`. A clone that panics (the payload's
    /// `Clone` is user code) is caught: that occurrence is counted lost.
    pub(crate) fn push_clone(&self, payload: &T)
    where
        T: Clone,
    {
        match catch_unwind(AssertUnwindSafe(|| payload.clone())) {
            Ok(copy) => self.push(copy),
            Err(panic) => {
                drop_payload(panic);
                self.lock().lost += 1;
            }
        }
    }

    /// The oldest payload (`Ready(Some)`); the end (`Ready(None)`: closed
    /// and empty); else `Pending`, after registering `waker`, if given, to
    /// be woken by the next push or the close.
    pub(crate) fn poll_pop(&self, waker: Option<&Waker>) -> Poll<Option<T>> {
        let replaced = {
            let mut buffered = self.lock();
            if let Some(payload) = buffered.payloads.pop_front() {
                return Poll::Ready(Some(payload));
            }
            if buffered.closed {
                return Poll::Ready(None);
            }
            match (waker, &buffered.waker) {
                (None, _) => None,
                (Some(waker), Some(held)) if held.will_wake(waker) => None,
                (Some(waker), _) => buffered.waker.replace(waker.clone()),
            }
        };
        if let Some(replaced) = replaced {
            drop_isolated(replaced);
        }
        Poll::Pending
    }

    /// Whether the stream has ended for good: closed and read to the end.
    pub(crate) fn is_terminated(&self) -> bool {
        let buffered = self.lock();
        buffered.closed && buffered.payloads.is_empty()
    }

    /// Takes no more pushes and wakes the reader: what it holds is still
    /// read, then the stream ends.
    pub(crate) fn close(&self) {
        let waker = {
            let mut buffered = self.lock();
            buffered.closed = true;
            buffered.waker.take()
        };
        if let Some(waker) = waker {
            isolated(|| waker.wake());
        }
    }

    /// Takes no more pushes and forgets the reader without waking it (the
    /// reader is going away).
    pub(crate) fn detach(&self) {
        let waker = {
            let mut buffered = self.lock();
            buffered.closed = true;
            buffered.waker.take()
        };
        if let Some(waker) = waker {
            drop_isolated(waker);
        }
    }
}

impl<T> Drop for StreamBuffer<T> {
    /// Payloads and the waker are user code: each is dropped on its own,
    /// and one that panics does not keep the rest from being dropped.
    fn drop(&mut self) {
        let buffered = self.inner.get_mut().unwrap_or_else(|e| e.into_inner());
        for payload in buffered.payloads.drain(..) {
            drop_isolated(payload);
        }
        if let Some(waker) = buffered.waker.take() {
            drop_isolated(waker);
        }
    }
}

/// The messenger's end of a stream's buffer, kept with the event's other
/// receivers. Dropping it (the messenger is dropped or closed) closes the
/// buffer, so the stream ends once read.
pub(crate) struct Feed<T>(Arc<StreamBuffer<T>>);

impl<T> Feed<T> {
    pub(crate) fn new(buffer: Arc<StreamBuffer<T>>) -> Self {
        Feed(buffer)
    }

    pub(crate) fn buffer(&self) -> &Arc<StreamBuffer<T>> {
        &self.0
    }
}

impl<T> Drop for Feed<T> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Gives each of `buffers` a copy of `payload` (in order). The last one
/// gets `payload` itself unless `needed_after` (the event also has a
/// pending future or handlers); returns `payload` unless it was given away.
pub(crate) fn feed<T: Clone>(
    buffers: &[Arc<StreamBuffer<T>>],
    payload: T,
    needed_after: bool,
) -> Option<T> {
    let Some((last, others)) = buffers.split_last() else {
        return Some(payload);
    };
    for buffer in others {
        buffer.push_clone(&payload);
    }
    if needed_after {
        last.push_clone(&payload);
        Some(payload)
    } else {
        last.push(payload);
        None
    }
}
