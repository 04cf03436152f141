//! `Messenger`: named events, sent from anywhere, awaited as futures, read
//! as streams or handled by subscribed handlers (Panda3D's `messenger`).

use std::any::type_name;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::chain::core::ChainCore;
use crate::chain::task_chain::TaskChain;
use crate::error::Error;
use crate::event::buffer::{feed, StreamBuffer};
use crate::event::future::EventFuture;
use crate::event::receivers::{Receivers, Typed};
use crate::event::stream::EventStream;
use crate::event::subscription::{Handler, Subscription};
use crate::future::async_future::AsyncFuture;
use crate::future::state::Dispatch;

/// Named events: [`send`](Self::send) one from any thread, task or
/// callback; [`future`](Self::future) awaits its next firing;
/// [`stream`](Self::stream) reads every later firing as a `Stream`;
/// [`accept`](Self::accept) subscribes a handler to every firing.
///
/// A messenger is a cheap handle: clones share the same events, and it is
/// `Send + Sync`, so a task, a done callback or another thread can own one.
/// Every [`TaskManager`](crate::TaskManager) owns one, on its default chain
/// ([`TaskManager::messenger`](crate::TaskManager::messenger)); a chain of
/// its own gets one with [`Messenger::new`].
///
/// A coroutine waits for a door to open while another task opens it (the
/// `event_future` scenario):
///
/// ```
/// use taskchain_core::{DoneStatus, Error, TaskContext, TaskManager};
///
/// let manager = TaskManager::new();
/// let messenger = manager.messenger();
///
/// let visitor = {
///     let messenger = messenger.clone();
///     manager.spawn(async move {
///         messenger.future::<()>("door-open")?.await?;
///         Ok::<_, Error>("came in")
///     })
/// };
/// manager.add(move |task: &TaskContext<'_>| {
///     if task.frame() < 3 {
///         return DoneStatus::Cont;
///     }
///     messenger.send("door-open", ()).unwrap();
///     DoneStatus::Done
/// });
/// assert_eq!(manager.run_until(&visitor), Ok(Ok("came in")));
/// ```
///
/// # Payload types
///
/// An event's payload is any `T: Clone + Send + Sync + 'static`; `()` for
/// an event that carries nothing. Receivers are typed: at any moment, the
/// receivers of one name (its pending future, its handlers and its
/// streams) all take the same `T`, and a send must give that `T` exactly
/// (a `&'static str` is not a `String`). A send, `future`, `stream` or
/// `accept` of another type while the name has receivers returns
/// [`Error::WrongPayloadType`] and changes nothing. Once a name has no
/// receivers left (its future fired or was cancelled, its handlers
/// unsubscribed, its streams dropped), it may be used with another type.
///
/// # Delivery
///
/// A send fires the event at once, for every way it is sent: it finishes
/// the pending future (waking its awaiters, which run on their chains'
/// next polls), buffers the payload in each of its streams (waking their
/// readers) and hands every subscribed handler a call with the payload
/// on the messenger's chain's next poll (never inline in `send`). An event
/// sent while nobody waits for it is dropped: events are not stored for
/// later receivers.
///
/// # Shutdown
///
/// Handler calls run on the messenger's chain, so they end with it. Its
/// shutdown is its last poll: handler calls queued before it (or by the
/// tasks it cancels) run during it, once each. Then the chain is closed: a
/// handler call sent later is dropped, never run inline in `send` (a
/// handler re-sending its own event would deadlock on itself), and
/// [`accept`](Self::accept) returns [`Error::Shutdown`]. A subscription
/// whose chain shut down is no longer [active](Subscription::is_active).
/// Futures need no chain: [`future`](Self::future) and `send` still work,
/// but their done callbacks, like every done callback on a closed chain,
/// are dropped unrun.
///
/// When the manager that owns it shuts down, its pending futures are
/// cancelled, its handlers unsubscribed and its streams ended (each yields
/// what it holds, then `None`); it stays usable afterwards for futures and
/// new streams.
///
/// # Panics
///
/// Never on any argument: an empty event name is [`Error::EmptyEventName`],
/// a stream capacity of 0 is [`Error::InvalidSetting`].
/// A handler that panics is caught when it runs (the panic hook reports
/// it); the other handlers of that event still run, and it stays
/// subscribed.
#[derive(Clone)]
pub struct Messenger {
    shared: Arc<MessengerInner>,
}

/// What the clones of a messenger share.
pub(crate) struct MessengerInner {
    /// The chain whose polls run the handlers and the futures' done
    /// callbacks.
    home: Arc<ChainCore>,
    events: Mutex<HashMap<Arc<str>, Box<dyn Receivers>>>,
    next_handler: AtomicU64,
}

/// Returns [`Error::EmptyEventName`] for an empty name.
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        Err(Error::EmptyEventName)
    } else {
        Ok(())
    }
}

