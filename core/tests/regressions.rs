//! Regressions from a review of the core: each `f*` test reproduces a bug
//! that was found and fixed (its comment says what went wrong), each `p*`
//! test covers a risky path that was checked and found correct.

mod common;

use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use common::setup;
use futures_util::future::select;
use taskchain_conformance::kit::counters::{bump, counter, get, Deaths};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    pause, AnyTask, AsyncFuture, Clock, DoneStatus, ManualClock, Promise, TaskBuilder, TaskChain,
    TaskContext, TaskManager,
};

const HOUR: Duration = Duration::from_secs(3600);

/// Counts drops.
struct Probe(Arc<AtomicUsize>);
impl Drop for Probe {
    fn drop(&mut self) {
        bump(&self.0);
    }
}

/// A manual clock that runs a one-shot hook inside its next `now()` call:
/// lets a test act at an exact point of the runner's code (Clock is a public
/// extension point, so this is user code the runner calls).
type Hook = Box<dyn FnOnce() + Send>;

#[derive(Clone, Default)]
struct HookClock {
    inner: ManualClock,
    hook: Arc<Mutex<Option<Hook>>>,
}

impl HookClock {
    fn arm(&self, f: impl FnOnce() + Send + 'static) {
        *self.hook.lock().unwrap() = Some(Box::new(f));
    }
}

impl Clock for HookClock {
    fn now(&self) -> Duration {
        let hook = self.hook.lock().unwrap().take();
        if let Some(f) = hook {
            f();
        }
        self.inner.now()
    }
    fn tick(&self) {
        self.inner.tick()
    }
    fn frame_count(&self) -> u64 {
        self.inner.frame_count()
    }
}

// ---------------------------------------------------------------------------
// F1. Regression, fixed: was a cancel that reaches a running recurring task after the
// runner read CANCEL_REQUESTED (cell.rs:421) is not acted on when the task
// returns `Again`: it goes to sleep for its whole delay (cell.rs:451,
// `sleep` -> `release` ignores the request). Contract: "A task removed while
// it runs finishes that run, then is cancelled whatever it returned."
// ---------------------------------------------------------------------------
#[test]
fn f1_cancel_during_run_of_again_task_ends_it_next_epoch() {
    let clock = HookClock::default();
    let manager = TaskManager::with_clock(clock.clone());
    let deaths = Deaths::new();
    let me: Arc<Mutex<Option<AnyTask>>> = Arc::default();
    let (c, m) = (clock.clone(), me.clone());
    let handle = manager
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                // The next clock read is the runner's, after this run
                // returned (cell.rs:448): cancel the task there, as another
                // thread could at that moment.
                let m = m.clone();
                c.arm(move || {
                    assert!(m.lock().unwrap().as_ref().unwrap().cancel());
                });
                DoneStatus::Again
            })
            .delay(HOUR)
            .upon_death(deaths.hook()),
        )
        .unwrap();
    *me.lock().unwrap() = Some(handle.as_any());
    manager.poll().unwrap(); // places the delayed task in the sleep heap
    clock.inner.advance(HOUR);
    manager.poll().unwrap(); // the run that gets cancelled
    assert!(handle.is_cancel_requested());
    for _ in 0..5 {
        manager.poll().unwrap();
    }
    assert!(
        handle.is_done() && handle.is_cancelled(),
        "cancel requested during the run, but the task sleeps out its 1 h delay"
    );
    assert_eq!(deaths.get(), (0, 1));
}

