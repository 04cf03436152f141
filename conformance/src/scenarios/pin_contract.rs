//! Pin means pin: a polled future is dropped where it was polled, however
//! its task ends and whatever wraps it. Every scenario here puts
//! [`Pinned`] probes in every shape of task the public API has (the probe
//! as a coroutine's whole future, inside an `async` block, a sequence
//! child, a recurring coroutine's invocation, gathered, shielded, awaited
//! by another task, around an awaited interval, a local task), lets each
//! be polled, ends them all one way (completion, cancel while queued,
//! suspended or running, removal by name, shutdown, the manager's drop, a
//! panic), and checks that no probe moved after its first poll and each
//! was dropped exactly once.
//!
//! An interval holds no future (its steps are closures), so it is covered
//! as what a coroutine awaits.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use taskchain_core::{
    AnyTask, DoneStatus, IntervalChainExt, Sequence, Task, TaskBuilder, TaskChain, TaskChainExt,
    TaskHandle, Wait,
};

use super::support::marker;
use crate::pin_probe::{PinBook, Pinned};
use crate::{settle, ChainFactory, Fixture, Stepper};

/// How the tasks of one scenario end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Complete,
    CancelQueued,
    CancelSuspended,
    CancelRunning,
    RemoveByName,
    Shutdown,
    ManagerDrop,
    Panic,
}

/// What a leaf probe's future does when polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    /// Wakes itself once, then is ready.
    ReadyAfterOneWake,
    /// Wakes itself on every poll: between two runs its task is queued.
    WakeForever,
    /// Pending without a wake, for ever: a foreign await.
    PendingForever,
    /// Wakes itself once, then panics.
    PanicOnSecondPoll,
}

impl End {
    fn act(self) -> Act {
        match self {
            End::Complete => Act::ReadyAfterOneWake,
            End::CancelQueued => Act::WakeForever,
            End::Panic => Act::PanicOnSecondPoll,
            End::CancelSuspended
            | End::CancelRunning
            | End::RemoveByName
            | End::Shutdown
            | End::ManagerDrop => Act::PendingForever,
        }
    }
}

/// The leaf future inside a probe.
struct Script {
    act: Act,
    polls: u32,
}

impl Future for Script {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls += 1;
        let first = self.polls == 1;
        match self.act {
            Act::PendingForever => Poll::Pending,
            Act::WakeForever => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            _ if first => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Act::ReadyAfterOneWake => Poll::Ready(()),
            Act::PanicOnSecondPoll => panic!("{}", marker("pin probe's task body")),
        }
    }
}

type Slot = Arc<OnceLock<AnyTask>>;

/// Builds the probes of one scenario.
struct Probes {
    book: Arc<PinBook>,
    end: End,
}

impl Probes {
    /// A leaf probe, cancelling its task from `slot` on its first poll if
    /// the scenario ends tasks that way.
    fn leaf(&self, label: &str, slot: &Slot) -> Pinned<Script> {
        let script = Script {
            act: self.end.act(),
            polls: 0,
        };
        self.wrap(label, script, slot)
    }

    /// A probe around `inner`, which decides when it is ready.
    fn wrap<F>(&self, label: &str, inner: F, slot: &Slot) -> Pinned<F> {
        let probe = Pinned::new(&self.book, format!("{label} ({:?})", self.end), inner);
        if self.end == End::CancelRunning {
            probe.cancelling(slot.clone())
        } else {
            probe
        }
    }
}

fn slot() -> Slot {
    Arc::default()
}

/// The tasks of one scenario: those the end is applied to, and every task
/// (the ones those await too).
#[derive(Default)]
struct Tasks {
    tops: Vec<AnyTask>,
    all: Vec<AnyTask>,
}

impl Tasks {
    fn top(&mut self, task: AnyTask, slot: &Slot) {
        self.inner(task.clone(), slot);
        self.tops.push(task);
    }

    fn inner(&mut self, task: AnyTask, slot: &Slot) {
        let _ = slot.set(task.clone());
        self.all.push(task);
    }
}

fn add<W>(chain: &Arc<dyn TaskChain>, task: TaskBuilder<W>) -> TaskHandle<W::Output>
where
    W: Task + Send,
    W::Output: Send,
{
    chain.add_task(task).expect("add_task")
}

/// Long enough never to pass: the clock is never advanced.
const FOREVER: Duration = Duration::from_secs(3600);