fn wrong_type(name: &str, expected: &'static str, found: &'static str) -> Error {
    Error::WrongPayloadType {
        event: name.to_owned(),
        expected,
        found,
    }
}

type Events = HashMap<Arc<str>, Box<dyn Receivers>>;

impl MessengerInner {
    fn lock(&self) -> MutexGuard<'_, Events> {
        // Nothing runs user code under this lock (closures and values are
        // dropped after it is released), so a poisoned lock still holds a
        // consistent map.
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The receivers of `name` for payloads of type `T`, made if needed.
    /// Idle receivers of another type are replaced (and handed back in
    /// `replaced`, to drop outside the lock); busy ones are an error.
    fn typed<'a, T: Clone + Send + Sync + 'static>(
        events: &'a mut Events,
        name: &str,
        replaced: &mut Option<Box<dyn Receivers>>,
    ) -> Result<&'a mut Typed<T>, Error> {
        match events.get(name) {
            Some(entry) if entry.as_any().is::<Typed<T>>() => {}
            Some(entry) if !entry.is_idle() => {
                return Err(wrong_type(name, entry.payload_type(), type_name::<T>()));
            }
            Some(_) => *replaced = events.remove(name),
            None => {}
        }
        if !events.contains_key(name) {
            let key: Arc<str> = Arc::from(name);
            events.insert(key.clone(), Box::new(Typed::<T>::new(key)));
        }
        events
            .get_mut(name)
            .and_then(|entry| entry.as_any_mut().downcast_mut::<Typed<T>>())
            // Made or checked just above, under the same lock.
            .ok_or_else(|| wrong_type(name, "(unknown)", type_name::<T>()))
    }

    /// Whether the messenger's chain still runs handlers (it is not shut
    /// down).
    pub(crate) fn runs_handlers(&self) -> bool {
        !self.home.is_shut_down()
    }

    /// Unsubscribes the handler `id` of `name` (from a dropped
    /// [`Subscription`]); forgets the name if nobody waits for it any more.
    pub(crate) fn remove_handler(&self, name: &str, id: u64) {
        let (handler, entry) = {
            let mut events = self.lock();
            let Some(receivers) = events.get_mut(name) else {
                return;
            };
            let handler = receivers.remove_handler(id);
            let entry = if receivers.is_idle() {
                events.remove(name)
            } else {
                None
            };
            (handler, entry)
        };
        // The handler's closure is user code, and so are its captures'
        // destructors: dropped here, after the lock.
        drop((handler, entry));
    }

    /// Unsubscribes the stream reading from `buffer`, kept under `key`
    /// (from a dropped [`EventStream`]); forgets the name if nobody waits
    /// for it any more.
    pub(crate) fn remove_stream(&self, name: &str, key: usize, buffer: *const ()) {
        let entry = {
            let mut events = self.lock();
            let Some(receivers) = events.get_mut(name) else {
                return;
            };
            if receivers.remove_stream(key, buffer) && receivers.is_idle() {
                events.remove(name)
            } else {
                None
            }
        };
        // Its cancelled future, if any, holds user values: dropped after
        // the lock.
        drop(entry);
    }
}

impl Messenger {
    /// A messenger whose handlers (and whose futures' done callbacks) run
    /// on `chain`'s polls. A manager already has one:
    /// [`TaskManager::messenger`](crate::TaskManager::messenger).
    ///
    /// ```
    /// use taskchain_core::{Messenger, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let ui = manager.make_task_chain("ui").unwrap();
    /// let ui_events = Messenger::new(&*ui);
    /// let clicked = ui_events.future::<(i32, i32)>("click").unwrap();
    /// ui_events.send("click", (3, 4)).unwrap();
    /// assert_eq!(manager.run_until(&clicked), Ok((3, 4)));
    /// ```
    pub fn new<C: TaskChain + ?Sized>(chain: &C) -> Self {
        Self::on_core(chain.core().clone())
    }

    pub(crate) fn on_core(home: Arc<ChainCore>) -> Self {
        Messenger {
            shared: Arc::new(MessengerInner {
                home,
                events: Mutex::new(HashMap::new()),
                next_handler: AtomicU64::new(0),
            }),
        }
    }

