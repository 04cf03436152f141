//! A task's end runs user code that may panic, several sites at once: the
//! Drop of its work, the Drop of its output, its `upon_death`. Whatever
//! panics, `poll()` never does, the task ends once (one `upon_death` call,
//! one done callback), the chain keeps running its other tasks and its live
//! count goes back to zero. A `cancel()` that returned true wins: the task
//! ends cancelled even if dropping its work or its `upon_death` panics.

mod common;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use common::{counting, setup, threaded, PanicOnDrop, PATIENCE};
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    AnyTask, AsyncFuture, ChainSettings, DoneStatus, Error, TaskBuilder, TaskChain, TaskChainExt,
    TaskHandle, TaskManager,
};

/// Counts its drops, and panics in the last one if armed.
struct Bomb {
    armed: bool,
    what: &'static str,
    drops: Arc<AtomicUsize>,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        bump(&self.drops);
        if self.armed {
            panic!("boom: {}", self.what);
        }
    }
}

/// Which user-code sites of a task's end panic.
#[derive(Debug, Clone, Copy)]
struct Sites {
    work: bool,
    output: bool,
    upon_death: bool,
}

impl Sites {
    /// Every pair of sites, and all three.
    fn pairs() -> [Sites; 4] {
        let s = |work, output, upon_death| Sites {
            work,
            output,
            upon_death,
        };
        [
            s(true, true, false),
            s(true, false, true),
            s(false, true, true),
            s(true, true, true),
        ]
    }
}

/// What happened to one task's user values.
#[derive(Default)]
struct Ledger {
    work_drops: Arc<AtomicUsize>,
    output_drops: Arc<AtomicUsize>,
    deaths: Arc<AtomicUsize>,
    callbacks: Arc<AtomicUsize>,
}

/// How the task's one run behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Run {
    /// Ready with its output.
    Finish,
    /// Pending for ever, without waking.
    Suspend,
    /// Cancels itself, then is ready with its output.
    CancelSelf,
    /// Cancels itself, then panics.
    CancelSelfThenPanic,
}

/// A task's work: its own bomb, and the output it is ready with.
struct Work {
    bomb: Bomb,
    output: Option<Bomb>,
    run: Run,
    me: Arc<Mutex<Option<AnyTask>>>,
}

impl Future for Work {
    type Output = Bomb;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Bomb> {
        let this = self.get_mut();
        let _ = &this.bomb;
        match this.run {
            Run::Suspend => return Poll::Pending,
            Run::CancelSelf | Run::CancelSelfThenPanic => {
                let me = this.me.lock().unwrap().clone();
                assert!(
                    me.expect("its own handle").cancel(),
                    "a cancel during the run is accepted"
                );
                if this.run == Run::CancelSelfThenPanic {
                    panic!("boom: body after its cancel");
                }
            }
            Run::Finish => {}
        }
        Poll::Ready(this.output.take().expect("polled once"))
    }
}

/// Builds a task whose end panics at `sites`.
fn task(
    sites: Sites,
    run: Run,
    ledger: &Ledger,
) -> (
    TaskBuilder<impl taskchain_core::Task<Output = Bomb> + Send>,
    Arc<Mutex<Option<AnyTask>>>,
) {
    let me = Arc::new(Mutex::new(None));
    let work = Work {
        bomb: Bomb {
            armed: sites.work,
            what: "work drop",
            drops: ledger.work_drops.clone(),
        },
        output: Some(Bomb {
            armed: sites.output,
            what: "output drop",
            drops: ledger.output_drops.clone(),
        }),
        run,
        me: me.clone(),
    };
    let (deaths, armed) = (ledger.deaths.clone(), sites.upon_death);
    let builder = TaskBuilder::coroutine(work).upon_death(move |_| {
        bump(&deaths);
        if armed {
            panic!("boom: upon_death");
        }
    });
    (builder, me)
}

/// Registers a done callback that counts its calls.
fn count_callbacks(handle: &TaskHandle<Bomb>, ledger: &Ledger) {
    let callbacks = ledger.callbacks.clone();
    handle
        .add_done_callback(move |_| {
            bump(&callbacks);
        })
        .unwrap();
}

/// Polls, asserting that `poll()` neither panics nor fails.
fn poll_quietly(manager: &TaskManager, times: usize) {
    for _ in 0..times {
        let polled = catch_unwind(AssertUnwindSafe(|| manager.poll()));
        assert!(matches!(polled, Ok(Ok(()))), "poll() panicked or failed");
    }
}

