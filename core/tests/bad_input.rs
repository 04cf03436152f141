//! Bad input comes back as an `Error`, never a panic or a silent drop.

mod common;

use std::future::IntoFuture;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::setup;
use futures_util::FutureExt;
use taskchain_core::{
    check_thread_count, duration_from_secs, next_frame, pause, pause_secs, AsyncFuture, Clock,
    DoneStatus, Error, Promise, TaskBuilder, TaskChain, TaskContext, TaskHandle, MAX_THREADS,
};

#[test]
fn set_result_on_a_done_promise_is_already_done_and_keeps_the_value() {
    let (_clock, manager) = setup();
    let p = manager.promise::<u32>();
    assert_eq!(p.set_result(1), Ok(()));
    assert_eq!(p.set_result(2), Err(Error::AlreadyDone));
    assert_eq!(p.result(None), Ok(1));
    assert!(!p.cancel(), "cancel of a done promise returns false");
    assert!(!p.is_cancelled());
    assert_eq!(p.result(None), Ok(1), "promise reads are repeatable");

    let c = Promise::<u32>::new();
    assert!(c.cancel());
    assert!(!c.cancel());
    assert_eq!(c.set_result(3), Err(Error::AlreadyDone));
    assert!(c.is_cancelled());
    assert_eq!(c.result(None), Err(Error::Cancelled));
}

#[test]
fn set_result_from_another_thread_on_a_done_promise() {
    let p = Promise::<String>::new();
    p.set_result("first".into()).unwrap();
    let q = p.clone();
    let r = std::thread::spawn(move || q.set_result("second".into()))
        .join()
        .unwrap();
    assert_eq!(r, Err(Error::AlreadyDone));
    assert_eq!(p.result(None), Ok("first".to_owned()));
}

#[test]
fn awaiting_your_own_handle_reports_await_self_to_the_task() {
    let (_clock, manager) = setup();
    let out: Arc<Mutex<Vec<String>>> = Arc::default();
    let slot: Arc<Mutex<Option<TaskHandle<()>>>> = Arc::default();
    let handle = {
        let (slot, out) = (slot.clone(), out.clone());
        manager.spawn(async move {
            let me = slot.lock().unwrap().take().unwrap();
            let r = me.result(Some(Duration::from_millis(50)));
            out.lock().unwrap().push(format!("result: {r:?}"));
            let any = me.as_any();
            let awaited = me.await;
            out.lock().unwrap().push(format!("await: {awaited:?}"));
            out.lock().unwrap().push(format!("done: {}", any.is_done()));
        })
    };
    let watcher = handle.as_any();
    *slot.lock().unwrap() = Some(handle);
    manager.poll().unwrap();
    assert_eq!(
        *out.lock().unwrap(),
        [
            "result: Err(AwaitSelf)",
            "await: Err(AwaitSelf)",
            "done: false"
        ]
    );
    assert!(watcher.is_done());
    assert_eq!(watcher.wait_done(Some(Duration::ZERO)), Ok(()));
}

#[test]
fn awaiting_your_own_handle_passed_in_through_a_promise() {
    let (_clock, manager) = setup();
    type Cell = Arc<Mutex<Option<TaskHandle<()>>>>;
    let carrier = manager.promise::<Cell>();
    let out: Arc<Mutex<Option<String>>> = Arc::default();
    let handle = {
        let (carrier, out) = (carrier.clone(), out.clone());
        manager.spawn(async move {
            let cell = carrier.await.unwrap();
            let me = cell.lock().unwrap().take().unwrap();
            let r = me.await;
            *out.lock().unwrap() = Some(format!("{r:?}"));
        })
    };
    let any = handle.as_any();
    manager.poll().unwrap();
    carrier
        .set_result(Arc::new(Mutex::new(Some(handle))))
        .unwrap();
    manager.poll().unwrap();
    assert_eq!(out.lock().unwrap().as_deref(), Some("Err(AwaitSelf)"));
    assert!(any.is_done());
    assert!(!any.is_cancelled());
}

