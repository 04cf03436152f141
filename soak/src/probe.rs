//! What a task and the things it waits on report back to the soak while
//! they run on other threads: the value a coroutine returned, its runs,
//! its `upon_death` and done-callback calls, and how the settler settled
//! a promise or an event.

use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use taskchain::Error;

/// Reports of one task, shared with its body and its callbacks.
#[derive(Debug, Default)]
pub struct Probe {
    returned: Mutex<Option<Result<u64, Error>>>,
    runs: AtomicU32,
    deaths: AtomicU32,
    /// 0: `upon_death` not called yet; 1: called with false; 2: with true.
    clean_exit: AtomicU8,
    callbacks: AtomicU32,
}

impl Probe {
    /// A probe with nothing reported.
    pub fn new() -> Arc<Probe> {
        Arc::new(Probe::default())
    }

    /// The coroutine is about to return `value`.
    pub fn returning(&self, value: Result<u64, Error>) -> Result<u64, Error> {
        *self.returned.lock().unwrap_or_else(|e| e.into_inner()) = Some(value.clone());
        value
    }

    /// What the coroutine returned, if it did.
    pub fn returned(&self) -> Option<Result<u64, Error>> {
        self.returned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A recurring task ran once more; returns the runs so far.
    pub fn ran(&self) -> u32 {
        self.runs.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Runs of a recurring task so far.
    pub fn runs(&self) -> u32 {
        self.runs.load(Ordering::Acquire)
    }

    /// `upon_death(clean_exit)` was called.
    pub fn died(&self, clean_exit: bool) {
        self.clean_exit
            .store(if clean_exit { 2 } else { 1 }, Ordering::Release);
        self.deaths.fetch_add(1, Ordering::AcqRel);
    }

    /// `upon_death` calls so far, and the last `clean_exit` it got.
    pub fn deaths(&self) -> (u32, Option<bool>) {
        let clean = match self.clean_exit.load(Ordering::Acquire) {
            0 => None,
            1 => Some(false),
            _ => Some(true),
        };
        (self.deaths.load(Ordering::Acquire), clean)
    }

    /// A done callback ran.
    pub fn called_back(&self) {
        self.callbacks.fetch_add(1, Ordering::AcqRel);
    }

    /// Done-callback calls so far.
    pub fn callbacks(&self) -> u32 {
        self.callbacks.load(Ordering::Acquire)
    }
}

/// How the settler treated a promise or an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// `set_result(v)` succeeded.
    Set(u64),
    /// `cancel()` moved the promise to cancelled.
    Cancelled,
    /// `set_result` or `cancel` found the promise already done (its
    /// awaiter was cancelled, which cancels what it awaits).
    Refused,
    /// The event was sent with this payload.
    Sent(u64),
}

/// The settlement of one promise or event, written once by the settler.
#[derive(Debug, Default)]
pub struct Settlement(Mutex<Option<(Settled, Instant)>>);

impl Settlement {
    /// Nothing settled yet.
    pub fn new() -> Arc<Settlement> {
        Arc::new(Settlement::default())
    }

    /// Records how it was settled, now.
    pub fn record(&self, settled: Settled) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((settled, Instant::now()));
    }

    /// How and when it was settled, if it was.
    pub fn get(&self) -> Option<(Settled, Instant)> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
