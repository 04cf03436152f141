//! Tasks hosted by a runtime's own tasks (`TaskScheduling::Hosts`), on a
//! toy executor whose wakers can panic: the host's waker kept once and
//! freed, a host woken by whoever ends its task, one host per task, a
//! re-sort taken once, panicking host wakers at every site.

mod common;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, RawWaker, RawWakerVTable, Wake, Waker};
use std::time::Duration;

use common::{eventually, setup, Gate, PATIENCE};
use taskchain_core::{
    AsyncFuture, ChainSettings, DoneStatus, Error, HostSpawner, Runtime, RuntimeFuture,
    TaskBuilder, TaskChain, TaskChainExt, TaskContext, TaskHost, TaskManager, TaskScheduling,
    ThreadedChain,
};

/// How the executor's wakers behave.
#[derive(Clone, Copy, PartialEq, Debug)]
enum WakerKind {
    Plain,
    /// `wake` panics (after queueing the host).
    PanickingWake,
    /// `drop` panics (after releasing its reference).
    PanickingDrop,
    /// `wake` counts in `Exec::wakes_around_spawner` a wake made other than
    /// through the spawner's `wake_host`.
    Watched,
}

#[derive(Default)]
struct Exec {
    hosts: Mutex<Vec<Option<Pin<Box<TaskHost>>>>>,
    /// Woken while out being polled (by another driving thread): poll
    /// again (as a real runtime does).
    again: Mutex<std::collections::HashSet<usize>>,
    ready: Mutex<VecDeque<usize>>,
    spawned: AtomicUsize,
    completed: AtomicUsize,
    kind: Mutex<Option<WakerKind>>,
    /// Waker data alive (raw wakers only).
    live_wakers: Arc<AtomicUsize>,
    /// Calls of the spawner's `wake_host`.
    wake_host_calls: AtomicUsize,
    /// `Watched` wakes made other than through `wake_host`.
    wakes_around_spawner: AtomicUsize,
}

thread_local! {
    /// Set while this thread is inside the spawner's `wake_host`.
    static IN_WAKE_HOST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

struct Idx(Weak<Exec>, usize);

impl Wake for Idx {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(e) = self.0.upgrade() {
            e.ready.lock().unwrap().push_back(self.1);
        }
    }
}

/// A raw waker over `Arc<Idx>`, with a panicking wake or drop.
struct RawData {
    idx: Arc<Idx>,
    kind: WakerKind,
    live: Arc<AtomicUsize>,
}

fn raw_waker(data: Arc<RawData>) -> Waker {
    fn clone(p: *const ()) -> RawWaker {
        // SAFETY: an `Arc<RawData>` made by `raw_waker`.
        let a = unsafe { Arc::from_raw(p.cast::<RawData>()) };
        a.live.fetch_add(1, Ordering::SeqCst);
        let b = a.clone();
        std::mem::forget(a);
        RawWaker::new(Arc::into_raw(b).cast(), &VTABLE)
    }
    fn wake(p: *const ()) {
        wake_by_ref(p);
        drop_(p);
    }
    fn wake_by_ref(p: *const ()) {
        // SAFETY: as above, borrowed.
        let a = std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(p.cast::<RawData>()) });
        if a.kind == WakerKind::Watched && !IN_WAKE_HOST.with(|w| w.get()) {
            if let Some(e) = a.idx.0.upgrade() {
                e.wakes_around_spawner.fetch_add(1, Ordering::SeqCst);
            }
        }
        a.idx.wake_by_ref();
        if a.kind == WakerKind::PanickingWake {
            panic!("boom: a host waker's wake");
        }
    }
    fn drop_(p: *const ()) {
        // SAFETY: as above, owned.
        let a = unsafe { Arc::from_raw(p.cast::<RawData>()) };
        a.live.fetch_sub(1, Ordering::SeqCst);
        let kind = a.kind;
        drop(a);
        if kind == WakerKind::PanickingDrop {
            panic!("boom: a host waker's drop");
        }
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_);
    data.live.fetch_add(1, Ordering::SeqCst);
    // SAFETY: the table's functions take an `Arc<RawData>`'s pointer.
    unsafe { Waker::from_raw(RawWaker::new(Arc::into_raw(data).cast(), &VTABLE)) }
}

