//! Queue hand-off: a task pushed while the workers search, go idle or
//! steal from each other runs exactly once.

use std::sync::Arc;

use super::{check, ModelPool, Runs};

/// A task spawned from outside the pool goes to the injector while both
/// workers are starting, searching, announcing or parked: one of them runs
/// it, once.
#[test]
fn loom_injected_task_runs_once() {
    check(|| {
        let pool = ModelPool::start(2);
        let runs = Runs::new(1);
        pool.spawn_recording(&runs, 0);
        runs.wait_all();
        pool.shut_down();
        assert_eq!(runs.counts(), [1]);
    });
}

/// A task running on a worker spawns three more, which go to that
/// worker's local queue; the other worker, woken for them, may steal a
/// batch (two: one to run, one for its own queue) while the owner pops.
/// Each runs once: a steal neither loses nor duplicates.
#[test]
fn loom_local_tasks_stolen_run_once() {
    check(|| {
        let pool = ModelPool::start(2);
        let runs = Runs::new(4);
        let task_runs = runs.clone();
        let shared = Arc::downgrade(&pool.shared);
        pool.shared
            .spawn(async move {
                // Weak: a strong pool handle inside a task would keep the
                // pool alive through its own queue.
                if let Some(shared) = shared.upgrade() {
                    for task in 1..4 {
                        let runs = task_runs.clone();
                        shared.spawn(async move { runs.record(task) }).detach();
                    }
                }
                task_runs.record(0);
            })
            .detach();
        runs.wait_all();
        pool.shut_down();
        assert_eq!(runs.counts(), [1, 1, 1, 1]);
    });
}