    /// Fires the event `name` with `payload`: finishes its pending future
    /// with `payload`, buffers it in each of its streams, and queues a call
    /// of each of its handlers with `payload` on the messenger's chain's
    /// next poll. Works from any thread, task or callback. An event nobody
    /// waits for is dropped.
    ///
    /// Returns [`Error::EmptyEventName`] for an empty name and
    /// [`Error::WrongPayloadType`] if the event's receivers take another
    /// type; either way nothing is delivered and the pending future stays
    /// pending.
    ///
    /// ```
    /// use taskchain_core::{AsyncFuture, Error, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let messenger = manager.messenger();
    /// let level = messenger.future::<u32>("level-up").unwrap();
    /// assert!(matches!(
    ///     messenger.send("level-up", "two"),
    ///     Err(Error::WrongPayloadType { .. })
    /// ));
    /// assert!(!level.is_done());
    /// messenger.send("level-up", 2_u32).unwrap();
    /// assert_eq!(level.result(None), Ok(2));
    /// ```
    pub fn send<T>(&self, name: &str, payload: T) -> Result<(), Error>
    where
        T: Clone + Send + Sync + 'static,
    {
        check_name(name)?;
        let (pending, handlers, streams, idle) = {
            let mut events = self.shared.lock();
            let Some(entry) = events.get_mut(name) else {
                return Ok(());
            };
            if let Some(typed) = entry.as_any_mut().downcast_mut::<Typed<T>>() {
                let pending = typed.pending.take();
                let handlers = typed.handlers.clone();
                let streams = typed.stream_buffers();
                // Without handlers or streams, nobody waits for this name
                // any more.
                let idle = if handlers.is_empty() && streams.is_empty() {
                    events.remove(name)
                } else {
                    None
                };
                (pending, handlers, streams, idle)
            } else if entry.is_idle() {
                // Its receivers are gone: nobody to deliver to.
                let idle = events.remove(name);
                drop(events);
                drop(idle);
                return Ok(());
            } else {
                return Err(wrong_type(name, entry.payload_type(), type_name::<T>()));
            }
        };
        drop(idle);
        // Delivered after the lock: waking awaiters may run foreign wakers,
        // which may call back into this messenger, and cloning a payload
        // runs its `Clone`.
        let pending = pending.filter(|f| !f.is_done());
        let needed_after = pending.is_some() || !handlers.is_empty();
        let Some(payload) = feed(&streams, payload, needed_after) else {
            return Ok(());
        };
        if handlers.is_empty() {
            if let Some(future) = pending {
                future.fire(payload);
            }
            return Ok(());
        }
        if let Some(future) = pending {
            future.fire(payload.clone());
        }
        let payload = Arc::new(payload);
        // Dropped unrun if the chain is closed (see "Shutdown" above).
        self.shared.home.dispatch(Box::new(move || {
            for handler in &handlers {
                handler.call(&payload);
            }
        }));
        Ok(())
    }

    /// The future of the next firing of the event `name`: finished with
    /// the payload of the next [`send`](Self::send) of it.
    ///
    /// Until the event fires, every call returns (a clone of) the same
    /// future; after it fired, or once it was cancelled, the next call makes
    /// a fresh one. Its done callbacks run on the messenger's chain.
    ///
    /// Returns [`Error::EmptyEventName`] for an empty name, and
    /// [`Error::WrongPayloadType`] if the event has receivers of another
    /// payload type.
    ///
    /// ```
    /// use taskchain_core::{AsyncFuture, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let messenger = manager.messenger();
    /// let opened = messenger.future::<()>("door-open").unwrap();
    /// messenger.send("door-open", ()).unwrap();
    /// assert_eq!(opened.result(None), Ok(()));
    /// ```
    ///
    /// # Cancellation
    ///
    /// Cancelling the future (or a coroutine task awaiting it) cancels it
    /// for every holder; see [`EventFuture`].
    pub fn future<T>(&self, name: &str) -> Result<EventFuture<T>, Error>
    where
        T: Clone + Send + Sync + 'static,
    {
        check_name(name)?;
        let mut replaced_entry = None;
        let mut replaced_future = None;
        let future = {
            let mut events = self.shared.lock();
            MessengerInner::typed::<T>(&mut events, name, &mut replaced_entry)
                .map(|typed| typed.future(&self.shared.home, &mut replaced_future))
        };
        drop((replaced_entry, replaced_future));
        future
    }

