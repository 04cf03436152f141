//! The soak's books: every task it started, what it planned for it and
//! what it did to it, judged when the task ends; and the checks that run
//! over the books on every sweep (verdicts, `upon_death` and done
//! callbacks exactly once, liveness).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskchain::{AnyTask, AsyncFuture, Error, TaskHandle};

use crate::options::Fault;
use crate::outcome::{judge, Outcome, Treatment, Verdict};
use crate::plan::Plan;
use crate::probe::{Probe, Settled, Settlement};
use crate::tally::Tally;

/// The handle the soak kept of a task, if it did not lend it to an
/// awaiter.
#[derive(Debug)]
pub enum Kept {
    /// A coroutine's handle.
    Value(TaskHandle<Result<u64, Error>>),
    /// A recurring task's handle.
    Unit(TaskHandle<()>),
    /// Moved into the task, gather or shield that awaits it.
    Lent,
}

/// One task the soak started.
#[derive(Debug)]
pub struct Record {
    /// Its plan.
    pub plan: Plan,
    /// Its name, if any.
    pub name: Option<String>,
    /// The task.
    pub task: AnyTask,
    /// Its handle, if kept.
    pub kept: Kept,
    /// What it reports.
    pub probe: Arc<Probe>,
    /// Whether a done callback was added.
    pub callback: bool,
    /// When it was started.
    pub started: Instant,
    /// What was done to it.
    pub treatment: Treatment,
    /// When a `cancel()` of it returned true.
    pub cancel_hit_at: Option<Instant>,
    /// When a sweep first saw it done.
    pub done_seen: Option<Instant>,
    /// Its outcome, once judged.
    pub outcome: Option<Outcome>,
    /// Unjudged tasks that await it (it is kept until they are judged).
    pub awaiters: usize,
    /// A liveness violation was reported for it.
    pub late: bool,
}

impl Record {
    /// A record of a task just started.
    pub fn new(
        plan: Plan,
        name: Option<String>,
        task: AnyTask,
        kept: Kept,
        probe: Arc<Probe>,
    ) -> Self {
        Record {
            plan,
            name,
            task,
            kept,
            probe,
            callback: false,
            started: Instant::now(),
            treatment: Treatment::default(),
            cancel_hit_at: None,
            done_seen: None,
            outcome: None,
            awaiters: 0,
            late: false,
        }
    }
}

/// The books.
#[derive(Debug)]
pub struct Ledger {
    records: BTreeMap<u64, Record>,
    next_key: u64,
    unjudged: usize,
    liveness: Duration,
    fault: Option<Fault>,
    /// Every violation found so far.
    pub violations: Vec<String>,
    /// Counts for the summary.
    pub tally: Tally,
}

impl Ledger {
    /// Empty books; a task unfinished `liveness` after what it waits on
    /// settled is a violation.
    pub fn new(liveness: Duration, fault: Option<Fault>) -> Self {
        Ledger {
            records: BTreeMap::new(),
            next_key: 0,
            unjudged: 0,
            liveness,
            fault,
            violations: Vec::new(),
            tally: Tally::default(),
        }
    }

    /// The key the next task will get.
    pub fn next_key(&mut self) -> u64 {
        self.next_key += 1;
        self.next_key
    }

    /// The key given last (0 before any).
    pub fn last_key(&self) -> u64 {
        self.next_key
    }

    /// Enters a started task under `key`.
    pub fn insert(&mut self, key: u64, record: Record) {
        for &k in record.plan.waits_on() {
            if let Some(awaited) = self.records.get_mut(&k) {
                awaited.awaiters += 1;
            }
        }
        self.tally.started(record.plan.kind());
        self.unjudged += 1;
        self.records.insert(key, record);
    }

    /// Tasks started and not yet judged (some may have ended since the
    /// last sweep).
    pub fn unjudged(&self) -> usize {
        self.unjudged
    }

    /// Tasks started and not done now.
    pub fn not_done(&self) -> usize {
        self.records
            .values()
            .filter(|r| r.outcome.is_none() && !r.task.is_done())
            .count()
    }

    /// Whether `key` is a task that has not finished.
    pub fn is_unfinished(&self, key: u64) -> bool {
        self.records
            .get(&key)
            .is_some_and(|r| r.outcome.is_none() && !r.task.is_done())
    }

    /// A record.
    pub fn get(&self, key: u64) -> Option<&Record> {
        self.records.get(&key)
    }

