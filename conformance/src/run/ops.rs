//! Stepping: each op of the program (set, cancel, remove by name, advance
//! the clock, drive the chain, ops on several threads at once while
//! driving), and what each call's result says about the future it moved.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use taskchain_core::{AnyTask, AsyncFuture, Error};

use super::records::{snap_promise, snap_task, task_name, PVal, Snap, Win};
use super::{violate, Case, Violations};
use crate::program::{CrossOp, Op};
use crate::scenarios::support::in_call;
use crate::ChainFactory;

/// How long [`CrossOp::WaitPromise`] blocks at most.
const WAIT_TIMEOUT: Duration = Duration::from_millis(5);

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

/// Runs `call` inside [`in_call`], on a thread of its own if
/// `from_thread`; `what` names it if it panics there.
fn call_from<R: Send + 'static>(
    from_thread: bool,
    what: &str,
    call: impl FnOnce() -> R + Send + 'static,
) -> Result<R, String> {
    if from_thread {
        std::thread::spawn(move || in_call(call))
            .join()
            .map_err(|_| format!("{what} panicked on another thread"))
    } else {
        Ok(in_call(call))
    }
}

/// How the trace marks an op made from another thread.
fn via(from_thread: bool) -> &'static str {
    if from_thread {
        " (other thread)"
    } else {
        ""
    }
}

impl<F: ChainFactory> Case<'_, F> {
    pub(super) fn step(&mut self, op: &Op) -> Result<(), String> {
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
                let r = call_from(from_thread, "set_result", move || promise.set_result(value))?;
                self.log(format!("set p{p} = {v}{} -> {r:?}", via(from_thread)));
                self.record_set(p, v, r);
            }
            &Op::CancelPromise {
                promise,
                from_thread,
            } => {
                let p = usize::from(promise) % self.promises.len();
                let promise = self.promises[p].promise.clone();
                let r = call_from(from_thread, "cancel", move || promise.cancel())?;
                self.log(format!("cancel p{p}{} -> {r}", via(from_thread)));
                self.record_promise_cancel(p, r);
            }
            &Op::CancelTask { task, from_thread } => {
                if self.tasks.is_empty() {
                    self.log("cancel task: none yet, skipped".into());
                    return Ok(());
                }
                let t = usize::from(task) % self.tasks.len();
                self.tasks[t].aims += 1;
                let any = self.tasks[t].any.clone();
                let r = call_from(from_thread, "cancel", move || any.cancel())?;
                self.log(format!("cancel t{t}{} -> {r}", via(from_thread)));
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

    pub(super) fn drive(&self) -> Result<(), String> {
        self.factory
            .drive(self.fx())
            .map_err(|e| format!("drive failed: {e:?}"))
    }

    pub(super) fn record_set(&mut self, p: usize, v: u64, r: Result<(), Error>) {
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
            // A task that handled an earlier request may be removed again;
            // one whose request is still pending is not counted twice.
            .filter(|&&t| !self.tasks[t].any.is_done())
            .count();
        for &t in &named {
            self.tasks[t].aims += 1;
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
                    self.tasks[t].aims += 1;
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
