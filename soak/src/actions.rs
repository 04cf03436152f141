//! The randomized mix: each call of [`Workload::act`] does one thing on the
//! chain under test — starts a task of some kind (a coroutine awaiting a
//! promise, an event, another task, a shield or a gather; a pause; a
//! recurring task; a panicking one), cancels a task, or removes tasks by
//! name — and enters it in the ledger. The proportions keep the chain busy
//! without unbounded growth: every task ends by itself within tens of
//! milliseconds, and the caller starts nothing while `--max-live` tasks
//! are unjudged.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use taskchain::{
    next_frame, pause, AsyncFuture, DoneStatus, Error, Messenger, Promise, TaskBuilder, TaskChain,
    TaskChainExt, TaskContext, TaskHandle,
};
use taskchain_conformance::kit::drops::DropCounter;
use taskchain_conformance::kit::rng::Rng;

use crate::census::Counted;
use crate::deliberate_panic::panic_message;
use crate::ledger::{Kept, Ledger, Record};
use crate::plan::Plan;
use crate::probe::{Probe, Settled, Settlement};
use crate::settler::Settler;
use crate::tally::SettlerCounts;

/// Names the soak gives tasks, so that `remove_by_name` finds several.
const NAMES: [&str; 6] = [
    "soak-rec-0",
    "soak-rec-1",
    "soak-rec-2",
    "soak-nap-0",
    "soak-nap-1",
    "soak-nap-2",
];

/// How far back (in task keys) a random cancel looks.
const RECENT: u64 = 256;

/// Percent of tasks given a done callback.
const CALLBACK_PERCENT: u64 = 30;

/// A coroutine task's handle.
type Handle = TaskHandle<Result<u64, Error>>;

/// A task just started, not yet entered in the ledger.
struct Started {
    key: u64,
    handle: Handle,
    record: Record,
}

/// The soak's hand on the chain: starts, cancels and removes tasks.
pub struct Workload<'a> {
    rng: Rng,
    chain: Arc<dyn TaskChain>,
    messenger: Messenger,
    census: DropCounter,
    settler: &'a Settler,
    counts: Arc<SettlerCounts>,
}

impl std::fmt::Debug for Workload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workload")
            .field("chain", &self.chain.name())
            .finish()
    }
}

/// A panic the soak plants; a function so the coroutine keeps its type.
fn deliberate_panic(key: u64) -> Result<u64, Error> {
    std::panic::panic_any(panic_message(key))
}

impl<'a> Workload<'a> {
    /// A workload on `chain`, its randomness from `seed`, values counted
    /// by `census`, promises and events settled by `settler`.
    pub fn new(
        seed: u64,
        chain: Arc<dyn TaskChain>,
        messenger: Messenger,
        census: DropCounter,
        settler: &'a Settler,
        counts: Arc<SettlerCounts>,
    ) -> Self {
        Workload {
            rng: Rng::new(seed),
            chain,
            messenger,
            census,
            settler,
            counts,
        }
    }

    /// Does one random thing. An `Err` is a chain refusing a task (a
    /// violation: the soak never asks for anything invalid).
    pub fn act(&mut self, ledger: &mut Ledger) -> Result<(), Error> {
        match self.rng.below(100) {
            0..=25 => self.await_promise(ledger),
            26..=31 => self.await_event(ledger),
            32..=43 => self.await_task(ledger, false),
            44..=50 => self.await_task(ledger, true),
            51..=58 => self.gather(ledger),
            59..=70 => {
                let started = self.leaf(ledger)?;
                self.keep(ledger, started);
                Ok(())
            }
            71..=84 => self.recurring(ledger, false),
            85 => self.recurring(ledger, true),
            86..=88 => {
                let started = self.panicking(ledger)?;
                self.keep(ledger, started);
                Ok(())
            }
            89..=97 => {
                self.cancel_one(ledger);
                Ok(())
            }
            _ => {
                self.remove_by_name(ledger);
                Ok(())
            }
        }
    }

    /// A random duration of up to `max_ms` milliseconds.
    fn millis(&mut self, max_ms: u64) -> Duration {
        Duration::from_millis(self.rng.below(max_ms + 1))
    }

