//! A detached task's output read through the view a done
//! callback gets. Dropping the owning handle detaches the task: its output
//! is dropped (the slot reads as taken), whatever its type.

mod common;

use common::setup;
use taskchain_conformance::kit::log::{new_log, push, seen};
use taskchain_core::{AsyncFuture, TaskChainExt};

/// Handle dropped before the task finishes: `finish` clears the output.
#[test]
fn detached_before_finish_copy_output_reads_as_taken_in_done_callback() {
    let (_clock, manager) = setup();
    let log = new_log();
    let h = manager.default_chain().spawn(async { 42u32 });
    let l = log.clone();
    h.add_done_callback(move |f| push(&l, format!("{:?} {}", f.try_take(), f.has_value())))
        .unwrap();
    drop(h);
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    assert_eq!(seen(&log), ["Some(Err(AlreadyTaken)) false"]);
}

/// Same with an output that has a destructor: the reference behaviour.
#[test]
fn detached_before_finish_string_output_reads_as_taken_in_done_callback() {
    let (_clock, manager) = setup();
    let log = new_log();
    let h = manager.default_chain().spawn(async { String::from("x") });
    let l = log.clone();
    h.add_done_callback(move |f| push(&l, format!("{:?} {}", f.try_take(), f.has_value())))
        .unwrap();
    drop(h);
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    assert_eq!(seen(&log), ["Some(Err(AlreadyTaken)) false"]);
}

/// Handle dropped after the task finished, before its callback ran:
/// `release_handle` clears the output.
#[test]
fn detached_after_finish_copy_output_reads_as_taken_in_done_callback() {
    let (_clock, manager) = setup();
    let log = new_log();
    let h = manager.default_chain().spawn(async { 42u32 });
    let l = log.clone();
    h.add_done_callback(move |f| push(&l, format!("{:?} {}", f.try_take(), f.has_value())))
        .unwrap();
    manager.poll().unwrap();
    assert!(h.is_done());
    drop(h);
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    assert_eq!(seen(&log), ["Some(Err(AlreadyTaken)) false"]);
}
