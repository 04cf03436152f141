//! The interpreter: runs one [`Program`] against a fresh fixture and checks
//! the invariants, returning a report (the resolved trace, the failures and
//! the final states) when one breaks.
//!
//! It never assumes that tasks progress only inside `drive()`: on a
//! threaded chain they run while the interpreter reads their state. Each
//! check therefore rests on facts that only move one way: a future once
//! done stays done in the same state (so a state read twice in a row may
//! go from pending to terminal, never back); "cancel requested" stays set;
//! a task found live was live during the lookup; `remove_by_name` can
//! remove at most the tasks that were removable before the call, since
//! tasks only leave that set. A done callback is "inline" only when it runs
//! on the thread that is inside `set_result`/`cancel`, which a worker
//! running it meanwhile is not. What each task ends with is checked
//! against the model once the case is over, not while it runs.
//!
//! One file per phase of a case, in the order they run:
//!
//! - [`spawn`]: the promises, and each spawned coroutine with its probes;
//! - [`ops`]: each op of the program, on this thread or several at once;
//! - [`observe`]: every future's state after each op;
//! - [`drain`]: the drain ending, with its liveness check;
//! - [`verdict`]: after shutdown, each outcome against the model;
//! - [`teardown`]: the handles read last, the leak check, the report.
//!
//! [`records`] holds what the case records about each promise and task.

mod drain;
mod observe;
mod ops;
mod records;
mod spawn;
mod teardown;
mod verdict;

use std::sync::{Arc, Mutex};

use records::{PromiseRec, TaskRec};

use crate::kit::drops::DropCounter;
use crate::program::{Ending, Program};
use crate::{ChainFactory, Fixture};

/// What a deliberately panicking task panics with.
pub(crate) const PANIC_MARKER: &str = "conformance: deliberate panic";

/// What callbacks and other threads report breaking, for the case to fail
/// with.
type Violations = Arc<Mutex<Vec<String>>>;

fn violate(v: &Violations, msg: String) {
    v.lock().unwrap_or_else(|e| e.into_inner()).push(msg);
}

/// One program's run: the fixture, what it made, and what it found.
struct Case<'f, F: ChainFactory> {
    factory: &'f F,
    fx: Option<Fixture>,
    live: DropCounter,
    violations: Violations,
    promises: Vec<PromiseRec>,
    tasks: Vec<TaskRec>,
    trace: Vec<String>,
    failures: Vec<String>,
    /// Final states, for the report.
    states: Vec<String>,
    /// The drain gave up: shutdown cancelled what was left.
    stuck: bool,
    op: usize,
}

/// Runs `program` on a fresh fixture from `factory`; `Err` holds a report.
pub(crate) fn run_program<F: ChainFactory>(factory: &F, program: &Program) -> Result<(), String> {
    let live = DropCounter::new();
    let violations: Violations = Arc::default();
    let fx = factory.build();
    let mut case = Case {
        factory,
        fx: Some(fx),
        live,
        violations,
        promises: Vec::new(),
        tasks: Vec::new(),
        trace: Vec::new(),
        failures: Vec::new(),
        states: Vec::new(),
        stuck: false,
        op: 0,
    };
    case.run(program);
    if case.failures.is_empty() {
        return Ok(());
    }
    Err(case.report(program))
}

impl<F: ChainFactory> Case<'_, F> {
    fn fx(&self) -> &Fixture {
        self.fx.as_ref().expect("the fixture lives until teardown")
    }

    /// Where the case is: op `n` (1-based) or the ending.
    fn at(&self) -> String {
        match self.op {
            usize::MAX => "end".into(),
            n => n.to_string(),
        }
    }

    fn fail(&mut self, msg: String) {
        self.failures.push(format!("[op {}] {msg}", self.at()));
    }

    fn log(&mut self, msg: String) {
        self.trace.push(format!("{:>3}: {msg}", self.at()));
    }

    /// The phases in order: the promises, each op observed after it, the
    /// ending (drain or early shutdown), shutdown, the verdict, teardown.
    fn run(&mut self, program: &Program) {
        for i in 0..usize::from(program.promises.max(1)) {
            self.new_promise(i);
        }
        for (i, op) in program.ops.iter().enumerate() {
            self.op = i + 1;
            if let Err(fatal) = self.step(op) {
                self.fail(fatal);
                return self.teardown_after_failure();
            }
            self.observe_all();
        }
        self.op = usize::MAX;
        if program.ending == Ending::Drain {
            self.drain();
        } else {
            self.log("shutdown early".into());
        }
        self.fx().manager.shutdown();
        self.observe_all();
        self.after_shutdown(program.ending);
        self.teardown();
    }
}