#[test]
fn bad_seconds_are_invalid_duration() {
    for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.001] {
        assert!(
            matches!(pause_secs(bad), Err(Error::InvalidDuration(_))),
            "pause_secs({bad})"
        );
        assert!(
            matches!(duration_from_secs(bad), Err(Error::InvalidDuration(_))),
            "duration_from_secs({bad})"
        );
    }
    assert!(pause_secs(0.25).is_ok());
    assert_eq!(duration_from_secs(0.25), Ok(Duration::from_millis(250)));
}

#[test]
fn bad_delay_secs_is_refused_and_schedules_nothing() {
    let (_clock, manager) = setup();
    for bad in [f64::NAN, -1.0, f64::INFINITY] {
        let r = TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Done)
            .name("bad")
            .delay_secs(bad);
        assert!(
            matches!(r, Err(Error::InvalidDuration(_))),
            "delay_secs({bad}): {r:?}"
        );
    }
    assert!(manager.tasks().is_empty());
    assert!(manager.find_task("bad").is_none());
    let ok = manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Done)
                .delay_secs(0.5)
                .unwrap(),
        )
        .unwrap();
    assert_eq!(ok.delay(), Some(Duration::from_millis(500)));
}

#[test]
fn bad_seconds_elsewhere_leave_state_alone() {
    let (clock, manager) = setup();
    assert!(matches!(
        clock.advance_secs(-2.0),
        Err(Error::InvalidDuration(_))
    ));
    assert!(matches!(
        clock.advance_secs(f64::NAN),
        Err(Error::InvalidDuration(_))
    ));
    assert_eq!(clock.now(), Duration::ZERO);
    clock.advance_secs(1.5).unwrap();
    assert_eq!(clock.now(), Duration::from_millis(1500));

    let h = manager.add(|_: &TaskContext<'_>| DoneStatus::Cont);
    h.set_delay(Some(Duration::from_secs(2)));
    assert!(matches!(
        h.set_delay_secs(f64::NAN),
        Err(Error::InvalidDuration(_))
    ));
    assert!(matches!(
        h.set_delay_secs(-3.0),
        Err(Error::InvalidDuration(_))
    ));
    assert_eq!(h.delay(), Some(Duration::from_secs(2)));
}

#[test]
fn poll_from_inside_a_task_is_reentrant() {
    let (_clock, manager) = setup();
    let manager = Arc::new(manager);
    let results: Arc<Mutex<Vec<Result<(), Error>>>> = Arc::default();
    {
        let weak = Arc::downgrade(&manager);
        let results = results.clone();
        manager.add(move |_: &TaskContext<'_>| {
            if let Some(m) = weak.upgrade() {
                results.lock().unwrap().push(m.poll());
                results.lock().unwrap().push(m.default_chain().poll());
            }
            DoneStatus::Done
        });
    }
    let coroutine_result: Arc<Mutex<Option<Result<(), Error>>>> = Arc::default();
    {
        let weak = Arc::downgrade(&manager);
        let out = coroutine_result.clone();
        manager.spawn(async move {
            let r = weak.upgrade().map(|m| m.poll());
            *out.lock().unwrap() = r;
        });
    }
    assert_eq!(manager.poll(), Ok(()));
    assert_eq!(
        *results.lock().unwrap(),
        [Err(Error::Reentrant), Err(Error::Reentrant)]
    );
    assert_eq!(
        *coroutine_result.lock().unwrap(),
        Some(Err(Error::Reentrant))
    );
    // The outer poll went on fine and the chain still works.
    assert!(manager.tasks().is_empty());
    assert_eq!(manager.poll(), Ok(()));
}

