//! Sleep/wake: a worker that finds no work announces, re-checks and parks,
//! racing pushers that push then notify; the pushed task always runs (a
//! lost wake-up leaves every thread blocked: a loom deadlock).

use loom::thread;

use super::{check, ModelPool, Runs};

/// Spawns one task from each of `pushers` threads of their own while both
/// workers go to sleep; waits for every task.
fn pushers_race_sleeping_workers(pushers: usize) {
    check(move || {
        let pool = ModelPool::start(2);
        let runs = Runs::new(pushers);
        let pushing: Vec<_> = (0..pushers)
            .map(|task| {
                let shared = pool.shared.clone();
                let runs = runs.clone();
                thread::spawn(move || shared.spawn(async move { runs.record(task) }).detach())
            })
            .collect();
        for pusher in pushing {
            pusher.join().expect("a pusher panicked");
        }
        runs.wait_all();
        pool.shut_down();
        assert_eq!(runs.counts(), vec![1; pushers]);
    });
}

/// Two workers, one pusher.
#[test]
fn loom_one_pusher_wakes_a_sleeping_worker() {
    pushers_race_sleeping_workers(1);
}

/// Two workers, two pushers: each push wakes a worker, or finds one awake
/// that will see its task.
#[test]
fn loom_two_pushers_wake_sleeping_workers() {
    pushers_race_sleeping_workers(2);
}