    /// Marks that a cancel aimed at `key` may reach it and, through its
    /// awaits (not shields), what it awaits.
    pub fn cancel_may_reach(&mut self, key: u64) {
        let mut stack = vec![key];
        while let Some(k) = stack.pop() {
            if let Some(record) = self.records.get_mut(&k) {
                if record.outcome.is_none() {
                    record.treatment.cancel_may_reach = true;
                    stack.extend_from_slice(record.plan.cancel_reaches());
                }
            }
        }
    }

    /// Cancels `key` (after marking what it may reach); returns what
    /// `cancel()` returned.
    pub fn cancel(&mut self, key: u64) -> bool {
        self.cancel_may_reach(key);
        let Some(record) = self.records.get_mut(&key) else {
            return false;
        };
        let hit = record.task.cancel();
        if hit {
            record.treatment.cancel_hit = true;
            record.cancel_hit_at = Some(Instant::now());
        }
        self.tally.cancels += 1;
        self.tally.cancel_hits += u64::from(hit);
        hit
    }

    /// Marks every unjudged task named `name` as one a cancel may reach
    /// (before `remove_by_name`); returns how many.
    pub fn mark_named(&mut self, name: &str) -> usize {
        let keys: Vec<u64> = self
            .records
            .iter()
            .filter(|(_, r)| r.outcome.is_none() && r.name.as_deref() == Some(name))
            .map(|(k, _)| *k)
            .collect();
        for &k in &keys {
            self.cancel_may_reach(k);
        }
        keys.len()
    }

    /// Records a violation.
    pub fn violation(&mut self, what: String) {
        self.violations.push(what);
    }

    /// Judges every task that ended, reports tasks late past the liveness
    /// bound, and drops records nobody needs any more. `last` is the final
    /// sweep after the drain: then nothing may be left unjudged.
    pub fn sweep(&mut self, last: bool) {
        let now = Instant::now();
        let keys: Vec<u64> = self.records.keys().copied().collect();
        for &key in &keys {
            if self.records[&key].outcome.is_none() {
                self.judge_one(key, now, last);
            }
        }
        for key in keys {
            self.retire_if_unneeded(key, now, last);
        }
    }

    fn describe(&self, key: u64) -> String {
        let r = &self.records[&key];
        match &r.name {
            Some(name) => format!("task {key} {name:?} ({})", r.plan.kind()),
            None => format!("task {key} ({})", r.plan.kind()),
        }
    }

    fn judge_one(&mut self, key: u64, now: Instant, last: bool) {
        let record = &self.records[&key];
        let Some(outcome) = Outcome::observe(&record.task, &record.probe) else {
            self.check_liveness(key, now, last);
            return;
        };
        self.plant_fault(key, &outcome);
        let record = &self.records[&key];
        let settled = match &record.plan {
            Plan::AwaitPromise(s) | Plan::AwaitEvent(s) => s.get().map(|(s, _)| s),
            _ => None,
        };
        let treatment = Treatment {
            runs: record.probe.runs(),
            ..record.treatment
        };
        let records = &self.records;
        let awaited = |k: u64| {
            records
                .get(&k)
                .and_then(|r| Outcome::observe(&r.task, &r.probe))
        };
        let verdict = judge(key, &record.plan, &outcome, treatment, settled, &awaited);
        let mut wrong = Vec::new();
        match verdict {
            Verdict::NotYet if !last => return,
            Verdict::NotYet => wrong.push(
                "finished, but the settler never recorded settling what it awaited".to_string(),
            ),
            Verdict::Wrong(why) => wrong.push(why),
            Verdict::Right => {}
        }
        let (deaths, clean) = record.probe.deaths();
        let clean_expected = matches!(outcome, Outcome::Finished(_));
        if deaths != 1 || clean != Some(clean_expected) {
            wrong.push(format!(
                "upon_death ran {deaths} times (clean_exit {clean:?}) by the time it was \
                 done; expected once with {clean_expected}"
            ));
        }
        let record = self.records.get_mut(&key).expect("judged a known key");
        if let Some(why) = check_kept_handle(&mut record.kept, &outcome) {
            wrong.push(why);
        }
        record.done_seen.get_or_insert(now);
        self.tally.ended(record.plan.kind(), outcome.label());
        let waits_on: Vec<u64> = record.plan.waits_on().to_vec();
        record.outcome = Some(outcome);
        self.unjudged -= 1;
        for k in waits_on {
            if let Some(awaited) = self.records.get_mut(&k) {
                awaited.awaiters = awaited.awaiters.saturating_sub(1);
            }
        }
        for why in wrong {
            let what = format!("{}: {why}", self.describe(key));
            self.violation(what);
        }
    }

