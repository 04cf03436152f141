//! Dropping the last reference to an owned `TokioRuntime` stops and joins
//! its threads (the shared backend check), also from inside its own task,
//! and does not panic inside another runtime.

use taskchain_tokio::TokioRuntime;

#[test]
fn an_owned_runtime_joins_its_threads_when_dropped() {
    taskchain_conformance::check_owned_runtime(|threads| {
        TokioRuntime::new(threads).expect("a tokio runtime")
    });
}

#[test]
fn dropping_inside_another_runtime_does_not_panic() {
    let other = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let runtime = TokioRuntime::new(1).expect("a tokio runtime");
    other.block_on(async move { drop(runtime) });
}
