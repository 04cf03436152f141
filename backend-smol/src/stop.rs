//! How a `SmolRuntime` tells its threads to stop and knows when they have.
//!
//! Each thread runs the executor until its stop future completes; the
//! runtime fires them all at once, then waits (bounded) for the threads to
//! count themselves out. Hand-written rather than a channel crate: it is a
//! flag, a waker per thread and a counter.

use std::future::{poll_fn, Future};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

/// The stop flag and the count of running threads, shared by a runtime and
/// its threads.
#[derive(Debug)]
pub(crate) struct Stop {
    state: Mutex<State>,
    exited: Condvar,
}

#[derive(Debug)]
struct State {
    stopping: bool,
    /// The waker of each thread's stop future, by thread index.
    wakers: Vec<Option<Waker>>,
    /// Threads started and not yet out.
    running: usize,
}

/// Counts one thread as running until dropped: it is moved into the
/// thread, so it drops when the thread ends (or with the closure, if the
/// thread never started).
#[derive(Debug)]
pub(crate) struct Running(Arc<Stop>);

impl Drop for Running {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.running = state.running.saturating_sub(1);
        drop(state);
        self.0.exited.notify_all();
    }
}

impl Stop {
    /// A stop signal for `threads` threads, none running yet.
    pub(crate) fn new(threads: usize) -> Arc<Self> {
        Arc::new(Stop {
            state: Mutex::new(State {
                stopping: false,
                wakers: vec![None; threads],
                running: 0,
            }),
            exited: Condvar::new(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a thread about to start as running.
    pub(crate) fn running(self: &Arc<Self>) -> Running {
        self.state().running += 1;
        Running(self.clone())
    }

    /// Completes once [`stop`](Self::stop) is called; `slot` is the
    /// thread's index.
    pub(crate) fn stopped(&self, slot: usize) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx| {
            let mut state = self.state();
            if state.stopping {
                return Poll::Ready(());
            }
            if let Some(waker) = state.wakers.get_mut(slot) {
                match waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
            }
            Poll::Pending
        })
    }

    /// Tells every thread to stop.
    pub(crate) fn stop(&self) {
        let wakers: Vec<Waker> = {
            let mut state = self.state();
            state.stopping = true;
            state.wakers.iter_mut().filter_map(Option::take).collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// Waits until at most `left` threads run, for up to `timeout`; returns
    /// whether they got there.
    pub(crate) fn wait_until_running(&self, left: usize, timeout: Duration) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = self.state();
        while state.running > left {
            let now = Instant::now();
            let wait = match deadline {
                Some(deadline) if now >= deadline => return false,
                Some(deadline) => deadline - now,
                None => timeout,
            };
            state = self
                .exited
                .wait_timeout(state, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}
