//! Futures observed and completed from other threads than the polling one.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use common::setup;
use taskchain_conformance::kit::counters::{bump, counter, get, Deaths};
use taskchain_core::{
    pause, AnyTask, AsyncFuture, DoneStatus, Error, Promise, TaskBuilder, TaskChain, TaskContext,
};

const SHORT: Duration = Duration::from_millis(5);

/// A thread blocked in `p.result(None)`: it has started waiting (or is
/// about to) when this returns.
fn blocked_in_result(p: &Promise<u32>) -> thread::JoinHandle<Result<u32, Error>> {
    let p = p.clone();
    let (ready_tx, ready_rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        ready_tx.send(()).unwrap();
        p.result(None)
    });
    ready_rx.recv().unwrap();
    waiter
}

#[test]
fn result_blocks_another_thread_until_a_task_sets_the_promise() {
    let (_clock, manager) = setup();
    let p = manager.promise::<u32>();
    let waiter = blocked_in_result(&p);
    {
        let p = p.clone();
        let mut runs = 0;
        manager.add(move |_: &TaskContext<'_>| {
            runs += 1;
            if runs == 3 {
                p.set_result(99).unwrap();
                DoneStatus::Done
            } else {
                DoneStatus::Cont
            }
        });
    }
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert!(!p.is_done());
    manager.poll().unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(99));
}

#[test]
fn result_of_a_task_handle_from_another_thread() {
    let (clock, manager) = setup();
    let h = Arc::new(manager.spawn(async {
        pause(Duration::from_secs(1)).await.unwrap();
        "loaded".to_owned()
    }));
    let waiter = {
        let h = h.clone();
        thread::spawn(move || h.result(None))
    };
    manager.poll().unwrap();
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert_eq!(waiter.join().unwrap(), Ok("loaded".to_owned()));
    assert_eq!(h.result(None), Err(Error::AlreadyTaken));
}

#[test]
fn timeouts_are_repeatable_and_leave_the_future_pending() {
    let (_clock, manager) = setup();
    let p = manager.promise::<u32>();
    assert_eq!(p.result(Some(SHORT)), Err(Error::Timeout));
    assert_eq!(p.result(Some(Duration::ZERO)), Err(Error::Timeout));
    assert_eq!(p.result(Some(SHORT)), Err(Error::Timeout));
    assert!(!p.is_done());
    let other = {
        let p = p.clone();
        thread::spawn(move || (p.result(Some(SHORT)), p.result(Some(SHORT))))
    };
    assert_eq!(
        other.join().unwrap(),
        (Err(Error::Timeout), Err(Error::Timeout))
    );
    p.set_result(1).unwrap();
    assert_eq!(p.result(Some(SHORT)), Ok(1));

    // A task's output is not consumed by timed-out waits.
    let gate = manager.promise::<u32>();
    let h = {
        let gate = gate.clone();
        manager.spawn(async move { gate.await.unwrap() + 1 })
    };
    manager.poll().unwrap();
    assert_eq!(h.result(Some(SHORT)), Err(Error::Timeout));
    assert_eq!(h.result(Some(SHORT)), Err(Error::Timeout));
    assert!(!h.is_done());
    gate.set_result(1).unwrap();
    manager.poll().unwrap();
    assert_eq!(h.result(Some(SHORT)), Ok(2));
}

#[test]
fn set_result_from_another_thread_wakes_a_coroutine_on_the_next_poll() {
    let (_clock, manager) = setup();
    let p = manager.promise::<u32>();
    let steps = counter();
    let h = {
        let (p, steps) = (p.clone(), steps.clone());
        manager.spawn(async move {
            bump(&steps);
            let v = p.await.unwrap();
            bump(&steps);
            v * 2
        })
    };
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(get(&steps), 1);
    {
        let p = p.clone();
        thread::spawn(move || p.set_result(21).unwrap())
            .join()
            .unwrap();
    }
    assert_eq!(get(&steps), 1, "resumes only inside poll");
    assert!(!h.is_done());
    manager.poll().unwrap();
    assert_eq!(get(&steps), 2);
    assert_eq!(h.result(None), Ok(42));
}

