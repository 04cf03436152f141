//! Coroutines a threaded chain hands its runtime (two workers on a
//! two-thread runtime, coroutines of sort 0): every guarantee of the chain
//! holds for them. Each backend declares these as tests with
//! [`runtime_scheduled_tests!`](crate::runtime_scheduled_tests).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use taskchain_core::{
    next_frame, AsyncFuture, ChainSettings, DoneStatus, Error, TaskBuilder, TaskChain,
    TaskChainExt, TaskContext, TaskManager, ThreadedChain,
};

/// A hang guard, not a timing expectation.
const PATIENCE: Duration = Duration::from_secs(120);

/// Two workers on a two-thread runtime: coroutines of sort 0 go to it.
fn unordered(make: MakeChain, manager: &TaskManager) -> Arc<ThreadedChain> {
    make(manager, "rs", ChainSettings::default().num_threads(2))
}

/// Waits (up to two minutes, a hang guard, then fails) until `cond` holds.
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// An ordered run (sort 2) that blocks its worker until a coroutine spawned
/// meanwhile has run: in the epochs that coroutine would wait for the next
/// epoch, which the blocked run holds back. Whether it ran within `wait`.
fn blocked_run_sees(
    chain: &ThreadedChain,
    spawn_signal: impl FnOnce(Box<dyn FnOnce() + Send>),
    wait: Duration,
) -> bool {
    let (started_tx, started_rx) = channel::<()>();
    let (ran_tx, ran_rx) = channel::<()>();
    let (seen_tx, seen_rx) = channel::<bool>();
    let mut once = Some((started_tx, seen_tx));
    let blocker = chain
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                if let Some((started, seen)) = once.take() {
                    started.send(()).unwrap();
                    let _ = seen.send(ran_rx.recv_timeout(wait).is_ok());
                }
                DoneStatus::Done
            })
            .sort(2),
        )
        .unwrap();
    started_rx.recv_timeout(PATIENCE).unwrap();
    spawn_signal(Box::new(move || {
        let _ = ran_tx.send(());
    }));
    let seen = seen_rx.recv_timeout(PATIENCE).unwrap();
    assert_eq!(blocker.result(Some(PATIENCE)), Ok(()));
    seen
}

/// See [`runtime_scheduled_tests!`](crate::runtime_scheduled_tests).
pub fn a_sort_0_coroutine_runs_while_a_worker_is_blocked_in_an_ordered_run(make: MakeChain) {
    let manager = TaskManager::new();
    let chain = unordered(make, &manager);
    let c = chain.clone();
    let seen = blocked_run_sees(
        &chain,
        move |signal| {
            drop(c.spawn(async move { signal() }));
        },
        PATIENCE,
    );
    assert!(seen, "the runtime did not run the coroutine");
    chain.shutdown();
}

/// Two coroutines that yield for ever (one per thread) do not keep a third
/// from running.
/// See [`runtime_scheduled_tests!`](crate::runtime_scheduled_tests).
pub fn yielding_coroutines_do_not_starve_another(make: MakeChain) {
    let manager = TaskManager::new();
    let chain = unordered(make, &manager);
    let spinners: Vec<_> = (0..2)
        .map(|_| {
            chain.spawn(async {
                loop {
                    next_frame().await;
                }
            })
        })
        .collect();
    let other = chain.spawn(async { 3 });
    assert_eq!(other.result(Some(PATIENCE)), Ok(3));
    for spinner in &spinners {
        spinner.cancel();
    }
    for spinner in spinners {
        assert_eq!(spinner.result(Some(PATIENCE)), Err(Error::Cancelled));
    }
    chain.shutdown();
}

