//! `make_chain` refuses bad settings and names, and its chain owns its
//! pool: `shutdown()` cancels what is left and joins the pool's threads,
//! from outside or from one of the chain's own tasks; the pool joins its
//! threads when dropped (the shared backend checks).

use taskchain_threadpool::ThreadPool;

#[test]
fn make_chain_and_shutdown() {
    taskchain_conformance::check_make_chain(taskchain_threadpool::make_chain, "threadpool");
}

#[test]
fn an_owned_pool_joins_its_threads_when_dropped() {
    taskchain_conformance::check_owned_runtime(|threads| ThreadPool::new(threads).expect("a pool"));
}
