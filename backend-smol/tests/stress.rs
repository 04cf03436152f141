//! The stress suite and the shutdown check on threaded chains over
//! `SmolRuntime`, with one worker and with two, and over `AsyncStdRuntime`
//! with the `async-std` feature (the million suspended coroutines, which
//! need the counting allocator, are in `stress_memory.rs`).

use std::sync::Arc;

use taskchain_conformance::stress::{
    check_cancel_storms, check_delayed_removal, check_panics_under_load, stress_size,
};
use taskchain_conformance::{check_shutdown, ShutdownBy, ThreadOwnership, ThreadedChainFactory};
use taskchain_core::Runtime;
use taskchain_smol::SmolRuntime;

fn on_smol(workers: usize) -> ThreadedChainFactory {
    ThreadedChainFactory::new("smol", workers, move || {
        let runtime = SmolRuntime::new(workers)
            .unwrap_or_else(|e| panic!("cannot start a smol runtime: {e}"));
        Arc::new(runtime) as Arc<dyn Runtime>
    })
}

#[test]
fn delayed_tasks_removed_by_name_and_respawned() {
    for workers in [1, 2] {
        check_delayed_removal(&on_smol(workers), stress_size(10_000, 200));
    }
}

#[test]
fn cancel_storms() {
    for workers in [1, 2] {
        check_cancel_storms(&on_smol(workers), stress_size(1_000, 10));
    }
}

#[test]
fn panics_in_one_task_in_ten_under_load() {
    for workers in [1, 2] {
        check_panics_under_load(&on_smol(workers), stress_size(10_000, 200));
    }
}

#[test]
fn shutdown_with_tasks_running_sleeping_and_awaiting() {
    for workers in [1, 2] {
        check_shutdown(
            &on_smol(workers),
            ShutdownBy::Shutdown,
            ThreadOwnership::Owned,
        );
    }
}

#[test]
fn drop_with_tasks_running_sleeping_and_awaiting() {
    for workers in [1, 2] {
        check_shutdown(&on_smol(workers), ShutdownBy::Drop, ThreadOwnership::Owned);
    }
}

#[cfg(feature = "async-std")]
mod async_std {
    use super::*;
    use taskchain_smol::AsyncStdRuntime;

    /// async-std's runtime is global: every fixture shares it, and its
    /// threads outlive every chain.
    fn on_async_std() -> ThreadedChainFactory {
        ThreadedChainFactory::new("async-std", 2, || {
            Arc::new(AsyncStdRuntime) as Arc<dyn Runtime>
        })
    }

    #[test]
    fn delayed_tasks_removed_by_name_and_respawned_on_async_std() {
        check_delayed_removal(&on_async_std(), stress_size(10_000, 200));
    }

    #[test]
    fn cancel_storms_on_async_std() {
        check_cancel_storms(&on_async_std(), stress_size(1_000, 10));
    }

    #[test]
    fn panics_in_one_task_in_ten_under_load_on_async_std() {
        check_panics_under_load(&on_async_std(), stress_size(10_000, 200));
    }

    #[test]
    fn shutdown_with_tasks_running_sleeping_and_awaiting_on_async_std() {
        check_shutdown(
            &on_async_std(),
            ShutdownBy::Shutdown,
            ThreadOwnership::Shared,
        );
    }

    #[test]
    fn drop_with_tasks_running_sleeping_and_awaiting_on_async_std() {
        check_shutdown(&on_async_std(), ShutdownBy::Drop, ThreadOwnership::Shared);
    }
}
