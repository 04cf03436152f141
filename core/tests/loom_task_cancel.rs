//! Loom models of a task cell's state word racing wakes and cancellation
//! from other threads while the model thread polls the task's frame chain:
//! no wake is lost, and a task ends exactly once, as whoever won says.
#![cfg(loom)]

mod loom_support;

use loom::thread;
use taskchain_core::{
    AsyncFuture, DoneStatus, Error, TaskBuilder, TaskChain, TaskChainExt, TaskContext,
};

use loom_support::{frame_chain, model, spawn_set_result, Counter};

/// Polls the chain may need after both racers are done: one to run the
/// woken task, one more if the cancel was requested during that run.
const SETTLE_POLLS: usize = 3;

#[test]
fn set_result_vs_task_cancel_while_polling() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let (deaths, clean_exits) = (Counter::default(), Counter::default());
        let task = {
            let promise = promise.clone();
            let (deaths, clean_exits) = (deaths.clone(), clean_exits.clone());
            // Fallible: a cancellation delivered at its await ends it.
            let coroutine = TaskBuilder::fallible(async move { promise.await.map(|v| v + 1) })
                .upon_death(move |clean_exit| {
                    deaths.bump();
                    if clean_exit {
                        clean_exits.bump();
                    }
                });
            chain.add_task(coroutine).unwrap()
        };
        chain.poll().unwrap(); // the coroutine suspends on the promise
        assert!(!task.is_done());

        let setter = spawn_set_result(&promise, 7);
        let canceller = {
            let task = task.as_any();
            thread::spawn(move || task.cancel())
        };
        chain.poll().unwrap();
        let set = setter.join().unwrap();
        let cancelled = canceller.join().unwrap();
        for _ in 0..SETTLE_POLLS {
            if task.is_done() {
                break;
            }
            chain.poll().unwrap();
        }

        assert!(task.is_done(), "the task never ended");
        assert_eq!(deaths.get(), 1, "upon_death did not run exactly once");
        let output = task.try_take();
        if cancelled {
            // A granted cancel request ends the task cancelled: delivered at
            // the await and propagated, or still pending when it returns.
            assert_eq!(output, Some(Err(Error::Cancelled)));
            assert_eq!(clean_exits.get(), 0);
        } else {
            // Refused only because the task had already finished.
            assert_eq!(output, Some(Ok(8)));
            assert_eq!(clean_exits.get(), 1);
        }
        match set {
            Ok(()) => assert_eq!(promise.try_take(), Some(Ok(7))),
            // Only the cancel, delivered at the await, cancels the promise.
            Err(e) => {
                assert_eq!(e, Error::AlreadyDone);
                assert!(cancelled);
                assert!(promise.is_cancelled());
            }
        }
        assert_eq!(chain.stats().active, 0);
    });
}

/// The promise is set while the chain runs the coroutine's first poll (the
/// wake lands while the task is `RUNNING`): the wake is not lost, and the
/// task finishes with the value.
#[test]
fn set_result_vs_first_poll() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let task = {
            let promise = promise.clone();
            chain.spawn(async move { promise.await.map(|v| v + 1) })
        };
        let setter = thread::spawn(move || promise.set_result(7));
        chain.poll().unwrap();
        assert_eq!(setter.join().unwrap(), Ok(()));
        for _ in 0..SETTLE_POLLS {
            if task.is_done() {
                break;
            }
            chain.poll().unwrap();
        }
        assert_eq!(task.try_take(), Some(Ok(Ok(8))), "the wake was lost");
    });
}

/// A recurring task is cancelled from another thread while the chain runs
/// it: it ends cancelled within a poll or two, `upon_death(false)` once.
#[test]
fn recurring_task_cancel_while_running() {
    model(|| {
        let chain = frame_chain();
        let (runs, deaths) = (Counter::default(), Counter::default());
        let task = {
            let (runs, deaths) = (runs.clone(), deaths.clone());
            let recurring = TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                runs.bump();
                DoneStatus::Cont
            })
            .upon_death(move |clean_exit| {
                assert!(!clean_exit);
                deaths.bump();
            });
            chain.add_task(recurring).unwrap()
        };
        let canceller = {
            let task = task.as_any();
            thread::spawn(move || task.cancel())
        };
        chain.poll().unwrap();
        assert!(canceller.join().unwrap(), "the only cancel was refused");
        for _ in 0..SETTLE_POLLS {
            if task.is_done() {
                break;
            }
            chain.poll().unwrap();
        }
        assert_eq!(task.try_take(), Some(Err(Error::Cancelled)));
        assert_eq!(deaths.get(), 1, "upon_death did not run exactly once");
        assert!(runs.get() <= 1, "the task ran on after its cancel");
    });
}

/// Two removals of a suspended coroutine race: exactly one of them asks it
/// to end and is counted; the other finds that request pending.
#[test]
fn racing_removals_count_once() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let task = chain.spawn(promise.clone());
        chain.poll().unwrap(); // the coroutine suspends on the promise
        let racer = {
            let (chain, task) = (chain.clone(), task.as_any());
            thread::spawn(move || chain.remove(&task))
        };
        let here = chain.remove(&task.as_any());
        let there = racer.join().unwrap();
        assert!(here != there, "removals: here {here}, there {there}");
        assert_eq!(task.cancelling(), 1);
    });
}

/// A cancel request of a task suspended on a promise cancels that promise
/// before `cancel()` returns, racing the promise's completion and the run
/// it wakes: the request is delivered exactly once, at whichever await
/// reads `Cancelled`, and never cancels a later await as well (a run that
/// delivered it at its next await and suspended on a third must keep it).
#[test]
fn cancel_of_the_awaited_promise_is_delivered_once() {
    model(|| {
        let chain = frame_chain();
        let promises: Vec<_> = (0..3).map(|_| chain.promise::<u32>()).collect();
        let task = {
            let [a, b, c] = [0, 1, 2].map(|i| promises[i].clone());
            chain.spawn(async move { [a.await, b.await, c.await] })
        };
        chain.poll().unwrap(); // suspended on the first promise

        let setter = spawn_set_result(&promises[0], 1);
        let canceller = {
            let task = task.as_any();
            thread::spawn(move || task.cancel())
        };
        chain.poll().unwrap();
        let _ = setter.join().unwrap();
        assert!(canceller.join().unwrap(), "the task was alive");
        // One poll runs the woken task, one more if the cancel came during
        // that run; then each later promise is set and awaited in one.
        chain.poll().unwrap();
        chain.poll().unwrap();
        for promise in &promises[1..] {
            let _ = promise.set_result(2);
            chain.poll().unwrap();
        }

        let reads = task.try_take().expect("the task ended").unwrap();
        let cancels = reads
            .iter()
            .filter(|r| matches!(r, Err(Error::Cancelled)))
            .count();
        assert_eq!(cancels, 1, "one request, one delivery: {reads:?}");
        for (read, promise) in reads.iter().zip(&promises) {
            assert_eq!(read.is_err(), promise.is_cancelled());
        }
    });
}
