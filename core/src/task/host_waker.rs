//! [`HostWaker`]: the waker of the runtime task that hosts a task (see
//! `TaskHost`), kept once, in the two words of the waker itself.
//!
//! A `OnceLock<Waker>` would take a third word for its `Once`; this is in
//! every task's header, hosted or not, so the waker's raw parts are kept
//! instead, published by its table pointer.

use std::ptr;
use std::sync::atomic::Ordering;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::chain::runtime::HostSpawner;
use crate::error::isolated;
use crate::sync::{ptr_mut, AtomicPtr};

/// The table pointer while a keeper writes the data pointer: a reader
/// takes it for "no waker yet". Never called: only its address is used.
static WRITING: RawWakerVTable = RawWakerVTable::new(
    |_| unreachable!("a placeholder table is never called"),
    |_| {},
    |_| {},
    |_| {},
);

/// The host's waker, once kept.
pub(crate) struct HostWaker {
    /// The waker's data pointer, valid once `vtable` holds a real table.
    data: AtomicPtr<()>,
    /// Null, then `WRITING` for the one keeper, then the waker's table.
    vtable: AtomicPtr<RawWakerVTable>,
}

impl Default for HostWaker {
    fn default() -> Self {
        HostWaker {
            data: AtomicPtr::new(ptr::null_mut()),
            vtable: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

impl HostWaker {
    /// Keeps a clone of `waker` unless one was kept (the first one stays:
    /// a runtime task's waker wakes it whichever poll gave it).
    pub(crate) fn keep(&self, waker: &Waker) {
        if !self.vtable.load(Ordering::Acquire).is_null() {
            return;
        }
        let writing = ptr::addr_of!(WRITING).cast_mut();
        if self
            .vtable
            .compare_exchange(
                ptr::null_mut(),
                writing,
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return;
        }
        // Owned by this header from here; dropped in `drop`.
        let kept = std::mem::ManuallyDrop::new(waker.clone());
        self.data.store(kept.data().cast_mut(), Ordering::Relaxed);
        // Release: a reader that sees the table sees the data pointer.
        self.vtable
            .store(ptr::from_ref(kept.vtable()).cast_mut(), Ordering::Release);
    }

    /// Wakes the kept waker through `spawner` (its runtime's: see
    /// `HostSpawner::wake_host`); false if none is kept yet. A waker is
    /// foreign code: it may panic, to the caller.
    pub(crate) fn wake(&self, spawner: &dyn HostSpawner) -> bool {
        match self.get() {
            Some(waker) => {
                spawner.wake_host(&waker);
                true
            }
            None => false,
        }
    }

    /// The kept waker, borrowed.
    fn get(&self) -> Option<std::mem::ManuallyDrop<Waker>> {
        let vtable = self.vtable.load(Ordering::Acquire);
        if vtable.is_null() || ptr::eq(vtable, &WRITING) {
            return None;
        }
        let data = self.data.load(Ordering::Relaxed);
        // SAFETY: `vtable` and `data` are the raw parts of a waker this
        // header owns until it drops (published in that order); the
        // `ManuallyDrop` borrows it without dropping it.
        Some(std::mem::ManuallyDrop::new(unsafe {
            Waker::from_raw(RawWaker::new(data, &*vtable))
        }))
    }
}

impl Drop for HostWaker {
    fn drop(&mut self) {
        let vtable = ptr_mut(&mut self.vtable);
        if vtable.is_null() || ptr::eq(vtable, &WRITING) {
            return;
        }
        let data = ptr_mut(&mut self.data);
        // SAFETY: the raw parts of the waker this header owns (see `keep`),
        // taken back once, here.
        let waker = unsafe { Waker::from_raw(RawWaker::new(data, &*vtable)) };
        // A waker's drop is user code: caught, so the cell is freed.
        isolated(move || drop(waker));
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{RawWaker, RawWakerVTable, Wake, Waker};

    use super::HostWaker;

    /// A spawner whose hosts' wakes are plain.
    struct Plain;

    impl crate::chain::runtime::HostSpawner for Plain {
        fn spawn_host(&self, _host: crate::chain::host::TaskHost) {}
    }

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn the_first_waker_kept_is_woken_and_dropped_once_with_the_header() {
        let (first, second) = (Arc::new(Count::default()), Arc::new(Count::default()));
        let host = HostWaker::default();
        assert!(!host.wake(&Plain), "nothing kept yet");
        host.keep(&Waker::from(first.clone()));
        host.keep(&Waker::from(second.clone()));
        assert!(host.wake(&Plain));
        assert!(host.wake(&Plain));
        assert_eq!(first.0.load(Ordering::SeqCst), 2);
        assert_eq!(second.0.load(Ordering::SeqCst), 0, "the first kept stays");
        assert_eq!(Arc::strong_count(&first), 2, "one clone kept");
        assert_eq!(Arc::strong_count(&second), 1, "the second not kept");
        drop(host);
        assert_eq!(Arc::strong_count(&first), 1, "the kept clone dropped");
    }

    /// A waker whose clone is fine and whose drop panics.
    fn panicking_drop_waker() -> Waker {
        const VTABLE: RawWakerVTable = RawWakerVTable::new(
            |data| RawWaker::new(data, &VTABLE),
            |_| {},
            |_| {},
            |_| panic!("a waker's drop panics"),
        );
        // SAFETY: the table's functions ignore the data pointer.
        unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
    }

    #[test]
    fn a_kept_waker_whose_drop_panics_is_dropped_caught() {
        let waker = std::mem::ManuallyDrop::new(panicking_drop_waker());
        let host = HostWaker::default();
        host.keep(&waker);
        drop(host);
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    use super::HostWaker;

    /// A spawner whose hosts' wakes are plain.
    struct Plain;

    impl crate::chain::runtime::HostSpawner for Plain {
        fn spawn_host(&self, _host: crate::chain::host::TaskHost) {}
    }

    struct Count(StdAtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, StdOrdering::SeqCst);
        }
    }

    /// Two hosts' polls keep wakers while a wake reads: the reader finds
    /// no waker or a whole one (never a table with another's data), and
    /// exactly one waker stays kept.
    #[test]
    fn loom_a_wake_racing_two_keepers_finds_none_or_a_whole_waker() {
        loom::model(|| {
            let host = loom::sync::Arc::new(HostWaker::default());
            let counts: Vec<_> = (0..2)
                .map(|_| Arc::new(Count(StdAtomicUsize::new(0))))
                .collect();
            let keepers: Vec<_> = counts
                .iter()
                .map(|count| {
                    let (host, waker) = (host.clone(), Waker::from(count.clone()));
                    loom::thread::spawn(move || host.keep(&waker))
                })
                .collect();
            let woke = host.wake(&Plain);
            for keeper in keepers {
                keeper.join().unwrap();
            }
            let woken: usize = counts.iter().map(|c| c.0.load(StdOrdering::SeqCst)).sum();
            assert_eq!(woken, usize::from(woke));
            let kept = counts.iter().filter(|c| Arc::strong_count(c) == 2).count();
            assert_eq!(kept, 1, "one waker kept");
        });
    }
}
