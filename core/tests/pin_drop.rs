//! Pin means pin: a future a task has polled is dropped where it was
//! polled, however the task ends (completion, cancel while suspended or
//! running, remove by name, panic, shutdown, manager drop), on the frame
//! chain, on a threaded chain, and inside the wrappers that hold futures
//! (sequences, recurring coroutines, local tasks).

mod common;

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use common::{setup, threaded, PATIENCE};
use taskchain_conformance::kit::counters::get;
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    AsyncFuture, ChainSettings, DoneStatus, Error, Sequence, TaskBuilder, TaskChain, TaskChainExt,
    TaskManager,
};

/// What the probes of one test saw: drops, and drops away from the address
/// of the last poll.
#[derive(Default)]
struct Probes {
    polls: AtomicUsize,
    dropped: AtomicUsize,
    moved: AtomicUsize,
}

impl Probes {
    fn new() -> Arc<Self> {
        Arc::default()
    }

    /// A probe that stays pending for `pending_polls` polls (waking itself
    /// each time), then is ready.
    fn probe(self: &Arc<Self>, pending_polls: usize) -> PinProbe {
        PinProbe {
            polled_at: 0,
            pending_polls,
            panics: false,
            probes: self.clone(),
            _pinned: PhantomPinned,
        }
    }

    /// A probe that never completes and never wakes its task.
    fn stuck(self: &Arc<Self>) -> PinProbe {
        self.probe(usize::MAX)
    }

    /// Asserts `drops` probes were dropped, every one where it was polled.
    fn assert_dropped_in_place(&self, drops: usize) {
        assert_eq!(
            get(&self.moved),
            0,
            "a polled future was moved, then dropped"
        );
        assert_eq!(get(&self.dropped), drops, "probes dropped");
    }
}

/// A `!Unpin` future that records its address when polled and, when
/// dropped, counts a violation if it is no longer there (a panic in a Drop
/// would be caught by the task and hide the violation).
struct PinProbe {
    polled_at: usize,
    pending_polls: usize,
    /// Panics instead of being ready.
    panics: bool,
    probes: Arc<Probes>,
    _pinned: PhantomPinned,
}

impl PinProbe {
    fn address(&self) -> usize {
        self as *const Self as usize
    }
}

