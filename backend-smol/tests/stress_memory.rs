//! A million suspended coroutines on a threaded chain over `SmolRuntime`
//! (two workers), and over `AsyncStdRuntime` with the `async-std`
//! feature, all cancelled, and the heap back to its baseline. Its own test
//! binary, its tests one after the other: the counting allocator is
//! process-wide, so nothing else may run meanwhile.

use std::sync::Arc;

use taskchain_conformance::kit::alloc::CountingAlloc;
use taskchain_conformance::stress::{check_suspended_coroutines, stress_size};
use taskchain_conformance::ThreadedChainFactory;
use taskchain_core::Runtime;
use taskchain_smol::SmolRuntime;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn a_million_suspended_coroutines_cancelled() {
    let smol = ThreadedChainFactory::new("smol", 2, || {
        let runtime =
            SmolRuntime::new(2).unwrap_or_else(|e| panic!("cannot start a smol runtime: {e}"));
        Arc::new(runtime) as Arc<dyn Runtime>
    });
    let growth = check_suspended_coroutines(&smol, stress_size(1_000_000, 2_000));
    eprintln!("heap growth after the round: {growth} bytes");
    // In the same test, after smol's: two tests of one binary would run
    // at once and count each other's allocations.
    #[cfg(feature = "async-std")]
    {
        let async_std = ThreadedChainFactory::new("async-std", 2, || {
            Arc::new(taskchain_smol::AsyncStdRuntime) as Arc<dyn Runtime>
        });
        let growth = check_suspended_coroutines(&async_std, stress_size(1_000_000, 2_000));
        eprintln!("heap growth after the round: {growth} bytes");
    }
}
