//! The shared conformance suite of taskchain: checks that a [`TaskChain`]
//! behaves as the behaviour contract says, whatever runs it.
//!
//! Every backend's tests call the same functions with their own
//! [`ChainFactory`]: something that builds a fresh [`TaskManager`] on a
//! [`ManualClock`] with the chain under test, and knows how to make that
//! chain progress. [`FrameChainFactory`] is the one for the embedded frame
//! chain, which progresses only inside `poll()`.
//!
//! [`check_random_programs`] runs random [`Program`]s — spawns of
//! coroutines awaiting promises, other tasks, pauses, gathers and shields;
//! `set_result` and `cancel` from this thread and others, concurrently with
//! polling; removal by name; clock advances — and checks after each one:
//!
//! - every future ends in exactly one terminal state, readable once
//!   `is_done()` says so, which never changes afterwards;
//! - values are right: a coroutine that awaited a promise set to `v`
//!   returns `v`, one that awaited a task returns that task's value plus
//!   one, a gather returns the sum in argument order (or the first child's
//!   error), and a task is cancelled only if a cancel was aimed at it or
//!   at a task awaiting it (not through a shield);
//! - `set_result`/`cancel` report truthfully whether they moved the future,
//!   and at most one call does;
//! - each `upon_death` and each done callback runs exactly once, done
//!   callbacks never inline in `set_result`/`cancel`;
//! - nothing is lost: once every promise is settled and the clock moved on,
//!   every task finishes (a lost wake-up fails the case); nothing hangs (a
//!   watchdog fails a case that runs for more than [`CASE_TIMEOUT`]);
//! - nothing leaks: every coroutine, output, promise value and callback
//!   holds a drop-counted guard, and none is alive after shutdown and
//!   dropping the handles.
//!
//! ```no_run
//! use taskchain_conformance::{check_random_programs, FrameChainFactory};
//!
//! check_random_programs(FrameChainFactory::default(), 64);
//! ```
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

pub mod program;
mod run;

use std::sync::{mpsc, Arc, Once};
use std::time::Duration;

use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use taskchain_core::{Error, ManualClock, TaskChain, TaskManager};

pub use program::{program_strategy, Await, CrossOp, Ending, Op, Program, SpawnSpec};

/// How long one case may run before the watchdog fails it as hung.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(5);

/// The environment variable that overrides the number of cases.
pub const CASES_ENV: &str = "TASKCHAIN_PROPTEST_CASES";

/// Most ops in one generated program.
pub const MAX_OPS: usize = 40;

/// A fresh manager and the chain under test.
pub struct Fixture {
    /// The manager, on [`clock`](Self::clock); it owns
    /// [`chain`](Self::chain).
    pub manager: TaskManager,
    /// The manager's clock, which the suite advances by hand.
    pub clock: ManualClock,
    /// The chain the suite spawns on.
    pub chain: Arc<dyn TaskChain>,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture")
            .field("manager", &self.manager)
            .field("clock", &self.clock)
            .field("chain", &self.chain.name())
            .finish()
    }
}

/// Builds the chain under test and makes it progress: what a backend hands
/// the suite.
///
/// The suite calls [`build`](Self::build) once per case, on the thread that
/// then runs the case (and calls [`drive`](Self::drive)).
pub trait ChainFactory: Send + Sync + 'static {
    /// A short name for reports.
    fn name(&self) -> String;

    /// A fresh [`TaskManager`] on a [`ManualClock`], and the chain under
    /// test, registered with it.
    fn build(&self) -> Fixture;

    /// Lets the chain make progress once: for a frame chain one
    /// `manager.poll()`; for a threaded chain, which runs by itself, nothing
    /// or a short wait. The suite calls it in loops, so it should not block
    /// for long.
    fn drive(&self, fixture: &Fixture) -> Result<(), Error>;
}

/// The embedded frame chain, driven by `manager.poll()`: the manager's
/// "default" chain, or an extra frame chain made with
/// [`TaskManager::make_task_chain`].
#[derive(Debug, Clone, Default)]
pub struct FrameChainFactory {
    chain: Option<String>,
}

impl FrameChainFactory {
    /// The manager's "default" chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// An extra frame chain named `name` (the manager polls it along with
    /// "default"; its tasks' pauses must run on it).
    pub fn extra_chain(name: &str) -> Self {
        FrameChainFactory {
            chain: Some(name.to_owned()),
        }
    }
}