impl Exec {
    /// Polls ready hosts until none is left (at most `limit`); the caught
    /// panics of wakers are ignored (they are the runtime's own).
    fn drive(self: &Arc<Self>, limit: usize) -> usize {
        let mut ran = 0;
        while ran < limit {
            let Some(index) = self.ready.lock().unwrap().pop_front() else {
                break;
            };
            let host = {
                let mut hosts = self.hosts.lock().unwrap();
                let host = hosts[index].take();
                if host.is_none() {
                    // Out being polled (or complete): note the wake.
                    self.again.lock().unwrap().insert(index);
                }
                host
            };
            let Some(mut host) = host else { continue };
            self.again.lock().unwrap().remove(&index);
            ran += 1;
            let idx = Arc::new(Idx(Arc::downgrade(self), index));
            let kind = self.kind.lock().unwrap().unwrap_or(WakerKind::Plain);
            let waker = match kind {
                WakerKind::Plain => Waker::from(idx),
                k => raw_waker(Arc::new(RawData {
                    idx,
                    kind: k,
                    live: self.live_wakers.clone(),
                })),
            };
            let pending = host
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending();
            if kind == WakerKind::PanickingDrop {
                // Our own copy: not through its panicking drop.
                self.live_wakers.fetch_sub(1, Ordering::SeqCst);
                // SAFETY: the raw parts of `waker`, an `Arc<RawData>`.
                unsafe { drop(Arc::from_raw(waker.data().cast::<RawData>())) };
                std::mem::forget(waker);
            } else {
                drop(waker);
            }
            if pending {
                let mut hosts = self.hosts.lock().unwrap();
                hosts[index] = Some(host);
                if self.again.lock().unwrap().remove(&index) {
                    self.ready.lock().unwrap().push_back(index);
                }
            } else {
                self.completed.fetch_add(1, Ordering::SeqCst);
            }
        }
        ran
    }

    fn live_hosts(&self) -> usize {
        self.hosts.lock().unwrap().iter().flatten().count()
    }
}

struct ExecRef(Weak<Exec>);

impl HostSpawner for ExecRef {
    fn spawn_host(&self, host: TaskHost) {
        if let Some(e) = self.0.upgrade() {
            let mut hosts = e.hosts.lock().unwrap();
            hosts.push(Some(Box::pin(host)));
            e.spawned.fetch_add(1, Ordering::SeqCst);
            e.ready.lock().unwrap().push_back(hosts.len() - 1);
        }
    }

    fn wake_host(&self, waker: &Waker) {
        if let Some(e) = self.0.upgrade() {
            e.wake_host_calls.fetch_add(1, Ordering::SeqCst);
        }
        IN_WAKE_HOST.with(|w| w.set(true));
        // Reset however the wake returns (a panicking waker unwinds here).
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                IN_WAKE_HOST.with(|w| w.set(false));
            }
        }
        let _reset = Reset;
        waker.wake_by_ref();
    }
}

struct Toy(Arc<Exec>);

impl Runtime for Toy {
    fn name(&self) -> &str {
        "toy"
    }
    fn threads(&self) -> usize {
        2
    }
    fn spawn(&self, future: RuntimeFuture) {
        common::ThreadRuntime.spawn(future)
    }
    fn sleep(&self, duration: Duration) -> RuntimeFuture {
        common::ThreadRuntime.sleep(duration)
    }
    fn task_scheduling(&self) -> Option<TaskScheduling> {
        Some(TaskScheduling::Hosts(Arc::new(ExecRef(Arc::downgrade(
            &self.0,
        )))))
    }
}

fn hosted(manager: &TaskManager) -> (Arc<ThreadedChain>, Arc<Exec>) {
    let exec = Arc::new(Exec::default());
    let chain = manager
        .make_threaded_chain(
            "toy",
            ChainSettings::default().num_threads(2),
            Arc::new(Toy(exec.clone())),
        )
        .unwrap();
    (chain, exec)
}