/// The task ended once, and every user value was dropped once.
fn assert_ended_once(ledger: &Ledger, sites: Sites) {
    assert_eq!(get(&ledger.deaths), 1, "upon_death calls ({sites:?})");
    assert_eq!(get(&ledger.callbacks), 1, "done callbacks ({sites:?})");
    assert_eq!(get(&ledger.work_drops), 1, "work drops ({sites:?})");
    assert_eq!(get(&ledger.output_drops), 1, "output drops ({sites:?})");
}

#[test]
fn two_panics_in_a_finishing_task_end_it_once_on_the_frame_chain() {
    // regression: the output's panicking Drop, outside `catch_unwind`, escaped `poll()`.
    quiet_panics("boom:");
    for keep_handle in [true, false] {
        for sites in Sites::pairs() {
            let (_clock, manager) = setup();
            let ticks = counter();
            manager.add(counting(&ticks, DoneStatus::Cont));
            let ledger = Ledger::default();
            let (builder, _) = task(sites, Run::Finish, &ledger);
            let handle = manager.add_task(builder).unwrap();
            count_callbacks(&handle, &ledger);
            let any = handle.as_any();
            if !keep_handle {
                drop(handle);
            }
            poll_quietly(&manager, 3);
            assert!(any.is_done(), "{sites:?}");
            match any.wait_done(None) {
                Err(Error::Panicked(msg)) => assert!(msg.starts_with("boom:"), "{msg}"),
                other => panic!("{sites:?}: expected a panic, got {other:?}"),
            }
            assert_ended_once(&ledger, sites);
            assert_eq!(get(&ticks), 3, "the chain went on ({sites:?})");
            assert_eq!(manager.default_chain().stats().total(), 1, "{sites:?}");
        }
    }
}

#[test]
fn two_panics_in_a_finishing_task_end_it_once_on_a_threaded_chain() {
    // regression: a panic escaping a worker's run kept the in-flight count; the chain stalled.
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let chain = threaded(&manager, ChainSettings::default(), 2);
    let ticks = counter();
    let ticking = chain
        .add_task(TaskBuilder::recurring(counting(&ticks, DoneStatus::Cont)))
        .unwrap();
    for sites in Sites::pairs() {
        let ledger = Ledger::default();
        let (builder, _) = task(sites, Run::Finish, &ledger);
        let handle = chain.add_task(builder).unwrap();
        count_callbacks(&handle, &ledger);
        match handle.result(Some(PATIENCE)) {
            Err(Error::Panicked(msg)) => assert!(msg.starts_with("boom:"), "{msg}"),
            Err(other) => panic!("{sites:?}: expected a panic, got {other:?}"),
            Ok(_) => panic!("{sites:?}: expected a panic, got the output"),
        }
        common::eventually("the done callback ran", || get(&ledger.callbacks) == 1);
        assert_ended_once(&ledger, sites);
        // The chain still runs its recurring task.
        let before = get(&ticks);
        common::eventually("the recurring task ran again", || get(&ticks) > before + 1);
    }
    common::eventually("only the recurring task is live", || {
        chain.stats().total() == 1
    });
    assert!(ticking.cancel());
    common::eventually("no task is live", || chain.stats().total() == 0);
    chain.shutdown();
}

/// Runs a task that is cancelled while `run` says, with its end panicking
/// at `sites`, and checks that the cancel won.
fn cancelled_task_ends_cancelled(run: Run, sites: Sites) {
    let (_clock, manager) = setup();
    let ticks = counter();
    manager.add(counting(&ticks, DoneStatus::Cont));
    let ledger = Ledger::default();
    let (builder, me) = task(sites, run, &ledger);
    let handle = manager.add_task(builder).unwrap();
    count_callbacks(&handle, &ledger);
    *me.lock().unwrap() = Some(handle.as_any());
    match run {
        Run::Finish => {
            let cancelled = catch_unwind(AssertUnwindSafe(|| handle.cancel()));
            assert_eq!(
                cancelled.ok(),
                Some(true),
                "queued: cancel returned true ({sites:?})"
            );
        }
        Run::Suspend => {
            poll_quietly(&manager, 1);
            assert!(!handle.is_done());
            assert!(
                handle.cancel(),
                "suspended: cancel returned true ({sites:?})"
            );
        }
        // The run cancels its own task.
        Run::CancelSelf | Run::CancelSelfThenPanic => {}
    }
    poll_quietly(&manager, 3);
    assert_eq!(
        handle.try_take().map(|r| r.map(drop)),
        Some(Err(Error::Cancelled)),
        "{run:?} {sites:?}"
    );
    assert_eq!(
        get(&ledger.deaths),
        1,
        "upon_death calls ({run:?} {sites:?})"
    );
    assert_eq!(
        get(&ledger.callbacks),
        1,
        "done callbacks ({run:?} {sites:?})"
    );
    assert_eq!(get(&ledger.work_drops), 1, "work drops ({run:?} {sites:?})");
    assert_eq!(
        get(&ledger.output_drops),
        1,
        "output drops ({run:?} {sites:?})"
    );
    assert_eq!(
        manager.default_chain().stats().total(),
        1,
        "{run:?} {sites:?}"
    );
    let polls = if run == Run::Suspend { 4 } else { 3 };
    assert_eq!(get(&ticks), polls, "the chain went on ({run:?} {sites:?})");
}

