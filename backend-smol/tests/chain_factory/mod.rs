//! The chain factories the shared suites run on: a threaded chain over a
//! fresh `SmolRuntime` with as many threads as the chain has workers, and
//! (feature `async-std`) over async-std's global runtime.
#![allow(dead_code)]

use std::sync::Arc;

use taskchain_conformance::ThreadedChainFactory;
use taskchain_core::Runtime;
use taskchain_smol::SmolRuntime;

pub fn on_smol(workers: usize) -> ThreadedChainFactory {
    ThreadedChainFactory::new("smol", workers, move || {
        let runtime = SmolRuntime::new(workers)
            .unwrap_or_else(|e| panic!("cannot start a smol runtime: {e}"));
        Arc::new(runtime) as Arc<dyn Runtime>
    })
}

/// async-std's runtime is global: every fixture shares it, and its threads
/// outlive every chain.
#[cfg(feature = "async-std")]
pub fn on_async_std(workers: usize) -> ThreadedChainFactory {
    ThreadedChainFactory::new("async-std", workers, || {
        Arc::new(taskchain_smol::AsyncStdRuntime) as Arc<dyn Runtime>
    })
}
