//! A threaded chain that hands its runtime the coroutines whose order is
//! free (`Runtime::task_scheduling`), on a toy runtime the test drives by
//! hand: its runnables and hosts run only when the test says so, on the
//! test's thread, so what runs where is seen, not timed.

mod common;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use common::{eventually, setup, Gate, PATIENCE};
use taskchain_core::{
    current_task, next_frame, AsyncFuture, ChainSettings, DoneStatus, Error, HostSpawner, Runtime,
    RuntimeFuture, Scheduler, TaskBuilder, TaskChain, TaskChainExt, TaskHandle, TaskHost,
    TaskManager, TaskRunnable, TaskScheduling, ThreadedChain,
};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Runnables,
    Hosts,
}

const KINDS: [Kind; 2] = [Kind::Runnables, Kind::Hosts];

/// What the toy runtime holds for the test to run.
#[derive(Default)]
struct Queue {
    /// Runnables, with `is_yield` noted at their arrival.
    runnables: Mutex<VecDeque<TaskRunnable>>,
    yields: Mutex<Vec<bool>>,
    /// Hosts by index (`None` once complete or dropped), and the indices
    /// woken since they last ran.
    hosts: Mutex<Vec<Option<Pin<Box<TaskHost>>>>>,
    ready: Mutex<VecDeque<usize>>,
    /// Runnables and host polls run so far.
    runs: AtomicUsize,
}

/// Wakes host `index` of a queue (weakly: a task keeps its host's waker).
struct HostWaker(Weak<Queue>, usize);

impl Wake for HostWaker {
    fn wake(self: Arc<Self>) {
        if let Some(queue) = self.0.upgrade() {
            queue.ready.lock().unwrap().push_back(self.1);
        }
    }
}

impl Queue {
    /// Runs what is queued, including what that queues, until nothing is
    /// left (at most `limit` items); returns how many ran.
    fn drive(self: &Arc<Self>, limit: usize) -> usize {
        let mut ran = 0;
        while ran < limit {
            let runnable = self.runnables.lock().unwrap().pop_front();
            if let Some(runnable) = runnable {
                runnable.run();
                ran += 1;
                self.runs.fetch_add(1, Ordering::SeqCst);
                continue;
            }
            let Some(index) = self.ready.lock().unwrap().pop_front() else {
                break;
            };
            let host = self.hosts.lock().unwrap()[index].take();
            let Some(mut host) = host else { continue };
            let waker = Waker::from(Arc::new(HostWaker(Arc::downgrade(self), index)));
            ran += 1;
            self.runs.fetch_add(1, Ordering::SeqCst);
            if host
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
            {
                self.hosts.lock().unwrap()[index] = Some(host);
            }
        }
        ran
    }

    /// Whether anything is queued to run.
    fn is_empty(&self) -> bool {
        self.runnables.lock().unwrap().is_empty() && self.ready.lock().unwrap().is_empty()
    }

    /// Hosts alive (spawned, not complete).
    fn live_hosts(&self) -> usize {
        self.hosts.lock().unwrap().iter().flatten().count()
    }

    /// Drops everything unrun, as a runtime that is gone does.
    fn drop_all(&self) {
        let runnables = std::mem::take(&mut *self.runnables.lock().unwrap());
        let hosts = std::mem::take(&mut *self.hosts.lock().unwrap());
        self.ready.lock().unwrap().clear();
        drop(runnables);
        drop(hosts);
    }
}

/// What the chain holds of its runtime's queue: weakly, as a real
/// runtime's scheduler does not keep its queues alive (a host or runnable
/// left queued references its task, and through it the chain, so a strong
/// reference would be a cycle once the test lets go of the queue).
struct QueueRef(Weak<Queue>);

impl Scheduler for QueueRef {
    fn schedule(&self, runnable: TaskRunnable) {
        // A queue gone: the runnable is dropped, as a runtime gone does.
        if let Some(queue) = self.0.upgrade() {
            queue.yields.lock().unwrap().push(runnable.is_yield());
            queue.runnables.lock().unwrap().push_back(runnable);
        }
    }
}

