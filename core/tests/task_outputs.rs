//! A task's output takes its future's place in the task's cell: whatever
//! their sizes, the output is read once, dropped once on every path, and an
//! error (cancelled, panicked with its message) reads the same every time.

mod common;

use common::setup;
use taskchain_conformance::kit::drops::{DropCounter, DropToken};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{AsyncFuture, Error};

/// An output far larger than the future that makes it.
#[derive(Debug)]
struct Big {
    bytes: [u64; 32],
    _token: DropToken,
}

fn big(drops: &DropCounter) -> Big {
    Big {
        bytes: [7; 32],
        _token: drops.token(),
    }
}

#[test]
fn an_output_larger_than_its_future_is_read_once_and_dropped_once() {
    let (_clock, manager) = setup();
    let drops = DropCounter::new();
    let d = drops.clone();
    let h = manager.spawn(async move { big(&d) });
    manager.poll().unwrap();
    let out = h.try_take().unwrap().unwrap();
    assert_eq!(out.bytes, [7; 32]);
    assert_eq!(drops.alive(), 1);
    assert!(matches!(h.try_take(), Some(Err(Error::AlreadyTaken))));
    drop(out);
    drop(h);
    assert_eq!((drops.made(), drops.dropped()), (1, 1));
}

#[test]
fn an_unread_output_is_dropped_once_whenever_its_handle_goes() {
    for handle_first in [true, false] {
        let (_clock, manager) = setup();
        let drops = DropCounter::new();
        let d = drops.clone();
        // A future much larger than its output, holding the token until it
        // returns it.
        let h = manager.spawn(async move {
            let padding = [1u64; 64];
            taskchain_core::next_frame().await;
            (padding.iter().sum::<u64>(), d.token())
        });
        if handle_first {
            drop(h);
            manager.poll().unwrap();
            manager.poll().unwrap();
        } else {
            manager.poll().unwrap();
            manager.poll().unwrap();
            assert!(h.is_done());
            assert_eq!(drops.alive(), 1, "the output waits for its reader");
            drop(h);
        }
        assert_eq!((drops.made(), drops.dropped()), (1, 1), "{handle_first}");
    }
}

#[test]
fn an_output_nobody_reads_is_dropped_with_the_manager() {
    let drops = DropCounter::new();
    let d = drops.clone();
    let (_clock, manager) = setup();
    let h = manager.spawn(async move { big(&d) });
    manager.poll().unwrap();
    drop(manager);
    assert_eq!(drops.alive(), 1, "the handle can still read it");
    assert_eq!(h.try_take().map(|r| r.map(|b| b.bytes[0])), Some(Ok(7)));
    assert_eq!((drops.made(), drops.dropped()), (1, 1));
}

#[test]
fn a_zero_sized_output_reads_once() {
    let (_clock, manager) = setup();
    let h = manager.spawn(async {});
    manager.poll().unwrap();
    assert!(h.has_value());
    assert!(matches!(h.try_take(), Some(Ok(()))));
    assert!(!h.has_value());
    assert!(matches!(h.try_take(), Some(Err(Error::AlreadyTaken))));
}

#[test]
fn a_panic_reads_with_its_message_every_time() {
    quiet_panics("boom");
    let (_clock, manager) = setup();
    let h = manager.spawn(async {
        if true {
            panic!("boom: in place");
        }
        [0u64; 16]
    });
    manager.poll().unwrap();
    let panicked = Error::Panicked("boom: in place".to_owned());
    assert_eq!(h.error(), Some(panicked.clone()));
    assert_eq!(
        h.try_take().map(|r| r.map(|_| ())),
        Some(Err(panicked.clone()))
    );
    assert_eq!(
        h.try_take().map(|r| r.map(|_| ())),
        Some(Err(panicked.clone()))
    );
    assert_eq!(h.result(None).map(|_| ()), Err(panicked));
}

#[test]
fn a_cancelled_task_has_no_output_and_says_so_every_time() {
    let (_clock, manager) = setup();
    let drops = DropCounter::new();
    let d = drops.clone();
    // It ignores the cancel delivered at its await and makes its value,
    // which the cancel wins over: the value is dropped, never stored.
    let h = manager.spawn(async move {
        let _ = taskchain_core::next_frame().await;
        big(&d)
    });
    manager.poll().unwrap();
    assert!(h.cancel());
    manager.poll().unwrap();
    assert!(h.is_cancelled());
    assert_eq!(h.error(), Some(Error::Cancelled));
    assert!(matches!(h.try_take(), Some(Err(Error::Cancelled))));
    assert!(matches!(h.try_take(), Some(Err(Error::Cancelled))));
    assert_eq!((drops.made(), drops.dropped()), (1, 1));
}

/// A value whose clones count, each with a drop token of its own.
#[derive(Debug)]
struct Counted {
    value: u32,
    drops: DropCounter,
    _token: DropToken,
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted {
            value: self.value,
            drops: self.drops.clone(),
            _token: self.drops.token(),
        }
    }
}

#[test]
fn a_clone_value_is_read_again_from_any_thread_and_dropped_once() {
    let (_clock, manager) = setup();
    let drops = DropCounter::new();
    let d = drops.clone();
    let task = manager.spawn(async move {
        Counted {
            value: 42,
            _token: d.token(),
            drops: d,
        }
    });
    assert_eq!(task.try_read().map(|r| r.map(|c| c.value)), None);
    manager.poll().unwrap();
    let reads: Vec<_> = std::thread::scope(|s| {
        let readers: Vec<_> = (0..3).map(|_| s.spawn(|| task.read(None))).collect();
        readers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for read in reads {
        assert_eq!(read.map(|c| c.value), Ok(42));
    }
    assert_eq!(drops.alive(), 1, "the clones are gone, the value stays");
    assert_eq!(task.try_take().map(|r| r.map(|c| c.value)), Some(Ok(42)));
    assert_eq!(
        task.try_read().map(|r| r.map(|c| c.value)),
        Some(Err(Error::AlreadyTaken))
    );
    drop(task);
    assert_eq!(drops.alive(), 0);
    assert_eq!(drops.made(), 4);
}

#[test]
fn a_read_of_a_task_that_ended_without_a_value_gives_its_error_each_time() {
    let (_clock, manager) = setup();
    let task = manager.spawn_fallible(async { Err::<u32, _>(Error::Timeout) });
    manager.poll().unwrap();
    assert_eq!(task.try_read(), Some(Err(Error::Timeout)));
    assert_eq!(task.read(None), Err(Error::Timeout));
}