// ---------------------------------------------------------------------------
// F2. Regression, fixed: was shutdown that finds a task RUNNING only sets CANCEL_REQUESTED
// (cell.rs:495-498) and relies on the runner; if the runner already passed
// its `is_shut_down()` checks (cell.rs:434/553) it parks the task
// (Sleep/Next), and the epoch loop then drops the queues (frame_chain.rs:383)
// without finishing it: upon_death never runs, the future never completes,
// the live count never reaches 0. Here shutdown comes from another point in
// the runner (the clock read), as it could from another thread.
// ---------------------------------------------------------------------------
#[test]
fn f2_shutdown_racing_a_runner_still_ends_the_task() {
    let clock = HookClock::default();
    let manager = Arc::new(TaskManager::with_clock(clock.clone()));
    let deaths = Deaths::new();
    let (c, weak) = (clock.clone(), Arc::downgrade(&manager));
    let handle = manager
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                let weak = weak.clone();
                c.arm(move || weak.upgrade().unwrap().shutdown());
                DoneStatus::Again
            })
            .delay(Duration::from_millis(1))
            .upon_death(deaths.hook()),
        )
        .unwrap();
    manager.poll().unwrap(); // places the delayed task in the sleep heap
    clock.inner.advance(Duration::from_millis(1));
    manager.poll().unwrap();
    // Shutdown did happen: a later spawn is cancelled at once.
    assert!(manager.spawn(async {}).is_cancelled());
    assert_eq!(
        deaths.get(),
        (0, 1),
        "shutdown must run every upon_death exactly once"
    );
    assert!(handle.is_done(), "shutdown must leave no task pending");
}

// ---------------------------------------------------------------------------
// F3. Regression, fixed (probabilistic, hits within a few thousand trials on 2 cores): was
// a cancel from another thread landing between `fetch_or(SUSPENDED)` and the
// final `release` in `suspend` (cell.rs:558-576) sees RUNNING, so it neither
// claims nor wakes the task (cell.rs:480); `release(0, 0)` then parks the
// task with the request pending and nobody to deliver it. The coroutine
// awaiting a never-completed promise stays "cancel requested" forever.
// ---------------------------------------------------------------------------

/// Polls the promise; right after it registered and returned Pending, raises
/// `flag` so the canceller strikes while the runner is in `suspend`.
struct SignalPending {
    p: Promise<u32>,
    flag: Arc<AtomicBool>,
}
impl Future for SignalPending {
    type Output = Result<u32, taskchain_core::Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let r = Pin::new(&mut self.p).poll(cx);
        if r.is_pending() {
            self.flag.store(true, Ordering::Release);
        }
        r
    }
}

#[test]
fn f3_cancel_racing_suspend_is_not_lost() {
    const PER_ROUND: usize = 64;
    let rounds: usize = std::env::var("ROUNDS").map_or(3000, |v| v.parse().unwrap());
    let (_clock, manager) = setup();
    let (job_tx, job_rx) = mpsc::channel::<Vec<(AnyTask, Arc<AtomicBool>, u32)>>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let canceller = thread::spawn(move || {
        for batch in job_rx {
            for (task, flag, spins) in batch {
                while !flag.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
                for _ in 0..spins {
                    std::hint::spin_loop();
                }
                assert!(task.cancel());
            }
            done_tx.send(()).unwrap();
        }
    });
    let mut lost = 0;
    let mut attempts = 0;
    for round in 0..rounds {
        let mut handles = Vec::with_capacity(PER_ROUND);
        let mut batch = Vec::with_capacity(PER_ROUND);
        for i in 0..PER_ROUND {
            let flag = Arc::new(AtomicBool::new(false));
            let h = manager.spawn(SignalPending {
                p: manager.promise::<u32>(),
                flag: flag.clone(),
            });
            batch.push((h.as_any(), flag, ((round + i) % 24) as u32));
            handles.push(h);
        }
        job_tx.send(batch).unwrap();
        manager.poll().unwrap();
        done_rx.recv().unwrap();
        for _ in 0..3 {
            manager.poll().unwrap();
        }
        attempts += PER_ROUND;
        lost += handles.iter().filter(|h| !h.is_done()).count();
        if lost > 0 {
            break;
        }
    }
    drop(job_tx);
    canceller.join().unwrap();
    assert_eq!(
        lost, 0,
        "{lost} of {attempts} cancelled tasks never reached a terminal state"
    );
}

