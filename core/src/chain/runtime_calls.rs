//! `RuntimeCalls`: a threaded chain's calls into its runtime's scheduling
//! in progress, and the protocol that lets its shutdown drop the runtime
//! only once none is.
//!
//! A runtime may free its queue when it is dropped while a wake is still
//! inside its waker: async-executor's `Executor::drop` drains its queue
//! once, and a wake that marked its task scheduled before that pushes the
//! task after it, where nothing ever drops it (nor the host in it, nor the
//! task and chain the host holds). So a chain's shutdown lets its runtime
//! go only once no call into it is in flight; a call after that (a task
//! another thread was ending) holds the runtime while it lasts, if the
//! runtime still lives, and is not made if it does not (its drop dropped
//! the chain's hosts).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crate::chain::runtime::Runtime;
use crate::chain::sharded_count::ShardedCount;
use crate::sync::{fence, AtomicBool};

/// Calls into the chain's runtime in progress (a host's wake or spawn, a
/// runnable's schedule), and whether the chain let its runtime go.
///
/// A call counts itself in, then reads the mark; [`release`](Self::release)
/// sets the mark, then waits for the count to reach zero; each with a
/// `SeqCst` fence between its write and its read. So a call either sees
/// the mark and is not counted (see `ChainCore::runtime_call` for what it
/// does then), or the release sees the call and waits for it: no counted
/// call is in flight once the release returned true.
#[derive(Default)]
pub(crate) struct RuntimeCalls {
    calls: ShardedCount,
    released: AtomicBool,
}

impl RuntimeCalls {
    /// Counts a call by the thread numbered `thread` until the guard
    /// drops, or returns `None` if the runtime was released.
    #[inline]
    pub(crate) fn enter(&self, thread: u64) -> Option<RuntimeCall<'_>> {
        let shard = self.calls.enter(thread);
        fence(Ordering::SeqCst);
        if self.released.load(Ordering::SeqCst) {
            self.calls.exit(shard);
            return None;
        }
        Some(RuntimeCall::Counted { calls: self, shard })
    }

    /// Counts no later call and waits, until `deadline`, for those in
    /// flight to return; false if one was still in flight then.
    /// A call is the runtime's own code (a waker, a queue push): it
    /// returns promptly, and runs no user code of the chain.
    pub(crate) fn release(&self, deadline: Instant) -> bool {
        self.released.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        loop {
            if self.calls.is_zero() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            crate::sync::yield_now();
        }
    }
}

/// A call into the runtime in progress, until it drops (also when the call
/// unwinds).
pub(crate) enum RuntimeCall<'a> {
    /// Counted, before the release.
    Counted {
        calls: &'a RuntimeCalls,
        /// Where it is counted.
        shard: usize,
    },
    /// After the release: the runtime, held for the call's length (it may
    /// be the last reference, which then drops the runtime after the call).
    Holding { _runtime: Arc<dyn Runtime> },
}

impl RuntimeCall<'_> {
    /// A call made while holding `runtime`.
    pub(crate) fn holding(runtime: Arc<dyn Runtime>) -> Self {
        RuntimeCall::Holding { _runtime: runtime }
    }
}

impl Drop for RuntimeCall<'_> {
    fn drop(&mut self) {
        if let RuntimeCall::Counted { calls, shard } = self {
            calls.calls.exit(*shard);
        }
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    use std::sync::Arc;

    use loom::sync::atomic::{AtomicBool, Ordering};

    use super::RuntimeCalls;

    /// A call races the release: it either makes no call, or the release
    /// returns only after it returned.
    #[test]
    fn loom_no_call_is_in_flight_once_the_runtime_is_released() {
        loom::model(|| {
            let calls = Arc::new(RuntimeCalls::default());
            let released = Arc::new(AtomicBool::new(false));
            let caller = {
                let (calls, released) = (calls.clone(), released.clone());
                loom::thread::spawn(move || {
                    if let Some(call) = calls.enter(1) {
                        assert!(
                            !released.load(Ordering::SeqCst),
                            "a call ran after the runtime was released"
                        );
                        drop(call);
                    }
                })
            };
            let far_off = std::time::Instant::now() + std::time::Duration::from_secs(3600);
            assert!(calls.release(far_off));
            released.store(true, Ordering::SeqCst);
            caller.join().unwrap();
        });
    }
}
