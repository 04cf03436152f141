//! The known faults of the reference engine, which taskchain
//! must not repeat:
//!
//! - a task woken on a threaded chain must be re-queued and its workers
//!   notified ([`woken_task_is_rerun`]);
//! - a future completing while its awaiter is mid-poll must not be lost
//!   ([`completion_mid_poll_is_not_lost`]);
//! - `pause()` runs on the awaiting task's chain, not the default one
//!   ([`pause_runs_on_the_awaiting_chain`]);
//! - a clock-ticking chain ticks when it has no tasks
//!   ([`tick_clock_ticks_with_no_tasks`]);
//! - event futures must fire for every way an event is sent: covered by
//!   the core's own event tests (`core/tests/events.rs`), since a send
//!   reaches every chain kind through the same messenger.
//!
//! The first three wait with [`settle_unaided`]: nothing but the chain
//! itself may bring the task back (a threaded chain is not even polled).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::task::Poll;
use std::thread;
use std::time::Duration;

use taskchain_core::{pause, AsyncFuture, Clock, Promise, TaskChain, TaskChainExt};

use super::support::{ms, spawn_logged_waiter, wait_until};
use crate::kit::log::{new_log, push, seen};
use crate::settle::settle_unaided;
use crate::{settle, ChainFactory, Fixture};

const ROUNDS: u32 = 25;

/// A coroutine woken by `set_result` on another thread runs again, with
/// nothing but the wake to bring it back; also when the wake comes right
/// after the spawn, racing the first run.
pub(crate) fn woken_task_is_rerun(f: &dyn ChainFactory) {
    let fx = f.build();
    for round in 0..ROUNDS {
        let log = new_log();
        let p = fx.chain.promise::<u32>();
        let waiter = spawn_logged_waiter(&fx.chain, &p, &log);
        if round % 2 == 0 {
            settle_unaided(f, &fx, "the coroutine to reach its await", || {
                !seen(&log).is_empty()
            });
            // Let a threaded chain's workers go idle.
            thread::sleep(Duration::from_micros(300));
        }
        let p2 = p.clone();
        thread::spawn(move || p2.set_result(round))
            .join()
            .expect("the setter does not panic")
            .expect("set_result");
        settle_unaided(f, &fx, "the woken coroutine to run again", || {
            waiter.is_done()
        });
        assert_eq!(waiter.result(None), Ok(Ok(round)), "round {round}");
    }
}

/// Polls `promise` once inside the coroutine's poll and, when it is
/// pending, has it completed before that poll returns: by the coroutine
/// itself, or by another thread while the coroutine waits.
struct CompleteMidPoll {
    promise: Promise<u32>,
    helper: Option<mpsc::Sender<()>>,
    helper_done: Arc<AtomicBool>,
    fired: bool,
}

impl Future for CompleteMidPoll {
    type Output = Result<u32, taskchain_core::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let mut promise = self.promise.clone();
        let polled = Pin::new(&mut promise).poll(cx);
        if polled.is_ready() || std::mem::replace(&mut self.fired, true) {
            return polled;
        }
        // The waker is registered and the task is still running: complete
        // the promise now.
        match self.helper.take() {
            None => {
                let _ = promise.set_result(7);
            }
            Some(helper) => {
                let _ = helper.send(());
                let done = self.helper_done.clone();
                wait_until(|| done.load(Ordering::SeqCst));
            }
        }
        Poll::Pending
    }
}

/// A promise completed while its awaiting coroutine is still inside the
/// poll that registered the wake-up: on the same thread, and from another
/// thread. The coroutine must run again and see the value.
pub(crate) fn completion_mid_poll_is_not_lost(f: &dyn ChainFactory) {
    let fx = f.build();
    for round in 0..ROUNDS {
        let promise = fx.chain.promise::<u32>();
        let helper_done = Arc::new(AtomicBool::new(false));
        let other_thread = round % 2 == 1;
        let helper = other_thread.then(|| {
            let (tx, rx) = mpsc::channel::<()>();
            let (p, done) = (promise.clone(), helper_done.clone());
            let join = thread::spawn(move || {
                if rx.recv_timeout(crate::SETTLE_TIMEOUT).is_ok() {
                    let _ = p.set_result(7);
                }
                done.store(true, Ordering::SeqCst);
            });
            (tx, join)
        });
        let (tx, join) = match helper {
            Some((tx, join)) => (Some(tx), Some(join)),
            None => (None, None),
        };
        let task = fx.chain.spawn(CompleteMidPoll {
            promise: promise.clone(),
            helper: tx,
            helper_done,
            fired: false,
        });
        settle_unaided(f, &fx, "the coroutine completed mid-poll to finish", || {
            task.is_done()
        });
        if let Some(join) = join {
            join.join().expect("the helper does not panic");
        }
        assert_eq!(
            task.result(None),
            Ok(Ok(7)),
            "round {round} (completed from {})",
            if other_thread {
                "another thread"
            } else {
                "the same thread"
            }
        );
    }
}