    /// A stream of the payloads of every send of the event `name` from now
    /// on, buffering up to `capacity` of them until read (when full, a send
    /// drops the oldest, counted in [`EventStream::lost`]). It stays
    /// subscribed until dropped; every stream of an event gets every send.
    /// See [`EventStream`].
    ///
    /// Returns [`Error::EmptyEventName`] for an empty name,
    /// [`Error::InvalidSetting`] for a `capacity` of 0 (a stream that can
    /// hold nothing would lose every send), and
    /// [`Error::WrongPayloadType`] if the event has receivers of another
    /// payload type. Any other capacity is accepted: the buffer grows as
    /// payloads come, up to it, so a large one costs nothing until used.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use taskchain_core::{Error, TaskManager};
    ///
    /// let manager = TaskManager::new();
    /// let messenger = manager.messenger();
    /// let mut keys = messenger.stream::<char>("key", 64)?;
    /// let typed = manager.spawn(async move {
    ///     let mut word = String::new();
    ///     while let Some(key) = keys.next().await {
    ///         match key? {
    ///             '\n' => break,
    ///             c => word.push(c),
    ///         }
    ///     }
    ///     Ok::<_, Error>(word)
    /// });
    /// for key in "go\n".chars() {
    ///     messenger.send("key", key)?;
    /// }
    /// assert_eq!(manager.run_until(&typed), Ok(Ok("go".to_string())));
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Cancellation
    ///
    /// A task awaiting the stream gets its cancel request as
    /// `Some(Err(Error::Cancelled))`; the stream stays subscribed and loses
    /// nothing. See [`EventStream`].
    pub fn stream<T>(&self, name: &str, capacity: usize) -> Result<EventStream<T>, Error>
    where
        T: Clone + Send + Sync + 'static,
    {
        check_name(name)?;
        if capacity == 0 {
            return Err(Error::InvalidSetting(
                "an event stream's capacity must be at least 1".to_owned(),
            ));
        }
        let buffer = Arc::new(StreamBuffer::new(capacity));
        let mut replaced = None;
        let subscribed = {
            let mut events = self.shared.lock();
            MessengerInner::typed::<T>(&mut events, name, &mut replaced)
                .map(|typed| (typed.add_stream(buffer.clone()), typed.name.clone()))
        };
        drop(replaced);
        let (key, name) = subscribed?;
        Ok(EventStream::new(
            buffer,
            Arc::downgrade(&self.shared),
            name,
            key,
        ))
    }

    /// Subscribes `handler` to the event `name`: each later send of it
    /// calls `handler` with its payload, on the messenger's chain's next
    /// poll (never inline in `send`), handlers of one event in subscription
    /// order. It stays subscribed while the returned [`Subscription`]
    /// lives (or for good, once [`detach`](Subscription::detach)ed).
    ///
    /// Returns [`Error::EmptyEventName`] for an empty name,
    /// [`Error::WrongPayloadType`] if the event has receivers of another
    /// payload type, and [`Error::Shutdown`] once the messenger's chain is
    /// shut down (the handler could never run).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use taskchain_core::TaskManager;
    ///
    /// let manager = TaskManager::new();
    /// let messenger = manager.messenger();
    /// let said = Arc::new(Mutex::new(Vec::new()));
    /// let log = said.clone();
    /// let _sub = messenger
    ///     .accept("say", move |line: &String| log.lock().unwrap().push(line.clone()))
    ///     .unwrap();
    /// messenger.send("say", "hello".to_string()).unwrap();
    /// assert!(said.lock().unwrap().is_empty()); // not inline
    /// manager.poll().unwrap();
    /// assert_eq!(*said.lock().unwrap(), ["hello"]);
    /// ```
    ///
    /// # Panics
    ///
    /// A handler that panics is caught when it runs; the panic hook reports
    /// it, the other handlers still run, and it stays subscribed.
    pub fn accept<T, F>(&self, name: &str, handler: F) -> Result<Subscription, Error>
    where
        T: Clone + Send + Sync + 'static,
        F: FnMut(&T) + Send + 'static,
    {
        check_name(name)?;
        if self.shared.home.is_shut_down() {
            return Err(Error::Shutdown);
        }
        let id = self.shared.next_handler.fetch_add(1, Ordering::Relaxed);
        let handler = Handler::new(id, Box::new(handler));
        let mut replaced = None;
        let subscribed = {
            let mut events = self.shared.lock();
            MessengerInner::typed::<T>(&mut events, name, &mut replaced).map(|typed| {
                typed.handlers.push(handler.clone());
                typed.name.clone()
            })
        };
        drop(replaced);
        // On error the handler is dropped here, after the lock.
        let name = subscribed?;
        Ok(Subscription::new(
            Arc::downgrade(&self.shared),
            name,
            handler,
        ))
    }

    /// Cancels every pending future, unsubscribes every handler and ends
    /// every stream, so that a handler holding a clone of its own messenger
    /// does not keep it alive for ever (the manager calls this when it
    /// shuts down). The messenger stays usable.
    pub(crate) fn close(&self) {
        let events = std::mem::take(&mut *self.shared.lock());
        // Outside the lock: cancelling wakes awaiters, whose wakers are
        // foreign code that may call back into this messenger.
        for receivers in events.into_values() {
            receivers.close();
        }
    }

    /// The name of the chain whose polls run the handlers.
    pub fn chain_name(&self) -> &str {
        self.shared.home.name()
    }
}

impl std::fmt::Debug for Messenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let waited_for = self.shared.lock().len();
        f.debug_struct("Messenger")
            .field("chain", &self.shared.home.name())
            .field("events_waited_for", &waited_for)
            .finish()
    }
}
