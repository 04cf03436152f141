//! [`WakeGate`]: wakes into a runtime in flight, and the protocol that lets
//! the runtime's drop wait for them.

use std::fmt;
use std::sync::atomic::Ordering;

#[cfg(not(loom))]
use crate::chain::core::thread_number;
use crate::chain::sharded_count::ShardedCount;
use crate::sync::{fence, AtomicBool};

/// Wakes from other threads into a runtime whose drop frees its queue, so
/// that the drop can wait for those in flight.
///
/// async-executor's `Executor::drop` drains its queue once: a wake from
/// another thread that marked its task scheduled just before pushes the
/// task just after, where nothing ever drops it (nor what it holds: a
/// chain's coroutine, its task and its chain). A runtime built on such an
/// executor makes its hosts' wakes through a gate
/// ([`HostSpawner::wake_host`](crate::HostSpawner::wake_host)) and closes
/// it in its drop before the executor goes: a wake either finds the gate
/// closed and is not made (the executor's drop drops the task, woken or
/// not), or the close waits for it to return.
///
/// A wake counts itself in, then reads the mark; [`close`](Self::close)
/// sets the mark, then reads the count; each with a `SeqCst` fence between
/// its write and its read, so at least one of them sees the other. The
/// count is kept per thread, on cache lines of their own: an open gate
/// costs a wake two uncontended atomic operations and a fence.
///
/// ```
/// use std::sync::Arc;
/// use std::task::{Wake, Waker};
/// use taskchain_core::WakeGate;
///
/// struct Count(std::sync::atomic::AtomicUsize);
/// impl Wake for Count {
///     fn wake(self: Arc<Self>) {
///         self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
///     }
/// }
///
/// let count = Arc::new(Count(Default::default()));
/// let waker = Waker::from(count.clone());
/// let gate = WakeGate::new();
/// assert!(gate.wake(|| waker.wake_by_ref()));
/// // The runtime's drop, before its executor goes:
/// gate.close();
/// assert!(!gate.wake(|| waker.wake_by_ref()));
/// assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
/// ```
///
/// # Panics
///
/// Never itself; a wake that panics unwinds to its caller, counted out.
pub struct WakeGate {
    wakes: ShardedCount,
    closed: AtomicBool,
}

impl WakeGate {
    /// An open gate.
    pub fn new() -> Self {
        WakeGate {
            wakes: ShardedCount::default(),
            closed: AtomicBool::new(false),
        }
    }

    /// Runs `wake` unless the gate is closed; returns whether it ran.
    /// `wake` is the runtime's own code (a waker's wake), which returns
    /// promptly: [`close`](Self::close) waits for it.
    #[inline]
    pub fn wake(&self, wake: impl FnOnce()) -> bool {
        let shard = self.wakes.enter(shard_of_this_thread());
        // Counted out however `wake` returns.
        let _counted = CountedOut(&self.wakes, shard);
        fence(Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            return false;
        }
        wake();
        true
    }

    /// Closes the gate (later wakes are not made) and waits for the wakes
    /// in flight to return.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        while !self.wakes.is_zero() {
            crate::sync::yield_now();
        }
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

impl Default for WakeGate {
    fn default() -> Self {
        WakeGate::new()
    }
}

impl fmt::Debug for WakeGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WakeGate")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// The shard a wake on this thread counts in. Under loom, one for all (the
/// thread numbers come from a static counter, which a model may not share
/// between its runs; the protocol does not depend on the shard).
#[inline]
fn shard_of_this_thread() -> u64 {
    #[cfg(not(loom))]
    return thread_number();
    #[cfg(loom)]
    return 0;
}

/// Counts a wake out of its shard when dropped.
struct CountedOut<'a>(&'a ShardedCount, usize);

impl Drop for CountedOut<'_> {
    fn drop(&mut self) {
        self.0.exit(self.1);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    use super::WakeGate;

    /// A wake in flight (held inside until told to leave) keeps `close`
    /// from returning; a wake after the close is not made.
    #[test]
    fn close_waits_for_a_wake_in_flight_and_later_wakes_are_not_made() {
        let gate = Arc::new(WakeGate::new());
        let (inside_tx, inside) = mpsc::channel();
        let (leave, leave_rx) = mpsc::channel::<()>();
        let waking = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                gate.wake(|| {
                    inside_tx.send(()).unwrap();
                    leave_rx.recv().unwrap();
                })
            })
        };
        inside.recv().unwrap();
        let closed = Arc::new(AtomicBool::new(false));
        let closing = {
            let (gate, closed) = (gate.clone(), closed.clone());
            std::thread::spawn(move || {
                gate.close();
                closed.store(true, Ordering::SeqCst);
            })
        };
        // However long the wake stays inside, the close waits for it.
        let patience = std::time::Instant::now() + Duration::from_secs(120);
        while !gate.is_closed() {
            assert!(
                std::time::Instant::now() < patience,
                "the close never began"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(100));
        assert!(!closed.load(Ordering::SeqCst), "closed with a wake inside");
        leave.send(()).unwrap();
        assert!(waking.join().unwrap(), "the wake in flight was made");
        closing.join().unwrap();
        assert!(!gate.wake(|| panic!("a wake after the close")));
    }

    /// A wake that panics is counted out: the close does not wait for it.
    #[test]
    fn a_panicking_wake_is_counted_out() {
        let gate = WakeGate::new();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gate.wake(|| panic!("boom: a waker's wake"))
        }));
        assert!(unwound.is_err());
        gate.close();
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    use std::sync::Arc;

    use loom::sync::atomic::{AtomicBool, Ordering};

    use super::WakeGate;

    /// A wake races the close: it is either not made, or made before the
    /// close returns.
    #[test]
    fn loom_no_wake_is_in_flight_once_the_gate_is_closed() {
        loom::model(|| {
            let gate = Arc::new(WakeGate::new());
            let closed = Arc::new(AtomicBool::new(false));
            let waker = {
                let (gate, closed) = (gate.clone(), closed.clone());
                loom::thread::spawn(move || {
                    gate.wake(|| {
                        assert!(
                            !closed.load(Ordering::SeqCst),
                            "a wake ran after the gate was closed"
                        );
                    });
                })
            };
            gate.close();
            closed.store(true, Ordering::SeqCst);
            waker.join().unwrap();
        });
    }
}
