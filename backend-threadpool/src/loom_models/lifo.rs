//! The LIFO slot and the searching cap: a job a running task puts in its
//! worker's slot runs exactly once, even when that worker then blocks
//! (a watching worker takes it) or races a watcher for it; a worker woken
//! for a burst of spawns wakes another for the work it leaves.
//!
//! A watch times out at once under loom (see `sync::loom_parker`), so the
//! models see it fire at every point of an execution.

use std::sync::Arc;

use super::{check, ModelPool, Runs};

/// A task spawned from outside spawns another (into its worker's LIFO
/// slot) and then blocks its worker until that one ran, or (`blocks`
/// false) just returns, racing the other worker, which may watch and take
/// the slot's job. The spawned job runs once either way.
fn lifo_job_runs_once(blocks: bool) {
    check(move || {
        let pool = ModelPool::start(2);
        let runs = Runs::new(2);
        let task_runs = runs.clone();
        let shared = Arc::downgrade(&pool.shared);
        pool.shared
            .spawn(async move {
                // Weak: a strong pool handle inside a task would keep the
                // pool alive through its own queue.
                if let Some(shared) = shared.upgrade() {
                    let runs = task_runs.clone();
                    shared.spawn(async move { runs.record(1) }).detach();
                }
                task_runs.record(0);
                if blocks {
                    task_runs.wait(1);
                }
            })
            .detach();
        runs.wait_all();
        pool.shut_down();
        assert_eq!(runs.counts(), [1, 1]);
    });
}

/// The owner blocks: only the other worker can run the slot's job.
#[test]
fn loom_lifo_job_of_a_blocked_worker_is_taken_by_a_watcher() {
    lifo_job_runs_once(true);
}

/// The owner returns and takes its slot's job, racing a watcher.
#[test]
fn loom_lifo_job_runs_once_racing_owner_and_watcher() {
    lifo_job_runs_once(false);
}

/// Two tasks spawned from outside, the first blocking its worker until the
/// second ran: the worker woken for the first counts as searching (so the
/// second spawn may wake nobody), and must wake the other worker for the
/// second when it stops searching, wherever the second is (the injector,
/// or its own queue after a batch steal).
#[test]
fn loom_searching_worker_wakes_another_for_work_left() {
    check(|| {
        let pool = ModelPool::start(2);
        let runs = Runs::new(2);
        let first_runs = runs.clone();
        pool.shared
            .spawn(async move {
                first_runs.record(0);
                first_runs.wait(1);
            })
            .detach();
        pool.spawn_recording(&runs, 1);
        runs.wait_all();
        pool.shut_down();
        assert_eq!(runs.counts(), [1, 1]);
    });
}