/// Shutdown racing wakes and runs: every task ends once, its done
/// callback runs, and the chain core is freed afterwards.
/// See [`runtime_scheduled_tests!`](crate::runtime_scheduled_tests).
pub fn shutdown_racing_wakes_ends_each_task_once_and_frees_the_chain(make: MakeChain) {
    for round in 0..20 {
        let manager = TaskManager::new();
        let chain = unordered(make, &manager);
        let deaths = Arc::new(AtomicUsize::new(0));
        let callbacks = Arc::new(AtomicUsize::new(0));
        let promise = chain.promise::<u8>();
        let mut handles = Vec::new();
        for i in 0..40 {
            let d = deaths.clone();
            let p = promise.clone();
            let task = chain
                .add_task(
                    TaskBuilder::coroutine(async move {
                        match i % 3 {
                            0 => loop {
                                next_frame().await;
                            },
                            1 => {
                                let _ = p.await;
                            }
                            _ => {}
                        }
                    })
                    .upon_death(move |_| {
                        d.fetch_add(1, Ordering::SeqCst);
                    }),
                )
                .unwrap();
            let c = callbacks.clone();
            task.add_done_callback(move |_| {
                c.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
            handles.push(task);
        }
        if round % 2 == 0 {
            let _ = promise.set_result(1);
        }
        let weak = Arc::downgrade(chain.core());
        chain.shutdown();
        for task in &handles {
            assert!(task.is_done(), "round {round}");
        }
        assert_eq!(deaths.load(Ordering::SeqCst), 40, "round {round}");
        eventually("every done callback ran", || {
            callbacks.load(Ordering::SeqCst) == 40
        });
        drop(handles);
        drop(promise);
        manager.remove_chain("rs").unwrap();
        drop(chain);
        drop(manager);
        eventually("the chain core is freed", || weak.strong_count() == 0);
        assert_eq!(deaths.load(Ordering::SeqCst), 40, "round {round}");
        assert_eq!(callbacks.load(Ordering::SeqCst), 40, "round {round}");
    }
}

/// Many coroutines that complete leave nothing behind: the chain core is
/// freed once the chain and its handles are gone.
/// See [`runtime_scheduled_tests!`](crate::runtime_scheduled_tests).
pub fn finished_coroutines_leave_no_reference_to_the_chain(make: MakeChain) {
    let manager = TaskManager::new();
    let chain = unordered(make, &manager);
    let handles: Vec<_> = (0..200u32)
        .map(|i| {
            chain.spawn(async move {
                if i % 2 == 0 {
                    next_frame().await;
                }
                i
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.result(Some(PATIENCE)), Ok(i as u32));
    }
    let weak = Arc::downgrade(chain.core());
    chain.shutdown();
    manager.remove_chain("rs").unwrap();
    drop(chain);
    drop(manager);
    eventually("the chain core is freed", || weak.strong_count() == 0);
}

/// A task handle awaited from a coroutine of another chain, both on the
/// runtime's side; a cancel of the awaited one reaches the awaiter.
/// See [`runtime_scheduled_tests!`](crate::runtime_scheduled_tests).
pub fn a_handle_awaited_from_another_chain(make: MakeChain) {
    let manager = TaskManager::new();
    let first = unordered(make, &manager);
    let second = make(&manager, "other", ChainSettings::default().num_threads(2));
    let gate = first.promise::<u8>();
    let g = gate.clone();
    let inner = first.spawn(async move { g.await.map(|v| v + 1) });
    let outer = second.spawn(inner);
    let _ = gate.set_result(41);
    assert_eq!(outer.result(Some(PATIENCE)), Ok(Ok(Ok(42))));
    let never = first.promise::<u8>();
    // Fallible: it ends cancelled whether the cancel finds it started or
    // not.
    let waiting = first.spawn_fallible(never);
    let w = waiting.as_any();
    let outer = second.spawn(waiting);
    eventually("it waits", || w.is_alive() && !w.is_done());
    w.cancel();
    assert_eq!(outer.result(Some(PATIENCE)), Ok(Err(Error::Cancelled)));
    first.shutdown();
    second.shutdown();
}

/// A waker that panics, registered on a handle by a foreign poller: the
/// task still ends once and the chain goes on.
/// See [`runtime_scheduled_tests!`](crate::runtime_scheduled_tests).
pub fn a_panicking_waker_on_a_handle_is_caught(make: MakeChain) {
    struct Boom;
    impl Wake for Boom {
        fn wake(self: Arc<Self>) {
            panic!("boom: waker");
        }
    }
    let manager = TaskManager::new();
    let chain = unordered(make, &manager);
    let gate = chain.promise::<u8>();
    let g = gate.clone();
    let mut task = chain.spawn(async move { g.await.unwrap_or(0) });
    let waker = Waker::from(Arc::new(Boom));
    assert!(std::pin::Pin::new(&mut task)
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    let _ = gate.set_result(5);
    assert_eq!(task.result(Some(PATIENCE)), Ok(5));
    assert_eq!(chain.spawn(async { 6 }).result(Some(PATIENCE)), Ok(6));
    chain.shutdown();
}

/// Blocking waits from inside a runtime-scheduled coroutine on a sibling
/// are refused.
/// See [`runtime_scheduled_tests!`](crate::runtime_scheduled_tests).
pub fn blocking_waits_inside_a_runtime_scheduled_coroutine_are_refused(make: MakeChain) {
    let manager = TaskManager::new();
    let chain = unordered(make, &manager);
    let never = chain.promise::<u8>();
    let sibling = chain.spawn(never.clone());
    let s = sibling.as_any();
    let c = chain.clone();
    let seen = chain.spawn(async move {
        (
            s.wait_done(Some(PATIENCE)),
            c.wait_for_tasks(Some(PATIENCE)),
            taskchain_core::current_task().is_some(),
        )
    });
    assert_eq!(
        seen.result(Some(PATIENCE)),
        Ok((Err(Error::WouldDeadlock), Err(Error::Reentrant), true))
    );
    let _ = never.set_result(1);
    assert_eq!(sibling.result(Some(PATIENCE)), Ok(Ok(1)));
    chain.shutdown();
}

/// `pause` in a runtime-scheduled coroutine goes through the chain's sleep
/// heap and comes back.
/// See [`runtime_scheduled_tests!`](crate::runtime_scheduled_tests).
pub fn pause_in_a_runtime_scheduled_coroutine(make: MakeChain) {
    let manager = TaskManager::new();
    let chain = unordered(make, &manager);
    let tasks: Vec<_> = (0..20u64)
        .map(|i| {
            chain.spawn(async move {
                taskchain_core::pause(Duration::from_millis(i % 3))
                    .await
                    .unwrap();
                next_frame().await;
                taskchain_core::pause(Duration::from_millis(1))
                    .await
                    .unwrap();
                i
            })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.result(Some(PATIENCE)), Ok(i as u64));
    }
    chain.shutdown();
}

/// `set_sort` to and from 0 and `ordered` toggled while coroutines wait
/// and yield: each still ends once, with its value.
/// See [`runtime_scheduled_tests!`](crate::runtime_scheduled_tests).
pub fn sort_and_order_changes_under_running_coroutines(make: MakeChain) {
    let manager = TaskManager::new();
    let chain = unordered(make, &manager);
    let deaths = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..30u32)
        .map(|i| {
            let d = deaths.clone();
            chain
                .add_task(
                    TaskBuilder::coroutine(async move {
                        for _ in 0..50 {
                            next_frame().await;
                        }
                        i
                    })
                    .sort((i % 2) as i32)
                    .upon_death(move |_| {
                        d.fetch_add(1, Ordering::SeqCst);
                    }),
                )
                .unwrap()
        })
        .collect();
    for round in 0..20 {
        for (i, t) in tasks.iter().enumerate() {
            t.set_sort(((i + round) % 2) as i32);
        }
        let settings = chain.settings().ordered(round % 2 == 0);
        chain.configure(settings).unwrap();
    }
    chain.configure(chain.settings().ordered(false)).unwrap();
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.result(Some(PATIENCE)), Ok(i as u32));
    }
    assert_eq!(deaths.load(Ordering::SeqCst), 30);
    chain.shutdown();
}

/// Makes a chain named `name` with `settings` on a backend's runtime of
/// `settings.num_threads` threads.
pub type MakeChain = fn(&TaskManager, &str, ChainSettings) -> Arc<ThreadedChain>;

/// Declares the checks of [`runtime_scheduled`](crate::runtime_scheduled)
/// as `#[test]` functions in the calling module, on chains `make` builds
/// (a [`MakeChain`](crate::runtime_scheduled::MakeChain)).
///
/// ```ignore
/// taskchain_conformance::runtime_scheduled_tests!(|manager, name, settings| {
///     taskchain_tokio::make_chain(manager, name, settings).unwrap()
/// });
/// ```
#[macro_export]
macro_rules! runtime_scheduled_tests {
    ($make:expr) => {
        $crate::runtime_scheduled_tests!(@each $make;
            a_sort_0_coroutine_runs_while_a_worker_is_blocked_in_an_ordered_run,
            yielding_coroutines_do_not_starve_another,
            shutdown_racing_wakes_ends_each_task_once_and_frees_the_chain,
            finished_coroutines_leave_no_reference_to_the_chain,
            a_handle_awaited_from_another_chain,
            a_panicking_waker_on_a_handle_is_caught,
            blocking_waits_inside_a_runtime_scheduled_coroutine_are_refused,
            pause_in_a_runtime_scheduled_coroutine,
            sort_and_order_changes_under_running_coroutines
        );
    };
    (@each $make:expr; $($check:ident),+) => {
        $(
            #[test]
            fn $check() {
                $crate::runtime_scheduled::$check($make);
            }
        )+
    };
}
