//! Teardown races: `set_result`, wakes, `cancel` and `send` from several
//! threads against the manager's last drop, round after round. Whatever
//! order they land in, nothing is accepted by the chain after its shutdown
//! took its queues (a task reference or a callback left there would keep
//! the chain core alive through a cycle), no done callback or event
//! handler runs inline in the call that triggered it, and every one of
//! them either ran once or was dropped unrun (the documented fate of a
//! callback dispatched to a closed chain).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Weak};

use taskchain_core::{
    AsyncFuture, ChainCore, Error, Messenger, Promise, TaskBuilder, TaskChainExt, TaskHandle,
};

use super::{stress_size, DeathBook, STRESS_PATIENCE};
use crate::kit::drops::{DropCounter, DropToken};
use crate::scenarios::support::{in_call, is_in_call, wait_until};
use crate::settle::settle_for;
use crate::ChainFactory;

/// Threads setting promises each round (each wakes the coroutine awaiting
/// its promise and dispatches its done callback).
const SETTERS: usize = 3;

/// Tasks of a round: one coroutine per setter's promise, and one awaiting
/// a promise nobody sets, which a racing thread cancels.
const TASKS: usize = SETTERS + 1;

/// The environment variable that sets the number of rounds (CI runs the
/// default; set it higher for a soak).
pub const TEARDOWN_ROUNDS_ENV: &str = "TASKCHAIN_TEARDOWN_ROUNDS";

/// The number of rounds to run: [`TEARDOWN_ROUNDS_ENV`] if it is set to a
/// number, else [`stress_size`]`(release, under_valgrind)` in a release
/// build and a tenth of it in a debug build (the races need the speed of
/// release code to be hit often; CI runs them in release).
pub fn teardown_rounds(release: usize, under_valgrind: usize) -> usize {
    let default = if cfg!(debug_assertions) {
        release / 10
    } else {
        release
    };
    std::env::var(TEARDOWN_ROUNDS_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| stress_size(default, under_valgrind))
}

/// What the callbacks and handlers of one round did.
#[derive(Default)]
struct Ledger {
    /// Runs, per done callback (the handler last).
    ran: [AtomicUsize; SETTERS + 1],
    /// Runs inside the call that triggered them.
    inline: AtomicUsize,
}

impl Ledger {
    fn record(&self, index: usize) {
        self.ran[index].fetch_add(1, Ordering::SeqCst);
        if is_in_call() {
            self.inline.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Runs `rounds` rounds, each on a fresh fixture from one of `factories`
/// in turn (a backend's chain with one worker, then with two, ...). A round
/// spawns coroutines awaiting three promises (each with a done callback)
/// and one awaiting a promise nobody sets, subscribes an event handler on
/// the chain, and lets them all suspend. Then five threads are released
/// at once: three set the promises, one cancels the fourth coroutine, one
/// sends the event, while the driving thread drops the manager, which
/// holds the last reference to the chain. Checks, each round, once every
/// thread is joined and every handle dropped:
///
/// - the chain core is freed (nothing it took after its shutdown keeps
///   it alive);
/// - no done callback or handler ran inline in `set_result`, `cancel` or
///   `send`, and each ran at most once;
/// - every coroutine, callback and handler closure was dropped (ran or
///   not), every task ended and its `upon_death` ran once.
///
/// # Panics
///
/// When a check fails, or the coroutines do not suspend within the stress
/// watchdog.
pub fn check_teardown_races<F: ChainFactory>(factories: &[F], rounds: usize) {
    for (round, factory) in (0..rounds).zip(factories.iter().cycle()) {
        race_one_round(factory, round);
    }
}

fn race_one_round<F: ChainFactory>(factory: &F, round: usize) {
    let fx = factory.build();
    let at = format!("teardown race, round {round} on {}", factory.name());
    let core: Weak<ChainCore> = Arc::downgrade(fx.chain.core());
    let guards = DropCounter::default();
    let deaths = DeathBook::new(TASKS);
    let ledger = Arc::new(Ledger::default());
    let started = Arc::new(AtomicUsize::new(0));

    let promises: Vec<Promise<u64>> = (0..SETTERS).map(|_| fx.chain.promise()).collect();
    let never_set: Promise<u64> = fx.chain.promise();
    let awaiting = |index: usize, promise: &Promise<u64>| -> TaskHandle<Result<u64, Error>> {
        let (guard, promise, started) = (guards.token(), promise.clone(), started.clone());
        let body = async move {
            let _guard = guard;
            started.fetch_add(1, Ordering::SeqCst);
            promise.await
        };
        let task = TaskBuilder::coroutine(body).upon_death(deaths.hook(index));
        fx.chain.add_task(task).expect("add_task")
    };
    let tasks: Vec<_> = promises
        .iter()
        .chain(std::iter::once(&never_set))
        .enumerate()
        .map(|(index, promise)| awaiting(index, promise))
        .collect();
    for (index, promise) in promises.iter().enumerate() {
        let (guard, ledger) = (guards.token(), ledger.clone());
        promise
            .add_done_callback(move |_| {
                let _guard: &DropToken = &guard;
                ledger.record(index);
            })
            .expect("add_done_callback");
    }
    let messenger = Messenger::new(&*fx.chain);
    let subscription = {
        let (guard, ledger) = (guards.token(), ledger.clone());
        messenger
            .accept("ping", move |_: &()| {
                let _guard: &DropToken = &guard;
                ledger.record(SETTERS);
            })
            .expect("accept")
    };
    settle_for(
        factory,
        &fx,
        "every coroutine to suspend",
        STRESS_PATIENCE,
        || started.load(Ordering::SeqCst) == TASKS,
    );

    let barrier = Barrier::new(SETTERS + 3);
    let canceled = &tasks[SETTERS];
    let crate::Fixture { manager, chain, .. } = fx;
    drop(chain);
    std::thread::scope(|s| {
        for (k, promise) in promises.iter().enumerate() {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                let _ = in_call(|| promise.set_result(k as u64));
            });
        }
        s.spawn(|| {
            barrier.wait();
            in_call(|| canceled.cancel());
        });
        s.spawn(|| {
            barrier.wait();
            let _ = in_call(|| messenger.send("ping", ()));
        });
        barrier.wait();
        drop(manager);
    });

    for (index, task) in tasks.iter().enumerate() {
        assert!(task.is_done(), "{at}: task {index} never ended");
        let (clean, unclean) = deaths.calls(index);
        assert_eq!(clean + unclean, 1, "{at}: task {index}'s upon_death calls");
    }
    drop((tasks, promises, never_set, subscription, messenger));
    assert_eq!(
        ledger.inline.load(Ordering::SeqCst),
        0,
        "{at}: a done callback or handler ran inline"
    );
    for (index, ran) in ledger.ran.iter().enumerate() {
        assert!(
            ran.load(Ordering::SeqCst) <= 1,
            "{at}: callback {index} ran twice"
        );
    }
    // A threaded chain's last worker may still be letting go of it on its
    // runtime's thread: waited for, with a watchdog (a leak never ends).
    assert!(
        wait_until(|| core.strong_count() == 0),
        "{at}: the chain core outlived everything (a cycle through its queues)"
    );
    assert_eq!(
        guards.alive(),
        0,
        "{at}: a coroutine, callback or handler was never dropped"
    );
}