// ---------------------------------------------------------------------------
// F4. Regression, fixed (soundness): was `FrameChain::poll` checks the owner thread once,
// on entry (frame_chain.rs:476). If another thread claims the chain with
// `local_spawner()` while an unowned poll is in progress and spawns a `!Send`
// task, the in-progress poll drains it (frame_chain.rs:380-381) and polls
// the `!Send` work on the wrong thread (`Rc` touched off its thread: UB).
// ---------------------------------------------------------------------------
#[test]
fn f4_local_task_never_polled_off_owner_thread_when_claimed_mid_poll() {
    let (_clock, manager) = setup();
    let manager = Arc::new(manager);
    let (to_b, from_a) = mpsc::channel::<()>();
    let (to_a, from_b) = mpsc::channel::<()>();
    let from_b = Mutex::new(from_b);
    // Runs inside thread A's poll: lets B claim the chain and spawn, then
    // returns so the same poll continues.
    manager.add(move |_: &TaskContext<'_>| {
        to_b.send(()).unwrap();
        from_b.lock().unwrap().recv().unwrap();
        DoneStatus::Done
    });
    let ran_on = Arc::new(Mutex::new(None));
    let (finish, finished) = mpsc::channel::<()>();
    let b = {
        let (manager, ran_on) = (manager.clone(), ran_on.clone());
        thread::spawn(move || {
            from_a.recv().unwrap();
            let local = manager.local_spawner().expect("chain unowned");
            let rc = Rc::new(RefCell::new(0));
            let handle = local.spawn(async move {
                *rc.borrow_mut() += 1;
                *ran_on.lock().unwrap() = Some(thread::current().id());
            });
            to_a.send(()).unwrap();
            // The owner shuts the chain down, so the !Send task is dropped
            // on its own thread (shutdown elsewhere would have to leak it).
            finished.recv().unwrap();
            manager.shutdown();
            drop(handle);
            thread::current().id()
        })
    };
    manager.poll().unwrap(); // thread A (this test's thread)
    let ran = *ran_on.lock().unwrap();
    drop(manager);
    finish.send(()).unwrap();
    let owner = b.join().unwrap();
    assert_ne!(
        ran,
        Some(thread::current().id()),
        "the !Send task of owner {owner:?} ran on the polling thread"
    );
}

// ---------------------------------------------------------------------------
// F5. Regression, fixed: was a panic in a detached task's output destructor escapes
// `poll()` (documented "Never" panics). For a local task whose handle was
// dropped, `finish` drops the output via `clear_value` (cell.rs:298-299)
// outside any catch_unwind and before `retire` (cell.rs:301): the task is
// never retired, so the live count stays 1 forever and `wait_for_tasks`
// never returns. (For a Send task the drop happens in `remove_slots`,
// chain_core.rs:259, again uncaught, from RetireBatch::drop.)
// ---------------------------------------------------------------------------
struct PanicOnDrop;
impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("boom: output destructor");
    }
}

#[test]
fn f5_output_destructor_panic_stays_inside_poll_and_task_is_retired() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let local = manager.local_spawner().unwrap();
    drop(local.spawn(async { PanicOnDrop }));
    let polled = catch_unwind(AssertUnwindSafe(|| manager.poll()));
    let total = manager.default_chain().stats().total();
    assert!(
        polled.is_ok() && total == 0,
        "poll() panicked: {}; live tasks after the task finished: {total}",
        polled.is_err()
    );
}

#[test]
fn f5b_send_output_destructor_panic_stays_inside_poll() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    drop(manager.spawn(async { PanicOnDrop }));
    let polled = catch_unwind(AssertUnwindSafe(|| manager.poll()));
    assert!(polled.is_ok(), "poll() panicked");
}

