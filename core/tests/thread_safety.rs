//! Which types cross threads: the manager, chains, promises and task
//! handles are `Send + Sync` (lookups and cancels from any thread), while
//! `!Send` tasks stay behind `!Send` spawners and handles (see the
//! `compile_fail` examples on `LocalSpawner`).

use std::sync::Arc;

use taskchain_core::{
    AnyTask, FrameChain, Gather, ManualClock, Promise, Shield, TaskChain, TaskHandle, TaskManager,
};

fn send_sync<T: Send + Sync>() {}

#[test]
fn shared_types_are_send_and_sync() {
    send_sync::<TaskManager>();
    send_sync::<Arc<FrameChain>>();
    send_sync::<Arc<dyn TaskChain>>();
    send_sync::<Promise<u32>>();
    send_sync::<TaskHandle<String>>();
    send_sync::<AnyTask>();
    send_sync::<Gather<Promise<u32>>>();
    send_sync::<Shield<TaskHandle<u32>>>();
    send_sync::<ManualClock>();
}

#[test]
fn a_manager_can_move_to_the_thread_that_polls_it() {
    let manager = TaskManager::with_clock(ManualClock::new());
    let handle = manager.spawn(async { 6 * 7 });
    let result = std::thread::spawn(move || {
        manager.poll().unwrap();
        manager
    })
    .join()
    .unwrap();
    assert_eq!(result.run_until(&handle), Ok(42));
}