/// A hosted task cancelled (claimed) on another thread before its host
/// first ran: completion finds `HOSTED` but no waker; the host's first
/// poll must see the end.
#[test]
fn cancel_on_another_thread_before_the_hosts_first_poll() {
    let (_clock, manager) = setup();
    let (chain, exec) = hosted(&manager);
    let gate = Gate::default();
    let task = chain.spawn(gate.clone());
    assert_eq!(exec.spawned.load(Ordering::SeqCst), 1, "hosted at spawn");
    let t = task.as_any();
    std::thread::spawn(move || assert!(t.cancel()))
        .join()
        .unwrap();
    assert_eq!(task.result(Some(PATIENCE)), Err(Error::Cancelled));
    exec.drive(10);
    assert_eq!(exec.live_hosts(), 0, "the host saw the end");
    chain.shutdown();
}

/// A hosted task (its host polled once, its waker kept) moved off sort 0
/// while it waits: its wake runs it on the workers, and its end there must
/// wake its host (completion wakes only if `HOSTED`).
#[test]
fn a_hosted_task_ending_on_the_workers_wakes_its_host() {
    let (_clock, manager) = setup();
    let (chain, exec) = hosted(&manager);
    let gate = Gate::default();
    let task = chain.spawn(gate.clone());
    exec.drive(10);
    assert!(gate.has_waiter());
    assert_eq!(exec.live_hosts(), 1);
    task.set_sort(1);
    gate.open();
    assert_eq!(task.result(Some(PATIENCE)), Ok(()));
    eventually("the host is woken", || {
        !exec.ready.lock().unwrap().is_empty()
    });
    exec.drive(10);
    assert_eq!(exec.live_hosts(), 0, "the host completed");
    chain.shutdown();
}

/// A sort-1 task that ran on the workers and waits, moved to sort 0 and
/// woken: it gets its host then (`claim_host` in `hand_over`); woken again
/// before that host ever ran, it must still run (on the workers: no waker
/// yet) and its host must complete.
#[test]
fn hosted_late_then_woken_before_its_host_ran() {
    let (_clock, manager) = setup();
    let (chain, exec) = hosted(&manager);
    let (first, second) = (Gate::default(), Gate::default());
    let (f, s) = (first.clone(), second.clone());
    let task = chain
        .add_task(
            TaskBuilder::coroutine(async move {
                f.await;
                s.await;
                7
            })
            .sort(1),
        )
        .unwrap();
    eventually("it waits", || first.has_waiter());
    task.set_sort(0);
    first.open();
    eventually("a host is made", || {
        exec.spawned.load(Ordering::SeqCst) == 1
    });
    // The host has not run: the task waits on `second` only once the host
    // runs it. Run it, then wake it with the host's waker kept.
    exec.drive(10);
    assert!(second.has_waiter());
    second.open();
    exec.drive(10);
    assert_eq!(task.try_take(), Some(Ok(7)));
    assert_eq!(exec.live_hosts(), 0);
    assert_eq!(exec.spawned.load(Ordering::SeqCst), 1, "one host");
    chain.shutdown();
}

/// A host waker whose drop panics: the header's drop catches it, and the
/// cell (and the kept waker's data) is freed.
#[test]
fn a_host_waker_whose_drop_panics_is_freed() {
    let (_clock, manager) = setup();
    let (chain, exec) = hosted(&manager);
    *exec.kind.lock().unwrap() = Some(WakerKind::PanickingDrop);
    let gate = Gate::default();
    let task = chain.spawn(gate.clone());
    exec.drive(10);
    assert_eq!(exec.live_wakers.load(Ordering::SeqCst), 1, "one kept");
    gate.open();
    exec.drive(10);
    assert_eq!(task.try_take(), Some(Ok(())));
    assert_eq!(exec.live_hosts(), 0);
    drop(task);
    chain.shutdown();
    drop(chain);
    drop(manager);
    eventually("the kept waker is dropped with the cell", || {
        exec.live_wakers.load(Ordering::SeqCst) == 0
    });
}