// ---------------------------------------------------------------------------
// F6. Regression, fixed: was `drive` (frame_chain.rs:450-462) turns a timeout too large for
// `Instant` (`checked_add` -> None) into an immediate `Err(Timeout)`, while
// `block_until` (future_state.rs:330) treats the same value as "no
// timeout". `wait_for_tasks(Some(Duration::MAX))` gives up after one poll.
// ---------------------------------------------------------------------------
#[test]
fn f6_wait_for_tasks_with_huge_timeout_means_no_timeout() {
    let (_clock, manager) = setup();
    let mut runs = 0;
    manager.add(move |_: &TaskContext<'_>| {
        runs += 1;
        if runs < 3 {
            DoneStatus::Cont
        } else {
            DoneStatus::Done
        }
    });
    assert_eq!(
        manager.default_chain().wait_for_tasks(Some(Duration::MAX)),
        Ok(())
    );
}

// ---------------------------------------------------------------------------
// F7. Regression, fixed: was a waiter list only deduplicates against its newest entry
// (future_state.rs:96). Two awaiters that re-poll alternately (two tasks in a
// `select` with a timer, or `result(Some(t))` retried from two threads)
// add one entry per re-poll: unbounded growth while the future is pending,
// and every stale waker pins its task cell (and a detached task's output).
// ---------------------------------------------------------------------------
struct Nop;
impl Wake for Nop {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn f7_waiter_list_stays_bounded_with_alternating_repolls() {
    let (_clock, manager) = setup();
    let p = manager.promise::<u32>();
    let (a, b) = (Arc::new(Nop), Arc::new(Nop));
    let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
    for _ in 0..1000 {
        let _ = p.poll_done(&mut Context::from_waker(&wa));
        let _ = p.poll_done(&mut Context::from_waker(&wb));
    }
    // a, wa, and at most one registration.
    assert!(
        Arc::strong_count(&a) <= 3,
        "{} registrations of one waker",
        Arc::strong_count(&a) - 2
    );
}

// ---------------------------------------------------------------------------
// F8. Regression, fixed: was a task woken early from a long `pause` leaves its sleeper in
// the timer heap until the deadline (frame_chain.rs:194-204 only drops stale
// sleepers when they come due). The sleeper's TaskRef keeps the finished
// cell alive, and with it a detached task's output (TaskHandle has no Drop,
// so HANDLE is never cleared and finish keeps the value, cell.rs:298). A
// `select(event, pause(timeout))` loop adds one such entry per iteration.
// ---------------------------------------------------------------------------
#[test]
fn f8_stale_sleeper_does_not_pin_finished_task_and_output() {
    let (clock, manager) = setup();
    let drops = counter();
    let p = manager.promise::<()>();
    let h = {
        let (p, drops) = (p.clone(), drops.clone());
        manager.spawn(async move {
            let _ = select(pause(HOUR), p).await;
            Probe(drops)
        })
    };
    drop(h); // detached
    manager.poll().unwrap(); // sleeps in the heap until +1 h
    p.set_result(()).unwrap();
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    assert_eq!(manager.default_chain().stats().total(), 0);
    let before_deadline = get(&drops);
    clock.advance(HOUR);
    manager.poll().unwrap();
    assert_eq!(get(&drops), 1);
    assert_eq!(
        before_deadline, 1,
        "the finished detached task's output lived until its stale 1 h sleeper came due"
    );
}

// ---------------------------------------------------------------------------
// F9. Regression, fixed: was a task spawned with a delay that has already expired at the
// next epoch boundary runs one epoch late: `begin` wakes due sleepers
// (frame_chain.rs:194) before draining the injection (frame_chain.rs:218),
// which is where a new delayed task enters the heap.
// ---------------------------------------------------------------------------
#[test]
fn f9_expired_delay_runs_in_the_next_epoch() {
    let (clock, manager) = setup();
    let runs = counter();
    let r = runs.clone();
    manager
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                bump(&r);
                DoneStatus::Done
            })
            .delay(Duration::from_secs(1)),
        )
        .unwrap();
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert_eq!(get(&runs), 1, "due at this epoch boundary, but not run");
}

