//! What each task of the soak was started to do: the kinds of work the
//! randomized mix is made of, each with what it waits on.

use std::sync::Arc;
use std::time::Duration;

use crate::probe::Settlement;

/// A task's work, as the soak planned it.
#[derive(Debug, Clone)]
pub enum Plan {
    /// A coroutine that pauses, maybe yields a frame, and returns `value`.
    Leaf {
        /// What it returns.
        value: u64,
        /// How long it pauses.
        pause: Duration,
    },
    /// A coroutine that pauses briefly and then panics with
    /// [`panic_message`](crate::deliberate_panic::panic_message).
    Panic,
    /// A coroutine awaiting a promise the settler sets (it returns the
    /// value) or cancels.
    AwaitPromise(Arc<Settlement>),
    /// A coroutine awaiting an event the settler sends (it returns the
    /// payload).
    AwaitEvent(Arc<Settlement>),
    /// A coroutine awaiting another task's handle; returns its value + 1.
    AwaitTask(u64),
    /// A coroutine awaiting a shield of another task's handle; returns its
    /// value + 1. Cancelling it must leave the shielded task running.
    AwaitShield(u64),
    /// A coroutine awaiting a gather of other tasks; returns the sum.
    Gather(Vec<u64>),
    /// A recurring task returning `Cont` or `Again` until its last run,
    /// which returns `Done`; or panicking on run `panic_on`.
    Recurring {
        /// Runs it makes before it is done.
        runs: u32,
        /// The run (1-based) on which it panics, if any.
        panic_on: Option<u32>,
        /// Its delay (first run and `Again`).
        delay: Duration,
    },
}

impl Plan {
    /// A short name of the kind of work, for the summary.
    pub fn kind(&self) -> &'static str {
        match self {
            Plan::Leaf { .. } => "pause",
            Plan::Panic => "panic",
            Plan::AwaitPromise(_) => "await-promise",
            Plan::AwaitEvent(_) => "await-event",
            Plan::AwaitTask(_) => "await-task",
            Plan::AwaitShield(_) => "await-shield",
            Plan::Gather(_) => "gather",
            Plan::Recurring {
                panic_on: Some(_), ..
            } => "recurring-panic",
            Plan::Recurring { .. } => "recurring",
        }
    }

    /// Every kind, in summary order.
    pub const KINDS: [&'static str; 9] = [
        "await-promise",
        "await-event",
        "await-task",
        "await-shield",
        "gather",
        "pause",
        "recurring",
        "recurring-panic",
        "panic",
    ];

    /// The tasks it awaits, through which a cancel reaches them (not
    /// through a shield).
    pub fn cancel_reaches(&self) -> &[u64] {
        match self {
            Plan::AwaitTask(b) => std::slice::from_ref(b),
            Plan::Gather(children) => children,
            _ => &[],
        }
    }

    /// The tasks it waits on, cancel-reaching or not.
    pub fn waits_on(&self) -> &[u64] {
        match self {
            Plan::AwaitTask(b) | Plan::AwaitShield(b) => std::slice::from_ref(b),
            Plan::Gather(children) => children,
            _ => &[],
        }
    }

    /// Whether its body panics (unless a cancel ends it first).
    pub fn panics(&self) -> bool {
        matches!(
            self,
            Plan::Panic
                | Plan::Recurring {
                    panic_on: Some(_),
                    ..
                }
        )
    }
}
