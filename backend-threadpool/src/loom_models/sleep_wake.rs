//! Sleep/wake: a worker that finds no work announces, re-checks and parks,
//! racing pushers that push then notify; the pushed task always runs (a
//! lost wake-up leaves every thread blocked: a loom deadlock).

use loom::thread;

use super::{check, ModelPool, Runs};

/// Spawns one task from each of `threads` pusher threads (and one from
/// the model's main thread too if `from_main`) while both workers go to
/// sleep; waits for every task.
fn pushers_race_sleeping_workers(threads: usize, from_main: bool) {
    check(move || {
        let pool = ModelPool::start(2);
        let tasks = threads + usize::from(from_main);
        let runs = Runs::new(tasks);
        let pushers: Vec<_> = (0..threads)
            .map(|task| {
                let shared = pool.shared.clone();
                let runs = runs.clone();
                thread::spawn(move || shared.spawn(async move { runs.record(task) }).detach())
            })
            .collect();
        if from_main {
            let runs = runs.clone();
            pool.shared
                .spawn(async move { runs.record(threads) })
                .detach();
        }
        for pusher in pushers {
            pusher.join().expect("a pusher panicked");
        }
        runs.wait_all();
        pool.shut_down();
        assert_eq!(runs.counts(), vec![1; tasks]);
    });
}

/// Two workers, one pusher thread.
#[test]
fn loom_one_pusher_wakes_a_sleeping_worker() {
    pushers_race_sleeping_workers(1, false);
}

/// Two workers, two pushers (a thread and the model's main thread): each
/// push wakes a worker, or finds one awake that will see its task.
#[test]
fn loom_two_pushers_wake_sleeping_workers() {
    pushers_race_sleeping_workers(1, true);
}