// ---------------------------------------------------------------------------
// F10. Regression, fixed (frame-loop livelock): was a task woken during an epoch goes to
// the side heap and runs again in the same epoch whenever its sort is not
// below the current one (frame_chain.rs:177; the `ran_now` guard only applies
// to `Resort`). Two coroutines handing promises back and forth therefore run
// every round trip inside one `poll()`; a perpetual exchange never returns
// from `poll()` (no frame budget set) and stalls the game loop.
// ---------------------------------------------------------------------------
#[test]
fn f10_ping_pong_advances_once_per_poll() {
    let (_clock, manager) = setup();
    const ROUNDS: usize = 10_000;
    let slots: Arc<Mutex<Vec<Promise<()>>>> = Arc::new(Mutex::new(
        (0..=2 * ROUNDS).map(|_| manager.promise()).collect(),
    ));
    let mk = |first: usize| {
        let slots = slots.clone();
        manager.spawn(async move {
            let mut i = first;
            while i < 2 * ROUNDS {
                let wait = slots.lock().unwrap()[i].clone();
                wait.await.unwrap();
                slots.lock().unwrap()[i + 1].set_result(()).unwrap();
                i += 2;
            }
        })
    };
    let (a, b) = (mk(0), mk(1));
    slots.lock().unwrap()[0].set_result(()).unwrap();
    manager.poll().unwrap();
    let done_in_one_poll = a.is_done() && b.is_done();
    assert!(
        !done_in_one_poll,
        "{ROUNDS} round trips ran inside a single poll(): each task ran {ROUNDS} times in one epoch"
    );
}

// ---------------------------------------------------------------------------
// F11. Regression, fixed (minor): was `ManualClock::advance` adds saturated nanoseconds
// with a wrapping `fetch_add` (clock.rs:100-102): a large advance moves the
// clock backwards.
// ---------------------------------------------------------------------------
#[test]
fn f11_manual_clock_advance_saturates() {
    let clock = ManualClock::new();
    clock.advance(Duration::from_secs(1));
    clock.advance(Duration::MAX);
    assert!(
        clock.now() >= Duration::from_secs(1),
        "clock went back to {:?}",
        clock.now()
    );
}

// ---------------------------------------------------------------------------
// F12. A `cancel()` landing after the runner's post-run check of the cancel
// request, but before the outcome was published, returned true, and the task
// still finished with its value (and `upon_death(true)`): found by the soak
// binary on threaded chains, where a cancel from another thread hit that
// window about once in 200,000 tasks. Here on one thread, deterministically:
// the cancel comes from the task's own `upon_death` and from its work's
// destructor, both after the runner decided the outcome (in the same atomic
// step that read the cancel request): each must report false, and the task
// finishes with its value. (The loom model `loom_task_cancel` covers the
// cancel from another thread landing on either side of that step.)
// ---------------------------------------------------------------------------
#[test]
fn f12_cancel_while_the_task_ends_agrees_with_its_outcome() {
    type Slot<T> = Arc<Mutex<Option<T>>>;
    let (_clock, manager) = setup();

    let me: Slot<AnyTask> = Arc::default();
    let told: Slot<bool> = Arc::default();
    let (me_inside, told_inside) = (me.clone(), told.clone());
    let handle = manager
        .add_task(TaskBuilder::coroutine(async { 5 }).upon_death(move |_| {
            if let Some(me) = me_inside.lock().unwrap().take() {
                *told_inside.lock().unwrap() = Some(me.cancel());
            }
        }))
        .unwrap();
    *me.lock().unwrap() = Some(handle.as_any());
    manager.poll().unwrap();
    assert_eq!(*told.lock().unwrap(), Some(false), "the task was ending");
    // Too late, but a cancel was called: the conformance checker holds a
    // `false` to "done or cancel requested".
    assert!(handle.is_cancel_requested());
    assert_eq!(handle.wait(), Ok(5));

    struct CancelOnDrop(Slot<AnyTask>, Slot<bool>);
    impl Drop for CancelOnDrop {
        fn drop(&mut self) {
            if let Some(me) = self.0.lock().unwrap().take() {
                *self.1.lock().unwrap() = Some(me.cancel());
            }
        }
    }
    let deaths = Deaths::new();
    let me: Slot<AnyTask> = Arc::default();
    let told: Slot<bool> = Arc::default();
    let guard = CancelOnDrop(me.clone(), told.clone());
    let handle = manager
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                let _held = &guard;
                DoneStatus::Done
            })
            .upon_death(deaths.hook()),
        )
        .unwrap();
    *me.lock().unwrap() = Some(handle.as_any());
    manager.poll().unwrap();
    assert_eq!(*told.lock().unwrap(), Some(false), "the task was ending");
    assert!(
        !handle.is_cancelled(),
        "a cancel that reported false must not end the task cancelled"
    );
    assert_eq!(handle.wait(), Ok(()));
    assert_eq!(deaths.get(), (1, 0));
    assert_eq!(manager.default_chain().stats().total(), 0);
}

