//! The physical floor: the cheapest correct executor, for the report to
//! read how far every other subject sits above it.
//!
//! One thread runs async-task cells (`Runnable`s) from a `VecDeque`, in
//! the order they were scheduled, and nothing else: no timers, no I/O, no
//! work stealing, no task registry.
//!
//! Why a `Mutex` around the queue rather than a `RefCell`: a waker may be
//! woken from any thread (async-task's schedule function must be `Send +
//! Sync` for that reason), and a queue only the executor's thread may touch
//! would lose such a wake or race on it. The lock is never contended in
//! the workloads the floor runs (every wake comes from its own thread), so
//! a schedule costs one uncontended lock; the driver takes the whole queue
//! in one lock per batch rather than one per task. Measured on the 2-core
//! machine of the report: a push and take per task cost 6.5 ns behind the
//! lock against 3.0 ns behind a `RefCell` (10 million in batches of
//! 10,000), a few per cent of a spawn on the floor. Making the queue
//! thread-local instead would need `spawn_unchecked` and an unsafe promise
//! that no other thread ever wakes a task, which is the very case a correct
//! executor must handle.
//!
//! Sleep and wake go through the same lock: the driver marks itself asleep
//! under it before parking, and a schedule unparks it only then, so a busy
//! executor pays no unpark.
//!
//! On drop, the queued tasks are dropped (their futures with them) and the
//! queue is closed. A task still suspended elsewhere then is never run
//! again: when it is woken (or its last waker and handle go, which
//! schedules it too) it is leaked, not dropped, because its schedule runs
//! inside the waker's caller, which may hold the very lock the future's
//! drop takes (an event-listener list, say). Keeping a registry of every
//! task to drop them all at once, as async-executor does, would cost every
//! spawn; the workloads never drop the floor with a task pending.

use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::Instant;

use async_task::{Runnable, Task};

/// The single-thread executor. It runs its tasks only inside
/// [`block_on`](Floor::block_on) and [`run_until`](Floor::run_until), on the
/// thread that made it.
#[derive(Debug)]
pub struct Floor {
    shared: Arc<FloorInner>,
    /// Not `Send`: the driver's thread is fixed when it is made (the one a
    /// schedule unparks).
    _on_one_thread: PhantomData<*const ()>,
}

/// Spawns on a [`Floor`] from any thread. Cloning it is one reference
/// count.
#[derive(Debug, Clone)]
pub struct FloorSpawner {
    shared: Arc<FloorInner>,
}

#[derive(Debug)]
struct FloorInner {
    state: Mutex<State>,
    /// The thread that drives the executor, to unpark when it sleeps.
    driver: Thread,
}

#[derive(Debug)]
struct State {
    /// Tasks to run, in the order they were scheduled.
    ready: VecDeque<Runnable>,
    /// Set by the waker of [`Floor::block_on`]'s future.
    main_woken: bool,
    /// The driver is parked (or about to park) and must be unparked.
    asleep: bool,
    /// The executor is gone: a task scheduled now is dropped at once.
    closed: bool,
}

impl FloorInner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic inside the lock leaves the queue consistent (it only
        // pushes or swaps), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `runnable`, waking the driver if it sleeps.
    fn schedule(&self, runnable: Runnable) {
        let mut state = self.lock();
        if state.closed {
            drop(state);
            // Nobody runs it any more, and dropping it here could deadlock
            // the waker's caller (see the module's doc).
            std::mem::forget(runnable);
            return;
        }
        state.ready.push_back(runnable);
        let wake = std::mem::take(&mut state.asleep);
        drop(state);
        if wake {
            self.driver.unpark();
        }
    }
}

/// Wakes [`Floor::block_on`]'s future: marks it and unparks the driver if
/// it sleeps.
struct MainWaker(Arc<FloorInner>);

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut state = self.0.lock();
        state.main_woken = true;
        let wake = std::mem::take(&mut state.asleep);
        drop(state);
        if wake {
            self.0.driver.unpark();
        }
    }
}

impl Default for Floor {
    fn default() -> Self {
        Self::new()
    }
}

impl Floor {
    /// An empty executor, driven by the calling thread.
    pub fn new() -> Self {
        Floor {
            shared: Arc::new(FloorInner {
                state: Mutex::new(State {
                    ready: VecDeque::new(),
                    main_woken: true,
                    asleep: false,
                    closed: false,
                }),
                driver: std::thread::current(),
            }),
            _on_one_thread: PhantomData,
        }
    }

    /// A handle to spawn tasks with, from any thread.
    pub fn spawner(&self) -> FloorSpawner {
        FloorSpawner {
            shared: self.shared.clone(),
        }
    }

