//! The stress suite and the shutdown check on threaded chains over
//! `ThreadPool`, with one worker and with two (the million suspended
//! coroutines, which need the counting allocator, are in
//! `stress_memory.rs`). Sizes shrink under valgrind
//! (`TASKCHAIN_UNDER_VALGRIND`).

mod common;

use common::on_pool;

taskchain_conformance::stress_tests!(on_pool, workers = [1, 2], ownership = Owned);
