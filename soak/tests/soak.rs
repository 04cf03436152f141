//! The soak's logic, briefly: on the frame chain and on a threaded chain
//! it runs tasks and finds no violation; with a fault planted in its books
//! it finds one (so the checker can fail).

use std::time::Duration;

use taskchain::Backend;
use taskchain_soak::deliberate_panic::quiet_deliberate_panics;
use taskchain_soak::{run, Fault, Options, Summary, Target};

fn soak(target: Target, fault: Option<Fault>) -> Summary {
    quiet_deliberate_panics();
    let mut options = Options::new(0x5eed);
    options.target = target;
    options.duration = Duration::from_millis(1500);
    options.max_live = 200;
    options.fault = fault;
    // Progress lines are not needed here; violations appear in the summary.
    run(&options, &mut std::io::sink()).expect("the soak starts")
}

fn assert_clean(summary: &Summary) {
    assert!(summary.passed(), "{summary}");
    assert!(summary.tally.total_ended() > 100, "{summary}");
    for outcome in ["finished", "cancelled", "panicked"] {
        assert!(
            summary.tally.ended_as(outcome) > 0,
            "no task {outcome}: {summary}"
        );
    }
    assert_eq!(summary.counted.1, 0, "{summary}");
}

#[test]
fn the_frame_chain_soaks_without_violations() {
    assert_clean(&soak(Target::Frame, None));
}

#[test]
fn a_threaded_chain_soaks_without_violations() {
    assert_clean(&soak(Target::Chain(Backend::Threadpool), None));
}

#[test]
fn a_wrong_expectation_is_reported_as_a_violation() {
    let summary = soak(Target::Frame, Some(Fault::WrongExpectedValue));
    assert_eq!(summary.violations.len(), 1, "{summary}");
    assert!(
        summary.violations[0].contains("(await-promise): returned Ok("),
        "{summary}"
    );
    assert!(!summary.passed());
}
