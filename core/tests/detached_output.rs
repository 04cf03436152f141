//! A detached task's output read through the view a done callback gets.
//! Dropping the owning handle detaches the task: its output is dropped (the
//! slot reads as taken), whatever its type.

mod common;

use common::setup;
use taskchain_conformance::kit::log::{new_log, push, seen};
use taskchain_core::{AsyncFuture, TaskChainExt};

/// When the owning handle goes.
#[derive(Clone, Copy)]
enum Detach {
    /// Before the task finishes: `finish` clears the output.
    BeforeFinish,
    /// After it finished, before its done callback ran: `release_handle`
    /// clears the output.
    AfterFinish,
}

/// What a done callback's view reads of a task returning `output` whose
/// handle was dropped as `detach` says.
fn read_by_done_callback<T>(output: T, detach: Detach) -> Vec<String>
where
    T: Send + std::fmt::Debug + 'static,
{
    let (_clock, manager) = setup();
    let log = new_log();
    let h = manager.default_chain().spawn(async move { output });
    let l = log.clone();
    h.add_done_callback(move |f| push(&l, format!("{:?} {}", f.try_take(), f.has_value())))
        .unwrap();
    if let Detach::AfterFinish = detach {
        manager.poll().unwrap();
        assert!(h.is_done());
    }
    drop(h);
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    seen(&log)
}

// regression: an output without a destructor stayed readable after the
// handle was dropped.
#[test]
fn detached_before_finish_copy_output_reads_as_taken_in_done_callback() {
    assert_eq!(
        read_by_done_callback(42u32, Detach::BeforeFinish),
        ["Some(Err(AlreadyTaken)) false"]
    );
}

#[test]
fn detached_before_finish_string_output_reads_as_taken_in_done_callback() {
    assert_eq!(
        read_by_done_callback(String::from("x"), Detach::BeforeFinish),
        ["Some(Err(AlreadyTaken)) false"]
    );
}

// regression: as above, with the handle dropped after the task finished.
#[test]
fn detached_after_finish_copy_output_reads_as_taken_in_done_callback() {
    assert_eq!(
        read_by_done_callback(42u32, Detach::AfterFinish),
        ["Some(Err(AlreadyTaken)) false"]
    );
}