impl HostSpawner for QueueRef {
    fn spawn_host(&self, host: TaskHost) {
        if let Some(queue) = self.0.upgrade() {
            let mut hosts = queue.hosts.lock().unwrap();
            hosts.push(Some(Box::pin(host)));
            queue.ready.lock().unwrap().push_back(hosts.len() - 1);
        }
    }
}

/// A runtime of `threads` threads whose workers run on threads of their
/// own (`common::ThreadRuntime`) and whose coroutines wait in a `Queue`.
struct Toy {
    kind: Kind,
    threads: usize,
    queue: Arc<Queue>,
}

impl Runtime for Toy {
    fn name(&self) -> &str {
        "toy"
    }
    fn threads(&self) -> usize {
        self.threads
    }
    fn spawn(&self, future: RuntimeFuture) {
        common::ThreadRuntime.spawn(future)
    }
    fn sleep(&self, duration: Duration) -> RuntimeFuture {
        common::ThreadRuntime.sleep(duration)
    }
    fn task_scheduling(&self) -> Option<TaskScheduling> {
        let queue = Arc::new(QueueRef(Arc::downgrade(&self.queue)));
        Some(match self.kind {
            Kind::Runnables => TaskScheduling::Runnables(queue),
            Kind::Hosts => TaskScheduling::Hosts(queue),
        })
    }
}

/// A chain with `workers` workers on a toy runtime of `threads` threads.
fn chain_on(
    manager: &TaskManager,
    kind: Kind,
    settings: ChainSettings,
    workers: usize,
    threads: usize,
) -> (Arc<ThreadedChain>, Arc<Queue>) {
    let queue = Arc::new(Queue::default());
    let runtime = Arc::new(Toy {
        kind,
        threads,
        queue: queue.clone(),
    });
    let chain = manager
        .make_threaded_chain("toy", settings.num_threads(workers), runtime)
        .unwrap();
    (chain, queue)
}

/// The new path: two workers on a two-thread runtime, free-running.
fn unordered(manager: &TaskManager, kind: Kind) -> (Arc<ThreadedChain>, Arc<Queue>) {
    chain_on(manager, kind, ChainSettings::default(), 2, 2)
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// An `upon_death` that counts the task's death in `deaths`.
fn count_death(deaths: &Arc<AtomicUsize>) -> impl FnOnce(bool) + Clone + Send + 'static {
    let deaths = deaths.clone();
    move |_| {
        deaths.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts in `callbacks` each run of a done callback added to `task`.
fn count_done_callbacks<T: Send + 'static>(task: &TaskHandle<T>, callbacks: &Arc<AtomicUsize>) {
    let callbacks = callbacks.clone();
    task.add_done_callback(move |_| {
        callbacks.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
}

#[test]
fn a_sort_0_coroutine_runs_only_when_the_runtime_runs_it() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let answer = chain.spawn(async { 6 * 7 });
        // The chain's workers are free, yet the task waits for the runtime.
        assert_eq!(
            answer.as_any().wait_done(Some(Duration::from_millis(50))),
            Err(Error::Timeout)
        );
        assert!(!queue.is_empty(), "{kind:?}");
        assert!(queue.drive(10) >= 1);
        assert_eq!(answer.try_take(), Some(Ok(42)), "{kind:?}");
        assert_eq!(queue.live_hosts(), 0, "{kind:?}");
        chain.shutdown();
    }
}

#[test]
fn sort_1_coroutines_and_recurring_tasks_stay_with_the_workers() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let sorted = chain
            .add_task(TaskBuilder::coroutine(async { 1 }).sort(1))
            .unwrap();
        let runs = counter();
        let recurring = chain.add(common::counting(&runs, DoneStatus::Done));
        assert_eq!(sorted.result(Some(PATIENCE)), Ok(1));
        assert_eq!(recurring.result(Some(PATIENCE)), Ok(()));
        assert!(queue.is_empty(), "{kind:?}");
        assert_eq!(queue.runs.load(Ordering::SeqCst), 0);
        chain.shutdown();
    }
}