/// Checks a pause on `chain` (driven only through itself): the paused
/// coroutine sleeps on `chain`, nothing sleeps on the default chain, and it
/// resumes once the clock passed, without the manager's help.
fn pause_on(f: &dyn ChainFactory, fx: &Fixture, chain: &Arc<dyn TaskChain>, what: &str) {
    let log = new_log();
    let task = {
        let log = log.clone();
        chain.spawn(async move {
            push(&log, "pausing");
            pause(ms(10)).await.map(|()| "resumed")
        })
    };
    let drive_chain = |what: &str, cond: &mut dyn FnMut() -> bool| {
        if chain.name() == fx.chain.name() {
            settle_unaided(f, fx, what, cond);
        } else {
            // An extra frame chain of the test's own: poll it alone.
            let mut rounds = 0;
            while !cond() {
                chain.poll().expect("poll the extra chain");
                rounds += 1;
                assert!(rounds < 100_000, "{what}: never happened");
            }
        }
    };
    drive_chain(&format!("{what}: the coroutine to pause"), &mut || {
        task.is_sleeping()
    });
    assert_eq!(seen(&log), ["pausing"]);
    let sleeping: Vec<u64> = chain.sleeping_tasks().iter().map(|t| t.id()).collect();
    assert_eq!(sleeping, [task.id()], "{what}: it sleeps on its own chain");
    if chain.name() != taskchain_core::DEFAULT_CHAIN {
        let default = fx.manager.default_chain();
        assert_eq!(
            default.stats().total(),
            0,
            "{what}: nothing was put on the default chain"
        );
    }
    fx.clock.advance(ms(10));
    drive_chain(&format!("{what}: the coroutine to resume"), &mut || {
        task.is_done()
    });
    assert_eq!(task.result(None), Ok(Ok("resumed")), "{what}");
}

/// `pause()` sleeps on the awaiting task's chain and wakes there, even
/// when nobody polls the manager (or the default chain).
pub(crate) fn pause_runs_on_the_awaiting_chain(f: &dyn ChainFactory) {
    let fx = f.build();
    pause_on(f, &fx, &fx.chain.clone(), "the chain under test");
    if fx.chain.name() == taskchain_core::DEFAULT_CHAIN {
        // The chain under test is the default one: check another frame
        // chain of the same manager too, which the fault would confuse
        // with it.
        let other: Arc<dyn TaskChain> = fx
            .manager
            .make_task_chain("conformance-pause")
            .expect("make_task_chain");
        pause_on(f, &fx, &other, "an extra frame chain");
    }
}

/// A chain with `tick_clock` ticks its clock once per epoch even with no
/// tasks: on a frame chain each poll is an epoch; a threaded chain runs
/// (empty) epochs only with `frame_sync`, one per frame, so it is
/// configured with both.
pub(crate) fn tick_clock_ticks_with_no_tasks(f: &dyn ChainFactory) {
    let fx = f.build();
    let mut settings = fx.chain.settings().tick_clock(true);
    if f.threads() > 0 {
        settings = settings.frame_sync(true);
    }
    fx.chain.configure(settings).expect("configure tick_clock");
    fx.clock.set_tick_step(ms(1));
    assert_eq!(fx.chain.stats().total(), 0, "no tasks");
    let (frames, now) = (fx.clock.frame_count(), fx.clock.now());
    if f.threads() == 0 {
        for _ in 0..3 {
            f.drive(&fx).expect("drive");
        }
        assert_eq!(
            fx.clock.frame_count(),
            frames + 3,
            "one tick per poll of an empty chain"
        );
    } else {
        settle(f, &fx, "an empty ticking chain to tick three times", || {
            fx.clock.frame_count() >= frames + 3
        });
    }
    assert!(
        fx.clock.now() >= now + ms(3),
        "each tick moves a manual clock by its step: the time tasks see moves"
    );
    assert_eq!(fx.chain.stats().total(), 0, "still no tasks");
}
