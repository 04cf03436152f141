//! Who waits for one event name: its pending future and its handlers, all
//! of one payload type.

use std::any::{type_name, Any};
use std::sync::Arc;

use crate::chain::core::ChainCore;
use crate::event::future::EventFuture;
use crate::event::subscription::{Handler, Switch};
use crate::future::async_future::AsyncFuture;
use crate::future::promise::Promise;

/// The receivers of one event name, seen without their payload type (the
/// messenger keeps one per name, in one map).
pub(crate) trait Receivers: Send {
    /// The payload type they take, for error messages.
    fn payload_type(&self) -> &'static str;
    /// True when nobody waits: no unfired future and no handler. An idle
    /// entry may be dropped, or replaced by receivers of another type.
    fn is_idle(&self) -> bool;
    /// Takes out the handler `id`, if subscribed here (for the caller to
    /// drop outside the messenger's lock: it owns a user closure).
    fn remove_handler(&mut self, id: u64) -> Option<Arc<dyn Switch>>;
    /// Cancels the pending future and unsubscribes every handler (the
    /// messenger's owner shuts down). Called outside the messenger's lock.
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
}

impl<T: Clone + Send + Sync + 'static> Typed<T> {
    pub(crate) fn new(name: Arc<str>) -> Self {
        Typed {
            name,
            pending: None,
            handlers: Vec::new(),
        }
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
        self.handlers.is_empty() && self.pending.as_ref().is_none_or(|f| f.is_done())
    }

    fn remove_handler(&mut self, id: u64) -> Option<Arc<dyn Switch>> {
        let at = self.handlers.iter().position(|h| h.id == id)?;
        Some(self.handlers.remove(at))
    }

    fn close(self: Box<Self>) {
        if let Some(pending) = &self.pending {
            pending.cancel();
        }
        for handler in &self.handlers {
            handler.stop();
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