#[test]
fn ordered_frame_sync_one_worker_or_fewer_workers_keep_coroutines_in_the_epochs() {
    let cases: [(&str, ChainSettings, usize, usize); 4] = [
        ("ordered", ChainSettings::default().ordered(true), 2, 2),
        (
            "frame_sync",
            ChainSettings::default().frame_sync(true),
            2,
            2,
        ),
        ("one worker", ChainSettings::default(), 1, 1),
        ("fewer workers", ChainSettings::default(), 2, 4),
    ];
    for kind in KINDS {
        for (what, settings, workers, threads) in cases.clone() {
            let (clock, manager) = setup();
            let (chain, queue) = chain_on(&manager, kind, settings, workers, threads);
            let answer = chain.spawn(async { 7 });
            if what == "frame_sync" {
                // A frame-synced chain runs an epoch per poll.
                let _ = clock;
                for _ in 0..100 {
                    if answer.is_done() {
                        break;
                    }
                    chain.poll().unwrap();
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            assert_eq!(answer.result(Some(PATIENCE)), Ok(7), "{kind:?} {what}");
            assert!(queue.is_empty(), "{kind:?} {what}");
            assert_eq!(queue.runs.load(Ordering::SeqCst), 0, "{kind:?} {what}");
            chain.shutdown();
        }
    }
}

#[test]
fn the_rerun_after_next_frame_is_a_yield() {
    let (_clock, manager) = setup();
    let (chain, queue) = unordered(&manager, Kind::Runnables);
    let task = chain.spawn(async {
        next_frame().await;
        5
    });
    queue.drive(10);
    assert_eq!(task.try_take(), Some(Ok(5)));
    assert_eq!(*queue.yields.lock().unwrap(), vec![false, true]);
    chain.shutdown();
}

#[test]
fn a_wake_is_not_a_yield() {
    let (_clock, manager) = setup();
    let (chain, queue) = unordered(&manager, Kind::Runnables);
    let gate = Gate::default();
    let task = chain.spawn(gate.clone());
    queue.drive(10);
    assert!(gate.has_waiter());
    gate.open();
    queue.drive(10);
    assert_eq!(task.try_take(), Some(Ok(())));
    assert_eq!(*queue.yields.lock().unwrap(), vec![false, false]);
    chain.shutdown();
}

#[test]
fn a_runnable_or_host_dropped_unrun_cancels_its_task_once_and_the_chain_is_runtime_gone() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let deaths = counter();
        let task = chain
            .add_task(TaskBuilder::coroutine(async { 1 }).upon_death(count_death(&deaths)))
            .unwrap();
        let gate = Gate::default();
        let waiting = chain.spawn(gate.clone());
        // The second one ran once and waits on a foreign future.
        let first = queue.runnables.lock().unwrap().pop_front();
        let first_host = queue
            .hosts
            .lock()
            .unwrap()
            .first_mut()
            .and_then(Option::take);
        queue.drive(10);
        assert!(gate.has_waiter(), "{kind:?}");
        drop(first);
        drop(first_host);
        assert_eq!(
            task.result(Some(PATIENCE)),
            Err(Error::Cancelled),
            "{kind:?}"
        );
        assert_eq!(deaths.load(Ordering::SeqCst), 1, "{kind:?}");
        // The runtime is gone for the whole chain.
        assert_eq!(
            waiting.result(Some(PATIENCE)),
            Err(Error::Cancelled),
            "{kind:?}"
        );
        assert_eq!(
            chain.add_task(TaskBuilder::coroutine(async {})).err(),
            Some(Error::RuntimeGone),
            "{kind:?}"
        );
        assert_eq!(
            chain.spawn(async { 2 }).result(Some(PATIENCE)),
            Err(Error::Cancelled)
        );
        queue.drive(10);
        queue.drop_all();
        assert_eq!(deaths.load(Ordering::SeqCst), 1, "{kind:?}");
        chain.shutdown();
    }
}

