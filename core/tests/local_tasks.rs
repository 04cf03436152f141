//! `!Send` tasks: spawned through a local spawner on the thread that owns
//! the chain, which alone may poll it from then on.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{counting, poll_n, setup, setup_with};
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_core::{
    next_frame, pause, ChainSettings, Clock, DoneStatus, Error, ManualClock, TaskBuilder,
    TaskChain, TaskContext,
};

/// Records, on drop, the thread it was dropped on.
struct DropProbe(Arc<Mutex<Vec<thread::ThreadId>>>);

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(thread::current().id());
    }
}

#[test]
fn rc_state_in_local_coroutines_and_recurring_tasks() {
    let (clock, manager) = setup();
    let local = manager.local_spawner().unwrap();
    let score = Rc::new(RefCell::new(Vec::<String>::new()));

    let s = score.clone();
    let co = local.spawn(async move {
        s.borrow_mut().push("co:start".into());
        next_frame().await;
        s.borrow_mut().push("co:frame".into());
        pause(Duration::from_secs(1)).await.unwrap();
        s.borrow_mut().push("co:paused".into());
        Rc::new(s.borrow().len())
    });
    let s = score.clone();
    let ticks = local.add(move |task: &TaskContext<'_>| {
        s.borrow_mut().push(format!("tick{}", task.frame()));
        if task.frame() < 2 {
            DoneStatus::Cont
        } else {
            DoneStatus::Done
        }
    });
    poll_n(&manager, 3);
    assert!(ticks.is_done());
    assert!(!co.is_done());
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert!(co.is_done());
    let out = co.try_take().unwrap().unwrap();
    assert_eq!(*out, 6);
    assert_eq!(
        *score.borrow(),
        [
            "co:start",
            "tick0",
            "co:frame",
            "tick1",
            "tick2",
            "co:paused"
        ]
    );
    assert_eq!(co.try_take(), Some(Err(Error::AlreadyTaken)));
}

#[test]
fn polling_from_another_thread_after_local_spawner_is_wrong_thread() {
    let (_clock, manager) = setup();
    let other = manager.make_task_chain("other").unwrap();
    let local = manager.local_spawner().unwrap();
    let runs = Rc::new(RefCell::new(0));
    let r = runs.clone();
    local.add(move |_: &TaskContext<'_>| {
        *r.borrow_mut() += 1;
        DoneStatus::Cont
    });
    let other_runs = counter();
    taskchain_core::TaskChainExt::add(&*other, counting(&other_runs, DoneStatus::Cont));
    manager.poll().unwrap();
    thread::scope(|s| {
        let m = &manager;
        let res = s
            .spawn(move || {
                (
                    m.poll(),
                    m.default_chain().poll(),
                    m.local_spawner().map(|_| ()),
                )
            })
            .join()
            .unwrap();
        assert_eq!(
            res,
            (
                Err(Error::WrongThread),
                Err(Error::WrongThread),
                Err(Error::WrongThread)
            )
        );
    });
    assert_eq!(
        *runs.borrow(),
        1,
        "the local task did not run off its thread"
    );
    manager.poll().unwrap();
    assert_eq!(*runs.borrow(), 2);
    // The owner may take another spawner.
    assert!(manager.local_spawner().is_ok());
    // Chains without local tasks can still be polled from elsewhere.
    let before = get(&other_runs);
    thread::scope(|s| {
        s.spawn(|| other.poll().unwrap());
    });
    assert_eq!(get(&other_runs), before + 1);
}

#[test]
fn run_until_complete_with_a_non_send_future() {
    let (clock, manager) = setup_with(
        ManualClock::with_tick_step(Duration::from_millis(10)),
        ChainSettings::default().tick_clock(true),
    );
    let shared = Rc::new(RefCell::new(1u32));
    let s = shared.clone();
    let out = manager.run_until_complete(async move {
        for _ in 0..3 {
            next_frame().await;
            *s.borrow_mut() *= 2;
        }
        pause(Duration::from_millis(50)).await.unwrap();
        let rc: Rc<u32> = Rc::new(*s.borrow() + 1);
        rc
    });
    assert_eq!(out.map(|rc| *rc), Ok(9));
    assert_eq!(*shared.borrow(), 8);
    assert!(clock.now() >= Duration::from_millis(50));
}

#[test]
fn run_until_complete_from_another_thread_is_wrong_thread() {
    let (_clock, manager) = setup();
    let _local = manager.local_spawner().unwrap();
    thread::scope(|s| {
        let m = &manager;
        let r = s
            .spawn(move || m.run_until_complete(async { 1 }))
            .join()
            .unwrap();
        assert_eq!(r, Err(Error::WrongThread));
    });
}

