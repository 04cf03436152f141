//! The stress suite and the shutdown check on the embedded frame chain
//! (the million suspended coroutines, which need the counting allocator,
//! are in `stress_memory.rs`).

use taskchain_conformance::stress::{
    check_cancel_storms, check_delayed_removal, check_panics_under_load, check_teardown_races,
    stress_size, teardown_rounds,
};
use taskchain_conformance::{check_shutdown, FrameChainFactory, ShutdownBy, ThreadOwnership};

#[test]
fn delayed_tasks_removed_by_name_and_respawned() {
    check_delayed_removal(&FrameChainFactory::new(), stress_size(10_000, 500));
}

#[test]
fn cancel_storms() {
    check_cancel_storms(&FrameChainFactory::new(), stress_size(300, 20));
}

#[test]
fn panics_in_one_task_in_ten_under_load() {
    check_panics_under_load(&FrameChainFactory::new(), stress_size(10_000, 500));
}

#[test]
fn shutdown_with_tasks_running_sleeping_and_awaiting() {
    check_shutdown(
        &FrameChainFactory::new(),
        ShutdownBy::Shutdown,
        ThreadOwnership::Owned,
    );
}

#[test]
fn drop_with_tasks_running_sleeping_and_awaiting() {
    check_shutdown(
        &FrameChainFactory::new(),
        ShutdownBy::Drop,
        ThreadOwnership::Owned,
    );
}

// regression: set_result, wakes and sends racing the manager's last drop
// ran callbacks inline and left callbacks and task references in the
// chain's queues after its shutdown took them, leaking the chain core.
#[test]
fn teardown_races() {
    check_teardown_races(&[FrameChainFactory::new()], teardown_rounds(10_000, 20));
}