    /// With [`Fault::WrongExpectedValue`] armed, the first promise awaiter
    /// that finished is judged against a promise value one too high.
    fn plant_fault(&mut self, key: u64, outcome: &Outcome) {
        if self.fault != Some(Fault::WrongExpectedValue) || !matches!(outcome, Outcome::Finished(_))
        {
            return;
        }
        let record = self.records.get_mut(&key).expect("a known key");
        if let Plan::AwaitPromise(settlement) = &record.plan {
            if let Some((Settled::Set(v), _)) = settlement.get() {
                let wrong = Settlement::new();
                wrong.record(Settled::Set(v + 1));
                record.plan = Plan::AwaitPromise(wrong);
                self.fault = None;
            }
        }
    }

    /// When everything `key` waits on had settled, if it has.
    fn ready_since(&self, key: u64) -> Option<Instant> {
        let r = &self.records[&key];
        if let Some(at) = r.cancel_hit_at {
            return Some(at);
        }
        match &r.plan {
            Plan::Leaf { pause, .. } => Some(r.started + *pause),
            Plan::Panic => Some(r.started),
            Plan::AwaitPromise(s) | Plan::AwaitEvent(s) => s.get().map(|(_, at)| at),
            Plan::AwaitTask(_) | Plan::AwaitShield(_) | Plan::Gather(_) => r
                .plan
                .waits_on()
                .iter()
                .map(|k| self.records.get(k).and_then(|a| a.done_seen))
                .try_fold(r.started, |latest, at| at.map(|at| at.max(latest))),
            Plan::Recurring { runs, delay, .. } => Some(r.started + *delay * *runs),
        }
    }

    fn check_liveness(&mut self, key: u64, now: Instant, last: bool) {
        if self.records[&key].late {
            return;
        }
        let late = match self.ready_since(key) {
            Some(ready) => now.saturating_duration_since(ready) > self.liveness,
            None => false,
        };
        if late || last {
            let what = format!(
                "{}: still not done {:.1} s after it started{}",
                self.describe(key),
                now.saturating_duration_since(self.records[&key].started)
                    .as_secs_f64(),
                if late {
                    ", and more than the liveness bound after what it waits on settled"
                } else {
                    ", at the end of the drain"
                }
            );
            self.records.get_mut(&key).expect("a known key").late = true;
            self.violation(what);
        }
    }

    fn retire_if_unneeded(&mut self, key: u64, now: Instant, last: bool) {
        let Some(record) = self.records.get(&key) else {
            return;
        };
        let (Some(outcome), Some(done_at)) = (&record.outcome, record.done_seen) else {
            return;
        };
        if record.awaiters > 0 && !last {
            return;
        }
        let callbacks = record.probe.callbacks();
        let expected = u32::from(record.callback);
        let overdue = now.saturating_duration_since(done_at) > self.liveness;
        let mut wrong = Vec::new();
        if callbacks > expected {
            wrong.push(format!("its done callback ran {callbacks} times"));
        } else if callbacks < expected {
            if !(overdue || last) {
                return; // it runs on a later poll of the chain
            }
            wrong.push("its done callback never ran".to_string());
        }
        let again = Outcome::observe(&record.task, &record.probe);
        if again.as_ref() != Some(outcome) {
            wrong.push(format!("its outcome changed from {outcome:?} to {again:?}"));
        }
        let (deaths, _) = record.probe.deaths();
        if deaths != 1 {
            wrong.push(format!("upon_death ran {deaths} times"));
        }
        self.tally.callbacks += u64::from(callbacks);
        for why in wrong {
            let what = format!("{}: {why}", self.describe(key));
            self.violation(what);
        }
        self.records.remove(&key);
    }

    /// Forgets every record (after the final sweep), dropping the handles
    /// and tasks it held.
    pub fn clear(&mut self) {
        self.records.clear();
    }

    /// Records still held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// Reads a kept handle once: it must deliver what the task ended with.
fn check_kept_handle(kept: &mut Kept, outcome: &Outcome) -> Option<String> {
    let expected = outcome.awaited();
    let (read, expected) = match std::mem::replace(kept, Kept::Lent) {
        Kept::Lent => return None,
        Kept::Value(handle) => (
            handle.try_take().map(|r| r.and_then(|inner| inner)),
            expected,
        ),
        Kept::Unit(handle) => {
            let expected = match outcome {
                Outcome::Finished(None) => Ok(0),
                _ => expected,
            };
            (handle.try_take().map(|r| r.map(|()| 0)), expected)
        }
    };
    match read {
        Some(read) if read == expected => None,
        other => Some(format!(
            "its handle read {other:?}, but it ended {outcome:?}"
        )),
    }
}
