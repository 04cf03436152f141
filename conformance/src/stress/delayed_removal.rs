//! Thousands of delayed tasks removed by name in bulk and respawned while
//! the clock moves, then a shutdown: the reference engine's own stress
//! case. Proves that removal by name hits exactly the live tasks of that
//! name (all sleeping, so all cancelled at once), that nothing runs before
//! it is due and everything due runs, and that shutdown cancels the rest,
//! each task's `upon_death` once and nothing left alive.

use std::time::Duration;

use taskchain_core::{AsyncFuture, Clock, Error, TaskBuilder, TaskChainExt, TaskHandle};

use super::{DeathBook, STRESS_PATIENCE};
use crate::kit::drops::{DropCounter, DropToken};
use crate::kit::rng::Rng;
use crate::settle::settle_for;
use crate::ChainFactory;

/// How many names the tasks share: few, so one removal hits many tasks.
const NAMES: u64 = 16;

/// The longest delay drawn, in milliseconds.
const MAX_DELAY_MS: u64 = 2_000;

/// The longest clock advance between two looks, in milliseconds: the clock
/// moves slower than delays are drawn, so tasks pile up asleep.
const MAX_ADVANCE_MS: u64 = 150;

/// Batches the tasks are spawned in; removals, respawns and a clock
/// advance follow each batch.
const BATCHES: usize = 25;

/// Removals by name after each batch.
const REMOVALS_PER_BATCH: usize = 3;

/// One spawned task and what the check knows of it.
struct Spawned {
    handle: TaskHandle<(usize, DropToken)>,
    name: u64,
    due: Duration,
    removed: bool,
}

fn task_name(name: u64) -> String {
    format!("stress-delayed-{name}")
}

/// Spawns `tasks` delayed coroutine tasks (in total, respawns included)
/// with seeded random delays and names on a fixture from `factory`,
/// removes names in bulk and respawns as many tasks under the removed name
/// (until `tasks` were spawned), advances the clock in between, then shuts
/// the manager down. Checks:
///
/// - `remove_by_name` removes exactly the live tasks of that name, each
///   cancelled by the time it returns;
/// - no task runs before its delay is up; every task due runs and returns
///   its own value;
/// - after `shutdown()`, every task is done: removed ones and those not due
///   yet cancelled, the others with their value;
/// - each task's `upon_death` ran once (clean exactly for those that ran);
/// - no coroutine or value is alive once the values are read.
///
/// # Panics
///
/// When a check fails, or something due does not happen within the stress
/// watchdog.
pub fn check_delayed_removal<F: ChainFactory>(factory: &F, tasks: usize) {
    let fx = factory.build();
    let mut rng = Rng::new(0x5EED_DE1A_7ED0_0001);
    let guards = DropCounter::default();
    let deaths = DeathBook::new(tasks);
    let mut spawned: Vec<Spawned> = Vec::with_capacity(tasks);

    let spawn = |spawned: &mut Vec<Spawned>, rng: &mut Rng, name: u64| {
        let index = spawned.len();
        let delay = Duration::from_millis(1 + rng.below(MAX_DELAY_MS));
        let guard = guards.token();
        let task = TaskBuilder::coroutine(async move { (index, guard) })
            .name(&task_name(name))
            .delay(delay)
            .upon_death(deaths.hook(index));
        let handle = fx
            .chain
            .add_task(task)
            .unwrap_or_else(|e| panic!("add_task of delayed task {index}: {e:?}"));
        spawned.push(Spawned {
            handle,
            name,
            due: fx.clock.now() + delay,
            removed: false,
        });
    };

    let batch = tasks.div_ceil(BATCHES).max(1);
    while spawned.len() < tasks {
        for _ in 0..batch.min(tasks - spawned.len()) {
            let name = rng.below(NAMES);
            spawn(&mut spawned, &mut rng, name);
        }
        for _ in 0..REMOVALS_PER_BATCH {
            let name = rng.below(NAMES);
            // Everything due has run (settled below), so every live task
            // of the name is asleep and removal must cancel each at once.
            let live: Vec<usize> = (0..spawned.len())
                .filter(|&i| spawned[i].name == name && !spawned[i].handle.is_done())
                .collect();
            let removed = fx.chain.remove_by_name(&task_name(name));
            assert_eq!(
                removed,
                live.len(),
                "remove_by_name({:?}) removed a different number of tasks than were live",
                task_name(name)
            );
            for &i in &live {
                let s = &mut spawned[i];
                assert!(
                    s.handle.is_done() && s.handle.is_cancelled(),
                    "task {i}, asleep, was not cancelled by the time remove_by_name returned"
                );
                s.removed = true;
            }
            let respawns = removed.min(tasks - spawned.len());
            for _ in 0..respawns {
                spawn(&mut spawned, &mut rng, name);
            }
        }
        fx.clock
            .advance(Duration::from_millis(rng.below(MAX_ADVANCE_MS + 1)));
        settle_due(factory, &fx, &spawned);
    }
    // Past half the delays: some run, the rest are left to the shutdown.
    fx.clock.advance(Duration::from_millis(MAX_DELAY_MS / 2));
    settle_due(factory, &fx, &spawned);
    let now = fx.clock.now();
    fx.manager.shutdown();
    assert_eq!(fx.chain.stats().total(), 0, "tasks left after shutdown");

    let (mut ran, mut removed, mut shut) = (0, 0, 0);
    for (i, s) in spawned.iter().enumerate() {
        assert!(s.handle.is_done(), "task {i} not done after shutdown");
        let r = s
            .handle
            .result(Some(Duration::ZERO))
            .map(|(index, _)| index);
        if s.removed {
            assert_eq!(r, Err(Error::Cancelled), "removed task {i}");
            deaths.assert_once(i, false, "removed");
            removed += 1;
        } else if s.due <= now {
            assert_eq!(r, Ok(i), "task {i} was due and must have run");
            deaths.assert_once(i, true, "ran");
            ran += 1;
        } else {
            assert_eq!(r, Err(Error::Cancelled), "task {i}, not due, at shutdown");
            deaths.assert_once(i, false, "cancelled by shutdown");
            shut += 1;
        }
    }
    assert_eq!(ran + removed + shut, tasks);
    if tasks >= 100 {
        // The seeded run exercises every path; a size too small to may
        // not, and then checks less.
        assert!(
            ran > 0 && removed > 0 && shut > 0,
            "every path taken: {ran} ran, {removed} removed, {shut} cancelled by shutdown"
        );
    }
    assert_eq!(
        guards.alive(),
        0,
        "coroutines or values alive after shutdown and reading every value"
    );
    drop(spawned);
    drop(fx);
    assert_eq!(guards.alive(), 0, "alive after dropping everything");
}

/// Drives until every task due by now (and not removed) is done, and
/// checks that no task not yet due has run.
fn settle_due<F: ChainFactory>(factory: &F, fx: &crate::Fixture, spawned: &[Spawned]) {
    let now = fx.clock.now();
    settle_for(
        factory,
        fx,
        "every delayed task due to run",
        STRESS_PATIENCE,
        || {
            spawned
                .iter()
                .all(|s| s.removed || s.due > now || s.handle.is_done())
        },
    );
    for (i, s) in spawned.iter().enumerate() {
        assert!(
            s.removed || s.due <= now || !s.handle.is_done(),
            "task {i} ran before its delay was up (due at {:?}, now {now:?})",
            s.due
        );
    }
}