#[test]
fn blocking_waits_inside_a_runtime_run_are_refused_and_current_task_is_the_task() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let gate = Gate::default();
        let sibling = chain.spawn(gate.clone());
        let c = chain.clone();
        let s = sibling.as_any();
        let seen = chain.spawn(async move {
            let me = current_task().map(|t| t.id());
            (
                s.wait_done(Some(PATIENCE)),
                c.wait_for_tasks(Some(PATIENCE)),
                me,
            )
        });
        queue.drive(10);
        let (result, wait, me) = seen.try_take().unwrap().unwrap();
        assert_eq!(result, Err(Error::WouldDeadlock), "{kind:?}");
        assert_eq!(wait, Err(Error::Reentrant), "{kind:?}");
        assert_eq!(me, Some(seen.id()), "{kind:?}");
        gate.open();
        queue.drive(10);
        assert_eq!(sibling.try_take(), Some(Ok(())));
        chain.shutdown();
    }
}

#[test]
fn cancel_of_a_task_suspended_on_a_foreign_future_ends_it_in_the_runtime() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let gate = Gate::default();
        let g = gate.clone();
        let task = chain.spawn_fallible(async move {
            g.await;
            Ok(1)
        });
        queue.drive(10);
        assert!(gate.has_waiter());
        assert!(task.cancel());
        // A foreign future does not see the cancel; the task ends at once
        // (it awaits no taskchain future) or at its next run.
        queue.drive(10);
        assert_eq!(
            task.result(Some(PATIENCE)),
            Err(Error::Cancelled),
            "{kind:?}"
        );
        queue.drive(10);
        assert_eq!(queue.live_hosts(), 0, "{kind:?}");
        chain.shutdown();
    }
}

/// Shutdown with runs queued in the runtime and tasks suspended on it:
/// each task ends once, its done callback runs (not inline), and the chain
/// core is freed once the runtime lets go.
#[test]
fn shutdown_ends_runtime_scheduled_tasks_once_and_frees_the_chain() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let deaths = counter();
        let callbacks = counter();
        let gate = Gate::default();
        let mut handles = Vec::new();
        for i in 0..6 {
            let g = gate.clone();
            let task = chain
                .add_task(
                    TaskBuilder::coroutine(async move {
                        if i % 2 == 0 {
                            g.await;
                        }
                    })
                    .upon_death(count_death(&deaths)),
                )
                .unwrap();
            count_done_callbacks(&task, &callbacks);
            handles.push(task);
        }
        // Half ran and suspended, half are still queued.
        queue.drive(3);
        let weak = Arc::downgrade(chain.core());
        chain.shutdown();
        assert_eq!(deaths.load(Ordering::SeqCst), 6, "{kind:?}");
        for task in &handles {
            assert!(task.is_done(), "{kind:?}");
        }
        // The runtime then runs or drops what it still holds.
        queue.drive(100);
        queue.drop_all();
        assert_eq!(deaths.load(Ordering::SeqCst), 6, "{kind:?}");
        eventually("done callbacks ran", || {
            callbacks.load(Ordering::SeqCst) == 6
        });
        gate.open();
        drop(handles);
        manager.remove_chain("toy").unwrap();
        drop(chain);
        drop(manager);
        eventually("the chain core is freed", || weak.strong_count() == 0);
    }
}

/// A shutdown that finds a coroutine in its run (the run then yields) ends
/// it before the chain closes, so its done callback runs; it is not left
/// in the runtime's queue to end after the close, its callback dropped.
/// (The narrower race, an abort landing between the suspension's check of
/// the shutdown and the task's release, is left to the conformance
/// suite's `shutdown_racing_wakes_ends_each_task_once_and_frees_the_chain`:
/// no user code runs in that window.)
#[test]
fn a_task_a_shutdown_finds_running_ends_before_the_chain_closes() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let deaths = counter();
        let callbacks = counter();
        let (entered, in_run) = std::sync::mpsc::channel();
        let probe = chain.clone();
        let task = chain
            .add_task(
                TaskBuilder::coroutine(async move {
                    entered.send(()).unwrap();
                    // The shutdown marks the chain shut down, then takes
                    // the task out of the registry to abort it: found
                    // running, its end is left to this run.
                    eventually("the shutdown took the task", || {
                        probe.find_task("runner").is_none()
                    });
                    loop {
                        next_frame().await;
                    }
                })
                .name("runner")
                .upon_death(count_death(&deaths)),
            )
            .unwrap();
        count_done_callbacks(&task, &callbacks);
        let stopper = {
            let chain = chain.clone();
            std::thread::spawn(move || {
                in_run.recv().unwrap();
                chain.shutdown();
            })
        };
        // The task's first run, on this thread, while the other shuts the
        // chain down.
        queue.drive(1);
        stopper.join().unwrap();
        assert!(task.is_cancelled(), "{kind:?}");
        assert_eq!(deaths.load(Ordering::SeqCst), 1, "{kind:?}");
        assert_eq!(callbacks.load(Ordering::SeqCst), 1, "{kind:?}");
        queue.drive(100);
        queue.drop_all();
        assert_eq!(deaths.load(Ordering::SeqCst), 1, "{kind:?}");
        assert_eq!(callbacks.load(Ordering::SeqCst), 1, "{kind:?}");
    }
}

