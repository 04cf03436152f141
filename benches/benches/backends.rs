//! taskchain's threaded chains against the raw runtimes they run on, in the
//! same run and on the same thread count: the comparison's `spawn_many`
//! (10,000 trivial coroutines spawned and awaited, time per task) and
//! `ping_pong` (two tasks exchanging 1,000 round trips, each message a
//! taskchain `Promise`, time per round trip) workloads, run by
//! `taskchain-compare`'s own code on each backend's chain and the raw
//! runtime beneath it only: the same code as the `workloads` bench runs
//! for them, in groups of their own (`backends/<workload>`), for a
//! shorter run.
//!
//! Raw runtimes: taskchain's own `ThreadPool` spawning directly, tokio
//! multi_thread, async-executor run by its own threads on async-io (the
//! smol stack), async-std's global runtime.
//!
//! Run: `cargo bench -p taskchain-benches --bench backends`.

// `criterion_group!` defines a `pub fn` it cannot document, and lint
// attributes on a macro call are ignored: the workspace's `missing_docs`
// stops at this bench's crate (the benches' library keeps it).
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use taskchain_benches::bench_workload;
use taskchain_compare::{workloads, Subject};

/// The workloads benched here, by name.
const WORKLOADS: [&str; 2] = ["spawn_many", "ping_pong"];

/// Each backend's threaded chain, then the raw runtimes they wrap.
fn subjects() -> Vec<Subject> {
    let chains: Vec<Subject> = Subject::all()
        .into_iter()
        .filter(|s| matches!(s, Subject::Chain(_)))
        .collect();
    let raw = chains.iter().filter_map(|chain| chain.baseline());
    chains.iter().copied().chain(raw).collect()
}

fn backends(c: &mut Criterion) {
    let subjects = subjects();
    for name in WORKLOADS {
        let workload = workloads()
            .into_iter()
            .find(|w| w.name == name)
            .unwrap_or_else(|| panic!("the comparison has no workload {name}"));
        bench_workload(c, "backends", &workload, &subjects);
    }
}

criterion_group!(benches, backends);
criterion_main!(benches);
