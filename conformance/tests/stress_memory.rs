//! A million suspended coroutines on the embedded frame chain, all
//! cancelled, and the heap back to its baseline. Its own test binary: the
//! counting allocator is process-wide, so nothing else may run meanwhile.

use taskchain_conformance::kit::alloc::CountingAlloc;
use taskchain_conformance::stress::{check_suspended_coroutines, stress_size};
use taskchain_conformance::FrameChainFactory;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn a_million_suspended_coroutines_cancelled() {
    let growth =
        check_suspended_coroutines(&FrameChainFactory::new(), stress_size(1_000_000, 2_000));
    eprintln!("heap growth after the round: {growth} bytes");
}
