//! The comparison's workloads under criterion, so that its HTML reports
//! cover the same code the `compare` binary runs: one group per workload,
//! one bench per subject it applies to (see
//! [`bench_workload`](taskchain_benches::bench_workload) for what a
//! sample is). Memory workloads (bytes, not time) are left to `compare`.
//!
//! Run: `cargo bench -p taskchain-benches --bench workloads [-- FILTER]`.

// `criterion_group!` defines a `pub fn` it cannot document, and lint
// attributes on a macro call are ignored: the workspace's `missing_docs`
// stops at this bench's crate (the benches' library keeps it).
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use taskchain_benches::bench_workload;
use taskchain_compare::{workloads, Subject};

fn bench_workloads(c: &mut Criterion) {
    let subjects = Subject::all();
    for workload in workloads() {
        bench_workload(c, "workloads", &workload, &subjects);
    }
}

criterion_group!(benches, bench_workloads);
criterion_main!(benches);
