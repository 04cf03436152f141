//! The conformance suite on threaded chains, run on a tiny local runtime
//! (a thread per worker): the backends run the same suite on theirs.

mod local_runtime;

use local_runtime::ThreadPerFuture;
use taskchain_conformance::stress::{check_teardown_races, teardown_rounds};
use taskchain_conformance::{check_random_programs, run_scenarios, ThreadedChainFactory};

/// Default number of random programs per chain; `TASKCHAIN_PROPTEST_CASES`
/// overrides it.
const CASES: u32 = 32;

fn one_worker() -> ThreadedChainFactory {
    ThreadedChainFactory::new("a local runtime", 1, || ThreadPerFuture::start(1))
}

fn two_workers() -> ThreadedChainFactory {
    ThreadedChainFactory::new("a local runtime", 2, || ThreadPerFuture::start(2))
}

#[test]
fn scenarios_with_one_worker() {
    run_scenarios(one_worker());
}

#[test]
fn scenarios_with_two_workers() {
    run_scenarios(two_workers());
}

#[test]
fn random_programs_with_one_worker() {
    check_random_programs(one_worker(), CASES);
}

#[test]
fn random_programs_with_two_workers() {
    check_random_programs(two_workers(), CASES);
}

// regression: set_result, wakes and sends racing the manager's last drop
// left callbacks and task references in the chain's queues after its
// shutdown took them, leaking the chain core.
#[test]
fn teardown_races() {
    check_teardown_races(&[one_worker(), two_workers()], teardown_rounds(10_000, 20));
}
