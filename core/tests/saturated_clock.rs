//! A clock pushed to the end of its range saturates there, and tasks keep
//! their ages: `TaskContext::time()` and `frame()` (and a handle's
//! `elapsed()` and `frame_count()`) go on as at any other time.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::setup;
use taskchain_core::{
    Clock, DoneStatus, ManualClock, TaskBuilder, TaskContext, TaskHandle, TaskManager,
};

type Ages = Arc<Mutex<Vec<(Duration, u64)>>>;

/// Adds a recurring task that records `(time(), frame())` on every run.
fn add_aging(manager: &TaskManager) -> (TaskHandle<()>, Ages) {
    let ages = Ages::default();
    let a = ages.clone();
    let handle = manager
        .add_task(TaskBuilder::recurring(move |t: &TaskContext<'_>| {
            a.lock().unwrap().push((t.time(), t.frame()));
            DoneStatus::Cont
        }))
        .unwrap();
    (handle, ages)
}

#[test]
fn a_task_first_run_at_the_end_of_time_still_counts_its_frames() {
    // regression: a start at `u64::MAX` ns read as "not started": frame() stayed 0.
    let (clock, manager) = setup();
    clock.set(Duration::MAX);
    let (handle, ages) = add_aging(&manager);
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    let seen = ages.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            (Duration::ZERO, 0),
            (Duration::ZERO, 1),
            (Duration::ZERO, 2)
        ]
    );
    assert_eq!(handle.frame_count(), 2);
    assert_eq!(handle.elapsed(), Duration::ZERO);
}

#[test]
fn a_task_started_before_the_clock_saturates_ages_to_the_end() {
    let (clock, manager) = setup();
    clock.set(Duration::from_secs(1));
    let (handle, ages) = add_aging(&manager);
    manager.poll().unwrap();
    clock.set(Duration::MAX);
    manager.poll().unwrap();
    // The clock keeps its time in `u64` nanoseconds: `Duration::MAX`
    // saturates to the largest of those.
    let end = Duration::from_nanos(u64::MAX);
    let age = end - Duration::from_secs(1);
    assert_eq!(
        ages.lock().unwrap().clone(),
        vec![(Duration::ZERO, 0), (age, 1)]
    );
    assert_eq!(handle.elapsed(), age);
    assert_eq!(handle.frame_count(), 1);
}

// regression: ManualClock::advance wrapped on a large advance and moved the clock backwards.
#[test]
fn manual_clock_advance_saturates() {
    let clock = ManualClock::new();
    clock.advance(Duration::from_secs(1));
    clock.advance(Duration::MAX);
    assert!(
        clock.now() >= Duration::from_secs(1),
        "clock went back to {:?}",
        clock.now()
    );
}
