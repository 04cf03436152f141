//! A smol chain that hands its executor its coroutines of sort 0 (two
//! workers on a two-thread runtime): each runs in an executor task of its
//! own, and every guarantee of the chain holds for them (the checks are
//! the conformance crate's).

taskchain_conformance::runtime_scheduled_tests!(|manager, name, settings| {
    taskchain_smol::make_chain(manager, name, settings).unwrap()
});
