//! Shutdown racing idle workers and spawns: every worker, whether
//! searching, announcing, re-checking or parked, exits and is joined, and
//! no task is left in a queue.

use std::sync::Arc;

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

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
        pool.spawn_recording(&runs, 0);
        pool.shut_down();
        assert!(runs.counts()[0] <= 1, "ran {:?} times", runs.counts());
    });
}

/// Sets its flag when dropped: a task's future was dropped (run to the
/// end, or cancelled), not stranded in a queue.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Shutdown on one thread racing a spawn from another: once both have
/// returned, the task ran at most once and its future is gone (run,
/// refused, or dropped by whichever of the two saw the other), never left
/// in the injector with no worker to take it; every worker exits.
#[test]
fn loom_shutdown_racing_a_spawn_from_another_thread_drops_its_future() {
    check(|| {
        let pool = ModelPool::start(2);
        let runs = Runs::new(1);
        let dropped = Arc::new(AtomicBool::new(false));
        let pusher = {
            let shared = pool.shared.clone();
            let runs = runs.clone();
            let guard = DropFlag(dropped.clone());
            thread::spawn(move || {
                shared
                    .spawn(async move {
                        let _guard = guard;
                        runs.record(0);
                    })
                    .detach();
            })
        };
        pool.shut_down();
        pusher.join().expect("the pusher panicked");
        assert!(dropped.load(Ordering::SeqCst), "a task was stranded");
        assert!(runs.counts()[0] <= 1, "ran {:?} times", runs.counts());
    });
}
