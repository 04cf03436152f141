//! Panic everywhere: every pair of user-code sites of one task panicking
//! (the work's `Drop`, the output's `Drop`, `upon_death`, a done callback,
//! a waker on the task's handle, a waker on a promise the task completes,
//! a handler of the task's done event, the setter of an interval the task
//! plays), one task per pair, all on one chain. Whatever panics: driving
//! the chain never panics, every task ends exactly once (its `upon_death`
//! once, its done callbacks once, its waiters woken, its done event
//! handled once if it finished), the chain still runs recurring tasks and
//! pauses afterwards, and every value made for the tasks is dropped once.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use taskchain_core::{
    pause, play, AnyTask, AsyncFuture, DoneStatus, LerpFn, Messenger, Promise, Subscription,
    TaskBuilder, TaskChainExt, TaskContext, TaskHandle,
};

use super::support::{marker, ms};
use crate::kit::counters::{bump, counter, get, Counter};
use crate::kit::drops::{DropCounter, DropToken};
use crate::{panic_text, ChainFactory, Fixture, SETTLE_TIMEOUT};

/// A place where a task's user code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Site {
    WorkDrop,
    OutputDrop,
    UponDeath,
    DoneCallback,
    HandleWaker,
    PromiseWaker,
    EventHandler,
    IntervalSetter,
}

const SITES: [Site; 8] = [
    Site::WorkDrop,
    Site::OutputDrop,
    Site::UponDeath,
    Site::DoneCallback,
    Site::HandleWaker,
    Site::PromiseWaker,
    Site::EventHandler,
    Site::IntervalSetter,
];

impl Site {
    /// Whether a task can have two of it: two callbacks, two handlers, two
    /// awaiters of a promise. Not two wakers of its handle: a handle is one
    /// awaiter, with one waker.
    fn repeatable(self) -> bool {
        matches!(
            self,
            Site::DoneCallback | Site::PromiseWaker | Site::EventHandler
        )
    }
}

/// Every pair of sites, a site paired with itself where a task can have
/// two of it.
fn pairs() -> Vec<[Site; 2]> {
    let mut pairs = Vec::new();
    for (i, &a) in SITES.iter().enumerate() {
        for &b in &SITES[i..] {
            if a != b || a.repeatable() {
                pairs.push([a, b]);
            }
        }
    }
    pairs
}

/// The panic of `site` in case `case`, which the suite's hook keeps quiet.
/// Not while the thread is already unwinding: a second panic there aborts
/// the process, and the first one is what the scenario reports.
fn panic_at(site: Site, case: usize) {
    if !std::thread::panicking() {
        panic!("{}", marker(&format!("{site:?} of case {case}")));
    }
}

/// A task's future whose `Drop` panics if asked to, after its inner future
/// is gone.
struct Work<F> {
    inner: Pin<Box<F>>,
    panics: Option<usize>,
    _guard: DropToken,
}

impl<F: Future> Future for Work<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<F> Drop for Work<F> {
    fn drop(&mut self) {
        if let Some(case) = self.panics {
            panic_at(Site::WorkDrop, case);
        }
    }
}

/// A task's output whose `Drop` panics if asked to.
struct Output {
    panics: Option<usize>,
    _guard: DropToken,
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some(case) = self.panics {
            panic_at(Site::OutputDrop, case);
        }
    }
}

/// A waker that panics when woken.
struct PanickingWaker {
    site: Site,
    case: usize,
    _guard: DropToken,
}

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic_at(self.site, self.case);
    }
}

fn register(future: &impl AsyncFuture, waker: Waker) {
    let _ = future.poll_done(&mut Context::from_waker(&waker));
}

/// One task and what it is checked by.
struct Case {
    task: AnyTask,
    go: Promise<()>,
    deaths: Counter,
    callbacks: Counter,
    handled: Counter,
    /// The task's handle, kept while a waker registered through it must
    /// stay registered; else dropped at once, so that the chain drops the
    /// output.
    handle: Option<TaskHandle<Output>>,
    /// The promise clones that registered the wakers (a dropped awaiter's
    /// waker is gone).
    _awaiters: Vec<Promise<u32>>,
    /// A task awaiting the promise the task completes, its waker behind
    /// the panicking one.
    later_waiter: Option<(AnyTask, Arc<AtomicBool>)>,
    _subscriptions: Vec<Subscription>,
}

impl Case {
    /// Whether it finished (rather than being cancelled or panicking).
    fn finished(&self) -> bool {
        self.task.wait_done(Some(Duration::ZERO)).is_ok()
    }

    /// Whether everything the task's end owes has happened.
    fn settled(&self) -> bool {
        self.task.is_done()
            && get(&self.deaths) == 1
            && get(&self.callbacks) == 1
            && self.later_waiter.as_ref().is_none_or(|(t, _)| t.is_done())
            && get(&self.handled) == usize::from(self.finished())
    }
}

