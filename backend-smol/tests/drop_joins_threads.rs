//! Dropping the last reference to a `SmolRuntime` stops and joins its
//! threads and drops the tasks left on its executor (the shared backend
//! check), also from one of its own threads.

use taskchain_smol::SmolRuntime;

#[test]
fn an_owned_runtime_joins_its_threads_when_dropped() {
    taskchain_conformance::check_owned_runtime(|threads| {
        SmolRuntime::new(threads).expect("a smol runtime")
    });
}
