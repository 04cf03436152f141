//! The shared conformance suite on threaded chains over `ThreadPool`: each
//! fixture gets a fresh pool with as many workers as the chain.

mod common;

use common::on_pool;
use taskchain_conformance::{check_random_programs, run_scenarios};

/// Default number of random programs per chain; `TASKCHAIN_PROPTEST_CASES`
/// overrides it.
const CASES: u32 = 64;

#[test]
fn scenarios_with_one_worker() {
    run_scenarios(on_pool(1));
}

#[test]
fn scenarios_with_two_workers() {
    run_scenarios(on_pool(2));
}

#[test]
fn random_programs_with_one_worker() {
    check_random_programs(on_pool(1), CASES);
}

#[test]
fn random_programs_with_two_workers() {
    check_random_programs(on_pool(2), CASES);
}
