//! The shared conformance suite of taskchain: checks that a [`TaskChain`]
//! behaves as the behaviour contract says, whatever runs it.
//!
//! Every backend's tests call the same functions with their own
//! [`ChainFactory`]: something that builds a fresh [`TaskManager`] on a
//! [`ManualClock`] with the chain under test, and knows how to make that
//! chain progress. [`FrameChainFactory`] is the one for the embedded frame
//! chain, which progresses only inside `poll()`; [`ThreadedChainFactory`]
//! the one for a threaded chain on a backend's
//! [`Runtime`](taskchain_core::Runtime), whose workers progress by
//! themselves.
//!
//! Two suites, both generic over the factory:
//!
//! - [`run_scenarios`]: one small program per behaviour of the contract
//!   (order, done statuses, delays, cancel and remove, gather, shield, done
//!   callbacks, panics, cross-thread completion, `wait_for_tasks`,
//!   shutdown, the reference engine's known faults), each checking its
//!   outcome exactly. See [`scenarios`](mod@scenarios).
//! - [`check_random_programs`]: random [`Program`]s — spawns of coroutines
//!   awaiting promises, other tasks, pauses, gathers and shields;
//!   `set_result` and `cancel` from this thread and others, concurrently
//!   with the chain; removal by name; clock advances — checked after each
//!   one:
//!
//!   - every future ends in exactly one terminal state, readable once
//!     `is_done()` says so, which never changes afterwards;
//!   - values are right: a coroutine that awaited a promise set to `v`
//!     returns `v`, one that awaited a task returns that task's value plus
//!     one, a gather returns the sum in argument order (or the first
//!     child's error), and a task is cancelled only if a cancel was aimed
//!     at it or at a task awaiting it (not through a shield);
//!   - `set_result`/`cancel` report truthfully whether they moved the
//!     future, and at most one call does;
//!   - each `upon_death` and each done callback runs exactly once, done
//!     callbacks never inline in `set_result`/`cancel`;
//!   - nothing is lost: once every promise is settled and the clock moved
//!     on, every task finishes (a lost wake-up fails the case); nothing
//!     hangs (a watchdog fails a case that runs for more than
//!     [`CASE_TIMEOUT`]);
//!   - nothing leaks: every coroutine, output, promise value and callback
//!     holds a drop-counted guard, and none is alive after shutdown and
//!     dropping the handles.
//!
//! Beside them, also generic over the factory:
//!
//! - the [`stress`] suite: thousands of delayed tasks removed by name and
//!   respawned, a million suspended coroutines cancelled with the heap back
//!   to its baseline (the counting allocator, [`kit::alloc`]), cancel storms
//!   from several threads, panics in one task in ten under load;
//! - [`pin_probe`]: a `!Unpin` future that checks it is dropped where it
//!   was polled (the `pin/` scenarios put it in every shape of task and end
//!   it every way), and a check each backend runs with its runtime's own
//!   timers and notifies;
//! - [`check_shutdown`]: a manager shut down or dropped with tasks
//!   running, sleeping and awaiting returns, cancels them (each
//!   `upon_death` once), joins its runtime's threads and frees everything.
//!
//! And the [`kit`]: the test helpers every test crate of the workspace
//! shares (the counting allocator, drop counters, counters, the random
//! number generator, the thread census, quiet deliberate panics).
//!
//! # The same program, the same results, on every backend
//!
//! The random-program suite checks each outcome against a model of the
//! contract rather than against a run recorded on the frame chain. The two
//! agree wherever a program does not race, and only the model is right
//! where it does: on a threaded chain a task runs while the driving thread
//! goes on, so a cancel may land before or after the task it aims at has
//! finished, and both are conforming. So the model allows "cancelled" only
//! where a cancel reached the task (aimed at it, or at a task awaiting it
//! not through a shield), and otherwise fixes the outcome exactly: the
//! value a coroutine returns follows from the terminal states of what it
//! awaited, a promise's value is the one its winning `set_result` placed,
//! and a task nobody cancelled finishes (or panics, if its body does).
//! Every conforming chain therefore gives, for every program, results the
//! frame chain could give for it, and the very same results where the
//! program leaves no room for timing. The scenarios are exact on every
//! kind: they wait for outcomes ([`settle`]) and step threaded chains one
//! epoch at a time ([`Stepper`]), so the same scenario expects the same
//! runs everywhere, except where the contract itself differs by kind
//! ([`ChainFactory::threads`]).
//!
//! ```no_run
//! use taskchain_conformance::{check_random_programs, run_scenarios, FrameChainFactory};
//!
//! run_scenarios(FrameChainFactory::new());
//! check_random_programs(FrameChainFactory::default(), 64);
//! ```

mod backend_checks;
pub mod cli_flags;
mod frame_factory;
pub mod kit;
pub mod pin_probe;
pub mod program;
mod run;
pub mod runtime_scheduled;
pub mod scenarios;
mod settle;
mod shutdown_check;
mod stepper;
pub mod stress;
mod threaded_factory;

use std::sync::{mpsc, Arc};
use std::time::Duration;

use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use taskchain_core::{Error, ManualClock, TaskChain, TaskManager};

pub use backend_checks::{check_make_chain, check_owned_runtime, MakeChain};
pub use frame_factory::FrameChainFactory;
pub use program::{program_strategy, Await, CrossOp, Ending, Op, Program, SpawnSpec};
pub use scenarios::{run_scenario, run_scenarios, scenarios, Scenario, SCENARIO_ENV};
pub use settle::{settle, SETTLE_TIMEOUT};
pub use shutdown_check::{check_shutdown, ShutdownBy, ThreadOwnership};
pub use stepper::{Stepper, GATE_NAME, GATE_SORT};
pub use threaded_factory::{ThreadedChainFactory, THREADED_CHAIN_NAME};

/// A hang guard for blocking waits and shutdowns in the backend and
/// shutdown checks, not a timing expectation.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

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

    /// How many worker threads the chain under test runs: 0 for a frame
    /// chain (it progresses only inside [`drive`](Self::drive)), else at
    /// least 1 (it progresses by itself). Scenarios whose contract depends
    /// on it branch on it: the full run order holds with at most one
    /// worker; with more, only the sort barrier does.
    fn threads(&self) -> usize {
        0
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
                Err(format!("the case panicked: {}", panic_text(&*payload)))
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

/// The message of a panic payload, when it is a string.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    kit::quiet_panics::panic_message(payload)
        .unwrap_or("<non-string payload>")
        .to_owned()
}

/// Keeps the panics that programs and scenarios cause on purpose out of the
/// test output; every other panic goes to the previous hook.
pub(crate) fn quiet_deliberate_panics() {
    kit::quiet_panics::quiet_panics(run::PANIC_MARKER);
}