/// Spawns one task of every shape, each with probes, on the chain under
/// test (and a local task on the manager's default chain, on a frame
/// chain).
fn spawn_every_shape(f: &dyn ChainFactory, fx: &Fixture, p: &Probes) -> Tasks {
    let mut tasks = Tasks::default();
    let chain = &fx.chain;

    let s = slot();
    let h = add(
        chain,
        TaskBuilder::coroutine(p.leaf("the whole future", &s)).name("pin-plain"),
    );
    tasks.top(h.as_any(), &s);

    let s = slot();
    let probe = p.leaf("in an async block", &s);
    // The block is the point: the probe lives in the block's state, as a
    // runtime's timer does in a coroutine awaiting it.
    #[allow(clippy::redundant_async_block)]
    let in_block = async move { probe.await };
    let h = add(
        chain,
        TaskBuilder::coroutine(in_block).name("pin-async-block"),
    );
    tasks.top(h.as_any(), &s);

    let s = slot();
    let sequence = Sequence::new()
        .then_coroutine(async {})
        .then_coroutine(p.leaf("a sequence's second child", &s));
    let h = chain
        .add_task(TaskBuilder::new(sequence).name("pin-sequence"))
        .expect("add_task");
    tasks.top(h.as_any(), &s);

    let s = slot();
    let (book, end, inner_slot) = (p.book.clone(), p.end, s.clone());
    let h = chain
        .add_task(
            TaskBuilder::recurring_coroutine(move || {
                let probes = Probes {
                    book: book.clone(),
                    end,
                };
                let probe = probes.leaf("a recurring coroutine's invocation", &inner_slot);
                async move {
                    probe.await;
                    DoneStatus::Done
                }
            })
            .name("pin-recurring-coroutine"),
        )
        .expect("add_task");
    tasks.top(h.as_any(), &s);

    let children: Vec<_> = (0..2)
        .map(|i| {
            let s = slot();
            let h = add(
                chain,
                TaskBuilder::coroutine(p.leaf(&format!("gathered child {i}"), &s))
                    .name(&format!("pin-gathered-{i}")),
            );
            tasks.inner(h.as_any(), &s);
            h
        })
        .collect();
    let s = slot();
    let gathered = p.wrap("awaiting a gather", chain.gather(children), &s);
    let h = chain
        .add_task(TaskBuilder::coroutine(gathered).name("pin-gather"))
        .expect("add_task");
    tasks.top(h.as_any(), &s);

    let s = slot();
    let shielded = add(
        chain,
        TaskBuilder::coroutine(p.leaf("shielded", &s)).name("pin-shielded"),
    );
    tasks.top(shielded.as_any(), &s);
    let s = slot();
    let guard = p.wrap("awaiting a shield", chain.shield(shielded), &s);
    let h = chain
        .add_task(TaskBuilder::coroutine(guard).name("pin-shield"))
        .expect("add_task");
    // Cancelling the shield's awaiter leaves the shielded task alone: the
    // end is applied to both.
    tasks.top(h.as_any(), &s);

    let s = slot();
    let awaited = add(
        chain,
        TaskBuilder::coroutine(p.leaf("awaited task", &s)).name("pin-awaited"),
    );
    tasks.inner(awaited.as_any(), &s);
    let s = slot();
    let awaiting = p.wrap("awaiting a task", awaited, &s);
    let h = chain
        .add_task(TaskBuilder::coroutine(awaiting).name("pin-awaiting"))
        .expect("add_task");
    tasks.top(h.as_any(), &s);

    let length = match p.end {
        End::Complete | End::Panic => Duration::ZERO,
        _ => FOREVER,
    };
    let played = chain.play(Wait::new(length));
    tasks.all.push(played.task().clone());
    let s = slot();
    let awaiting = p.wrap("awaiting an interval", played, &s);
    let h = chain
        .add_task(TaskBuilder::coroutine(awaiting).name("pin-interval"))
        .expect("add_task");
    tasks.top(h.as_any(), &s);

    if f.threads() == 0 {
        let local = fx.manager.local_spawner().expect("local_spawner");
        let s = slot();
        let h = local
            .add_task(TaskBuilder::coroutine(p.leaf("a local task", &s)).name("pin-local"))
            .expect("local add_task");
        tasks.top(h.as_any(), &s);
    }
    tasks
}

/// Runs every shape to `end` and checks the probes.
fn every_shape(f: &dyn ChainFactory, end: End) {
    let fx = f.build();
    let book = PinBook::new();
    let stepper = Stepper::new(f, &fx);
    let probes = Probes {
        book: book.clone(),
        end,
    };
    let tasks = spawn_every_shape(f, &fx, &probes);
    stepper.steps(3);
    assert_eq!(
        book.polled(),
        book.created(),
        "{end:?}: every probe was polled before its task ends"
    );
    match end {
        End::Complete | End::CancelRunning | End::Panic | End::Shutdown | End::ManagerDrop => {}
        End::CancelQueued | End::CancelSuspended => {
            for task in &tasks.tops {
                task.cancel();
            }
        }
        End::RemoveByName => {
            for task in &tasks.tops {
                let name = task.name().expect("named").to_owned();
                assert_eq!(fx.manager.remove_by_name(&name), 1, "remove {name}");
            }
        }
    }
    stepper.release();
    let all = tasks.all;
    match end {
        End::Shutdown => {
            fx.chain.shutdown();
            // The local task is on the manager's default chain.
            fx.manager.shutdown();
        }
        End::ManagerDrop => drop(fx),
        _ => {
            settle(f, &fx, &format!("every task to end ({end:?})"), || {
                all.iter().all(AnyTask::is_done)
            });
            fx.manager.shutdown();
            drop(fx);
        }
    }
    let pending: Vec<_> = all.iter().filter(|t| !t.is_done()).collect();
    assert!(
        pending.is_empty(),
        "{end:?}: tasks left pending: {pending:?}"
    );
    drop(all);
    if let Err(why) = book.check() {
        panic!("{end:?}: the pin contract broke: {why}");
    }
}

// regression: a task's work was moved out of its cell (`take()`) before it
// was dropped, at every end (and so a sequence, gather, shield, awaited
// task or interval awaiter with it).
pub(crate) fn complete(f: &dyn ChainFactory) {
    every_shape(f, End::Complete);
}

pub(crate) fn cancel_queued(f: &dyn ChainFactory) {
    every_shape(f, End::CancelQueued);
}

pub(crate) fn cancel_suspended(f: &dyn ChainFactory) {
    every_shape(f, End::CancelSuspended);
}

pub(crate) fn cancel_running(f: &dyn ChainFactory) {
    every_shape(f, End::CancelRunning);
}

pub(crate) fn remove_by_name(f: &dyn ChainFactory) {
    every_shape(f, End::RemoveByName);
}

pub(crate) fn shutdown(f: &dyn ChainFactory) {
    every_shape(f, End::Shutdown);
}

pub(crate) fn manager_drop(f: &dyn ChainFactory) {
    every_shape(f, End::ManagerDrop);
}

pub(crate) fn panic(f: &dyn ChainFactory) {
    every_shape(f, End::Panic);
}
