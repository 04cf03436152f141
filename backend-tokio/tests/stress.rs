//! The stress suite and the shutdown check on threaded chains over
//! `TokioRuntime`, with one worker and with two (the million suspended
//! coroutines, which need the counting allocator, are in
//! `stress_memory.rs`).

use std::sync::Arc;

use taskchain_conformance::stress::{
    check_cancel_storms, check_delayed_removal, check_panics_under_load, stress_size,
};
use taskchain_conformance::{check_shutdown, ShutdownBy, ThreadOwnership, ThreadedChainFactory};
use taskchain_core::Runtime;
use taskchain_tokio::TokioRuntime;

fn on_tokio(workers: usize) -> ThreadedChainFactory {
    ThreadedChainFactory::new("tokio", workers, move || {
        let runtime = TokioRuntime::new(workers)
            .unwrap_or_else(|e| panic!("cannot build a tokio runtime: {e}"));
        Arc::new(runtime) as Arc<dyn Runtime>
    })
}

#[test]
fn delayed_tasks_removed_by_name_and_respawned() {
    for workers in [1, 2] {
        check_delayed_removal(&on_tokio(workers), stress_size(10_000, 200));
    }
}

#[test]
fn cancel_storms() {
    for workers in [1, 2] {
        check_cancel_storms(&on_tokio(workers), stress_size(1_000, 10));
    }
}

#[test]
fn panics_in_one_task_in_ten_under_load() {
    for workers in [1, 2] {
        check_panics_under_load(&on_tokio(workers), stress_size(10_000, 200));
    }
}

#[test]
fn shutdown_with_tasks_running_sleeping_and_awaiting() {
    for workers in [1, 2] {
        check_shutdown(
            &on_tokio(workers),
            ShutdownBy::Shutdown,
            ThreadOwnership::Owned,
        );
    }
}

#[test]
fn drop_with_tasks_running_sleeping_and_awaiting() {
    for workers in [1, 2] {
        check_shutdown(&on_tokio(workers), ShutdownBy::Drop, ThreadOwnership::Owned);
    }
}
