//! What a case records about each promise and task it made (the values
//! they carry, their probes, what a task awaits), and how their state is
//! read.

use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use taskchain_core::{AnyTask, AsyncFuture, Error, Promise, TaskHandle};

use crate::kit::drops::DropToken;

/// A promise's value, carrying a guard so a leaked promise is seen.
#[derive(Clone)]
pub(super) struct PVal {
    pub(super) v: u64,
    pub(super) _token: Arc<DropToken>,
}

/// A task's output, carrying a guard so a leaked task cell is seen.
pub(super) struct TaskOut {
    pub(super) v: Result<u64, Error>,
    pub(super) _token: DropToken,
}

/// What a task's callbacks and body report.
#[derive(Default)]
pub(super) struct TaskProbe {
    pub(super) deaths: AtomicU32,
    pub(super) clean: AtomicBool,
    pub(super) callbacks: AtomicU32,
    /// What the coroutine returned (before any cancel overrode it).
    pub(super) returned: Mutex<Option<Result<u64, Error>>>,
}

#[derive(Default)]
pub(super) struct PromiseProbe {
    pub(super) callbacks: AtomicU32,
}

/// An observed state of a future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Snap {
    Pending,
    /// A promise's value.
    Value(u64),
    /// A task that finished with a value (its value is in its probe).
    Finished,
    Cancelled,
    Panicked(String),
    /// A fallible task that propagated another error.
    Failed(Error),
    /// Done, but no terminal state readable: always a failure.
    Broken(String),
}

/// What a spawned coroutine awaits, resolved to indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Promise(usize),
    Task(usize),
    Pause(u64),
    GatherP(Vec<usize>),
    GatherT(Vec<usize>),
    ShieldP(usize),
    ShieldT(usize),
    Unscheduled(u64),
}

impl Target {
    /// Promises and tasks a cancel of the awaiting task may cancel in turn
    /// (not through a shield).
    pub(super) fn cancel_edges(&self) -> (Vec<usize>, Vec<usize>) {
        match self {
            Target::Promise(p) => (vec![*p], vec![]),
            Target::GatherP(ps) => (ps.clone(), vec![]),
            Target::Task(t) => (vec![], vec![*t]),
            Target::GatherT(ts) => (vec![], ts.clone()),
            Target::Pause(_) | Target::ShieldP(_) | Target::ShieldT(_) | Target::Unscheduled(_) => {
                (vec![], vec![])
            }
        }
    }
}

pub(super) enum Win {
    Set(u64),
    Cancel,
}

pub(super) struct PromiseRec {
    pub(super) promise: Promise<PVal>,
    pub(super) probe: Arc<PromiseProbe>,
    pub(super) seen: Snap,
    pub(super) wins: Vec<Win>,
}

pub(super) struct TaskRec {
    /// The test's handle, until a coroutine takes it to await.
    pub(super) handle: Option<TaskHandle<TaskOut>>,
    pub(super) any: AnyTask,
    pub(super) probe: Arc<TaskProbe>,
    pub(super) target: Target,
    pub(super) name: Option<u8>,
    pub(super) panics: bool,
    /// It propagates its await's error (see `SpawnSpec::fallible`).
    pub(super) fallible: bool,
    /// The cancels and removes aimed at it.
    pub(super) aims: u32,
    pub(super) seen: Snap,
}

pub(super) fn task_name(n: u8) -> String {
    format!("c{n}")
}

pub(super) fn snap_promise(p: &Promise<PVal>) -> Snap {
    match p.try_take() {
        None => Snap::Pending,
        Some(Ok(x)) => Snap::Value(x.v),
        Some(Err(Error::Cancelled)) => Snap::Cancelled,
        Some(Err(e)) => Snap::Broken(format!("promise read gave {e:?}")),
    }
}

pub(super) fn snap_task(any: &AnyTask) -> Snap {
    // In this order: the task may end between the two reads.
    let cancelled = any.is_cancelled();
    if !any.is_done() {
        if cancelled {
            return Snap::Broken("is_cancelled() but not is_done()".into());
        }
        return Snap::Pending;
    }
    match any.wait_done(Some(Duration::ZERO)) {
        Ok(()) => Snap::Finished,
        Err(Error::Cancelled) => Snap::Cancelled,
        Err(Error::Panicked(m)) => Snap::Panicked(m),
        Err(Error::Timeout) => Snap::Broken(
            "is_done() but its terminal state is not readable: wait_done(0) timed out".into(),
        ),
        Err(e) => Snap::Failed(e),
    }
}
