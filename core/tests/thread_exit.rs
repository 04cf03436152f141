//! A manager kept in a `thread_local!` (the natural home of one holding
//! `!Send` tasks) is dropped by the thread's teardown, after some of the
//! library's own thread-locals are gone: its shutdown must not touch them
//! in a way that panics, since a panic in a thread-local destructor aborts
//! the process. Run in a child process (this test binary, re-executed), so
//! that an abort fails the test instead of killing the test runner.

mod common;

use std::cell::RefCell;
use std::process::Command;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use taskchain_core::{
    pause, AsyncFuture, ChainSettings, DoneStatus, Promise, TaskBuilder, TaskChainExt, TaskContext,
    TaskManager,
};

/// Set in the child process: the test named [`CHILD`] then runs the
/// teardown instead of returning at once.
const CHILD_ENV: &str = "TASKCHAIN_THREAD_EXIT_CHILD";
const CHILD: &str = "a_thread_exit_drops_a_thread_local_manager_in_the_child";

const FOREVER: Duration = Duration::from_secs(3600);

thread_local! {
    static MANAGER: RefCell<Option<TaskManager>> = const { RefCell::new(None) };
}

/// Upon-death calls and done callbacks of the child's tasks, read by the
/// main thread once the managing thread has exited.
static ENDED: AtomicUsize = AtomicUsize::new(0);
static CALLBACKS: AtomicUsize = AtomicUsize::new(0);

/// Spawns one live task of every kind on a manager it keeps in a
/// thread-local, then returns: the thread's teardown drops the manager.
fn fill_a_thread_local_manager() {
    // Thread-locals are destroyed in the reverse order of their first use:
    // used first, the manager's slot goes last, after the library's own.
    MANAGER.with(|_| {});
    let manager = TaskManager::new();
    let never_set: Promise<u32> = manager.promise();
    let ended = |_: bool| {
        ENDED.fetch_add(1, Ordering::SeqCst);
    };
    let callback = |_: &dyn std::any::Any| {
        CALLBACKS.fetch_add(1, Ordering::SeqCst);
    };
    // A coroutine awaiting a promise nobody sets.
    let awaiting = manager
        .add_task(TaskBuilder::coroutine(never_set.clone()).upon_death(ended))
        .unwrap();
    awaiting.add_done_callback(move |h| callback(h)).unwrap();
    // A recurring task that never ends.
    let recurring = manager
        .add_task(TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont).upon_death(ended))
        .unwrap();
    recurring.add_done_callback(move |h| callback(h)).unwrap();
    // A delayed task, never due.
    let delayed = manager
        .add_task(
            TaskBuilder::coroutine(async { 1 })
                .delay(FOREVER)
                .upon_death(ended),
        )
        .unwrap();
    delayed.add_done_callback(move |h| callback(h)).unwrap();
    // A paused coroutine.
    let paused = manager
        .add_task(TaskBuilder::coroutine(pause(FOREVER)).upon_death(ended))
        .unwrap();
    paused.add_done_callback(move |h| callback(h)).unwrap();
    // A `!Send` task on this thread.
    let local = Rc::new(7);
    let local_task = manager
        .local_spawner()
        .unwrap()
        .spawn(async move { pause(FOREVER).await.map(|()| *local) });
    // A threaded chain with a task suspended on the same promise.
    let chain = manager
        .make_threaded_chain(
            "threaded",
            ChainSettings::default().num_threads(1),
            Arc::new(ThreadRuntime),
        )
        .unwrap();
    let threaded = chain.spawn(never_set.clone());
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    assert!(!local_task.is_done() && !threaded.is_done());
    // Only the manager keeps the tasks now.
    drop((awaiting, recurring, delayed, paused));
    drop((local_task, threaded, never_set, chain));
    MANAGER.with(|m| *m.borrow_mut() = Some(manager));
}

// regression: a manager dropped at thread exit panicked on a destroyed
// thread-local (RETIRING) inside a TLS destructor and aborted the process.
#[test]
fn a_manager_in_a_thread_local_dropped_at_thread_exit_does_not_abort() {
    let exe = std::env::current_exe().unwrap();
    let output = Command::new(exe)
        .args([CHILD, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the child ended with {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("ended 4, callbacks 4"),
        "the child's tasks did not all end once:\n{stdout}"
    );
}

/// The child's body: runs only in the child process.
#[test]
fn a_thread_exit_drops_a_thread_local_manager_in_the_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    std::thread::spawn(fill_a_thread_local_manager)
        .join()
        .unwrap();
    println!(
        "ended {}, callbacks {}",
        ENDED.load(Ordering::SeqCst),
        CALLBACKS.load(Ordering::SeqCst)
    );
}
