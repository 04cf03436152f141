//! The chain factory the shared suites run on: a threaded chain over a
//! fresh owned `TokioRuntime` with as many threads as the chain has
//! workers.

use std::sync::Arc;

use taskchain_conformance::ThreadedChainFactory;
use taskchain_core::Runtime;
use taskchain_tokio::TokioRuntime;

pub fn on_tokio(workers: usize) -> ThreadedChainFactory {
    ThreadedChainFactory::new("tokio", workers, move || {
        let runtime = TokioRuntime::new(workers)
            .unwrap_or_else(|e| panic!("cannot build a tokio runtime: {e}"));
        Arc::new(runtime) as Arc<dyn Runtime>
    })
}
