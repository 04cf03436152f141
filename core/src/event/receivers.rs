//! Who waits for one event name: its pending future, its handlers and its
//! streams, all of one payload type.

use std::any::{type_name, Any};
use std::sync::Arc;

use slab::Slab;

use crate::chain::core::ChainCore;
use crate::event::buffer::{Feed, StreamBuffer};
use crate::event::future::EventFuture;
use crate::event::subscription::{Handler, Switch};
use crate::future::async_future::AsyncFuture;
use crate::future::promise::Promise;

/// The receivers of one event name, seen without their payload type (the
/// messenger keeps one per name, in one map).
pub(crate) trait Receivers: Send {
    /// The payload type they take, for error messages.
    fn payload_type(&self) -> &'static str;
    /// True when nobody waits: no unfired future, no handler and no
    /// stream. An idle entry may be dropped, or replaced by receivers of
    /// another type.
    fn is_idle(&self) -> bool;
    /// Takes out the handler `id`, if subscribed here (for the caller to
    /// drop outside the messenger's lock: it owns a user closure).
    fn remove_handler(&mut self, id: u64) -> Option<Arc<dyn Switch>>;
    /// Unsubscribes the stream whose buffer is at `buffer`, kept under
    /// `key`, if it is subscribed here; true if it was.
    fn remove_stream(&mut self, key: usize, buffer: *const ()) -> bool;
    /// Cancels the pending future, unsubscribes every handler and ends
    /// every stream (the messenger's owner shuts down). Called outside the
    /// messenger's lock.
    fn close(self: Box<Self>);
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// The receivers of an event whose payload is a `T`.
pub(crate) struct Typed<T> {
    /// MessengerInner by every future and subscription of the name.
    pub(crate) name: Arc<str>,
    /// The future of the next firing, if anyone asked for it; a cancelled
    /// one stays until replaced.
    pub(crate) pending: Option<EventFuture<T>>,
    /// In subscription order, which is the order they are called in.
    pub(crate) handlers: Vec<Arc<Handler<T>>>,
    /// Keyed, so that a dropped stream leaves in O(1); each gets every
    /// send, in no particular order among them.
    pub(crate) streams: Slab<Feed<T>>,
}

impl<T: Clone + Send + Sync + 'static> Typed<T> {
    pub(crate) fn new(name: Arc<str>) -> Self {
        Typed {
            name,
            pending: None,
            handlers: Vec::new(),
            streams: Slab::new(),
        }
    }

    /// Subscribes a stream reading from `buffer`; returns its key.
    pub(crate) fn add_stream(&mut self, buffer: Arc<StreamBuffer<T>>) -> usize {
        self.streams.insert(Feed::new(buffer))
    }

    /// The buffers of the subscribed streams, for a send to fill after the
    /// messenger's lock (no allocation when there are none).
    pub(crate) fn stream_buffers(&self) -> Vec<Arc<StreamBuffer<T>>> {
        self.streams
            .iter()
            .map(|(_, feed)| feed.buffer().clone())
            .collect()
    }

    /// The pending future, or a fresh one if there is none or it was
    /// cancelled (the cancelled one is returned in `replaced`, for the
    /// caller to drop outside the lock).
    pub(crate) fn future(
        &mut self,
        home: &Arc<ChainCore>,
        replaced: &mut Option<EventFuture<T>>,
    ) -> EventFuture<T> {
        if let Some(pending) = &self.pending {
            if !pending.is_done() {
                return pending.clone();
            }
        }
        let fresh = EventFuture::new(self.name.clone(), Promise::with_home(Some(home.clone())));
        *replaced = self.pending.replace(fresh.clone());
        fresh
    }
}

impl<T: Clone + Send + Sync + 'static> Receivers for Typed<T> {
    fn payload_type(&self) -> &'static str {
        type_name::<T>()
    }

    fn is_idle(&self) -> bool {
        self.handlers.is_empty()
            && self.streams.is_empty()
            && self.pending.as_ref().is_none_or(|f| f.is_done())
    }

    fn remove_handler(&mut self, id: u64) -> Option<Arc<dyn Switch>> {
        let at = self.handlers.iter().position(|h| h.id == id)?;
        Some(self.handlers.remove(at))
    }

    fn remove_stream(&mut self, key: usize, buffer: *const ()) -> bool {
        // The key alone could name another stream: after a close, a new
        // entry for the same name reuses keys.
        let ours = self
            .streams
            .get(key)
            .is_some_and(|feed| std::ptr::eq(Arc::as_ptr(feed.buffer()).cast(), buffer));
        if ours {
            // Dropped under the messenger's lock, and that runs no user
            // code: the stream still holds the buffer (so its payloads are
            // not dropped here) and has already closed it and taken its
            // waker.
            drop(self.streams.remove(key));
        }
        ours
    }

    fn close(self: Box<Self>) {
        if let Some(pending) = &self.pending {
            pending.cancel();
        }
        for handler in &self.handlers {
            handler.stop();
        }
        // Dropping the feeds (with `self`) ends the streams: each yields
        // what it holds, then `None`.
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