fn spawn_case(
    fx: &Fixture,
    messenger: &Messenger,
    guards: &DropCounter,
    index: usize,
    sites: [Site; 2],
) -> Case {
    let has = |site: Site| sites.iter().filter(|&&s| s == site).count();
    let when = |site: Site| (has(site) > 0).then_some(index);
    let go = fx.chain.promise::<()>();

    let completed = (has(Site::PromiseWaker) > 0).then(|| fx.chain.promise::<u32>());
    let mut awaiters = Vec::new();
    let later_waiter = completed.as_ref().map(|promise| {
        for _ in 0..has(Site::PromiseWaker) {
            let awaiter = promise.clone();
            register(
                &awaiter,
                Waker::from(Arc::new(PanickingWaker {
                    site: Site::PromiseWaker,
                    case: index,
                    _guard: guards.token(),
                })),
            );
            awaiters.push(awaiter);
        }
        let started = Arc::new(AtomicBool::new(false));
        let (promise, flag) = (promise.clone(), started.clone());
        let waiter = fx.chain.spawn(async move {
            flag.store(true, Ordering::SeqCst);
            promise.await
        });
        (waiter.as_any(), started)
    });

    let body = {
        let (go, guards) = (go.clone(), guards.clone());
        let setter_guard = when(Site::IntervalSetter).map(|_| guards.token());
        let output_panics = when(Site::OutputDrop);
        async move {
            let _ = go.await;
            if let Some(guard) = setter_guard {
                let setter = LerpFn::new(Duration::ZERO, move |_| {
                    let _guard = &guard;
                    panic_at(Site::IntervalSetter, index);
                });
                if let Ok(played) = play(setter) {
                    let _ = played.await;
                }
            }
            if let Some(promise) = completed {
                let _ = promise.set_result(7);
            }
            Output {
                panics: output_panics,
                _guard: guards.token(),
            }
        }
    };
    let work = Work {
        inner: Box::pin(body),
        panics: when(Site::WorkDrop),
        _guard: guards.token(),
    };
    let deaths = counter();
    let upon_death = {
        let (deaths, panics, guard) = (deaths.clone(), when(Site::UponDeath), guards.token());
        move |_clean: bool| {
            let _guard = guard;
            bump(&deaths);
            if let Some(case) = panics {
                panic_at(Site::UponDeath, case);
            }
        }
    };
    let event = format!("panic-matrix-{index}-done");
    let handled = counter();
    let mut subscriptions = Vec::new();
    for _ in 0..has(Site::EventHandler) {
        let guard = guards.token();
        let sub = messenger
            .accept(&event, move |_: &()| {
                let _guard = &guard;
                panic_at(Site::EventHandler, index);
            })
            .expect("accept");
        subscriptions.push(sub);
    }
    {
        let (handled, guard) = (handled.clone(), guards.token());
        let sub = messenger
            .accept(&event, move |_: &()| {
                let _guard = &guard;
                bump(&handled);
            })
            .expect("accept");
        subscriptions.push(sub);
    }
    let builder = TaskBuilder::coroutine(work)
        .name(&format!("panic-matrix-{index}"))
        .upon_death(upon_death)
        .done_event(messenger, &event)
        .expect("done_event");
    let handle = fx.chain.add_task(builder).expect("add_task");

    for _ in 0..has(Site::DoneCallback) {
        let guard = guards.token();
        handle
            .add_done_callback(move |_| {
                let _guard = &guard;
                panic_at(Site::DoneCallback, index);
            })
            .expect("add_done_callback");
    }
    let callbacks = counter();
    {
        let (callbacks, guard) = (callbacks.clone(), guards.token());
        handle
            .add_done_callback(move |_| {
                let _guard = &guard;
                bump(&callbacks);
            })
            .expect("add_done_callback");
    }
    for _ in 0..has(Site::HandleWaker) {
        register(
            &handle,
            Waker::from(Arc::new(PanickingWaker {
                site: Site::HandleWaker,
                case: index,
                _guard: guards.token(),
            })),
        );
    }
    let task = handle.as_any();
    // Without a handle nobody reads the output: the chain drops it when the
    // task ends.
    let handle = (has(Site::HandleWaker) > 0).then_some(handle);
    Case {
        task,
        go,
        deaths,
        callbacks,
        handled,
        handle,
        later_waiter,
        _subscriptions: subscriptions,
        _awaiters: awaiters,
    }
}

