//! The conformance suite on the embedded frame chain.

use taskchain_conformance::{check_random_programs, FrameChainFactory};

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
