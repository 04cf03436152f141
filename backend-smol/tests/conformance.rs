//! The shared conformance suite on threaded chains over `SmolRuntime` (and
//! over `AsyncStdRuntime` with the `async-std` feature): each smol fixture
//! gets a fresh runtime with as many threads as the chain has workers.

use std::sync::Arc;

use taskchain_conformance::{check_random_programs, run_scenarios, ThreadedChainFactory};
use taskchain_core::Runtime;
use taskchain_smol::SmolRuntime;

/// Default number of random programs per chain; `TASKCHAIN_PROPTEST_CASES`
/// overrides it.
const CASES: u32 = 64;

fn on_smol(workers: usize) -> ThreadedChainFactory {
    ThreadedChainFactory::new("smol", workers, move || {
        let runtime = SmolRuntime::new(workers)
            .unwrap_or_else(|e| panic!("cannot start a smol runtime: {e}"));
        Arc::new(runtime) as Arc<dyn Runtime>
    })
}

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
    use super::*;
    use taskchain_smol::AsyncStdRuntime;

    /// async-std's runtime is global: every fixture shares it.
    fn on_async_std() -> ThreadedChainFactory {
        ThreadedChainFactory::new("async-std", 2, || {
            Arc::new(AsyncStdRuntime) as Arc<dyn Runtime>
        })
    }

    #[test]
    fn scenarios_on_async_std() {
        run_scenarios(on_async_std());
    }

    #[test]
    fn random_programs_on_async_std() {
        check_random_programs(on_async_std(), CASES);
    }
}