/// A coroutine that counts its runs in `spins` and yields for ever.
fn spin_for_ever(chain: &Arc<ThreadedChain>, spins: &Arc<AtomicUsize>) -> TaskHandle<()> {
    let s = spins.clone();
    chain.spawn(async move {
        loop {
            s.fetch_add(1, Ordering::SeqCst);
            next_frame().await;
        }
    })
}

/// A coroutine that yields for ever does not keep another one from running
/// (the runtime queues the yield behind it).
#[test]
fn a_yielding_coroutine_does_not_starve_another() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let spins = counter();
        let spinner = spin_for_ever(&chain, &spins);
        queue.drive(3);
        let other = chain.spawn(async { 3 });
        queue.drive(6);
        assert_eq!(other.try_take(), Some(Ok(3)), "{kind:?}");
        spinner.cancel();
        queue.drive(10);
        assert_eq!(spinner.try_take(), Some(Err(Error::Cancelled)), "{kind:?}");
        chain.shutdown();
    }
}

/// A coroutine moved off sort 0 while it yields goes to the epochs at its
/// next rerun, on either kind of runtime.
#[test]
fn a_yielding_coroutine_moved_off_sort_0_leaves_the_runtime() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let spins = counter();
        let spinner = spin_for_ever(&chain, &spins);
        queue.drive(3);
        spinner.set_sort(1);
        // The rerun it already asked for may run here; after it, the
        // workers run it.
        queue.drive(1);
        let before = spins.load(Ordering::SeqCst);
        eventually("the workers run it", || {
            spins.load(Ordering::SeqCst) > before + 3
        });
        assert!(queue.is_empty(), "{kind:?}");
        spinner.cancel();
        assert_eq!(spinner.result(Some(PATIENCE)), Err(Error::Cancelled));
        chain.shutdown();
    }
}

/// A coroutine moved to sort 0 while it waits goes to the runtime at its
/// next wake, on either kind of runtime.
#[test]
fn a_suspended_coroutine_moved_to_sort_0_goes_to_the_runtime_at_its_wake() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let gate = Gate::default();
        let g = gate.clone();
        let ran_on = Arc::new(Mutex::new(None));
        let r = ran_on.clone();
        let task = chain
            .add_task(
                TaskBuilder::coroutine(async move {
                    g.await;
                    *r.lock().unwrap() = Some(std::thread::current().id());
                })
                .sort(1),
            )
            .unwrap();
        eventually("it waits", || gate.has_waiter());
        task.set_sort(0);
        gate.open();
        eventually("the runtime holds it", || !queue.is_empty());
        queue.drive(10);
        assert_eq!(task.try_take(), Some(Ok(())), "{kind:?}");
        assert_eq!(*ran_on.lock().unwrap(), Some(std::thread::current().id()));
        chain.shutdown();
    }
}

