//! The workloads of the comparison, one file each, and what they share:
//! a subject's runtime (`exec`), the floor's executor (`floor`), one
//! spawner and join handle over every runtime (`spawner`, `join`), a
//! single-value channel over every subject (`oneshot`), the
//! async-executor thread pool (`smol_pool`), the resident set
//! (`resident`) and the arithmetic of figures (`stats`).
//!
//! Every run builds its subject's runtime before its timed part and tears
//! it down (chains shut down, threads joined) before it returns, so runs
//! can follow each other in one process in any order.

mod chained_spawn;
mod exec;
mod floor;
mod gather_fanout;
mod join;
mod latency;
mod memory;
mod oneshot;
mod ping_pong;
mod recurring_frame;
mod resident;
mod scaling;
mod scaling_cancel;
mod scaling_spawn;
mod scaling_wake;
mod smol_pool;
mod spawn_many;
mod spawner;
mod stats;
mod timer;
mod yield_many;

use crate::{Raw, Subject, Workload};

pub use smol_pool::SmolPool;

/// Whether `subject` runs futures: every subject but std threads. The
/// floor is one of them: it has a spawner, join handles, `run_until` and
/// cancel by dropping a handle, all that the spawn, yield, ping-pong,
/// chained-spawn, gather, memory and scaling workloads need. A variant
/// (see [`Subject::is_variant`]) runs `spawn_many` alone.
pub(crate) fn runs_futures(subject: Subject) -> bool {
    subject != Subject::Raw(Raw::StdThreads) && !subject.is_variant()
}

/// Whether `subject` has worker threads to wake from idle and a timer of
/// its own, which the latency and timer workloads measure: every subject
/// but std threads (no futures) and the floor (one thread, no timer).
pub(crate) fn has_threads_and_timer(subject: Subject) -> bool {
    !matches!(subject, Subject::Raw(Raw::StdThreads) | Subject::Floor) && !subject.is_variant()
}

/// Every workload, in report order.
///
/// `memory_1m` runs in full mode only: in the other modes its `run`
/// returns the error "skipped: needs --full". The memory workloads return
/// "counting allocator not installed" unless the binary installed
/// [`CountingAlloc`](taskchain_conformance::kit::alloc::CountingAlloc).
pub fn workloads() -> Vec<Workload> {
    vec![
        spawn_many::SPAWN_MANY,
        yield_many::YIELD_MANY,
        ping_pong::PING_PONG,
        chained_spawn::CHAINED_SPAWN,
        recurring_frame::RECURRING_FRAME,
        gather_fanout::GATHER_FANOUT,
        latency::LATENCY,
        timer::TIMER,
        memory::MEMORY_10K,
        memory::MEMORY_100K,
        memory::MEMORY_1M,
        memory::MEMORY_NATIVE_100K,
        memory::MEMORY_OWN_100K,
        memory::MEMORY_NATIVE_OWN_100K,
        scaling_spawn::SCALING_SPAWN,
        scaling_wake::SCALING_WAKE,
        scaling_cancel::SCALING_CANCEL,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traced_frame_chain_runs_spawn_many_only() {
        for workload in workloads() {
            assert_eq!(
                (workload.applies_to)(Subject::FrameChainTraced),
                workload.name == "spawn_many",
                "{}",
                workload.name
            );
        }
        assert_eq!(
            Subject::FrameChainTraced.baseline(),
            Some(Subject::FrameChain)
        );
    }
}