#[test]
fn cancel_from_another_thread() {
    let (_clock, manager) = setup();
    // A queued task: cancelled at once.
    let queued = manager.add(|_: &TaskContext<'_>| DoneStatus::Cont);
    let any = queued.as_any();
    assert!(thread::spawn(move || any.cancel()).join().unwrap());
    assert!(queued.is_cancelled());

    // A coroutine suspended on a promise: requested, then cancelled on the
    // next poll of its chain.
    let gate = manager.promise::<u32>();
    let seen: Arc<Mutex<Option<String>>> = Arc::default();
    let h = {
        let (gate, seen) = (gate.clone(), seen.clone());
        manager.spawn_fallible(async move {
            let r = gate.await;
            *seen.lock().unwrap() = Some(format!("{r:?}"));
            r
        })
    };
    manager.poll().unwrap();
    let any = h.as_any();
    assert!(thread::spawn(move || any.cancel()).join().unwrap());
    assert!(h.is_cancel_requested());
    assert!(!h.is_cancelled());
    manager.poll().unwrap();
    assert!(h.is_cancelled());
    assert_eq!(seen.lock().unwrap().as_deref(), Some("Err(Cancelled)"));
    assert!(gate.is_cancelled());
}

#[test]
fn a_thread_blocked_in_result_is_woken_by_cancel() {
    let (_clock, manager) = setup();
    let p = manager.promise::<u32>();
    let waiter = blocked_in_result(&p);
    assert!(p.cancel());
    assert_eq!(waiter.join().unwrap(), Err(Error::Cancelled));
}

#[test]
fn any_task_wait_done_from_another_thread() {
    let (clock, manager) = setup();
    let finishing = manager.spawn(async {
        pause(Duration::from_secs(1)).await.unwrap();
        5
    });
    let gate = manager.promise::<()>();
    let cancelled = {
        let gate = gate.clone();
        manager.spawn_fallible(gate)
    };
    manager.poll().unwrap();
    let (a, b) = (finishing.as_any(), cancelled.as_any());
    assert_eq!(a.wait_done(Some(SHORT)), Err(Error::Timeout));
    let waiters = thread::spawn(move || (a.wait_done(None), b.wait_done(None)));
    clock.advance(Duration::from_secs(1));
    cancelled.cancel();
    manager.poll().unwrap();
    assert_eq!(waiters.join().unwrap(), (Ok(()), Err(Error::Cancelled)));
    // wait_done does not read the output.
    assert_eq!(finishing.result(None), Ok(5));
}

/// A foreign future that, during its first poll, registers on `gate` and
/// has `gate` completed (by `complete`) before returning `Pending`.
struct CompletesWhileRegistering<F: FnMut()> {
    gate: Promise<u32>,
    complete: F,
    polls: usize,
}

impl<F: FnMut() + Unpin> Future for CompletesWhileRegistering<F> {
    type Output = usize;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        self.polls += 1;
        if self.gate.poll_done(cx).is_ready() {
            return Poll::Ready(self.polls);
        }
        (self.complete)();
        Poll::Pending
    }
}

#[test]
fn a_wake_while_the_awaiter_is_mid_poll_is_not_lost() {
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let h = {
        let gate = gate.clone();
        let setter = gate.clone();
        manager.spawn(CompletesWhileRegistering {
            gate,
            complete: move || {
                let _ = setter.set_result(1);
            },
            polls: 0,
        })
    };
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(h.result(Some(Duration::ZERO)), Ok(2));
}

#[test]
fn a_wake_from_another_thread_while_the_awaiter_is_mid_poll_is_not_lost() {
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let (to_setter, setter_rx) = mpsc::channel::<()>();
    let (to_task, task_rx) = mpsc::channel::<()>();
    let setter = {
        let gate = gate.clone();
        thread::spawn(move || {
            setter_rx.recv().unwrap();
            gate.set_result(7).unwrap();
            to_task.send(()).unwrap();
        })
    };
    let task_rx = Mutex::new(task_rx);
    let h = {
        let gate = gate.clone();
        manager.spawn(CompletesWhileRegistering {
            gate,
            complete: move || {
                // Hand over to the other thread and wait until it completed
                // the gate, all inside this poll.
                to_setter.send(()).unwrap();
                task_rx.lock().unwrap().recv().unwrap();
            },
            polls: 0,
        })
    };
    manager.poll().unwrap();
    setter.join().unwrap();
    manager.poll().unwrap();
    assert_eq!(h.result(Some(Duration::ZERO)), Ok(2));
}

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

// regression: a cancel landing inside suspend was lost; the task stayed cancel-requested.
#[test]
fn cancel_racing_suspend_is_not_lost() {
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

// regression: guards a cross-thread cancel racing runs against a lost or doubled upon_death.
#[test]
fn cross_thread_cancel_vs_run_upon_death_exactly_once() {
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

/// Wakes itself during its first poll, then is ready.
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

// regression: guards a self-wake during the run against being lost.
#[test]
fn wake_while_running_is_not_lost() {
    let (_clock, manager) = setup();
    let h = manager.spawn(SelfWakeOnce(false));
    manager.poll().unwrap();
    assert!(!h.is_done(), "a self-wake waits for the next epoch");
    manager.poll().unwrap();
    assert!(h.is_done());
}
