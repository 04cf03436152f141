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

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use taskchain_core::{
    gather, pause, shield, AnyTask, AsyncFuture, Error, Promise, TaskBuilder, TaskChainExt,
    TaskHandle,
};

use crate::kit::drops::{DropCounter, DropToken};
use crate::program::{Await, CrossOp, Ending, Op, Program, SpawnSpec, MAX_PAUSE_MS};
use crate::scenarios::support::{in_call, is_in_call};
use crate::{ChainFactory, Fixture};

/// What a deliberately panicking task panics with.
pub(crate) const PANIC_MARKER: &str = "conformance: deliberate panic";

/// Drain rounds (each advances the clock and drives once) before a task
/// still pending counts as lost, provided [`SETTLE_TIME`] passed too.
const DRAIN_ROUNDS: u32 = 400;
/// Wall time a threaded chain gets to settle during the drain.
const SETTLE_TIME: Duration = Duration::from_secs(1);
/// Clock advance per drain round.
const DRAIN_STEP: Duration = Duration::from_millis(25);
/// Value the drain sets on promise `i`: `DRAIN_VALUE + i`.
const DRAIN_VALUE: u64 = 1000;
/// How long [`CrossOp::WaitPromise`] blocks at most.
const WAIT_TIMEOUT: Duration = Duration::from_millis(5);

/// A promise's value, carrying a guard so a leaked promise is seen.
#[derive(Clone)]
struct PVal {
    v: u64,
    _token: Arc<DropToken>,
}

/// A task's output, carrying a guard so a leaked task cell is seen.
struct TaskOut {
    v: Result<u64, Error>,
    _token: DropToken,
}

/// What a task's callbacks and body report.
#[derive(Default)]
struct TaskProbe {
    deaths: AtomicU32,
    clean: AtomicBool,
    callbacks: AtomicU32,
    /// What the coroutine returned (before any cancel overrode it).
    returned: Mutex<Option<Result<u64, Error>>>,
}

#[derive(Default)]
struct PromiseProbe {
    callbacks: AtomicU32,
}

type Violations = Arc<Mutex<Vec<String>>>;

fn violate(v: &Violations, msg: String) {
    v.lock().unwrap_or_else(|e| e.into_inner()).push(msg);
}

/// An observed state of a future.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Snap {
    Pending,
    /// A promise's value.
    Value(u64),
    /// A task that finished with a value (its value is in its probe).
    Finished,
    Cancelled,
    Panicked(String),
    /// Done, but no terminal state readable: always a failure.
    Broken(String),
}

/// What a spawned coroutine awaits, resolved to indices.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
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
    fn cancel_edges(&self) -> (Vec<usize>, Vec<usize>) {
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

/// The runtime objects a coroutine awaits.
enum Awaitable {
    Promise(Promise<PVal>),
    Task(TaskHandle<TaskOut>),
    Pause(u64),
    GatherP(Vec<Promise<PVal>>),
    GatherT(Vec<TaskHandle<TaskOut>>),
    ShieldP(Promise<PVal>),
    ShieldT(TaskHandle<TaskOut>),
    /// The pause of the inner task, and a guard for its coroutine.
    Unscheduled(u64, DropToken),
}

async fn coroutine(
    awaits: Awaitable,
    probe: Arc<TaskProbe>,
    panic_msg: Option<String>,
    live: DropCounter,
    guard: DropToken,
) -> TaskOut {
    let _guard = guard;
    let r = match awaits {
        Awaitable::Promise(p) => p.await.map(|x| x.v),
        Awaitable::Task(h) => h.await.and_then(|o| o.v).map(|v| v + 1),
        Awaitable::Pause(ms) => pause(Duration::from_millis(ms)).await.map(|()| ms),
        Awaitable::GatherP(ps) => gather(ps).await.map(|xs| xs.iter().map(|x| x.v).sum()),
        Awaitable::GatherT(hs) => gather(hs)
            .await
            .and_then(|outs| outs.into_iter().map(|o| o.v).sum()),
        Awaitable::ShieldP(p) => match shield(p.clone()).await {
            // Handles the cancellation: the shield left `p` running.
            Err(Error::Cancelled) => p.await.map(|x| x.v),
            r => r.map(|x| x.v),
        },
        Awaitable::ShieldT(h) => shield(h).await.and_then(|o| o.v).map(|v| v + 1),
        Awaitable::Unscheduled(ms, token) => TaskBuilder::coroutine(async move {
            let _token = token;
            pause(Duration::from_millis(ms)).await.map(|()| ms)
        })
        .await
        .and_then(|r| r)
        .map(|v| v + 1),
    };
    *probe.returned.lock().unwrap_or_else(|e| e.into_inner()) = Some(r.clone());
    if let Some(msg) = panic_msg {
        panic!("{msg}");
    }
    TaskOut {
        v: r,
        _token: live.token(),
    }
}

enum Win {
    Set(u64),
    Cancel,
}

struct PromiseRec {
    promise: Promise<PVal>,
    probe: Arc<PromiseProbe>,
    seen: Snap,
    wins: Vec<Win>,
}

struct TaskRec {
    /// The test's handle, until a coroutine takes it to await.
    handle: Option<TaskHandle<TaskOut>>,
    any: AnyTask,
    probe: Arc<TaskProbe>,
    target: Target,
    name: Option<u8>,
    panics: bool,
    /// A cancel or remove was aimed at it.
    aimed: bool,
    seen: Snap,
}

fn task_name(n: u8) -> String {
    format!("c{n}")
}

fn snap_promise(p: &Promise<PVal>) -> Snap {
    match p.try_take() {
        None => Snap::Pending,
        Some(Ok(x)) => Snap::Value(x.v),
        Some(Err(Error::Cancelled)) => Snap::Cancelled,
        Some(Err(e)) => Snap::Broken(format!("promise read gave {e:?}")),
    }
}

fn snap_task(any: &AnyTask) -> Snap {
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
        Err(e) => Snap::Broken(format!(
            "is_done() but its terminal state is not readable: wait_done(0) = {e:?}"
        )),
    }
}

