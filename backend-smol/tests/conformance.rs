//! The shared conformance suite on threaded chains over `SmolRuntime` (and
//! over `AsyncStdRuntime` with the `async-std` feature): each smol fixture
//! gets a fresh runtime with as many threads as the chain has workers.

mod chain_factory;

use chain_factory::on_smol;
use taskchain_conformance::{check_random_programs, run_scenarios};

/// Default number of random programs per chain; `TASKCHAIN_PROPTEST_CASES`
/// overrides it.
const CASES: u32 = 64;

#[test]
fn scenarios_with_one_worker() {
    run_scenarios(on_smol(1));
}

#[test]
fn scenarios_with_two_workers() {
    run_scenarios(on_smol(2));
}

#[test]
fn random_programs_with_one_worker() {
    check_random_programs(on_smol(1), CASES);
}

#[test]
fn random_programs_with_two_workers() {
    check_random_programs(on_smol(2), CASES);
}

#[cfg(feature = "async-std")]
mod async_std {
    use super::chain_factory::on_async_std;
    use super::*;

    #[test]
    fn scenarios_on_async_std() {
        run_scenarios(on_async_std(2));
    }

    #[test]
    fn random_programs_on_async_std() {
        check_random_programs(on_async_std(2), CASES);
    }
}
