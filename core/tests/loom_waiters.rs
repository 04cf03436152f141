//! Loom models of a waiter removed while its future completes: an awaiting
//! future dropped on one thread while another completes what it awaits.
//! Whichever wins, the waker ends up neither kept nor woken twice, and the
//! other awaiters are still woken.
#![cfg(loom)]

mod loom_support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use loom::future::block_on;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use taskchain_core::{AsyncFuture, Promise, TaskChainExt};

use loom_support::{frame_chain, model, spawn_set_result};

/// Counts its wakes; its `Arc`'s strong count tells how many copies of the
/// waker are held anywhere.
struct Probe(AtomicUsize);

impl Probe {
    fn new() -> Arc<Self> {
        Arc::new(Probe(AtomicUsize::new(0)))
    }
}

impl Wake for Probe {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls a fresh handle of `promise` with `probe`'s waker on another
/// thread, then drops the handle there.
fn spawn_poll_then_drop(promise: &Promise<u32>, probe: &Arc<Probe>) -> thread::JoinHandle<()> {
    let mut awaiting = promise.clone();
    let probe = probe.clone();
    thread::spawn(move || {
        let waker = Waker::from(probe);
        let _ = Pin::new(&mut awaiting).poll(&mut Context::from_waker(&waker));
        drop(awaiting);
    })
}

/// An awaiter registers and drops its future while `set_result` runs and
/// another awaiter waits (they race for the inline slot): the other is
/// always woken with the value, and the dropped one's waker is not kept
/// (nor woken twice).
#[test]
fn dropped_awaiter_vs_another_awaiter_vs_set_result() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let probe = Probe::new();
        let awaiter = spawn_poll_then_drop(&promise, &probe);
        let setter = spawn_set_result(&promise, 7);
        assert_eq!(block_on(promise.clone()), Ok(7));
        awaiter.join().unwrap();
        assert_eq!(setter.join().unwrap(), Ok(()));
        assert_eq!(Arc::strong_count(&probe), 1, "a waker was kept");
        assert!(probe.0.load(Ordering::SeqCst) <= 1, "woken twice");
    });
}

/// One awaiter drops its future while another registers (each may take the
/// inline slot or an overflow entry): the dropped one's waker is gone at
/// once, the other's is kept and woken once by the later `set_result`.
#[test]
fn dropped_awaiter_vs_registering_awaiter() {
    model(|| {
        let chain = frame_chain();
        let promise = chain.promise::<u32>();
        let dropped = Probe::new();
        let kept = Probe::new();
        let awaiter = spawn_poll_then_drop(&promise, &dropped);
        let mut awaiting = promise.clone();
        let waker = Waker::from(kept.clone());
        assert!(Pin::new(&mut awaiting)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        awaiter.join().unwrap();
        assert_eq!(
            Arc::strong_count(&dropped),
            1,
            "a dropped future's waker was kept"
        );
        assert_eq!(
            Arc::strong_count(&kept),
            3,
            "the live future's waker is registered"
        );

        promise.set_result(7).unwrap();
        assert_eq!(kept.0.load(Ordering::SeqCst), 1);
        assert_eq!(dropped.0.load(Ordering::SeqCst), 0);
    });
}

/// A gather dropped while its child completes: the child's completion
/// wakes a gather that is gone (or removes nothing), and the child's list
/// keeps nothing of the gather.
#[test]
fn dropped_gather_vs_child_completion() {
    model(|| {
        let chain = frame_chain();
        let child = chain.promise::<u32>();
        let gathered = chain.gather([child.clone()]);
        let probe = Probe::new();
        let waker = Waker::from(probe.clone());
        assert!(gathered
            .poll_done(&mut Context::from_waker(&waker))
            .is_pending());
        let dropper = thread::spawn(move || drop(gathered));
        let setter = spawn_set_result(&child, 3);
        dropper.join().unwrap();
        assert_eq!(setter.join().unwrap(), Ok(()));
        drop(waker);
        assert_eq!(Arc::strong_count(&probe), 1, "a waker was kept");
        assert_eq!(child.try_take(), Some(Ok(3)));
    });
}
