//! Shutdown racing idle workers: every worker, whether searching,
//! announcing, re-checking or parked, exits and is joined.

use super::{check, ModelPool, Runs};

/// Shutdown while both workers go idle with nothing to do.
#[test]
fn loom_shutdown_joins_idle_workers() {
    check(|| {
        let pool = ModelPool::start(2);
        pool.shut_down();
    });
}

/// Shutdown right after a spawn: the task runs or is dropped, never both
/// and never twice, and every worker still exits.
#[test]
fn loom_shutdown_racing_a_spawn_joins_workers() {
    check(|| {
        let pool = ModelPool::start(2);
        let runs = Runs::new(1);
        let task_runs = runs.clone();
        pool.shared
            .spawn(async move { task_runs.record(0) })
            .detach();
        pool.shut_down();
        assert!(runs.counts()[0] <= 1, "ran {:?} times", runs.counts());
    });
}
