//! The pool's timer: one thread, a heap of deadlines, a map from sleeper to
//! waker.
//!
//! The thread parks until the earliest deadline
//! ([`Parker::park_deadline`]), wakes every sleeper that is due, and parks
//! again. A sleeper that registers a deadline earlier than every other one
//! unparks it so that it re-aims.
//!
//! It parks until a little before the deadline (the spin tail) and yields
//! the CPU in a loop for the rest: the operating system wakes a parked
//! thread late by its timer slack (50 µs by default on Linux) plus its
//! wake-up latency, which would make every short sleep that late.
//!
//! A [`Sleep`](crate::Sleep) dropped before its deadline takes its waker
//! out of the map at once; its heap entry goes stale and is skipped when it
//! comes up. Stale entries are also swept whenever they outnumber the live
//! ones (with some slack), so a stream of sleeps dropped early, a timeout
//! that rarely fires, keeps the heap within twice the live sleepers.
//!
//! `loom_models::timer` checks the registration/wake protocol under loom.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::sync::{now, Mutex, MutexGuard, Parker, Unparker};
use crate::worker::isolated;

/// Stale heap entries tolerated before a sweep, on top of one per live
/// sleeper: sweeping a small heap often would cost more than it saves.
const STALE_SLACK: usize = 64;

/// The timer state shared by the timer thread and every [`Sleep`](crate::Sleep).
#[derive(Debug)]
pub(crate) struct Timer {
    state: Mutex<State>,
    unparker: Unparker,
    /// How long before a deadline the thread stops parking and yields in
    /// a loop instead.
    spin: Duration,
}

#[derive(Debug, Default)]
struct State {
    /// Deadlines, earliest first, with the sleeper they belong to; entries
    /// whose sleeper is no longer in `wakers` are stale.
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    /// The waker of each registered sleeper.
    wakers: HashMap<u64, Waker>,
    next_id: u64,
    closed: bool,
}

/// What registering a sleeper did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Registered {
    /// The sleeper is (still) waiting under this id.
    Waiting(u64),
    /// The timer is shut down: nothing will ever wake the sleeper.
    Closed,
}

impl Timer {
    /// A timer woken through `unparker`, the unparker of the parker the
    /// timer thread runs [`run`](Self::run) with, that spins for the last
    /// `spin` before each deadline.
    pub(crate) fn new(unparker: Unparker, spin: Duration) -> Self {
        Timer {
            state: Mutex::new(State::default()),
            unparker,
            spin,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic never happens with this lock held (wakers are woken and
        // dropped outside it); recover rather than panic regardless.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers (or refreshes) a sleeper due at `deadline`, woken by
    /// `waker`. `id` is what an earlier call returned for the same sleeper.
    pub(crate) fn register(&self, id: Option<u64>, deadline: Instant, waker: &Waker) -> Registered {
        let mut state = self.state();
        if state.closed {
            return Registered::Closed;
        }
        if let Some(id) = id {
            if let Some(current) = state.wakers.get_mut(&id) {
                if !current.will_wake(waker) {
                    let old = std::mem::replace(current, waker.clone());
                    drop(state);
                    drop(old);
                }
                return Registered::Waiting(id);
            }
        }
        let id = id.unwrap_or_else(|| {
            state.next_id += 1;
            state.next_id
        });
        let earliest = match state.heap.peek() {
            Some(Reverse((first, _))) => deadline < *first,
            None => true,
        };
        state.heap.push(Reverse((deadline, id)));
        state.wakers.insert(id, waker.clone());
        drop(state);
        if earliest {
            // The thread may be parked until a later deadline: re-aim it.
            self.unparker.unpark();
        }
        Registered::Waiting(id)
    }

    /// Forgets sleeper `id` (it completed or was dropped).
    pub(crate) fn deregister(&self, id: u64) {
        let mut state = self.state();
        let waker = state.wakers.remove(&id);
        if state.heap.len() > 2 * state.wakers.len() + STALE_SLACK {
            let State { heap, wakers, .. } = &mut *state;
            heap.retain(|Reverse((_, id))| wakers.contains_key(id));
        }
        drop(state);
        drop(waker);
    }

    /// Stops the timer thread; every sleeper still waiting is woken (and
    /// finds the timer closed).
    pub(crate) fn close(&self) {
        self.state().closed = true;
        self.unparker.unpark();
    }

    /// Heap entries, live and stale (for tests of the sweep).
    pub(crate) fn entries(&self) -> usize {
        self.state().heap.len()
    }

    /// The timer thread's loop, until [`close`](Self::close).
    pub(crate) fn run(&self, parker: &Parker) {
        let mut due: Vec<Waker> = Vec::new();
        loop {
            let (next, closed) = self.collect_due(now(), &mut due);
            let woke = !due.is_empty();
            for waker in due.drain(..) {
                // A foreign executor's waker may panic; the timer must
                // outlive it, or every other sleeper would hang.
                isolated(|| waker.wake());
            }
            if closed {
                return;
            }
            if woke {
                // Waking took time: look at the clock again before parking.
                continue;
            }
            match next {
                Some(deadline) => self.wait_for(deadline, parker),
                None => parker.park(),
            }
        }
    }

    /// Waits for `deadline`: parks until the spin tail, then yields until
    /// the deadline. (Returns early when unparked while parked: a nearer
    /// deadline or shutdown; the caller looks again either way.)
    fn wait_for(&self, deadline: Instant, parker: &Parker) {
        match deadline.checked_sub(self.spin) {
            Some(wake) if wake > now() => {
                parker.park_deadline(wake);
            }
            _ => {
                while now() < deadline {
                    std::thread::yield_now();
                }
            }
        }
    }

    /// Moves the wakers of the sleepers due at `now` (all of them once
    /// closed) into `due`; returns the next live deadline and whether the
    /// timer is closed.
    fn collect_due(&self, now: Instant, due: &mut Vec<Waker>) -> (Option<Instant>, bool) {
        let mut state = self.state();
        if state.closed {
            state.heap.clear();
            due.extend(state.wakers.drain().map(|(_, waker)| waker));
            return (None, true);
        }
        while let Some(&Reverse((deadline, id))) = state.heap.peek() {
            let live = state.wakers.contains_key(&id);
            if live && deadline > now {
                return (Some(deadline), false);
            }
            state.heap.pop();
            if live {
                if let Some(waker) = state.wakers.remove(&id) {
                    due.push(waker);
                }
            }
        }
        (None, false)
    }
}
