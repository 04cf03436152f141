//! Benchmarks of taskchain against the raw runtimes underneath, measured in
//! the same run so that the abstraction's overhead reads as a ratio.
//!
//! - `benches/frame_chain.rs` (criterion): the embedded frame chain against
//!   tokio's current-thread runtime and async-executor's `LocalExecutor`:
//!   spawn + complete, yield to the next frame at 1,000 and 100,000 tasks,
//!   and the cost of a frame with 100,000 suspended coroutines.
//!   Run `cargo bench -p taskchain-benches --bench frame_chain`.
//! - `src/bin/memory.rs`: heap bytes per suspended coroutine, with a
//!   counting allocator. Run
//!   `cargo run --release -p taskchain-benches --bin memory`.
//!
//! The library itself is empty: it only carries this description.
