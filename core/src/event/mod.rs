//! Events: named messages sent from anywhere, awaited as futures, read as
//! streams or handled by subscribed handlers (Panda3D's `messenger`).
//!
//! - `messenger`: `Messenger`, the named events and their sending.
//! - `future`: `EventFuture`, the shared future of one firing of an event.
//! - `receivers`: who waits for one event name (its future, handlers and streams).
//! - `subscription`: event handlers and the `Subscription` that keeps one.
//! - `stream`: `EventStream`, every later firing of an event as a `Stream`.
//! - `buffer`: the bounded buffer between the messenger and one stream.
//! - `done`: the event a task sends when it finishes (`done_event`).

pub(crate) mod buffer;
pub(crate) mod done;
pub(crate) mod future;
pub(crate) mod messenger;
pub(crate) mod receivers;
pub(crate) mod stream;
pub(crate) mod subscription;
