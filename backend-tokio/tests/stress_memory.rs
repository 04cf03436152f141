//! A million suspended coroutines on a threaded chain over `TokioRuntime`
//! (two workers), all cancelled, and the heap back to its baseline. Its
//! own test binary: the counting allocator is process-wide, so nothing
//! else may run meanwhile.

use std::sync::Arc;

use taskchain_conformance::kit::alloc::CountingAlloc;
use taskchain_conformance::stress::{check_suspended_coroutines, stress_size};
use taskchain_conformance::ThreadedChainFactory;
use taskchain_core::Runtime;
use taskchain_tokio::TokioRuntime;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn a_million_suspended_coroutines_cancelled() {
    let factory = ThreadedChainFactory::new("tokio", 2, || {
        let runtime =
            TokioRuntime::new(2).unwrap_or_else(|e| panic!("cannot build a tokio runtime: {e}"));
        Arc::new(runtime) as Arc<dyn Runtime>
    });
    let growth = check_suspended_coroutines(&factory, stress_size(1_000_000, 2_000));
    eprintln!("heap growth after the round: {growth} bytes");
}
