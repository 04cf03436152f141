//! Done notification: the event a task sends through a messenger when it
//! finishes (`TaskBuilder::done_event`).

use std::sync::Arc;

use crate::error::Error;
use crate::event::messenger::{check_name, Messenger};

/// A task's done event: the messenger to send it through and its name.
/// The task carries it, so the event reaches its messenger from any chain
/// (a backend's threaded chain too) without the chain knowing messengers.
#[derive(Clone)]
pub(crate) struct DoneEvent {
    messenger: Messenger,
    name: Arc<str>,
}

impl DoneEvent {
    /// Returns [`Error::EmptyEventName`] for an empty name.
    pub(crate) fn new(messenger: &Messenger, name: &str) -> Result<Self, Error> {
        check_name(name)?;
        Ok(DoneEvent {
            messenger: messenger.clone(),
            name: Arc::from(name),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Sends the event, with payload `()`. Nobody could receive an error:
    /// a send refused because the event's receivers take another payload
    /// type delivers nothing (documented on `TaskBuilder::done_event`).
    pub(crate) fn send(self) {
        let _ = self.messenger.send(&self.name, ());
    }
}