    /// Runs `future` to completion on the calling thread (which must be the
    /// one that made the executor), running the spawned tasks meanwhile.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let waker = Waker::from(Arc::new(MainWaker(self.shared.clone())));
        let mut cx = Context::from_waker(&waker);
        let mut batch = VecDeque::new();
        // The first poll is owed whatever an earlier call left behind.
        self.shared.lock().main_woken = true;
        loop {
            let poll_main = std::mem::take(&mut self.shared.lock().main_woken);
            if poll_main {
                if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                    return output;
                }
            }
            if !self.run_batch(&mut batch) {
                self.sleep(None);
            }
        }
    }

    /// Runs the tasks until `done()` holds, or until `deadline` passes;
    /// returns whether `done()` held.
    pub fn run_until(&self, done: impl Fn() -> bool, deadline: Instant) -> bool {
        let mut batch = VecDeque::new();
        while !done() {
            if Instant::now() >= deadline {
                return false;
            }
            if !self.run_batch(&mut batch) {
                self.sleep(Some(deadline));
            }
        }
        true
    }

    /// Runs every task queued now (`batch` is the driver's spare queue,
    /// swapped with the shared one in one lock); returns whether any ran.
    fn run_batch(&self, batch: &mut VecDeque<Runnable>) -> bool {
        std::mem::swap(&mut self.shared.lock().ready, batch);
        let ran = !batch.is_empty();
        while let Some(runnable) = batch.pop_front() {
            runnable.run();
        }
        ran
    }

    /// Parks the driver until a schedule or a wake of the main future, or
    /// `deadline`; returns at once if either happened since it last looked.
    fn sleep(&self, deadline: Option<Instant>) {
        {
            let mut state = self.shared.lock();
            if !state.ready.is_empty() || state.main_woken {
                return;
            }
            state.asleep = true;
        }
        // An unpark between the unlock and the park is not lost: the
        // parker keeps its token.
        match deadline {
            None => std::thread::park(),
            Some(deadline) => {
                std::thread::park_timeout(deadline.saturating_duration_since(Instant::now()))
            }
        }
        self.shared.lock().asleep = false;
    }
}

impl FloorSpawner {
    /// Spawns `future` as a task; awaiting the returned [`Task`] yields its
    /// output, dropping it cancels the task.
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let shared = self.shared.clone();
        let (runnable, task) = async_task::spawn(future, move |runnable| shared.schedule(runnable));
        runnable.schedule();
        task
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.closed = true;
        let queued = std::mem::take(&mut state.ready);
        drop(state);
        // Outside the lock: dropping a future may schedule another task,
        // which the closed queue now drops at once.
        drop(queued);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use taskchain_conformance::kit::drops::DropCounter;

    use super::*;

    #[test]
    fn runs_spawned_futures_to_completion() {
        let floor = Floor::new();
        let spawner = floor.spawner();
        let sum = floor.block_on(async {
            let tasks: Vec<_> = (0..100u64)
                .map(|i| {
                    spawner.spawn(async move {
                        futures_lite::future::yield_now().await;
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for task in tasks {
                sum += task.await;
            }
            sum
        });
        assert_eq!(sum, (0..100).sum::<u64>());
    }

    #[test]
    fn a_wake_from_another_thread_is_not_lost() {
        let floor = Floor::new();
        let spawner = floor.spawner();
        for _ in 0..50 {
            let (tx, rx) = async_channel::bounded::<u32>(1);
            let task = spawner.spawn(async move { rx.recv().await });
            let sender = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(1));
                tx.send_blocking(7)
            });
            // The driver parks with nothing to run; only the other
            // thread's wake can end this.
            assert_eq!(floor.block_on(task), Ok(7));
            sender.join().unwrap().unwrap();
        }
    }

    #[test]
    fn run_until_sees_a_task_woken_from_another_thread() {
        let floor = Floor::new();
        let done = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = async_channel::bounded::<()>(1);
        let seen = done.clone();
        floor
            .spawner()
            .spawn(async move {
                let _ = rx.recv().await;
                seen.fetch_add(1, Ordering::SeqCst);
            })
            .detach();
        let sender = std::thread::spawn(move || tx.send_blocking(()));
        let deadline = Instant::now() + Duration::from_secs(60);
        assert!(floor.run_until(|| done.load(Ordering::SeqCst) == 1, deadline));
        sender.join().unwrap().unwrap();
    }

    #[test]
    fn dropping_it_drops_pending_futures() {
        let drops = DropCounter::new();
        let floor = Floor::new();
        let spawner = floor.spawner();
        // Queued, never run: one that yields first, one that would not.
        let yielding = drops.token();
        spawner
            .spawn(async move {
                let _guard = yielding;
                futures_lite::future::yield_now().await;
            })
            .detach();
        let plain = drops.token();
        let task = spawner.spawn(async move {
            let _guard = plain;
        });
        assert_eq!(drops.dropped(), 0);
        drop(floor);
        assert_eq!(drops.dropped(), 2);
        // Its handle now reads a cancelled task.
        assert_eq!(futures_lite::future::block_on(task.fallible()), None);
    }
}
