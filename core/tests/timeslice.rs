//! `timeslice_priority`: within a sort, a task of priority `p` runs `p`
//! times every `P` epochs (`P` the highest priority in that sort),
//! priorities below 1 counting as 1; priority no longer sets the order.

mod common;

use std::collections::BTreeMap;

use common::{add_recorder, poll_n, setup_with};
use taskchain_conformance::kit::log::{drain, new_log, seen, Log};
use taskchain_core::{ChainSettings, ManualClock, TaskChain, TaskManager};

fn setup() -> (ManualClock, TaskManager) {
    setup_with(
        ManualClock::new(),
        ChainSettings::default().timeslice_priority(true),
    )
}

fn counts(log: &Log) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for n in log.lock().unwrap().iter() {
        *m.entry(n.clone()).or_insert(0) += 1;
    }
    m
}

fn expect(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(n, c)| (n.to_string(), *c)).collect()
}

#[test]
fn priority_p_runs_p_times_per_p_max_epochs() {
    let (_clock, manager) = setup();
    let log = new_log();
    add_recorder(&manager, &log, "p1", 0, 1);
    add_recorder(&manager, &log, "p2", 0, 2);
    add_recorder(&manager, &log, "p3", 0, 3);
    // Every block of P = 3 epochs: p3 three times, p2 twice, p1 once.
    for block in 1..=4 {
        poll_n(&manager, 3);
        assert_eq!(
            counts(&log),
            expect(&[("p1", block), ("p2", 2 * block), ("p3", 3 * block)]),
            "after {} epochs",
            3 * block
        );
    }
    assert_eq!(manager.default_chain().stats().epochs, 12);
}

#[test]
fn priorities_below_one_count_as_one() {
    let (_clock, manager) = setup();
    let log = new_log();
    add_recorder(&manager, &log, "zero", 0, 0);
    add_recorder(&manager, &log, "neg", 0, -5);
    add_recorder(&manager, &log, "one", 0, 1);
    add_recorder(&manager, &log, "four", 0, 4);
    poll_n(&manager, 8);
    assert_eq!(
        counts(&log),
        expect(&[("zero", 2), ("neg", 2), ("one", 2), ("four", 8)])
    );
}

#[test]
fn all_below_one_run_every_epoch() {
    let (_clock, manager) = setup();
    let log = new_log();
    add_recorder(&manager, &log, "a", 0, 0);
    add_recorder(&manager, &log, "b", 0, -3);
    poll_n(&manager, 5);
    assert_eq!(counts(&log), expect(&[("a", 5), ("b", 5)]));
}

#[test]
fn each_sort_is_sliced_on_its_own() {
    let (_clock, manager) = setup();
    let log = new_log();
    add_recorder(&manager, &log, "s0-high", 0, 10);
    add_recorder(&manager, &log, "s0-low", 0, 5);
    add_recorder(&manager, &log, "s1-only", 1, 2);
    add_recorder(&manager, &log, "s2-a", 2, 1);
    add_recorder(&manager, &log, "s2-b", 2, 2);
    poll_n(&manager, 10);
    assert_eq!(
        counts(&log),
        expect(&[
            ("s0-high", 10),
            ("s0-low", 5),
            ("s1-only", 10),
            ("s2-a", 5),
            ("s2-b", 10)
        ])
    );
}

#[test]
fn priority_sets_frequency_not_order() {
    let (_clock, manager) = setup();
    let log = new_log();
    add_recorder(&manager, &log, "low", 0, 1);
    add_recorder(&manager, &log, "high", 0, 2);
    add_recorder(&manager, &log, "late-sort", 1, 1);
    let mut epochs = Vec::new();
    for _ in 0..8 {
        manager.poll().unwrap();
        epochs.push(drain(&log));
    }
    let low_epochs: Vec<usize> = (0..8)
        .filter(|i| epochs[*i].contains(&"low".to_owned()))
        .collect();
    assert_eq!(low_epochs.len(), 4, "{epochs:?}");
    for (i, e) in epochs.iter().enumerate() {
        assert!(e.contains(&"high".to_owned()), "high runs every epoch");
        assert_eq!(e.last().map(String::as_str), Some("late-sort"));
        // Once both have started (at the same clock time), the one inserted
        // first runs first whenever both run: priority does not order them.
        if low_epochs[1..].contains(&i) {
            assert_eq!(e, &["low", "high", "late-sort"], "epoch {}", i + 1);
        }
    }
}

#[test]
fn turning_timeslice_off_restores_priority_order_and_every_epoch_runs() {
    let (_clock, manager) = setup();
    let log = new_log();
    add_recorder(&manager, &log, "low", 0, 1);
    add_recorder(&manager, &log, "high", 0, 3);
    poll_n(&manager, 3);
    assert_eq!(counts(&log), expect(&[("low", 1), ("high", 3)]));
    manager
        .default_chain()
        .configure(ChainSettings::default())
        .unwrap();
    drain(&log);
    poll_n(&manager, 2);
    assert_eq!(seen(&log), ["high", "low", "high", "low"]);
}

// regression: the timeslice credited stale queue entries too (an older
// entry of a re-sorted task): a re-sort that changed nothing doubled a
// task's share for good, its stale entry deferred from epoch to epoch.
#[test]
fn a_re_sort_leaves_a_tasks_share_as_it_was() {
    let (_clock, manager) = setup();
    let log = new_log();
    let _a = add_recorder(&manager, &log, "a", 0, 2);
    let b = add_recorder(&manager, &log, "b", 0, 1);
    let mut b_ran = Vec::new();
    for frame in 0..24 {
        manager.poll().unwrap();
        if drain(&log).iter().any(|n| n == "b") {
            b_ran.push(frame);
        }
        if frame == 5 || frame == 12 {
            // Changes nothing, but queues a re-sort.
            b.set_priority(1);
        }
    }
    let gaps: Vec<usize> = b_ran.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|&g| g == 2), "b ran in frames {b_ran:?}");
}