#[test]
fn a_cancel_that_returned_true_wins_over_panics_in_the_end() {
    // regression: `cancel()` returned true, the work's Drop panicked, the task ended Panicked.
    quiet_panics("boom:");
    let one = |work, output, upon_death| Sites {
        work,
        output,
        upon_death,
    };
    let runs = [
        Run::Finish,
        Run::Suspend,
        Run::CancelSelf,
        Run::CancelSelfThenPanic,
    ];
    for run in runs {
        for sites in [
            one(false, false, false),
            one(true, false, false),
            one(false, false, true),
            one(true, false, true),
        ] {
            cancelled_task_ends_cancelled(run, sites);
        }
    }
    // A cancelled run's output is dropped, not delivered: its panic too is
    // caught. (Queued or suspended, the output is still inside the work,
    // whose fields cannot both panic: that would abort.)
    for sites in Sites::pairs() {
        cancelled_task_ends_cancelled(Run::CancelSelf, sites);
    }
}

/// A future that panics when polled, holding a bomb.
struct Volatile(Bomb);

impl Future for Volatile {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let _ = &self.0;
        panic!("boom: body");
    }
}

#[test]
fn a_body_that_panics_and_whose_drop_panics_ends_its_task_with_the_first_panic() {
    // regression: a sequence dropped its panicking child during the unwind: abort.
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let drops = counter();
    let volatile = || {
        Volatile(Bomb {
            armed: true,
            what: "work drop",
            drops: drops.clone(),
        })
    };
    let plain = manager.spawn(volatile());
    let in_sequence = manager
        .add_task(TaskBuilder::new(
            taskchain_core::Sequence::new().then_coroutine(volatile()),
        ))
        .unwrap();
    poll_quietly(&manager, 2);
    let body = Err(Error::Panicked("boom: body".to_owned()));
    assert_eq!(plain.try_take(), Some(body.clone()));
    assert_eq!(in_sequence.try_take().map(|r| r.map(drop)), Some(body));
    assert_eq!(get(&drops), 2);
    assert_eq!(manager.default_chain().stats().total(), 0);
}

/// A waker that panics when woken.
struct PanickingWaker;

impl std::task::Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("boom: waker");
    }
}

#[test]
fn a_panicking_waker_on_a_task_does_not_keep_it_from_ending() {
    // regression: a waker panicking at the task's completion escaped `poll()`.
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let ticks = counter();
    manager.add(counting(&ticks, DoneStatus::Cont));
    let task = manager.spawn(async { 5 });
    let waker = std::task::Waker::from(Arc::new(PanickingWaker));
    assert!(task
        .poll_done(&mut Context::from_waker(&waker))
        .is_pending());
    poll_quietly(&manager, 2);
    assert_eq!(task.try_take(), Some(Ok(5)));
    assert_eq!(get(&ticks), 2);
    assert_eq!(manager.default_chain().stats().total(), 1);
}

// regression: a detached local task's output panicking on drop escaped poll(), never retired.
#[test]
fn output_destructor_panic_stays_inside_poll_and_task_is_retired() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let local = manager.local_spawner().unwrap();
    drop(local.spawn(async { PanicOnDrop("boom: output destructor") }));
    let polled = catch_unwind(AssertUnwindSafe(|| manager.poll()));
    let total = manager.default_chain().stats().total();
    assert!(
        polled.is_ok() && total == 0,
        "poll() panicked: {}; live tasks after the task finished: {total}",
        polled.is_err()
    );
}

// regression: a detached Send task's output panicking on drop escaped poll().
#[test]
fn send_output_destructor_panic_stays_inside_poll() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    drop(manager.spawn(async { PanicOnDrop("boom: output destructor") }));
    let polled = catch_unwind(AssertUnwindSafe(|| manager.poll()));
    assert!(polled.is_ok(), "poll() panicked");
}
