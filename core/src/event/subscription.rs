//! Event handlers: what `Messenger::accept` registers, and the
//! `Subscription` that keeps one registered.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::error::isolated;
use crate::event::messenger::MessengerInner;

/// The boxed handler closure.
type HandlerFn<T> = Box<dyn FnMut(&T) + Send>;

/// A handler subscribed to one event, with its on/off switch.
pub(crate) struct Handler<T> {
    pub(crate) id: u64,
    live: AtomicBool,
    /// A mutex so that a `FnMut` can be called from whichever thread runs
    /// the messenger's chain, one call at a time.
    call: Mutex<HandlerFn<T>>,
}

impl<T> Handler<T> {
    pub(crate) fn new(id: u64, f: HandlerFn<T>) -> Arc<Self> {
        Arc::new(Handler {
            id,
            live: AtomicBool::new(true),
            call: Mutex::new(f),
        })
    }

    /// Calls the handler with `payload` unless it was unsubscribed. A
    /// panic is caught here, so that it neither stops the handlers after
    /// it nor reaches the chain; the panic hook reports it.
    pub(crate) fn call(&self, payload: &T) {
        // A handler that panicked before left its lock poisoned; its state
        // is its own business, and it keeps being called.
        let mut f = self.call.lock().unwrap_or_else(|e| e.into_inner());
        // Checked under the lock, so that no call starts after
        // `unsubscribe` returns.
        if !self.live.load(Ordering::Acquire) {
            return;
        }
        isolated(|| f(payload));
    }
}

/// The untyped part of a handler a [`Subscription`] controls.
pub(crate) trait Switch: Send + Sync {
    fn id(&self) -> u64;
    fn stop(&self);
    fn is_live(&self) -> bool;
}

impl<T: Send + 'static> Switch for Handler<T> {
    fn id(&self) -> u64 {
        self.id
    }
    fn stop(&self) {
        self.live.store(false, Ordering::Release);
    }
    fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }
}

/// A handler's registration with a [`Messenger`](crate::Messenger), made by
/// [`accept`](crate::Messenger::accept). Dropping it (or calling
/// [`unsubscribe`](Self::unsubscribe)) unsubscribes the handler;
/// [`detach`](Self::detach) keeps it for the messenger's lifetime.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
/// use taskchain_core::TaskManager;
///
/// let manager = TaskManager::new();
/// let messenger = manager.messenger();
/// let hits = Arc::new(AtomicU32::new(0));
/// let h = hits.clone();
/// let sub = messenger
///     .accept("hit", move |damage: &u32| {
///         h.fetch_add(*damage, Ordering::Relaxed);
///     })
///     .unwrap();
/// messenger.send("hit", 5_u32).unwrap();
/// manager.poll().unwrap(); // handlers run on the chain's next poll
/// sub.unsubscribe();
/// messenger.send("hit", 7_u32).unwrap();
/// manager.poll().unwrap();
/// assert_eq!(hits.load(Ordering::Relaxed), 5);
/// ```
#[must_use = "dropping a Subscription unsubscribes its handler; call detach() to keep it"]
pub struct Subscription {
    /// `None` once detached: dropping it then leaves the handler be.
    link: Option<Link>,
    name: Arc<str>,
}

struct Link {
    messenger: Weak<MessengerInner>,
    handler: Arc<dyn Switch>,
}

impl Subscription {
    pub(crate) fn new(
        messenger: Weak<MessengerInner>,
        name: Arc<str>,
        handler: Arc<dyn Switch>,
    ) -> Self {
        Subscription {
            link: Some(Link { messenger, handler }),
            name,
        }
    }

    /// The event the handler is subscribed to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the handler is still subscribed and can be called (false
    /// once its messenger is gone or its messenger's chain shut down).
    pub fn is_active(&self) -> bool {
        self.link.as_ref().is_some_and(|l| {
            l.handler.is_live() && l.messenger.upgrade().is_some_and(|m| m.runs_handlers())
        })
    }

    /// Unsubscribes the handler (the same as dropping the subscription).
    ///
    /// No call of the handler starts after this returns, including calls
    /// for events sent before but not yet delivered; a call already
    /// running (on another thread, or this very handler unsubscribing
    /// itself) finishes.
    pub fn unsubscribe(self) {
        drop(self);
    }

    /// Keeps the handler subscribed for as long as the messenger lives,
    /// without a subscription to hold (Panda3D's `accept` without
    /// `ignore`).
    pub fn detach(mut self) {
        self.link = None;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(link) = self.link.take() {
            link.handler.stop();
            if let Some(messenger) = link.messenger.upgrade() {
                messenger.remove_handler(&self.name, link.handler.id());
            }
        }
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("name", &self.name)
            .field("active", &self.is_active())
            .finish()
    }
}
