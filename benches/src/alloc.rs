//! The counting global allocator of the memory workloads: the heap bytes
//! requested and the number of allocations. It lives in the conformance
//! crate, whose stress suite checks the heap with it too; this path stays
//! for the benches' binaries.
//!
//! A binary opts in by installing it:
//!
//! ```no_run
//! #[global_allocator]
//! static ALLOC: taskchain_benches::alloc::CountingAlloc = taskchain_benches::alloc::CountingAlloc;
//! ```

pub use taskchain_conformance::alloc::{
    allocations, counting, installed, live_bytes, Counting, CountingAlloc,
};
