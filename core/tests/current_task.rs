//! `current_task()`: a coroutine's view of its own task (Panda3D's `task`
//! argument, asyncio's `current_task()`), `None` outside any task.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::setup;
use taskchain_core::{
    current_task, next_frame, pause, AsyncFuture, DoneStatus, Error, TaskBuilder, TaskContext,
};

#[test]
fn a_coroutine_reads_its_own_properties() {
    let (clock, manager) = setup();
    let task = manager
        .add_task(
            TaskBuilder::coroutine(async {
                let me = current_task().expect("inside a task");
                let first = (me.frame_count(), me.elapsed());
                next_frame().await;
                pause(Duration::from_secs(2)).await.unwrap();
                let me = current_task().unwrap();
                (
                    me.id(),
                    me.name().map(str::to_owned),
                    me.sort(),
                    me.priority(),
                    me.chain_name().to_owned(),
                    first,
                    me.frame_count(),
                    me.elapsed(),
                )
            })
            .name("walker")
            .sort(3)
            .priority(-2),
        )
        .unwrap();
    for _ in 0..4 {
        manager.poll().unwrap();
        clock.advance(Duration::from_secs(1));
    }
    let (id, name, sort, priority, chain, first, frames, elapsed) =
        task.try_take().expect("done").unwrap();
    assert_eq!(id, task.id());
    assert_eq!(name.as_deref(), Some("walker"));
    assert_eq!((sort, priority), (3, -2));
    assert_eq!(chain, "default");
    assert_eq!(first, (0, Duration::ZERO));
    assert_eq!(frames, 3, "ran in frames 0, 1 and (after the pause) 3");
    assert_eq!(elapsed, Duration::from_secs(3));
}

#[test]
fn outside_a_task_there_is_none() {
    let (_clock, manager) = setup();
    assert!(current_task().is_none());
    let seen = Arc::new(Mutex::new(None));
    let promise = manager.promise::<u32>();
    promise
        .add_done_callback({
            let seen = seen.clone();
            move |_| *seen.lock().unwrap() = Some(current_task().is_none())
        })
        .unwrap();
    promise.set_result(1).unwrap();
    manager.poll().unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        Some(true),
        "a done callback is no task"
    );
}

#[test]
fn a_recurring_task_sees_the_same_task_as_its_context() {
    let (_clock, manager) = setup();
    let seen = Arc::new(Mutex::new(None));
    let task = manager.add({
        let seen = seen.clone();
        move |ctx: &TaskContext<'_>| {
            *seen.lock().unwrap() = current_task().map(|t| t.id() == ctx.id());
            DoneStatus::Done
        }
    });
    manager.run_until(&task).unwrap();
    assert_eq!(*seen.lock().unwrap(), Some(true));
}

#[test]
fn a_coroutine_removes_itself() {
    let (_clock, manager) = setup();
    let gate = manager.promise::<u32>();
    let task = manager.spawn_fallible({
        let gate = gate.clone();
        async move {
            assert!(current_task().unwrap().cancel(), "a request of its own");
            // Delivered at the next await, and propagated.
            gate.await?;
            Ok::<_, Error>("not reached")
        }
    });
    manager.poll().unwrap();
    assert!(task.is_cancelled());
    assert!(gate.is_cancelled());
}

#[test]
fn a_coroutine_renames_itself() {
    let (_clock, manager) = setup();
    let task = manager
        .add_task(
            TaskBuilder::coroutine(async {
                current_task().unwrap().set_name("renamed");
                next_frame().await;
            })
            .name("first"),
        )
        .unwrap();
    manager.poll().unwrap();
    assert!(manager.find_task("first").is_none());
    assert_eq!(
        manager.find_task("renamed").map(|t| t.id()),
        Some(task.id())
    );
}
