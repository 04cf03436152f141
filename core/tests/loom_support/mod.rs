//! What the loom models (`tests/loom_*.rs`) share: the model runner with its
//! default preemption bound, a frame chain to home futures on, and a value
//! that counts its drops.
//!
//! Every model file compiles this module on its own and uses only part of it.
//!
//! The models build only under `--cfg loom` (elsewhere their files are
//! empty). Run them all, in their own target dir so that normal builds are
//! not invalidated:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
//!     cargo test -p taskchain-core --release --test 'loom_*'
//! ```
#![allow(dead_code)]

use std::sync::Arc;

use loom::sync::atomic::{AtomicUsize, Ordering};
use taskchain_core::{Error, FrameChain, ManualClock, Promise};

/// Preemptions explored when `LOOM_MAX_PREEMPTIONS` is not set: enough for
/// every race these models target, small enough that a bare run ends.
const DEFAULT_PREEMPTIONS: usize = 2;

/// Branch points one execution may pass (loom's default: 1,000).
const MAX_BRANCHES: usize = 10_000;

/// Runs `body` under every interleaving loom explores (bounded by
/// `LOOM_MAX_PREEMPTIONS`, default 2).
pub fn model(body: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(DEFAULT_PREEMPTIONS);
    }
    // A model drives a whole chain (polls, then its shutdown as it drops):
    // one execution passes more atomic accesses than loom's default
    // allows. The bound limits the length of a path, not how many are
    // explored.
    builder.max_branches = MAX_BRANCHES;
    builder.check(body);
}

/// A model thread that sets `promise` to `value`; joining it gives what
/// `set_result` returned.
pub fn spawn_set_result(
    promise: &Promise<u32>,
    value: u32,
) -> loom::thread::JoinHandle<Result<(), Error>> {
    let promise = promise.clone();
    loom::thread::spawn(move || promise.set_result(value))
}

/// A frame chain on a manual clock: the home of the futures a model makes,
/// where their done callbacks run when the model thread polls it.
pub fn frame_chain() -> Arc<FrameChain> {
    FrameChain::new("loom", Arc::new(ManualClock::new()))
}

/// A counter shared between a model's threads.
#[derive(Clone, Default)]
pub struct Counter(loom::sync::Arc<AtomicUsize>);

impl Counter {
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Values made and dropped (clones included), to check that every value
/// is dropped exactly once, whoever drops it.
#[derive(Clone, Default)]
pub struct Tally {
    made: Counter,
    dropped: Counter,
}

impl Tally {
    pub fn made(&self) -> usize {
        self.made.get()
    }

    pub fn dropped(&self) -> usize {
        self.dropped.get()
    }
}

/// A value counted in a [`Tally`].
pub struct Counted {
    tally: Tally,
    pub value: u32,
}

impl Counted {
    pub fn new(value: u32, tally: &Tally) -> Self {
        tally.made.bump();
        Counted {
            tally: tally.clone(),
            value,
        }
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(self.value, &self.tally)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.tally.dropped.bump();
    }
}
