//! The conformance suite on the embedded frame chain.

use taskchain_conformance::{check_random_programs, run_scenarios, FrameChainFactory};

/// Default number of random programs per chain; `TASKCHAIN_PROPTEST_CASES`
/// overrides it.
const CASES: u32 = 64;

#[test]
fn random_programs_on_the_default_frame_chain() {
    check_random_programs(FrameChainFactory::new(), CASES);
}

#[test]
fn random_programs_on_an_extra_frame_chain() {
    check_random_programs(FrameChainFactory::extra_chain("conformance"), CASES);
}

#[test]
fn scenarios_on_the_default_frame_chain() {
    run_scenarios(FrameChainFactory::new());
}

#[test]
fn scenarios_on_an_extra_frame_chain() {
    run_scenarios(FrameChainFactory::extra_chain("conformance"));
}