// ---------------------------------------------------------------------------
// P1. Risky path, checked correct: cancel from another thread racing runs of recurring tasks and
// of queued tasks: every task reaches a terminal state and every upon_death
// runs exactly once (claim-by-RUNNING in cancel vs run's CAS is exclusive).
// ---------------------------------------------------------------------------
#[test]
fn p1_cross_thread_cancel_vs_run_upon_death_exactly_once() {
    let (_clock, manager) = setup();
    let deaths = Deaths::new();
    let n = 2000;
    let handles: Vec<_> = (0..n)
        .map(|i| {
            manager
                .add_task(
                    TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                        if i % 3 == 0 {
                            DoneStatus::Done
                        } else {
                            DoneStatus::Cont
                        }
                    })
                    .upon_death(deaths.hook()),
                )
                .unwrap()
        })
        .collect();
    let anys: Vec<AnyTask> = handles.iter().map(|h| h.as_any()).collect();
    let canceller = thread::spawn(move || anys.iter().rev().filter(|t| t.cancel()).count());
    for _ in 0..20 {
        manager.poll().unwrap();
    }
    let cancelled_by_call = canceller.join().unwrap();
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    assert!(handles.iter().all(|h| h.is_done()));
    let (clean, unclean) = deaths.get();
    assert_eq!(clean + unclean, n as usize);
    assert_eq!(unclean, cancelled_by_call);
    assert_eq!(manager.default_chain().stats().total(), 0);
}

// ---------------------------------------------------------------------------
// P2. Risky path, checked correct: the SLEEPING counter stays exact across every way out of the
// sleep heap: delayed spawn cancelled, `Again` sleeper cancelled, pause woken
// early by a promise (stale sleeper), pause cancelled, pause run to term.
// ---------------------------------------------------------------------------
#[test]
fn p2_sleeping_counter_stays_exact() {
    let (clock, manager) = setup();
    let chain = manager.default_chain();
    let delayed = manager
        .add_task(TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Done).delay(HOUR))
        .unwrap();
    let again = manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Again)
                .delay(Duration::from_millis(1)),
        )
        .unwrap();
    let p = manager.promise::<()>();
    let early = {
        let p = p.clone();
        manager.spawn(async move {
            let _ = select(pause(HOUR), p).await;
            pause(Duration::from_secs(1)).await
        })
    };
    let cancelled_pause = manager.spawn(async { pause(HOUR).await });
    manager.poll().unwrap();
    clock.advance(Duration::from_millis(1));
    manager.poll().unwrap(); // `again` ran once and sleeps again
    assert_eq!(chain.stats().sleeping, 4);
    assert!(delayed.cancel() && again.cancel() && cancelled_pause.cancel());
    p.set_result(()).unwrap();
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(
        cancelled_pause.try_take(),
        Some(Err(taskchain_core::Error::Cancelled))
    );
    assert_eq!(
        chain.stats().sleeping,
        1,
        "only `early`'s second pause sleeps"
    );
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert_eq!(early.try_take(), Some(Ok(Ok(()))));
    assert_eq!(chain.stats().sleeping, 0);
    assert_eq!(chain.stats().total(), 0);
}

