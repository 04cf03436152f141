//! The stress suite and the shutdown check on threaded chains over
//! `SmolRuntime`, with one worker and with two, and over `AsyncStdRuntime`
//! with the `async-std` feature (the million suspended coroutines, which
//! need the counting allocator, are in `stress_memory.rs`).

mod chain_factory;

use chain_factory::on_smol;

taskchain_conformance::stress_tests!(on_smol, workers = [1, 2], ownership = Owned);

#[cfg(feature = "async-std")]
mod async_std {
    use super::chain_factory::on_async_std;

    taskchain_conformance::stress_tests!(on_async_std, workers = [2], ownership = Shared);
}