/// A host waker whose wake panics, hit by the completion of its task on
/// the workers (the task was moved off sort 0 while it waited): caught
/// there, the task ends once, and its host still completes when polled.
#[test]
fn a_host_waker_whose_wake_panics_at_completion() {
    let (_clock, manager) = setup();
    let (chain, exec) = hosted(&manager);
    *exec.kind.lock().unwrap() = Some(WakerKind::PanickingWake);
    let gate = Gate::default();
    let task = chain.spawn(gate.clone());
    exec.drive(10);
    assert!(gate.has_waiter());
    task.set_sort(1);
    gate.open();
    assert_eq!(task.result(Some(PATIENCE)), Ok(()));
    eventually("the host is woken", || {
        !exec.ready.lock().unwrap().is_empty()
    });
    exec.drive(10);
    assert_eq!(exec.live_hosts(), 0);
    drop(task);
    chain.shutdown();
    drop(chain);
    drop(manager);
    eventually("the kept waker is dropped", || {
        exec.live_wakers.load(Ordering::SeqCst) == 0
    });
}

/// `cancel()` of a hosted task suspended on a foreign future wakes its
/// host: a host waker that panics there does not escape `cancel()`, and
/// the task still ends (its chain's epochs run it).
#[test]
fn a_host_waker_that_panics_when_a_cancel_wakes_it_does_not_escape_the_cancel() {
    let (_clock, manager) = setup();
    let (chain, exec) = hosted(&manager);
    *exec.kind.lock().unwrap() = Some(WakerKind::PanickingWake);
    let task = chain.spawn(std::future::pending::<()>());
    exec.drive(10);
    let t = task.as_any();
    let cancelled = std::thread::spawn(move || t.cancel()).join();
    assert!(matches!(cancelled, Ok(true)), "cancel() panicked");
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exec.drive(10)));
    assert_eq!(task.result(Some(PATIENCE)), Err(Error::Cancelled));
    chain.shutdown();
}

