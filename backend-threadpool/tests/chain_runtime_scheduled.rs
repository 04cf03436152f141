//! A thread-pool chain that hands the pool its coroutines of sort 0 (two
//! workers on a two-thread pool): they run as the pool's own jobs, and
//! every guarantee of the chain holds for them (the checks are the
//! conformance crate's).

taskchain_conformance::runtime_scheduled_tests!(|manager, name, settings| {
    taskchain_threadpool::make_chain(manager, name, settings).unwrap()
});