// regression: `run_until_complete` bound the default chain to its thread
// for good: `poll()` from any other thread was `WrongThread` afterwards.
#[test]
fn run_until_complete_leaves_the_chain_unbound() {
    let (_clock, manager) = setup();
    let rc = Rc::new(2);
    assert_eq!(manager.run_until_complete(async move { *rc * 3 }), Ok(6));
    thread::scope(|s| {
        let m = &manager;
        let polled = s
            .spawn(move || {
                let task = m.spawn(async { 7 });
                (m.poll(), m.run_until(&task))
            })
            .join()
            .unwrap();
        assert_eq!(polled, (Ok(()), Ok(7)));
    });
    // Another thread may now run a `!Send` future of its own.
    thread::scope(|s| {
        let m = &manager;
        let r = s.spawn(move || m.run_until_complete(async { Rc::new(1) }).map(|rc| *rc));
        assert_eq!(r.join().unwrap(), Ok(1));
    });
}

#[test]
fn run_until_complete_keeps_a_binding_made_by_a_local_spawner() {
    let (_clock, manager) = setup();
    // Made inside the future: its tasks bind the chain for good.
    let manager = Rc::new(manager);
    let inner = manager.clone();
    let later = manager
        .run_until_complete(async move {
            let local = inner.local_spawner().unwrap();
            // Returned unawaited: it outlives the call.
            vec![local.spawn(async { Rc::new(5) })]
        })
        .unwrap()
        .remove(0);
    thread::scope(|s| {
        let m = &*manager;
        // `TaskManager` is `Sync`; the `Rc` around it stays here.
        let r = s.spawn(move || m.poll()).join().unwrap();
        assert_eq!(r, Err(Error::WrongThread));
    });
    manager.poll().unwrap();
    assert_eq!(later.try_take().map(|r| r.map(|rc| *rc)), Some(Ok(5)));
}

#[test]
fn local_task_cancelled_from_another_thread_is_dropped_on_the_owner() {
    let (_clock, manager) = setup();
    let local = manager.local_spawner().unwrap();
    let dropped_on: Arc<Mutex<Vec<thread::ThreadId>>> = Arc::default();
    let deaths = counter();
    let probe = DropProbe(dropped_on.clone());
    let state = Rc::new(5);
    let handle = {
        let deaths = deaths.clone();
        local
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    let _ = (&probe, &state);
                    DoneStatus::Cont
                })
                .upon_death(move |clean| {
                    assert!(!clean);
                    bump(&deaths);
                }),
            )
            .unwrap()
    };
    manager.poll().unwrap();
    let any = handle.as_any();
    assert!(thread::spawn(move || any.cancel()).join().unwrap());
    assert!(handle.is_cancel_requested());
    assert!(
        dropped_on.lock().unwrap().is_empty(),
        "not dropped off-thread"
    );
    manager.poll().unwrap();
    assert!(handle.is_cancelled());
    assert_eq!(get(&deaths), 1);
    assert_eq!(*dropped_on.lock().unwrap(), [thread::current().id()]);
}

#[test]
fn local_handle_done_callback_and_cancel_on_the_owner() {
    let (_clock, manager) = setup();
    let local = manager.local_spawner().unwrap();
    let calls = counter();
    let gate = manager.promise::<u32>();
    let seen = Rc::new(RefCell::new(None));
    let handle = {
        let (gate, seen) = (gate.clone(), seen.clone());
        local.spawn_fallible(async move {
            let r = gate.await;
            *seen.borrow_mut() = Some(r.clone());
            r
        })
    };
    {
        let calls = calls.clone();
        handle
            .add_done_callback(move |t| {
                assert!(t.is_cancelled());
                bump(&calls);
            })
            .unwrap();
    }
    manager.poll().unwrap();
    assert!(handle.cancel());
    manager.poll().unwrap();
    assert!(handle.is_cancelled());
    assert_eq!(*seen.borrow(), Some(Err(Error::Cancelled)));
    assert_eq!(get(&calls), 0, "callback on a later poll");
    manager.poll().unwrap();
    assert_eq!(get(&calls), 1);
}

#[test]
fn shutdown_on_the_owner_drops_local_tasks() {
    let (_clock, manager) = setup();
    let local = manager.local_spawner().unwrap();
    let dropped_on: Arc<Mutex<Vec<thread::ThreadId>>> = Arc::default();
    let probe = DropProbe(dropped_on.clone());
    let rc = Rc::new(());
    let rc2 = rc.clone();
    let h = local.spawn(async move {
        let _keep = (probe, rc2);
        std::future::pending::<()>().await;
    });
    manager.poll().unwrap();
    assert_eq!(Rc::strong_count(&rc), 2);
    manager.shutdown();
    assert!(h.is_cancelled());
    assert_eq!(Rc::strong_count(&rc), 1);
    assert_eq!(*dropped_on.lock().unwrap(), [thread::current().id()]);
}

// regression: a chain claimed by another thread mid-poll ran its !Send task on this thread.
#[test]
fn local_task_never_polled_off_owner_thread_when_claimed_mid_poll() {
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