/// Many hosted tasks on a real two-thread executor, woken and cancelled
/// from other threads at random points: every task ends and every host
/// completes (a lost wake leaves a host pending for ever).
#[test]
fn stress_hosts_wakes_and_cancels() {
    let rounds = if std::env::var_os("TASKCHAIN_UNDER_VALGRIND").is_some() {
        3
    } else {
        40
    };
    for round in 0..rounds {
        let (_clock, manager) = setup();
        let (chain, exec) = hosted(&manager);
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (exec, stop) = (exec.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        if exec.drive(64) == 0 {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let mut tasks = Vec::new();
        let mut gates = Vec::new();
        for i in 0..64usize {
            let gate = Gate::default();
            let g = gate.clone();
            let task = match i % 4 {
                0 => chain.spawn(async move {
                    g.await;
                    i
                }),
                1 => chain.spawn(async move {
                    taskchain_core::next_frame().await;
                    g.await;
                    i
                }),
                2 => chain
                    .add_task(
                        TaskBuilder::coroutine(async move {
                            g.await;
                            i
                        })
                        .sort(1),
                    )
                    .unwrap(),
                _ => chain.spawn(async move { i }),
            };
            tasks.push(task);
            gates.push(gate);
        }
        let (t2, g2) = (
            tasks.iter().map(|t| t.as_any()).collect::<Vec<_>>(),
            gates.clone(),
        );
        let other = std::thread::spawn(move || {
            for (i, (t, g)) in t2.iter().zip(&g2).enumerate() {
                match (i + round) % 3 {
                    0 => {
                        let _ = t.cancel();
                    }
                    1 => {
                        if i % 2 == 0 {
                            t.set_sort(0);
                        }
                        g.open();
                    }
                    _ => {
                        t.set_sort((i % 3) as i32);
                        g.open();
                        let _ = t.cancel();
                    }
                }
            }
        });
        other.join().unwrap();
        for (i, t) in tasks.iter().enumerate() {
            let r = t.result(Some(Duration::from_secs(30)));
            assert!(
                matches!(r, Ok(_) | Err(Error::Cancelled)),
                "round {round}: task {i} (kind {}, action {}, sort {}, cancel requested {}): {r:?}; hosts spawned {} completed {} live {}",
                i % 4, (i + round) % 3, t.sort(), t.is_cancel_requested(),
                exec.spawned.load(Ordering::SeqCst), exec.completed.load(Ordering::SeqCst), exec.live_hosts()
            );
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while exec.live_hosts() > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: {} hosts never completed (spawned {}, completed {})",
                exec.live_hosts(),
                exec.spawned.load(Ordering::SeqCst),
                exec.completed.load(Ordering::SeqCst)
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        stop.store(true, Ordering::SeqCst);
        for w in workers {
            w.join().unwrap();
        }
        chain.shutdown();
    }
}

/// `RESORT_PENDING` coalesces re-sorts: after any number of changes, the
/// next placement reads the last order, and a later change re-sorts again
/// (it is cleared when the queues take it).
#[test]
fn resort_pending_is_cleared_and_never_sticks() {
    let (_clock, manager) = setup();
    let chain = manager.default_chain();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for name in ["a", "b"] {
        let l = log.clone();
        handles.push(
            chain
                .add_task(
                    TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                        l.lock().unwrap().push(name);
                        DoneStatus::Cont
                    })
                    .sort(if name == "a" { 0 } else { 5 }),
                )
                .unwrap(),
        );
    }
    manager.poll().unwrap();
    for round in 0..200 {
        log.lock().unwrap().clear();
        let b_first = round % 2 == 0;
        // Several changes between two placements, the last one wins.
        for s in [7, -3, 9, 1] {
            handles[1].set_sort(s);
        }
        handles[1].set_sort(if b_first { -1 } else { 10 });
        manager.poll().unwrap();
        let seen = log.lock().unwrap().clone();
        let want = if b_first {
            vec!["b", "a"]
        } else {
            vec!["a", "b"]
        };
        assert_eq!(seen, want, "round {round}");
    }
}

/// Every wake of a host goes through its runtime's `HostSpawner::wake_host`
/// (which a runtime whose drop frees its queue guards with a `WakeGate`):
/// a wake from another thread (a gate opened), a cancel's wake, the end of
/// a task on the workers, and the ends a shutdown makes.
#[test]
fn every_wake_of_a_host_goes_through_its_spawner() {
    let (_clock, manager) = setup();
    let (chain, exec) = hosted(&manager);
    *exec.kind.lock().unwrap() = Some(WakerKind::Watched);
    let gates: Vec<Gate> = (0..4).map(|_| Gate::default()).collect();
    let tasks: Vec<_> = gates.iter().map(|g| chain.spawn(g.clone())).collect();
    exec.drive(10);
    assert!(
        gates.iter().all(Gate::has_waiter),
        "every host ran its task"
    );
    // A wake from another thread; the host runs the task to its end.
    let g = gates[0].clone();
    std::thread::spawn(move || g.open()).join().unwrap();
    // A cancel's wake: the host delivers it.
    assert!(tasks[1].cancel());
    exec.drive(10);
    assert_eq!(tasks[0].try_take(), Some(Ok(())));
    assert_eq!(tasks[1].try_take(), Some(Err(Error::Cancelled)));
    // A task ending on the workers (moved off sort 0) wakes its host.
    tasks[2].set_sort(1);
    gates[2].open();
    assert_eq!(tasks[2].result(Some(PATIENCE)), Ok(()));
    eventually("the end wakes the host", || {
        !exec.ready.lock().unwrap().is_empty()
    });
    exec.drive(10);
    // The shutdown ends the last one, which wakes its host.
    let before = exec.wake_host_calls.load(Ordering::SeqCst);
    drop((chain, manager));
    assert_eq!(tasks[3].result(Some(PATIENCE)), Err(Error::Cancelled));
    assert!(exec.wake_host_calls.load(Ordering::SeqCst) > before);
    exec.drive(10);
    assert_eq!(exec.live_hosts(), 0, "every host saw its task's end");
    assert_eq!(
        exec.wakes_around_spawner.load(Ordering::SeqCst),
        0,
        "a host was woken other than through its spawner"
    );
    assert!(exec.wake_host_calls.load(Ordering::SeqCst) >= 5);
}
