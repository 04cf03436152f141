//! Criterion benchmarks of taskchain; the code is in `benches/`:
//!
//! - `workloads`: the comparison's workloads (from `taskchain-compare`),
//!   one group per workload, one bench per subject;
//! - `frame_chain`: the frame chain's spawn, yield and recurring paths;
//! - `task_ops`: per-task operations (add, cancel, find, promises);
//! - `backends`: each backend's chain against its raw runtime.
//!
//! Run one with `cargo bench -p taskchain-benches --bench NAME`.