// ---------------------------------------------------------------------------
// P3. Risky path, checked correct: a wake that arrives while the task is still RUNNING (its own
// waker woken before it returns Pending) sets WOKEN and is not lost: the
// task runs again next epoch.
// ---------------------------------------------------------------------------
struct SelfWakeOnce(bool);
impl Future for SelfWakeOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn p3_wake_while_running_is_not_lost() {
    let (_clock, manager) = setup();
    let h = manager.spawn(SelfWakeOnce(false));
    manager.poll().unwrap();
    assert!(!h.is_done(), "a self-wake waits for the next epoch");
    manager.poll().unwrap();
    assert!(h.is_done());
}

// ---------------------------------------------------------------------------
// P4. Risky path, checked correct: cancelling a suspended coroutine propagates down through an
// awaited task to its pause, upon_death runs once for each, and the outer
// coroutine can observe the cancel and finish a shielded cleanup.
// ---------------------------------------------------------------------------
#[test]
fn p4_cancel_propagates_down_and_shield_cleanup_finishes() {
    let (clock, manager) = setup();
    let deaths = Deaths::new();
    let inner = manager
        .add_task(TaskBuilder::coroutine(async { pause(HOUR).await }).upon_death(deaths.hook()))
        .unwrap();
    let cleanup = manager.spawn(async {
        pause(Duration::from_secs(1)).await.unwrap();
        7
    });
    let outer = manager
        .add_task(
            TaskBuilder::coroutine(async move {
                let r = inner.await;
                assert_eq!(r, Err(taskchain_core::Error::Cancelled));
                taskchain_core::shield(cleanup).await
            })
            .upon_death(deaths.hook()),
        )
        .unwrap();
    manager.poll().unwrap();
    assert!(outer.cancel());
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert!(!outer.is_done(), "outer still runs its shielded cleanup");
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert!(outer.is_cancelled());
    assert_eq!(deaths.get(), (0, 2));
    assert_eq!(manager.default_chain().stats().total(), 0);
}

// ---------------------------------------------------------------------------
// F12. `cancel()` returned true for a task that then finished with its
// value: the runner read "no cancel requested" when the run returned
// `Done`, and a cancel that came before the task was marked complete (the
// task still running: a request for its runner, so `true`) was ignored.
// Found by the stress suite's cancel storms (`check_cancel_storms`) on a
// threaded chain. The window is held open here by blocking `upon_death`,
// which runs in it, until another thread's cancel has returned: that
// cancel must now say false (too late), and the task keeps its value.
// ---------------------------------------------------------------------------
#[test]
fn f13_a_cancel_while_the_task_finishes_is_too_late_and_says_so() {
    let (_clock, manager) = setup();
    let slot: Arc<Mutex<Option<AnyTask>>> = Arc::default();
    let (cancelled_tx, cancelled_rx) = mpsc::channel();
    let canceller = {
        let slot = slot.clone();
        move |_clean: bool| {
            let task = slot.lock().unwrap().clone().expect("the task's handle");
            let other = thread::spawn(move || task.cancel());
            let _ = cancelled_tx.send(other.join().expect("the cancelling thread"));
        }
    };
    let task = manager
        .add_task(TaskBuilder::coroutine(async { 5 }).upon_death(canceller))
        .unwrap();
    *slot.lock().unwrap() = Some(task.as_any());
    manager.poll().unwrap();
    let cancel_said = cancelled_rx.recv_timeout(HOUR).expect("upon_death ran");
    let result = task.wait();
    assert!(
        !cancel_said || result == Err(taskchain_core::Error::Cancelled),
        "cancel() returned {cancel_said} but the task ended {result:?}"
    );
    assert_eq!(result, Ok(5), "the task had finished: it keeps its value");
    assert!(!cancel_said);
}