/// `ordered(true)` while tasks wait on the runtime's side: their next wake
/// runs them on the workers, and turning it off again hands them back.
#[test]
fn configure_ordered_moves_suspended_coroutines_at_their_next_wake() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let first = Gate::default();
        let second = Gate::default();
        let (f, s) = (first.clone(), second.clone());
        let where_ = Arc::new(Mutex::new(Vec::new()));
        let w = where_.clone();
        let task = chain.spawn(async move {
            f.await;
            w.lock().unwrap().push(std::thread::current().id());
            s.await;
            w.lock().unwrap().push(std::thread::current().id());
        });
        queue.drive(10);
        assert!(first.has_waiter());
        chain.configure(chain.settings().ordered(true)).unwrap();
        first.open();
        eventually("a worker ran it", || where_.lock().unwrap().len() == 1);
        assert!(queue.is_empty(), "{kind:?}");
        chain.configure(chain.settings().ordered(false)).unwrap();
        eventually("it waits again", || second.has_waiter());
        second.open();
        eventually("the runtime holds it", || !queue.is_empty());
        queue.drive(10);
        assert_eq!(task.try_take(), Some(Ok(())), "{kind:?}");
        let me = std::thread::current().id();
        let seen = where_.lock().unwrap().clone();
        assert_ne!(seen[0], me, "{kind:?}");
        assert_eq!(seen[1], me, "{kind:?}");
        queue.drive(10);
        chain.shutdown();
    }
}

/// Panics in every callback of a runtime-run task (its body, the drop of
/// its future, the drop of its output, `upon_death`, a done callback): each
/// task ends once, Panicked where its own code panicked, and the runtime
/// lets go of it.
#[test]
fn panics_in_a_runtime_run_task_are_caught() {
    struct Boom(&'static str);
    impl Drop for Boom {
        fn drop(&mut self) {
            panic!("{}", self.0);
        }
    }
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let deaths = counter();
        let d = deaths.clone();
        let body = chain
            .add_task(
                TaskBuilder::coroutine(async move {
                    next_frame().await;
                    panic!("boom: body");
                })
                .upon_death(move |_| {
                    d.fetch_add(1, Ordering::SeqCst);
                    panic!("boom: upon_death");
                }),
            )
            .unwrap();
        body.add_done_callback(|_| panic!("boom: done callback"))
            .unwrap();
        let dropped = chain.spawn(async move {
            let _boom = Boom("boom: drop of the future");
            next_frame().await;
        });
        let output = chain.spawn(async move {
            next_frame().await;
            Boom("boom: drop of the output")
        });
        drop(output);
        queue.drive(20);
        assert!(matches!(body.try_take(), Some(Err(Error::Panicked(_)))));
        assert!(matches!(dropped.try_take(), Some(Err(Error::Panicked(_)))));
        assert_eq!(deaths.load(Ordering::SeqCst), 1);
        assert_eq!(queue.live_hosts(), 0, "{kind:?}");
        let after = chain.spawn(async { 9 });
        queue.drive(10);
        assert_eq!(after.try_take(), Some(Ok(9)), "{kind:?}");
        chain.shutdown();
    }
}

/// A recurring coroutine returns a step between its polls: it keeps the
/// chain's order.
#[test]
fn a_recurring_coroutine_stays_in_the_epochs() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let runs = counter();
        let r = runs.clone();
        let task = chain
            .add_task(TaskBuilder::recurring_coroutine(move || {
                let r = r.clone();
                async move {
                    if r.fetch_add(1, Ordering::SeqCst) == 2 {
                        DoneStatus::Done
                    } else {
                        DoneStatus::Cont
                    }
                }
            }))
            .unwrap();
        assert_eq!(task.result(Some(PATIENCE)), Ok(()), "{kind:?}");
        assert_eq!(queue.runs.load(Ordering::SeqCst), 0, "{kind:?}");
        chain.shutdown();
    }
}

/// A runnable or host whose task ended meanwhile (cancelled before it ran)
/// is dropped to no effect: the chain goes on.
#[test]
fn dropping_the_run_of_an_ended_task_leaves_the_chain_running() {
    for kind in KINDS {
        let (_clock, manager) = setup();
        let (chain, queue) = unordered(&manager, kind);
        let task = chain.spawn(async { 1 });
        assert!(task.cancel());
        assert_eq!(
            task.result(Some(PATIENCE)),
            Err(Error::Cancelled),
            "{kind:?}"
        );
        queue.drop_all();
        let after = chain.add_task(TaskBuilder::coroutine(async { 2 }));
        assert!(after.is_ok(), "{kind:?}");
        queue.drive(10);
        assert_eq!(after.unwrap().try_take(), Some(Ok(2)), "{kind:?}");
        chain.shutdown();
    }
}