impl Future for PinProbe {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: nothing is moved out; only plain fields are written.
        let this = unsafe { self.get_unchecked_mut() };
        this.polled_at = this.address();
        this.probes.polls.fetch_add(1, Ordering::SeqCst);
        if this.pending_polls == 0 {
            assert!(!this.panics, "boom: the probe panics");
            return Poll::Ready(());
        }
        if this.pending_polls != usize::MAX {
            this.pending_polls -= 1;
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl Drop for PinProbe {
    fn drop(&mut self) {
        if self.polled_at != 0 && self.polled_at != self.address() {
            self.probes.moved.fetch_add(1, Ordering::SeqCst);
        }
        self.probes.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// A coroutine suspended in `probe`, which lives inside its state machine.
async fn awaiting(probe: PinProbe) {
    probe.await
}

/// Polls the manager until `done` holds, at most `polls` times.
fn poll_until_with(manager: &TaskManager, polls: usize, mut done: impl FnMut() -> bool) {
    for _ in 0..polls {
        if done() {
            return;
        }
        manager.poll().unwrap();
    }
    assert!(done(), "not done after {polls} polls");
}

#[test]
fn a_coroutine_cancelled_while_suspended_is_dropped_where_it_was_polled() {
    // regression: `Cell::finish` moved the polled work out (`take()`) and dropped the copy.
    let (_clock, manager) = setup();
    let probes = Probes::new();
    let probe = probes.stuck();
    let task = manager.spawn(awaiting(probe));
    manager.poll().unwrap();
    assert!(task.cancel());
    poll_until_with(&manager, 10, || task.is_done());
    assert_eq!(task.try_take(), Some(Err(Error::Cancelled)));
    probes.assert_dropped_in_place(1);
}

#[test]
fn a_completed_future_is_dropped_where_it_was_polled() {
    let (_clock, manager) = setup();
    let probes = Probes::new();
    // The probe is the task's work: it lives on after it is ready.
    let task = manager.spawn(probes.probe(2));
    poll_until_with(&manager, 10, || task.is_done());
    assert_eq!(task.try_take(), Some(Ok(())));
    probes.assert_dropped_in_place(1);
}

#[test]
fn a_future_that_panics_after_a_poll_is_dropped_where_it_was_polled() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let probes = Probes::new();
    let mut probe = probes.probe(1);
    probe.panics = true;
    let task = manager.spawn(probe);
    poll_until_with(&manager, 10, || task.is_done());
    assert!(matches!(task.try_take(), Some(Err(Error::Panicked(_)))));
    probes.assert_dropped_in_place(1);
}

#[test]
fn coroutines_removed_shut_down_or_dropped_with_the_manager_are_dropped_in_place() {
    let probes = Probes::new();
    for end in ["remove", "shutdown", "drop"] {
        let (_clock, manager) = setup();
        let probe = probes.stuck();
        let task = manager
            .add_task(TaskBuilder::coroutine(awaiting(probe)).name("probed"))
            .unwrap();
        manager.poll().unwrap();
        match end {
            "remove" => {
                assert_eq!(manager.remove_by_name("probed"), 1);
                poll_until_with(&manager, 10, || task.is_done());
            }
            "shutdown" => manager.shutdown(),
            _ => drop(manager),
        }
        assert!(task.is_done(), "{end}");
    }
    probes.assert_dropped_in_place(3);
}

#[test]
fn a_coroutine_child_of_a_cancelled_sequence_is_dropped_in_place() {
    let (_clock, manager) = setup();
    let probes = Probes::new();
    let (first, second) = (probes.probe(1), probes.stuck());
    let seq = Sequence::new()
        .then_coroutine(awaiting(first))
        .then_coroutine(awaiting(second));
    let task = manager.add_task(TaskBuilder::new(seq)).unwrap();
    // The first child finishes after two polls; the second one then waits.
    poll_until_with(&manager, 10, || get(&probes.dropped) == 1);
    manager.poll().unwrap();
    assert!(task.cancel());
    poll_until_with(&manager, 10, || task.is_done());
    probes.assert_dropped_in_place(2);
}

#[test]
fn a_recurring_coroutine_cancelled_while_suspended_is_dropped_in_place() {
    let (_clock, manager) = setup();
    let probes = Probes::new();
    let p = probes.clone();
    let task = manager
        .add_task(TaskBuilder::recurring_coroutine(move || {
            let probe = p.probe(1);
            async move {
                probe.await;
                DoneStatus::Cont
            }
        }))
        .unwrap();
    poll_until_with(&manager, 20, || get(&probes.dropped) >= 2);
    assert!(task.cancel());
    poll_until_with(&manager, 10, || task.is_done());
    let dropped = get(&probes.dropped);
    probes.assert_dropped_in_place(dropped);
}

#[test]
fn a_local_task_cancelled_while_suspended_is_dropped_in_place() {
    let (_clock, manager) = setup();
    let local = manager.local_spawner().unwrap();
    let probes = Probes::new();
    let probe = probes.stuck();
    // Not Send: only the local spawner takes it.
    let rc = std::rc::Rc::new(());
    let task = local.spawn(async move {
        let _rc = rc;
        probe.await
    });
    manager.poll().unwrap();
    assert!(task.cancel());
    poll_until_with(&manager, 10, || task.is_done());
    probes.assert_dropped_in_place(1);
}

#[test]
fn coroutines_on_a_threaded_chain_are_dropped_where_they_were_polled() {
    let (_clock, manager) = setup();
    let chain = threaded(&manager, ChainSettings::default(), 2);
    let probes = Probes::new();
    let completed = chain.spawn(probes.probe(3));
    assert_eq!(completed.result(Some(PATIENCE)), Ok(()));
    let stuck = probes.stuck();
    let cancelled = chain.spawn(awaiting(stuck));
    common::eventually("the probe polled", || get(&probes.polls) == 5);
    assert!(cancelled.cancel());
    assert_eq!(cancelled.result(Some(PATIENCE)), Err(Error::Cancelled));
    probes.assert_dropped_in_place(2);
    chain.shutdown();
}
