//! The one error type of taskchain: every fallible operation returns it.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What went wrong in a taskchain operation or in the task a future stands for.
///
/// Bad input never panics in taskchain: it comes back as one of these.
///
#[doc = include_str!("../docs/bad_input.md")]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The future was cancelled before it finished.
    Cancelled,
    /// `result(timeout)` gave up waiting; the future is still pending and may
    /// be waited on again.
    Timeout,
    /// The task panicked while it ran; the message is the panic payload when it
    /// was a string.
    Panicked(String),
    /// `set_result` (or `cancel`) on a future that is already done.
    AlreadyDone,
    /// The value of this future was already taken by an earlier read (task
    /// outputs are moved out once, like a `JoinHandle`'s).
    AlreadyTaken,
    /// A task tried to await its own future, which could never complete.
    AwaitSelf,
    /// No chain of this name exists in the manager.
    UnknownChain(String),
    /// A chain of this name already exists.
    DuplicateChain(String),
    /// A delay, pause or duration given in seconds was negative, NaN or
    /// infinite.
    InvalidDuration(String),
    /// A setting was out of range: a chain's or a runtime's (for instance
    /// a negative frame budget, or 0 threads), or an event stream's
    /// capacity of 0.
    InvalidSetting(String),
    /// The operation needs to run inside a task (for instance `pause` awaited
    /// from a foreign executor) or on a chain, and there is none.
    NoChain,
    /// `poll()` was called on a chain from inside one of its own tasks.
    Reentrant,
    /// The chain holds `!Send` tasks and was polled, or a local spawner was
    /// used, from a thread other than the one that owns them.
    WrongThread,
    /// The chain (or its manager) was shut down and takes no more tasks.
    Shutdown,
    /// The runtime a chain ran on is gone (its owner dropped or shut it
    /// down): the chain cancelled the tasks it held and takes no more.
    RuntimeGone,
    /// A blocking wait (or a nested `block_on`) inside a task (or a done
    /// callback, handler or `upon_death` its chain's poll runs), on
    /// something only that chain can complete: it would never return.
    WouldDeadlock,
    /// A backend's runtime could not start: the operating system refused a
    /// thread or a driver (the message says which, and why).
    Runtime(String),
    /// An event name was empty (`send`, `future`, `accept` or
    /// `done_event`): every event needs a name to be told apart.
    EmptyEventName,
    /// An event's payload type differs from the type its current receivers
    /// (its pending future and its handlers) were made for: `send`
    /// delivered nothing, and `future` or `accept` made nothing.
    WrongPayloadType {
        /// The event's name.
        event: String,
        /// The payload type its current receivers take.
        expected: &'static str,
        /// The payload type that was given or asked for.
        found: &'static str,
    },
    /// A [`TaskGroup`](crate::TaskGroup) takes no more children: one of
    /// them failed, the group was cancelled, or its join ended.
    GroupClosed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Cancelled => f.write_str("the future was cancelled"),
            Error::Timeout => f.write_str("timed out waiting for the future"),
            Error::Panicked(msg) => write!(f, "the task panicked: {msg}"),
            Error::AlreadyDone => f.write_str("the future is already done"),
            Error::AlreadyTaken => f.write_str("the result was already taken"),
            Error::AwaitSelf => f.write_str("a task cannot await itself"),
            Error::UnknownChain(name) => write!(f, "no task chain named {name:?}"),
            Error::DuplicateChain(name) => write!(f, "a task chain named {name:?} already exists"),
            Error::InvalidDuration(why) => write!(f, "invalid duration: {why}"),
            Error::InvalidSetting(why) => write!(f, "invalid setting: {why}"),
            Error::NoChain => f.write_str("not running inside a task chain"),
            Error::Reentrant => f.write_str("a chain cannot be polled from its own task"),
            Error::WrongThread => {
                f.write_str("the chain holds !Send tasks owned by another thread")
            }
            Error::Shutdown => f.write_str("the chain was shut down"),
            Error::RuntimeGone => {
                f.write_str("the runtime the chain ran on is gone; the chain takes no more tasks")
            }
            Error::WouldDeadlock => f.write_str(
                "blocking inside a task on work only its own chain can do would never return",
            ),
            Error::Runtime(why) => write!(f, "the runtime could not start: {why}"),
            Error::EmptyEventName => f.write_str("an event name cannot be empty"),
            Error::WrongPayloadType {
                event,
                expected,
                found,
            } => write!(
                f,
                "event {event:?} carries a payload of type {expected}, not {found}"
            ),
            Error::GroupClosed => f.write_str("the task group takes no more tasks"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// [`Error::Panicked`] with the message of a caught panic's payload
    /// (what `catch_unwind` returns): the string it was raised with, if
    /// any. For executors built on taskchain that catch panics themselves.
    ///
    /// ```
    /// use taskchain_core::Error;
    ///
    /// let payload = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
    /// assert_eq!(Error::from_panic(&*payload), Error::Panicked("boom".into()));
    /// ```
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        Error::Panicked(panic_message(payload))
    }
}

/// Runs `f` (a call into user code), ignoring a panic.
pub(crate) fn isolated(f: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
        drop_payload(payload);
    }
}

/// Drops a caught panic's payload. The payload is user data too: a panic
/// while dropping it is caught and its own payload dropped in turn, a few
/// times at most (a payload whose drop always panics anew is then leaked,
/// so this always returns).
pub(crate) fn drop_payload(mut payload: Box<dyn std::any::Any + Send>) {
    for _ in 0..PAYLOAD_DROP_TRIES {
        match catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(again) => payload = again,
        }
    }
    std::mem::forget(payload);
}

/// How many nested panic payloads [`drop_payload`] drops before leaking one.
const PAYLOAD_DROP_TRIES: usize = 8;

/// Turns a panic payload into the message carried by [`Error::Panicked`].
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