#[test]
fn reading_a_task_output_twice_is_already_taken() {
    let (_clock, manager) = setup();
    let h = manager.spawn(async { String::from("once") });
    manager.poll().unwrap();
    assert_eq!(h.result(None), Ok("once".to_owned()));
    assert_eq!(h.result(None), Err(Error::AlreadyTaken));
    assert_eq!(h.try_take(), Some(Err(Error::AlreadyTaken)));

    let h2 = manager.spawn(async { 5u8 });
    manager.poll().unwrap();
    assert_eq!(h2.try_take(), Some(Ok(5)));
    let mut h2 = h2;
    assert_eq!((&mut h2).now_or_never(), Some(Err(Error::AlreadyTaken)));

    // Awaited twice from a coroutine.
    let inner = manager.spawn(async { 1u8 });
    let outer = manager.spawn(async move {
        let mut inner = inner;
        let first = (&mut inner).await;
        let second = (&mut inner).await;
        (first, second)
    });
    manager.poll().unwrap();
    manager.poll().unwrap();
    assert_eq!(outer.result(None), Ok((Ok(1), Err(Error::AlreadyTaken))));
}

#[test]
fn pause_outside_any_chain_is_no_chain() {
    assert_eq!(
        pause(Duration::from_secs(1)).now_or_never(),
        Some(Err(Error::NoChain))
    );
    assert_eq!(
        pause(Duration::ZERO).now_or_never(),
        Some(Err(Error::NoChain))
    );
    assert_eq!(
        pause_secs(0.5).unwrap().now_or_never(),
        Some(Err(Error::NoChain))
    );
    // An unscheduled task awaited outside any chain cannot be scheduled.
    assert_eq!(
        TaskBuilder::coroutine(async { 1 })
            .into_future()
            .now_or_never(),
        Some(Err(Error::NoChain))
    );
    // next_frame outside a task yields once to the executor and does not
    // panic.
    let mut nf = Box::pin(next_frame());
    assert_eq!(nf.as_mut().now_or_never(), None);
    assert_eq!(nf.now_or_never(), Some(()));
}

#[test]
fn pause_awaited_on_a_foreign_executor_thread_is_no_chain() {
    let r = std::thread::spawn(|| {
        futures_util::future::FutureExt::now_or_never(async {
            pause(Duration::from_millis(1)).await
        })
    })
    .join()
    .unwrap();
    assert_eq!(r, Some(Err(Error::NoChain)));
}

#[test]
fn run_until_from_inside_a_task_is_reentrant() {
    let (_clock, manager) = setup();
    let manager = Arc::new(manager);
    let inner = Arc::new(Mutex::new(None));
    let task = {
        let (manager, inner) = (manager.clone(), inner.clone());
        manager.clone().spawn(async move {
            let p = manager.promise::<u8>();
            let until = manager.run_until(&p);
            let complete = manager.run_until_complete(async { 1 });
            *inner.lock().unwrap() = Some((until, complete));
        })
    };
    manager.poll().unwrap();
    assert!(task.is_done());
    assert_eq!(
        inner.lock().unwrap().take(),
        Some((Err(Error::Reentrant), Err(Error::Reentrant)))
    );
    // The chain goes on.
    let after = manager.spawn(async { 2 });
    assert_eq!(manager.run_until(&after), Ok(2));
    // The task holds the manager; shut down to break the cycle.
    manager.shutdown();
}

#[test]
fn awaiting_a_task_builder_outside_a_task_is_no_chain() {
    let ran = Arc::new(Mutex::new(false));
    let flag = ran.clone();
    let scheduled = TaskBuilder::coroutine(async move {
        *flag.lock().unwrap() = true;
    })
    .into_future();
    assert_eq!(scheduled.now_or_never(), Some(Err(Error::NoChain)));
    assert!(!*ran.lock().unwrap(), "the coroutine never ran");
}

#[test]
fn thread_counts_out_of_range_are_invalid_settings() {
    for threads in [0, MAX_THREADS + 1, usize::MAX] {
        assert!(
            matches!(
                check_thread_count(threads, "a test runtime"),
                Err(Error::InvalidSetting(_))
            ),
            "{threads}"
        );
    }
    for threads in [1, 2, MAX_THREADS] {
        assert_eq!(check_thread_count(threads, "a test runtime"), Ok(()));
    }
}

// regression: wait_for_tasks(Some(Duration::MAX)) gave up after one poll instead of waiting.
#[test]
fn wait_for_tasks_with_huge_timeout_means_no_timeout() {
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