/// Drives the chain until `done()`, catching what a drive panics with or
/// fails with (each is a failure: driving a chain never panics); `false`
/// if the watchdog ran out first.
fn drive_until(
    f: &dyn ChainFactory,
    fx: &Fixture,
    failures: &mut Vec<String>,
    mut done: impl FnMut() -> bool,
) -> bool {
    let start = Instant::now();
    let mut reported = 0;
    while !done() {
        if start.elapsed() > SETTLE_TIMEOUT {
            return false;
        }
        fx.clock.advance(ms(1));
        let driven = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f.drive(fx)));
        let failure = match driven {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => format!("a drive failed: {e:?}"),
            Err(payload) => format!("a drive panicked: {}", panic_text(&*payload)),
        };
        // The first few: one broken drive tends to repeat.
        if reported < 3 {
            failures.push(failure);
        }
        reported += 1;
    }
    true
}

/// Every pair of sites panicking in one task: each pair on a chain of its
/// own (a chain one task broke tells nothing about the others), all at
/// once, so that the watchdogs of broken pairs run side by side.
// regression: two panics in one task's end (work and output drop, upon_death
// and output drop) and panicking wakers made poll() panic, left the task
// unended and stalled threaded chains; a promise's later waiters were never
// woken.
pub(crate) fn every_pair_of_sites(f: &dyn ChainFactory) {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = pairs()
            .into_iter()
            .enumerate()
            .map(|(index, sites)| {
                let run = std::thread::Builder::new()
                    .name(format!("panic pair {index}"))
                    .spawn_scoped(scope, move || one_pair(f, index, sites))
                    .expect("spawn a pair's thread");
                (sites, run)
            })
            .collect();
        runs.into_iter()
            .flat_map(|(sites, run)| {
                let label = format!("{:?}+{:?}", sites[0], sites[1]);
                let failures = run.join().unwrap_or_else(|payload| {
                    vec![format!("the check panicked: {}", panic_text(&*payload))]
                });
                failures
                    .into_iter()
                    .map(move |why| format!("{label}: {why}"))
            })
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} failures:\n    {}",
        failures.len(),
        failures.join("\n    ")
    );
}

/// One task whose sites `sites` panic, on a fresh chain; what broke.
fn one_pair(f: &dyn ChainFactory, index: usize, sites: [Site; 2]) -> Vec<String> {
    let fx = f.build();
    let messenger = Messenger::new(&*fx.chain);
    let guards = DropCounter::default();
    let mut failures = Vec::new();
    let ticks = counter();
    let ticker = {
        let ticks = ticks.clone();
        fx.chain.add(move |_: &TaskContext<'_>| {
            bump(&ticks);
            DoneStatus::Cont
        })
    };

    let mut case = spawn_case(&fx, &messenger, &guards, index, sites);
    let waiting = drive_until(f, &fx, &mut failures, || {
        case.later_waiter
            .as_ref()
            .is_none_or(|(_, started)| started.load(Ordering::SeqCst))
    });
    if !waiting {
        failures.push("the promise's other waiter never started".into());
    }
    case.go.set_result(()).expect("set_result");
    if !drive_until(f, &fx, &mut failures, || case.settled()) {
        let later = case.later_waiter.as_ref().map(|(t, _)| t.is_done());
        failures.push(format!(
            "not settled: done {}, upon_death ran {}×, done callback {}×, \
             later promise waiter done {later:?}, done event handled {}×",
            case.task.is_done(),
            get(&case.deaths),
            get(&case.callbacks),
            get(&case.handled),
        ));
    }
    let before = get(&ticks);
    if !drive_until(f, &fx, &mut failures, || get(&ticks) >= before + 3) {
        failures.push(format!(
            "the recurring task stopped after the panics ({} runs)",
            get(&ticks)
        ));
    }
    let paused = fx.chain.spawn(async { pause(ms(5)).await });
    if !drive_until(f, &fx, &mut failures, || paused.is_done()) {
        failures.push("a pause after the panics never returned".into());
    } else if paused.result(Some(Duration::ZERO)) != Ok(Ok(())) {
        failures.push(format!(
            "a pause after the panics: {:?}",
            paused.result(Some(Duration::ZERO))
        ));
    }
    ticker.cancel();

    if let Some(handle) = case.handle.take() {
        // Read, the output is ours to drop: its deliberate panic here is not
        // the chain's.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            drop(handle.try_take());
            drop(handle);
        }));
    }
    // A value the chain failed to drop where it catches panics may be
    // dropped here, with the last reference to its task.
    let mut unwind = |what: &str, f: Box<dyn FnOnce() + '_>| {
        if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            failures.push(format!("{what} panicked: {}", panic_text(&*payload)));
        }
    };
    unwind("shutdown", Box::new(|| fx.manager.shutdown()));
    unwind(
        "dropping the task's handles",
        Box::new(move || drop((case, paused, ticker, messenger))),
    );
    unwind("dropping the manager", Box::new(move || drop(fx)));
    if guards.alive() != 0 {
        failures.push(format!(
            "{} values made for the task (work, output, callbacks, wakers, handlers, \
             setter) still alive after shutdown",
            guards.alive()
        ));
    }
    failures
}