    /// Starts a coroutine task running `body`, which records what it
    /// returns in the task's probe; its `upon_death` and (sometimes) a done
    /// callback report to the probe too.
    fn start<F>(
        &mut self,
        key: u64,
        plan: Plan,
        name: Option<String>,
        body: F,
    ) -> Result<Started, Error>
    where
        F: Future<Output = Result<u64, Error>> + Send + 'static,
    {
        let probe = Probe::new();
        let guard = Counted::new(&self.census, key);
        let reporter = probe.clone();
        let future = async move {
            let _alive = guard;
            let returned = body.await;
            reporter.returning(returned)
        };
        let mourner = probe.clone();
        let mut builder =
            TaskBuilder::coroutine(future).upon_death(move |clean| mourner.died(clean));
        if let Some(name) = &name {
            builder = builder.name(name);
        }
        let handle = self.chain.add_task(builder)?;
        let callback = self.rng.chance(CALLBACK_PERCENT);
        if callback {
            let caller = probe.clone();
            handle.add_done_callback(move |_| caller.called_back())?;
        }
        let mut record = Record::new(plan, name, handle.as_any(), Kept::Lent, probe);
        record.callback = callback;
        Ok(Started {
            key,
            handle,
            record,
        })
    }

    /// Enters a started task, keeping its handle.
    fn keep(&mut self, ledger: &mut Ledger, started: Started) {
        let Started {
            key,
            handle,
            mut record,
        } = started;
        record.kept = Kept::Value(handle);
        ledger.insert(key, record);
    }

    /// Enters a started task whose handle goes to an awaiter.
    fn lend(&mut self, ledger: &mut Ledger, started: Started) -> Handle {
        ledger.insert(started.key, started.record);
        started.handle
    }

    /// A coroutine that pauses (and sometimes yields a frame), then
    /// returns a value.
    fn leaf(&mut self, ledger: &mut Ledger) -> Result<Started, Error> {
        let key = ledger.next_key();
        let pause_for = self.millis(30);
        let yields = self.rng.chance(30);
        let value = key % 1000;
        let name = self
            .rng
            .chance(50)
            .then(|| NAMES[3 + self.rng.below(3) as usize].to_string());
        let body = async move {
            pause(pause_for).await?;
            if yields {
                next_frame().await;
            }
            Ok(value)
        };
        let plan = Plan::Leaf {
            value,
            pause: pause_for,
        };
        self.start(key, plan, name, body)
    }

    /// A coroutine that pauses a millisecond, then panics.
    fn panicking(&mut self, ledger: &mut Ledger) -> Result<Started, Error> {
        let key = ledger.next_key();
        let body = async move {
            pause(Duration::from_millis(1)).await?;
            deliberate_panic(key)
        };
        self.start(key, Plan::Panic, None, body)
    }

    /// A leaf, or (one time in five) a panicking task, to be awaited.
    fn child(&mut self, ledger: &mut Ledger) -> Result<Handle, Error> {
        let started = if self.rng.chance(20) {
            self.panicking(ledger)?
        } else {
            self.leaf(ledger)?
        };
        Ok(self.lend(ledger, started))
    }

    fn await_promise(&mut self, ledger: &mut Ledger) -> Result<(), Error> {
        let key = ledger.next_key();
        let promise: Promise<Counted> = self.chain.promise();
        let settlement = Settlement::new();
        let awaited = promise.clone();
        let body = async move { awaited.await.map(|c| c.value) };
        let started = self.start(key, Plan::AwaitPromise(settlement.clone()), None, body)?;
        self.keep(ledger, started);
        let cancel = self.rng.chance(10);
        let value = key * 3 + 1;
        let (census, counts) = (self.census.clone(), self.counts.clone());
        let delay = self.millis(40);
        self.settler.after(delay, move || {
            let settled = if cancel {
                if promise.cancel() {
                    SettlerCounts::bump(&counts.cancelled);
                    Settled::Cancelled
                } else {
                    SettlerCounts::bump(&counts.refused);
                    Settled::Refused
                }
            } else if promise.set_result(Counted::new(&census, value)).is_ok() {
                SettlerCounts::bump(&counts.set);
                Settled::Set(value)
            } else {
                SettlerCounts::bump(&counts.refused);
                Settled::Refused
            };
            settlement.record(settled);
        });
        Ok(())
    }

    fn await_event(&mut self, ledger: &mut Ledger) -> Result<(), Error> {
        let key = ledger.next_key();
        // One name per task: every awaiter of a name shares its future, and
        // cancelling one awaiter would cancel the others'.
        let name = format!("soak-ev-{key}");
        let event = self.messenger.future::<Counted>(&name)?;
        let settlement = Settlement::new();
        let body = async move { event.await.map(|c| c.value) };
        let started = self.start(key, Plan::AwaitEvent(settlement.clone()), None, body)?;
        self.keep(ledger, started);
        let value = key * 5 + 2;
        let (census, counts) = (self.census.clone(), self.counts.clone());
        let messenger = self.messenger.clone();
        let delay = self.millis(40);
        self.settler.after(delay, move || {
            match messenger.send(&name, Counted::new(&census, value)) {
                Ok(()) => {
                    SettlerCounts::bump(&counts.sent);
                    settlement.record(Settled::Sent(value));
                }
                Err(_) => {
                    SettlerCounts::bump(&counts.refused);
                    settlement.record(Settled::Refused);
                }
            }
        });
        Ok(())
    }

