//! A log that tasks write to, in the order they run, and a task that
//! writes its name to it.

use std::sync::{Arc, Mutex};

use taskchain_core::{DoneStatus, TaskContext};

/// What tasks report, in the order they report it.
pub type Log = Arc<Mutex<Vec<String>>>;

/// An empty log.
pub fn new_log() -> Log {
    Log::default()
}

/// Appends `s` to `log`.
pub fn push(log: &Log, s: impl Into<String>) {
    log.lock().unwrap_or_else(|e| e.into_inner()).push(s.into());
}

/// What `log` holds so far.
pub fn seen(log: &Log) -> Vec<String> {
    log.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// What `log` holds so far, leaving it empty.
pub fn drain(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap_or_else(|e| e.into_inner()))
}

/// A recurring task that logs `name` on each run and returns `status`.
pub fn recorder(
    log: &Log,
    name: &str,
    status: DoneStatus,
) -> impl FnMut(&TaskContext<'_>) -> DoneStatus + Send + 'static {
    let (log, name) = (log.clone(), name.to_owned());
    move |_: &TaskContext<'_>| {
        push(&log, name.clone());
        status
    }
}
