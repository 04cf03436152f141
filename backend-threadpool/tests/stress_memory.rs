//! A million suspended coroutines on a threaded chain over `ThreadPool`
//! (two workers), all cancelled, and the heap back to its baseline. Its own
//! test binary: the counting allocator is process-wide, so nothing else
//! may run meanwhile. 2,000 coroutines under valgrind.

use std::sync::Arc;

use taskchain_conformance::kit::alloc::CountingAlloc;
use taskchain_conformance::stress::{check_suspended_coroutines, stress_size};
use taskchain_conformance::ThreadedChainFactory;
use taskchain_core::Runtime;
use taskchain_threadpool::ThreadPool;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn a_million_suspended_coroutines_cancelled() {
    let factory = ThreadedChainFactory::new("threadpool", 2, || {
        let pool = ThreadPool::new(2).unwrap_or_else(|e| panic!("cannot build a thread pool: {e}"));
        Arc::new(pool) as Arc<dyn Runtime>
    });
    let growth = check_suspended_coroutines(&factory, stress_size(1_000_000, 2_000));
    eprintln!("heap growth after the round: {growth} bytes");
}