/// Outcome of an op run on another thread.
enum CrossResult {
    Set(usize, u64, Result<(), Error>),
    CancelPromise(usize, bool),
    CancelTask(usize, bool),
    /// Promise, what `result` gave, whether it was done before the batch.
    Waited(usize, Result<u64, Error>, bool),
    Observed,
    Skipped,
}

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

    /// Adds a done callback to `fut` that checks it runs on a later poll
    /// (never inline in `set_result`/`cancel`) and only once `fut` is done,
    /// then calls `count`; it holds a leak token while registered.
    fn watch_done<A>(&mut self, fut: &A, label: String, count: impl FnOnce() + Send + 'static)
    where
        A: AsyncFuture,
    {
        let (violations, token) = (self.violations.clone(), self.live.token());
        let what = label.clone();
        let added = fut.add_done_callback(move |f: &A| {
            let _token = &token;
            if is_in_call() {
                violate(&violations, format!("{what}: done callback ran inline"));
            }
            if !f.is_done() {
                violate(&violations, format!("{what}: done callback before done"));
            }
            count();
        });
        if let Err(e) = added {
            self.fail(format!("{label}: add_done_callback failed: {e:?}"));
        }
    }

    fn fail(&mut self, msg: String) {
        self.failures.push(format!("[op {}] {msg}", self.at()));
    }

    fn log(&mut self, msg: String) {
        self.trace.push(format!("{:>3}: {msg}", self.at()));
    }

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

    fn new_promise(&mut self, i: usize) {
        let promise = self.fx().chain.promise::<PVal>();
        let probe = Arc::new(PromiseProbe::default());
        let pr = probe.clone();
        self.watch_done(&promise, format!("promise p{i}"), move || {
            pr.callbacks.fetch_add(1, Ordering::SeqCst);
        });
        self.promises.push(PromiseRec {
            promise,
            probe,
            seen: Snap::Pending,
            wins: Vec::new(),
        });
    }

    fn step(&mut self, op: &Op) -> Result<(), String> {
        match op {
            Op::Spawn(spec) => self.spawn(spec)?,
            &Op::SetPromise {
                promise,
                value,
                from_thread,
            } => {
                let p = usize::from(promise) % self.promises.len();
                let v = u64::from(value);
                let promise = self.promises[p].promise.clone();
                let value = PVal {
                    v,
                    _token: Arc::new(self.live.token()),
                };
                let r = if from_thread {
                    std::thread::spawn(move || in_call(|| promise.set_result(value)))
                        .join()
                        .map_err(|_| "set_result panicked on another thread".to_string())?
                } else {
                    in_call(|| promise.set_result(value))
                };
                let via = if from_thread { " (other thread)" } else { "" };
                self.log(format!("set p{p} = {v}{via} -> {r:?}"));
                self.record_set(p, v, r);
            }
            &Op::CancelPromise {
                promise,
                from_thread,
            } => {
                let p = usize::from(promise) % self.promises.len();
                let promise = self.promises[p].promise.clone();
                let r = if from_thread {
                    std::thread::spawn(move || in_call(|| promise.cancel()))
                        .join()
                        .map_err(|_| "cancel panicked on another thread".to_string())?
                } else {
                    in_call(|| promise.cancel())
                };
                let via = if from_thread { " (other thread)" } else { "" };
                self.log(format!("cancel p{p}{via} -> {r}"));
                self.record_promise_cancel(p, r);
            }
            &Op::CancelTask { task, from_thread } => {
                if self.tasks.is_empty() {
                    self.log("cancel task: none yet, skipped".into());
                    return Ok(());
                }
                let t = usize::from(task) % self.tasks.len();
                self.tasks[t].aimed = true;
                let any = self.tasks[t].any.clone();
                let r = if from_thread {
                    std::thread::spawn(move || in_call(|| any.cancel()))
                        .join()
                        .map_err(|_| "cancel panicked on another thread".to_string())?
                } else {
                    in_call(|| any.cancel())
                };
                let via = if from_thread { " (other thread)" } else { "" };
                self.log(format!("cancel t{t}{via} -> {r}"));
                self.record_task_cancel(t, r);
            }
            &Op::RemoveByName { name } => self.remove_by_name(name % 3),
            &Op::Advance { ms } => {
                self.fx()
                    .clock
                    .advance(Duration::from_millis(u64::from(ms)));
                self.log(format!("advance {ms} ms"));
            }
            &Op::Drive { times } => {
                for _ in 0..times {
                    self.drive()?;
                }
                self.log(format!("drive x{times}"));
            }
            Op::Concurrent { ops, drives } => self.concurrent(ops, *drives)?,
        }
        Ok(())
    }

    fn drive(&self) -> Result<(), String> {
        self.factory
            .drive(self.fx())
            .map_err(|e| format!("drive failed: {e:?}"))
    }

    fn free_handles(&self) -> Vec<usize> {
        (0..self.tasks.len())
            .filter(|&t| self.tasks[t].handle.is_some())
            .collect()
    }

    /// Takes the handle of a free task chosen by `k`, if any is free.
    fn take_free(&mut self, k: u8) -> Option<(usize, TaskHandle<TaskOut>)> {
        let free = self.free_handles();
        if free.is_empty() {
            return None;
        }
        let t = free[usize::from(k) % free.len()];
        self.tasks[t].handle.take().map(|h| (t, h))
    }

    fn spawn(&mut self, spec: &SpawnSpec) -> Result<(), String> {
        let np = self.promises.len();
        let pick = |p: u8| usize::from(p) % np;
        let fallback = |k: u8| u64::from(k % (MAX_PAUSE_MS + 1));
        let (target, awaits) = match &spec.awaits {
            &Await::Promise(p) => {
                let p = pick(p);
                let awaitable = Awaitable::Promise(self.promises[p].promise.clone());
                (Target::Promise(p), awaitable)
            }
            &Await::Task(k) => match self.take_free(k) {
                Some((t, h)) => (Target::Task(t), Awaitable::Task(h)),
                None => (Target::Pause(fallback(k)), Awaitable::Pause(fallback(k))),
            },
            &Await::Pause(ms) => (
                Target::Pause(u64::from(ms)),
                Awaitable::Pause(u64::from(ms)),
            ),
            Await::GatherPromises(ps) => {
                let ps: Vec<usize> = ps.iter().map(|&p| pick(p)).collect();
                let children = ps
                    .iter()
                    .map(|&p| self.promises[p].promise.clone())
                    .collect();
                (Target::GatherP(ps), Awaitable::GatherP(children))
            }
            Await::GatherTasks(ks) => {
                let (mut ts, mut hs) = (Vec::new(), Vec::new());
                for &k in ks {
                    if let Some((t, h)) = self.take_free(k) {
                        ts.push(t);
                        hs.push(h);
                    }
                }
                (Target::GatherT(ts), Awaitable::GatherT(hs))
            }
            &Await::ShieldPromise(p) => {
                let p = pick(p);
                let awaitable = Awaitable::ShieldP(self.promises[p].promise.clone());
                (Target::ShieldP(p), awaitable)
            }
            &Await::ShieldTask(k) => match self.take_free(k) {
                Some((t, h)) => (Target::ShieldT(t), Awaitable::ShieldT(h)),
                None => (Target::Pause(fallback(k)), Awaitable::Pause(fallback(k))),
            },
            &Await::Unscheduled(ms) => (
                Target::Unscheduled(u64::from(ms)),
                Awaitable::Unscheduled(u64::from(ms), self.live.token()),
            ),
        };
        let index = self.tasks.len();
        let probe = Arc::new(TaskProbe::default());
        let panic_msg = spec
            .panics
            .then(|| format!("{PANIC_MARKER} in task t{index}"));
        let body = coroutine(
            awaits,
            probe.clone(),
            panic_msg,
            self.live.clone(),
            self.live.token(),
        );
        let (pr, token) = (probe.clone(), self.live.token());
        let mut builder = TaskBuilder::coroutine(body)
            .sort(i32::from(spec.sort))
            .upon_death(move |clean| {
                let _token = token;
                pr.clean.store(clean, Ordering::SeqCst);
                pr.deaths.fetch_add(1, Ordering::SeqCst);
            });
        if let Some(n) = spec.name {
            builder = builder.name(&task_name(n % 3));
        }
        if let Some(ms) = spec.delay_ms {
            builder = builder.delay(Duration::from_millis(u64::from(ms)));
        }
        let handle = self
            .fx()
            .chain
            .add_task(builder)
            .map_err(|e| format!("add_task failed: {e:?}"))?;
        let pr = probe.clone();
        self.watch_done(&handle, format!("task t{index}"), move || {
            pr.callbacks.fetch_add(1, Ordering::SeqCst);
        });
        let name = spec.name.map(|n| n % 3);
        self.log(format!(
            "spawn t{index}{} sort {}{} awaits {target:?}{}",
            name.map(|n| format!(" '{}'", task_name(n)))
                .unwrap_or_default(),
            spec.sort,
            spec.delay_ms
                .map(|d| format!(" delay {d} ms"))
                .unwrap_or_default(),
            if spec.panics { ", then panics" } else { "" },
        ));
        self.tasks.push(TaskRec {
            any: handle.as_any(),
            handle: Some(handle),
            probe,
            target,
            name,
            panics: spec.panics,
            aimed: false,
            seen: Snap::Pending,
        });
        Ok(())
    }

    fn record_set(&mut self, p: usize, v: u64, r: Result<(), Error>) {
        let promise = self.promises[p].promise.clone();
        match r {
            Ok(()) => {
                self.promises[p].wins.push(Win::Set(v));
                let now = snap_promise(&promise);
                if now != Snap::Value(v) {
                    self.fail(format!(
                        "p{p}: set_result({v}) succeeded but it reads {now:?}"
                    ));
                }
            }
            Err(Error::AlreadyDone) if promise.is_done() => {}
            Err(e) => self.fail(format!(
                "p{p}: set_result({v}) failed with {e:?} while done = {}",
                promise.is_done()
            )),
        }
    }

    fn record_promise_cancel(&mut self, p: usize, r: bool) {
        let promise = self.promises[p].promise.clone();
        if r {
            self.promises[p].wins.push(Win::Cancel);
            if !promise.is_cancelled() {
                self.fail(format!(
                    "p{p}: cancel() returned true but it is not cancelled"
                ));
            }
        } else if !promise.is_done() {
            self.fail(format!("p{p}: cancel() returned false but it is pending"));
        }
    }

    fn record_task_cancel(&mut self, t: usize, r: bool) {
        let any = &self.tasks[t].any;
        let (done, requested) = (any.is_done(), any.is_cancel_requested());
        if r && !requested {
            self.fail(format!(
                "t{t}: cancel() returned true but is_cancel_requested() is false"
            ));
        }
        if !r && !done && !requested {
            self.fail(format!(
                "t{t}: cancel() returned false but the task is neither done nor cancel requested"
            ));
        }
    }

    fn remove_by_name(&mut self, name: u8) {
        let named: Vec<usize> = (0..self.tasks.len())
            .filter(|&t| self.tasks[t].name == Some(name))
            .collect();
        let removable = named
            .iter()
            .filter(|&&t| {
                let any = &self.tasks[t].any;
                !any.is_done() && !any.is_cancel_requested()
            })
            .count();
        for &t in &named {
            self.tasks[t].aimed = true;
        }
        let chain = self.fx().chain.clone();
        let removed = in_call(|| chain.remove_by_name(&task_name(name)));
        self.log(format!(
            "remove_by_name '{}' -> {removed} (of {removable} removable)",
            task_name(name)
        ));
        if removed > removable {
            self.fail(format!(
                "remove_by_name('{}') = {removed}, but only {removable} such tasks were removable",
                task_name(name)
            ));
        }
        for &t in &named {
            let any = &self.tasks[t].any;
            if !any.is_done() && !any.is_cancel_requested() {
                self.fail(format!(
                    "t{t} named '{}' survived remove_by_name untouched",
                    task_name(name)
                ));
            }
        }
    }

    fn concurrent(&mut self, ops: &[CrossOp], drives: u8) -> Result<(), String> {
        type Job = Box<dyn FnOnce() -> CrossResult + Send>;
        let np = self.promises.len();
        let nt = self.tasks.len();
        let mut jobs: Vec<Job> = Vec::new();
        let mut described = Vec::new();
        for op in ops {
            match *op {
                CrossOp::SetPromise { promise, value } => {
                    let p = usize::from(promise) % np;
                    let v = u64::from(value);
                    let promise = self.promises[p].promise.clone();
                    let value = PVal {
                        v,
                        _token: Arc::new(self.live.token()),
                    };
                    described.push(format!("set p{p} = {v}"));
                    jobs.push(Box::new(move || {
                        CrossResult::Set(p, v, in_call(|| promise.set_result(value)))
                    }));
                }
                CrossOp::CancelPromise { promise } => {
                    let p = usize::from(promise) % np;
                    let promise = self.promises[p].promise.clone();
                    described.push(format!("cancel p{p}"));
                    jobs.push(Box::new(move || {
                        CrossResult::CancelPromise(p, in_call(|| promise.cancel()))
                    }));
                }
                CrossOp::WaitPromise { promise } => {
                    let p = usize::from(promise) % np;
                    let promise = self.promises[p].promise.clone();
                    let done_before = promise.is_done();
                    described.push(format!("result(5 ms) on p{p}"));
                    jobs.push(Box::new(move || {
                        let r = promise.result(Some(WAIT_TIMEOUT)).map(|x| x.v);
                        CrossResult::Waited(p, r, done_before)
                    }));
                }
                CrossOp::CancelTask { task } if nt > 0 => {
                    let t = usize::from(task) % nt;
                    self.tasks[t].aimed = true;
                    let any = self.tasks[t].any.clone();
                    described.push(format!("cancel t{t}"));
                    jobs.push(Box::new(move || {
                        CrossResult::CancelTask(t, in_call(|| any.cancel()))
                    }));
                }
                CrossOp::ObserveTask { task } if nt > 0 => {
                    let t = usize::from(task) % nt;
                    let any = self.tasks[t].any.clone();
                    let violations = self.violations.clone();
                    described.push(format!("observe t{t}"));
                    jobs.push(Box::new(move || observe(t, &any, &violations)));
                }
                _ => {
                    described.push("(no task yet: skipped)".into());
                    jobs.push(Box::new(|| CrossResult::Skipped));
                }
            }
        }
        let barrier = Barrier::new(jobs.len() + 1);
        let outcome: Result<Vec<CrossResult>, String> = std::thread::scope(|s| {
            let threads: Vec<_> = jobs
                .into_iter()
                .map(|job| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        barrier.wait();
                        job()
                    })
                })
                .collect();
            barrier.wait();
            let mut driven = Ok(());
            for _ in 0..drives {
                driven = driven.and_then(|()| self.drive());
            }
            let results = threads
                .into_iter()
                .map(|t| {
                    t.join()
                        .map_err(|_| "a cross-thread op panicked".to_string())
                })
                .collect::<Result<Vec<_>, _>>();
            driven.and(results)
        });
        let results = outcome?;
        let mut shown = Vec::new();
        for (what, result) in described.iter().zip(results) {
            match result {
                CrossResult::Set(p, v, r) => {
                    shown.push(format!("{what} -> {r:?}"));
                    self.record_set(p, v, r);
                }
                CrossResult::CancelPromise(p, r) => {
                    shown.push(format!("{what} -> {r}"));
                    self.record_promise_cancel(p, r);
                }
                CrossResult::CancelTask(t, r) => {
                    shown.push(format!("{what} -> {r}"));
                    self.record_task_cancel(t, r);
                }
                CrossResult::Waited(p, r, done_before) => {
                    shown.push(format!("{what} -> {r:?}"));
                    let now = snap_promise(&self.promises[p].promise);
                    let agrees = match &r {
                        Ok(v) => now == Snap::Value(*v),
                        Err(Error::Cancelled) => now == Snap::Cancelled,
                        Err(Error::Timeout) => !done_before,
                        Err(_) => false,
                    };
                    if !agrees {
                        self.fail(format!(
                            "p{p}: result(timeout) on another thread gave {r:?}, but the \
                             promise is {now:?} (done before: {done_before})"
                        ));
                    }
                }
                CrossResult::Observed | CrossResult::Skipped => shown.push(what.clone()),
            }
        }
        self.log(format!(
            "concurrently [{}] while driving x{drives}",
            shown.join("; ")
        ));
        Ok(())
    }

    /// Fails with what callbacks and other threads reported.
    fn take_violations(&mut self) {
        let violations =
            std::mem::take(&mut *self.violations.lock().unwrap_or_else(|e| e.into_inner()));
        for v in violations {
            self.fail(v);
        }
    }

    /// Reads every future's state: a terminal state, once seen, never
    /// changes; lookups by name find every live task of that name.
    fn observe_all(&mut self) {
        self.take_violations();
        for p in 0..self.promises.len() {
            let now = snap_promise(&self.promises[p].promise);
            self.check_snap(format!("p{p}"), now, |c| &mut c.promises[p].seen);
        }
        for t in 0..self.tasks.len() {
            let now = snap_task(&self.tasks[t].any);
            self.check_snap(format!("t{t}"), now, |c| &mut c.tasks[t].seen);
        }
        for name in 0..3 {
            let found: Vec<u64> = self
                .fx()
                .chain
                .find_tasks(&task_name(name))
                .iter()
                .map(AnyTask::id)
                .collect();
            for &id in &found {
                if !self
                    .tasks
                    .iter()
                    .any(|r| r.any.id() == id && r.name == Some(name))
                {
                    self.fail(format!(
                        "find_tasks('{}') returned task id {id}, which has another name",
                        task_name(name)
                    ));
                }
            }
            for t in 0..self.tasks.len() {
                let rec = &self.tasks[t];
                if rec.name == Some(name) && !rec.any.is_done() && !found.contains(&rec.any.id()) {
                    self.fail(format!(
                        "find_tasks('{}') missed live task t{t}",
                        task_name(name)
                    ));
                }
            }
        }
    }

    fn check_snap(&mut self, who: String, now: Snap, seen: impl Fn(&mut Self) -> &mut Snap) {
        if let Snap::Broken(why) = &now {
            self.fail(format!("{who}: {why}"));
            return;
        }
        let before = seen(self).clone();
        if before == Snap::Pending {
            *seen(self) = now;
        } else if now != before {
            self.fail(format!(
                "{who}: terminal state changed from {before:?} to {now:?}"
            ));
        }
    }

    fn all_settled(&self) -> bool {
        self.tasks.iter().all(|r| r.any.is_done())
            && self.promises.iter().all(|r| r.promise.is_done())
            && self.fx().chain.stats().total() == 0
    }

    /// Settles every pending promise, then advances the clock and drives
    /// until every task is done.
    fn drain(&mut self) {
        for p in 0..self.promises.len() {
            if !self.promises[p].promise.is_done() {
                let v = DRAIN_VALUE + p as u64;
                let value = PVal {
                    v,
                    _token: Arc::new(self.live.token()),
                };
                let r = in_call(|| self.promises[p].promise.set_result(value));
                self.log(format!("drain: set p{p} = {v} -> {r:?}"));
                self.record_set(p, v, r);
            }
        }
        let start = Instant::now();
        let mut rounds = 0u32;
        while !self.all_settled() {
            if rounds >= DRAIN_ROUNDS && start.elapsed() >= SETTLE_TIME {
                let stuck: Vec<String> = (0..self.tasks.len())
                    .filter(|&t| !self.tasks[t].any.is_done())
                    .map(|t| {
                        let any = &self.tasks[t].any;
                        format!(
                            "t{t} (cancel requested: {}, sleeping: {}, {any:?})",
                            any.is_cancel_requested(),
                            any.is_sleeping()
                        )
                    })
                    .collect();
                let stats = self.fx().chain.stats();
                self.fail(format!(
                    "liveness: after {rounds} drain rounds (every promise settled, clock \
                     advanced {:?}) still pending: [{}]; chain stats {stats:?}",
                    DRAIN_STEP * rounds,
                    stuck.join(", ")
                ));
                self.stuck = true;
                return;
            }
            self.fx().clock.advance(DRAIN_STEP);
            if let Err(e) = self.drive() {
                self.fail(format!("drain: {e}"));
                return;
            }
            rounds += 1;
        }
        self.log(format!("drain: settled after {rounds} rounds"));
        let waited = self.fx().chain.wait_for_tasks(Some(SETTLE_TIME));
        if waited.is_err() {
            self.fail(format!(
                "wait_for_tasks on a settled chain returned {waited:?}"
            ));
        }
        self.observe_all();
    }

    /// Whether each task and promise may have been cancelled: a cancel was
    /// aimed at it, or at a task awaiting it (not through a shield), or
    /// shutdown found it pending.
    fn may_be_cancelled(&self, ending: Ending) -> (Vec<bool>, Vec<bool>) {
        let mut tasks: Vec<bool> = self
            .tasks
            .iter()
            .map(|r| r.aimed || ending == Ending::ShutdownEarly || self.stuck)
            .collect();
        let mut promises = vec![false; self.promises.len()];
        // Awaited tasks were spawned before their awaiter: walk backwards.
        for t in (0..self.tasks.len()).rev() {
            if tasks[t] {
                let (ps, ts) = self.tasks[t].target.cancel_edges();
                ps.into_iter().for_each(|p| promises[p] = true);
                ts.into_iter().for_each(|c| tasks[c] = true);
            }
        }
        (tasks, promises)
    }

    /// What awaiting promise `p` gives, from its final state.
    fn promise_read(&self, p: usize) -> Result<u64, Error> {
        match &self.promises[p].seen {
            Snap::Value(v) => Ok(*v),
            Snap::Cancelled => Err(Error::Cancelled),
            other => Err(Error::Panicked(format!("<model: p{p} is {other:?}>"))),
        }
    }

    /// What awaiting task `t` gives, from its final state.
    fn task_read(&self, t: usize) -> Result<Result<u64, Error>, Error> {
        match &self.tasks[t].seen {
            Snap::Finished => Ok(self.returned(t).unwrap_or(Err(Error::AlreadyTaken))),
            Snap::Cancelled => Err(Error::Cancelled),
            Snap::Panicked(m) => Err(Error::Panicked(m.clone())),
            other => Err(Error::Panicked(format!("<model: t{t} is {other:?}>"))),
        }
    }

    fn returned(&self, t: usize) -> Option<Result<u64, Error>> {
        self.tasks[t]
            .probe
            .returned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The value task `t` must have returned, given what it awaited.
    fn expected(&self, t: usize) -> Result<u64, Error> {
        match &self.tasks[t].target {
            Target::Promise(p) | Target::ShieldP(p) => self.promise_read(*p),
            Target::Task(c) | Target::ShieldT(c) => {
                self.task_read(*c).and_then(|r| r).map(|v| v + 1)
            }
            Target::Pause(ms) => Ok(*ms),
            Target::Unscheduled(ms) => Ok(ms + 1),
            Target::GatherP(ps) => ps.iter().map(|&p| self.promise_read(p)).sum(),
            Target::GatherT(cs) => cs
                .iter()
                .map(|&c| self.task_read(c))
                .collect::<Result<Vec<_>, _>>()
                .and_then(|rs| rs.into_iter().sum()),
        }
    }

    fn after_shutdown(&mut self, ending: Ending) {
        let (task_may, promise_may) = self.may_be_cancelled(ending);
        for (p, &may) in promise_may.iter().enumerate() {
            let rec = &self.promises[p];
            let wins: Vec<String> = rec
                .wins
                .iter()
                .map(|w| match w {
                    Win::Set(v) => format!("set({v})"),
                    Win::Cancel => "cancel".into(),
                })
                .collect();
            let problem = match (&rec.seen, rec.wins.as_slice()) {
                (_, [_, _, ..]) => Some("more than one call reported moving it".to_string()),
                (Snap::Value(v), [Win::Set(w)]) if v == w => None,
                (Snap::Value(_), _) => Some("its value is not the one set_result placed".into()),
                (Snap::Cancelled, [Win::Cancel]) => None,
                (Snap::Cancelled, []) if may => None,
                (Snap::Cancelled, []) => {
                    Some("cancelled, but no cancel was aimed at it or at a task awaiting it".into())
                }
                (Snap::Cancelled, _) => Some("cancelled, though set_result succeeded".into()),
                (Snap::Pending, []) if ending == Ending::ShutdownEarly => None,
                (Snap::Pending, _) => Some("still pending".into()),
                (other, _) => Some(format!("in state {other:?}")),
            };
            let calls = rec.probe.callbacks.load(Ordering::SeqCst);
            let want = u32::from(rec.seen != Snap::Pending);
            if let Some(problem) = problem {
                let seen = rec.seen.clone();
                self.fail(format!(
                    "p{p}: {problem} (state {seen:?}, winners {wins:?})"
                ));
            }
            if calls != want {
                self.fail(format!(
                    "p{p}: done callback ran {calls} times, expected {want}"
                ));
            }
        }
        for (t, &may) in task_may.iter().enumerate() {
            let rec = &self.tasks[t];
            let (seen, panics) = (rec.seen.clone(), rec.panics);
            let problem = match &seen {
                Snap::Pending => Some("not done after shutdown".to_string()),
                Snap::Cancelled if !may => {
                    Some("cancelled, but no cancel was aimed at it or at a task awaiting it".into())
                }
                Snap::Panicked(m) if !panics || !m.contains(PANIC_MARKER) => {
                    Some(format!("panicked unexpectedly: {m}"))
                }
                Snap::Finished if panics => Some("finished though its body panics".into()),
                Snap::Finished => {
                    let (got, want) = (self.returned(t), self.expected(t));
                    (got.as_ref() != Some(&want))
                        .then(|| format!("returned {got:?}, expected {want:?}"))
                }
                _ => None,
            };
            if let Some(problem) = problem {
                self.fail(format!("t{t}: {problem} (state {seen:?})"));
            }
            let rec = &self.tasks[t];
            let deaths = rec.probe.deaths.load(Ordering::SeqCst);
            let clean = rec.probe.clean.load(Ordering::SeqCst);
            let calls = rec.probe.callbacks.load(Ordering::SeqCst);
            if deaths != 1 {
                self.fail(format!("t{t}: upon_death ran {deaths} times"));
            } else if clean != (seen == Snap::Finished) {
                self.fail(format!(
                    "t{t}: upon_death(clean_exit = {clean}) but it is {seen:?}"
                ));
            }
            if calls != 1 {
                self.fail(format!("t{t}: done callback ran {calls} times"));
            }
        }
        self.record_states(&task_may, &promise_may);
        self.take_violations();
        // A spawn after shutdown is cancelled at once.
        let probe = Arc::new(TaskProbe::default());
        let pr = probe.clone();
        let late = self
            .fx()
            .chain
            .add_task(
                TaskBuilder::coroutine(async { 0u8 }).upon_death(move |clean| {
                    pr.clean.store(clean, Ordering::SeqCst);
                    pr.deaths.fetch_add(1, Ordering::SeqCst);
                }),
            );
        match late {
            Ok(h) if h.is_cancelled() && probe.deaths.load(Ordering::SeqCst) == 1 => {}
            Ok(h) => self.fail(format!(
                "a task spawned after shutdown: cancelled = {}, upon_death ran {} times",
                h.is_cancelled(),
                probe.deaths.load(Ordering::SeqCst)
            )),
            Err(e) => self.fail(format!("add_task after shutdown failed: {e:?}")),
        }
    }

    /// Reads what the test still holds, drops everything, and checks that
    /// every guarded object was freed.
    fn teardown(&mut self) {
        for t in 0..self.tasks.len() {
            let Some(h) = self.tasks[t].handle.take() else {
                continue;
            };
            let first = h.try_take().map(|r| r.map(|o| o.v));
            let want = match &self.tasks[t].seen {
                Snap::Finished => self.returned(t).map(Ok),
                Snap::Cancelled => Some(Err(Error::Cancelled)),
                Snap::Panicked(m) => Some(Err(Error::Panicked(m.clone()))),
                _ => None,
            };
            if first != want {
                self.fail(format!(
                    "t{t}: its handle reads {first:?}, expected {want:?}"
                ));
            }
            let again = h.try_take().map(|r| r.map(|o| o.v));
            let want_again = match want {
                Some(Ok(_)) => Some(Err(Error::AlreadyTaken)),
                other => other,
            };
            if again != want_again {
                self.fail(format!(
                    "t{t}: reading its handle twice gives {again:?}, expected {want_again:?}"
                ));
            }
        }
        self.teardown_after_failure();
        let live = self.live.alive();
        if live != 0 {
            self.fail(format!(
                "leak: {live} guarded objects (coroutines, outputs, promise values, \
                 callbacks) still alive after shutdown and dropping every handle"
            ));
        }
    }

    fn teardown_after_failure(&mut self) {
        self.tasks.clear();
        self.promises.clear();
        if let Some(fx) = self.fx.take() {
            fx.manager.shutdown();
            drop(fx);
        }
    }

    fn record_states(&mut self, task_may: &[bool], promise_may: &[bool]) {
        for (p, rec) in self.promises.iter().enumerate() {
            self.states.push(format!(
                "p{p}: {:?}{}",
                rec.seen,
                if promise_may[p] {
                    " (a cancel may reach it)"
                } else {
                    ""
                }
            ));
        }
        for (t, rec) in self.tasks.iter().enumerate() {
            self.states.push(format!(
                "t{t}: {:?}, returned {:?}, awaits {:?}{}{}",
                rec.seen,
                self.returned(t),
                rec.target,
                if rec.panics { ", panics" } else { "" },
                if task_may[t] {
                    " (a cancel may reach it)"
                } else {
                    ""
                }
            ));
        }
    }

    fn report(&self, program: &Program) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "chain: {}", self.factory.name());
        let _ = writeln!(out, "failures:");
        for f in &self.failures {
            let _ = writeln!(out, "  - {f}");
        }
        let _ = writeln!(out, "trace ({:?} ending):", program.ending);
        for line in &self.trace {
            let _ = writeln!(out, "  {line}");
        }
        if !self.states.is_empty() {
            let _ = writeln!(out, "final states:");
            for line in &self.states {
                let _ = writeln!(out, "  {line}");
            }
        }
        out
    }
}

/// Watches task `t` from another thread while other ops run.
fn observe(t: usize, any: &AnyTask, violations: &Violations) -> CrossResult {
    for _ in 0..2000 {
        if let Snap::Broken(why) = snap_task(any) {
            violate(
                violations,
                format!("t{t} (seen from another thread): {why}"),
            );
            break;
        }
        if any.is_done() {
            break;
        }
        std::hint::spin_loop();
    }
    CrossResult::Observed
}