impl ChainFactory for FrameChainFactory {
    fn name(&self) -> String {
        let name = self
            .chain
            .as_deref()
            .unwrap_or(taskchain_core::DEFAULT_CHAIN);
        format!("frame chain {name:?}")
    }

    fn build(&self) -> Fixture {
        let clock = ManualClock::new();
        let manager = TaskManager::with_clock(clock.clone());
        let chain: Arc<dyn TaskChain> = match &self.chain {
            None => manager.default_chain().clone(),
            Some(name) => manager
                .make_task_chain(name)
                .unwrap_or_else(|e| panic!("cannot make chain {name:?}: {e}")),
        };
        Fixture {
            manager,
            clock,
            chain,
        }
    }

    fn drive(&self, fixture: &Fixture) -> Result<(), Error> {
        fixture.manager.poll()
    }
}

/// The number of cases to run: [`CASES_ENV`] if it is set to a number,
/// else `default`.
pub fn cases_from_env(default: u32) -> u32 {
    std::env::var(CASES_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs one program against a fresh fixture and checks every invariant;
/// `Err` holds a report: the failures, the trace of what ran (indices
/// resolved) and the final states.
///
/// Deterministic for a frame chain unless the program has ops on other
/// threads: regression tests replay a shrunk program with it. It runs on
/// the calling thread, without the watchdog.
pub fn run_program<F: ChainFactory>(factory: &F, program: &Program) -> Result<(), String> {
    quiet_deliberate_panics();
    run::run_program(factory, program)
}

/// Runs `program` on a thread of its own and waits at most
/// [`CASE_TIMEOUT`]: a case that hangs (deadlock, lost wake-up, a blocking
/// wait that never returns) fails with a report instead of hanging the
/// test. The hung thread is left behind.
pub fn run_program_with_watchdog<F: ChainFactory>(
    factory: &Arc<F>,
    program: &Program,
) -> Result<(), String> {
    quiet_deliberate_panics();
    let (tx, rx) = mpsc::channel();
    let (f, p) = (factory.clone(), program.clone());
    let spawned = std::thread::Builder::new()
        .name("conformance-case".into())
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run::run_program(&*f, &p)
            }));
            let _ = tx.send(result.unwrap_or_else(|payload| {
                Err(format!(
                    "the case panicked: {}",
                    payload
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| payload.downcast_ref::<&str>().copied())
                        .unwrap_or("<non-string payload>")
                ))
            }));
        });
    if let Err(e) = spawned {
        return Err(format!("cannot spawn the case thread: {e}"));
    }
    match rx.recv_timeout(CASE_TIMEOUT) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
            "watchdog: the case ran for more than {CASE_TIMEOUT:?} on {} \
             (deadlock or a wait that never ends)",
            factory.name()
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err("the case thread died without a result".into())
        }
    }
}

/// Runs random programs against chains from `factory` and panics with the
/// shrunk failing program and its report if one breaks an invariant.
///
/// `cases` is the default number of programs; the [`CASES_ENV`]
/// environment variable overrides it. Each case runs under the watchdog
/// (see [`run_program_with_watchdog`]).
///
/// # Panics
///
/// When a case fails: the message holds the minimal failing program (paste
/// it into a regression test calling [`run_program`]) and the report.
pub fn check_random_programs<F: ChainFactory>(factory: F, cases: u32) {
    let factory = Arc::new(factory);
    let mut config = Config::with_cases(cases_from_env(cases));
    config.failure_persistence = None;
    // Shrinking replays cases; cap it so a hang (each replay waits out the
    // watchdog) cannot shrink for hours.
    config.max_shrink_time = 120_000;
    let mut runner = TestRunner::new(config);
    let result = runner.run(&program_strategy(MAX_OPS), |program| {
        run_program_with_watchdog(&factory, &program).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(report, program)) => panic!(
            "conformance failure on {}\n{report}\nminimal failing program:\n{program:#?}",
            factory.name()
        ),
        Err(TestError::Abort(why)) => {
            panic!("conformance run on {} aborted: {why}", factory.name())
        }
    }
}

/// Keeps the panics that programs cause on purpose out of the test output;
/// every other panic goes to the previous hook.
fn quiet_deliberate_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("");
            if !msg.contains(run::PANIC_MARKER) {
                previous(info);
            }
        }));
    });
}
