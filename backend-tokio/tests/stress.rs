//! The stress suite and the shutdown check on threaded chains over
//! `TokioRuntime`, with one worker and with two (the million suspended
//! coroutines, which need the counting allocator, are in
//! `stress_memory.rs`).

mod chain_factory;

use chain_factory::on_tokio;

taskchain_conformance::stress_tests!(on_tokio, workers = [1, 2], ownership = Owned);
