//! The pool's OS threads: starting them by name, counting the live ones,
//! and joining them at shutdown within a bound.

use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The threads of one pool.
#[derive(Debug, Default)]
pub(crate) struct Threads {
    handles: Mutex<Vec<JoinHandle<()>>>,
    /// Threads whose body has not returned yet.
    live: Mutex<usize>,
    gone: Condvar,
}

/// Counts a thread as live from before it starts until its body returns
/// (or, if it could not start, until its closure is dropped).
struct Live(Arc<Threads>);

impl Drop for Live {
    fn drop(&mut self) {
        let mut live = lock(&self.0.live);
        *live = live.saturating_sub(1);
        self.0.gone.notify_all();
    }
}

/// Poisoning only means a panic elsewhere; the counts stay meaningful.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Threads {
    /// Starts a thread named `name` running `body`.
    pub(crate) fn spawn(
        self: &Arc<Self>,
        name: String,
        body: impl FnOnce() + Send + 'static,
    ) -> io::Result<()> {
        *lock(&self.live) += 1;
        let live = Live(self.clone());
        let handle = thread::Builder::new().name(name).spawn(move || {
            let _live = live;
            body();
        })?;
        lock(&self.handles).push(handle);
        Ok(())
    }

    /// How many threads have not finished their body.
    pub(crate) fn live(&self) -> usize {
        *lock(&self.live)
    }

    /// Waits up to `bound` for every thread to finish, then joins them.
    ///
    /// The calling thread, if it is one of them, is not waited for: it is
    /// detached (it finishes once its caller returns to it). A thread still
    /// running when `bound` passes (a future blocking its worker) is
    /// detached too, so that shutdown returns in bounded time.
    pub(crate) fn join_all(&self, bound: Duration) {
        let me = thread::current().id();
        let handles = std::mem::take(&mut *lock(&self.handles));
        let own = handles.iter().filter(|h| h.thread().id() == me).count();
        let deadline = Instant::now().checked_add(bound);
        let mut live = lock(&self.live);
        let mut all_gone = *live <= own;
        while !all_gone {
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => bound,
            };
            if left.is_zero() {
                break;
            }
            live = self
                .gone
                .wait_timeout(live, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            all_gone = *live <= own;
        }
        drop(live);
        for handle in handles {
            if handle.thread().id() == me {
                continue;
            }
            if all_gone || handle.is_finished() {
                // A worker never panics out of its body (every run is
                // caught), so there is no payload to report.
                let _ = handle.join();
            }
        }
    }
}