    /// A coroutine awaiting another task's handle, directly or through a
    /// shield.
    fn await_task(&mut self, ledger: &mut Ledger, shielded: bool) -> Result<(), Error> {
        let child = self.child(ledger)?;
        let child_key = ledger.last_key();
        let key = ledger.next_key();
        let started = if shielded {
            let shield = self.chain.shield(child);
            let body = async move { shield.await.and_then(|r| r).map(|v| v + 1) };
            self.start(key, Plan::AwaitShield(child_key), None, body)?
        } else {
            let body = async move { child.await.and_then(|r| r).map(|v| v + 1) };
            self.start(key, Plan::AwaitTask(child_key), None, body)?
        };
        self.keep(ledger, started);
        Ok(())
    }

    /// A coroutine awaiting a gather of 0 to 4 tasks.
    fn gather(&mut self, ledger: &mut Ledger) -> Result<(), Error> {
        let n = self.rng.below(5);
        let mut children = Vec::new();
        let mut keys = Vec::new();
        for _ in 0..n {
            children.push(self.child(ledger)?);
            keys.push(ledger.last_key());
        }
        let gather = self.chain.gather(children);
        let key = ledger.next_key();
        let body = async move { gather.await?.into_iter().sum::<Result<u64, Error>>() };
        let started = self.start(key, Plan::Gather(keys), None, body)?;
        self.keep(ledger, started);
        Ok(())
    }

    /// A recurring task: `Cont` or `Again` until its last run returns
    /// `Done` or `Exit`; with `panics`, it panics on a run before that.
    fn recurring(&mut self, ledger: &mut Ledger, panics: bool) -> Result<(), Error> {
        let key = ledger.next_key();
        let runs = 1 + self.rng.below(6) as u32;
        let panic_on = panics.then(|| 1 + self.rng.below(u64::from(runs)) as u32);
        let delay = self.millis(5);
        let statuses: Vec<DoneStatus> = (1..=runs)
            .map(|run| match (run == runs, self.rng.chance(50)) {
                (true, true) => DoneStatus::Done,
                (true, false) => DoneStatus::Exit,
                (false, true) => DoneStatus::Cont,
                (false, false) => DoneStatus::Again,
            })
            .collect();
        let probe = Probe::new();
        let guard = Counted::new(&self.census, key);
        let runner = probe.clone();
        let work = move |_: &TaskContext<'_>| {
            let _alive = &guard;
            let run = runner.ran();
            if Some(run) == panic_on {
                std::panic::panic_any(panic_message(key));
            }
            // A run past the planned ones ends it; the ledger reports the
            // extra run.
            statuses
                .get(run as usize - 1)
                .copied()
                .unwrap_or(DoneStatus::Done)
        };
        let name = NAMES[self.rng.below(3) as usize].to_string();
        let mourner = probe.clone();
        let mut builder = TaskBuilder::recurring(work)
            .name(&name)
            .upon_death(move |clean| mourner.died(clean));
        if !delay.is_zero() {
            builder = builder.delay(delay);
        }
        let handle = self.chain.add_task(builder)?;
        let callback = self.rng.chance(CALLBACK_PERCENT);
        if callback {
            let caller = probe.clone();
            handle.add_done_callback(move |_| caller.called_back())?;
        }
        let plan = Plan::Recurring {
            runs,
            panic_on,
            delay,
        };
        let mut record = Record::new(plan, Some(name), handle.as_any(), Kept::Lent, probe);
        record.kept = Kept::Unit(handle);
        record.callback = callback;
        ledger.insert(key, record);
        Ok(())
    }

    /// Cancels a random unfinished task among the recent ones: a few keys
    /// drawn at random, the first unfinished one taken. (Walking from a
    /// random key to the next unfinished task would mostly pick the
    /// long-lived ones, and seldom an awaiter in the middle of its await.)
    fn cancel_one(&mut self, ledger: &mut Ledger) {
        let last = ledger.last_key();
        for _ in 0..8 {
            let key = last.saturating_sub(self.rng.below(RECENT));
            if ledger.is_unfinished(key) {
                ledger.cancel(key);
                return;
            }
        }
    }

    /// Removes the tasks of a random name; more than it could reach is a
    /// violation.
    fn remove_by_name(&mut self, ledger: &mut Ledger) {
        let name = NAMES[self.rng.below(NAMES.len() as u64) as usize];
        let reachable = ledger.mark_named(name);
        let removed = self.chain.remove_by_name(name);
        ledger.tally.removals += 1;
        ledger.tally.removed += removed as u64;
        if removed > reachable {
            ledger.violation(format!(
                "remove_by_name({name:?}) removed {removed} tasks; only {reachable} unfinished \
                 tasks had that name"
            ));
        }
    }
}
