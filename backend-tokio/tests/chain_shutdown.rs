//! `make_chain` refuses bad settings and names, and its chain owns its
//! runtime: `shutdown()` cancels what is left and joins the runtime's
//! threads, from outside or from one of the chain's own tasks (the shared
//! backend check).

#[test]
fn make_chain_and_shutdown() {
    taskchain_conformance::check_make_chain(taskchain_tokio::make_chain, "tokio");
}
