//! `SmolRuntime`: an `async-executor` run by threads of its own, each
//! driving `async-io`'s reactor and timers.

use std::sync::{Arc, Weak};
use std::task::Waker;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use async_executor::Executor;
use taskchain_core::{
    check_thread_count, Error, HostSpawner, Runtime, RuntimeFuture, TaskHost, TaskScheduling,
    WakeGate,
};

use crate::stop::Stop;

/// How long dropping the runtime waits for its threads: a task stuck in a
/// blocking call must not hang the drop forever (the same bound a threaded
/// chain gives its workers at shutdown).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// The smol stack for threaded chains: an [`async_executor::Executor`] run
/// by threads named `taskchain-smol-{i}`, each in `async_io::block_on`, so
/// a chain's tasks can await `async_io::Timer`, `async_io::Async` sockets
/// and anything else built on async-io.
///
/// It owns its threads: dropping the last reference (a chain lets go of it
/// at shutdown) stops them, joins them, and drops the tasks still on the
/// executor. Dropped from one of its own threads, it joins the others and
/// that one ends after its current poll.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::Runtime;
/// use taskchain_smol::SmolRuntime;
///
/// let runtime = SmolRuntime::new(2).unwrap();
/// let (tx, rx) = std::sync::mpsc::channel();
/// runtime.spawn(Box::pin(async move {
///     async_io::Timer::after(Duration::from_millis(1)).await;
///     let _ = tx.send(std::thread::current().name().map(str::to_owned));
/// }));
/// let name = rx.recv().unwrap().unwrap();
/// assert!(name.starts_with("taskchain-smol-"));
/// ```
#[derive(Debug)]
pub struct SmolRuntime {
    executor: Arc<Executor<'static>>,
    /// The wakes of hosts from other threads, which the drop waits for
    /// before the executor goes (see `SmolHosts::wake_host`).
    host_wakes: Arc<WakeGate>,
    stop: Arc<Stop>,
    threads: Vec<JoinHandle<()>>,
}

impl SmolRuntime {
    /// Starts `threads` threads running a new executor.
    ///
    /// Returns [`Error::InvalidSetting`] for 0 threads or more than
    /// [`MAX_THREADS`](taskchain_core::MAX_THREADS), and
    /// [`Error::Runtime`] when the OS refuses a thread (the ones already
    /// started are stopped and joined).
    pub fn new(threads: usize) -> Result<Self, Error> {
        check_thread_count(threads, "a smol runtime")?;
        let mut runtime = SmolRuntime {
            executor: Arc::new(Executor::new()),
            host_wakes: Arc::new(WakeGate::new()),
            stop: Stop::new(threads),
            threads: Vec::with_capacity(threads),
        };
        for slot in 0..threads {
            let executor = runtime.executor.clone();
            let stop = runtime.stop.clone();
            let running = runtime.stop.running();
            let spawned = thread::Builder::new()
                .name(format!("taskchain-smol-{slot}"))
                .spawn(move || {
                    let _running = running;
                    async_io::block_on(executor.run(stop.stopped(slot)));
                });
            match spawned {
                Ok(handle) => runtime.threads.push(handle),
                // Dropping `runtime` stops and joins the threads started.
                Err(e) => {
                    return Err(Error::Runtime(format!(
                        "cannot start smol runtime thread {slot} of {threads}: {e}"
                    )))
                }
            }
        }
        Ok(runtime)
    }
}

impl Runtime for SmolRuntime {
    fn name(&self) -> &str {
        "smol"
    }

    fn threads(&self) -> usize {
        self.threads.len()
    }

    fn spawn(&self, future: RuntimeFuture) {
        // Detached: the chain tracks its workers itself. A panic inside is
        // kept by the task (async-executor propagates panics to the task's
        // awaiter, and a detached task has none), so the thread lives on.
        // After `stop` the task is queued, never run, and dropped with the
        // executor, as the trait allows.
        self.executor.spawn(future).detach();
    }

    /// Each coroutine a chain hands over runs in an async-executor task of
    /// its own, which its wakes wake.
    fn task_scheduling(&self) -> Option<TaskScheduling> {
        Some(TaskScheduling::Hosts(Arc::new(SmolHosts {
            executor: Arc::downgrade(&self.executor),
            wakes: self.host_wakes.clone(),
        })))
    }

    fn sleep(&self, duration: Duration) -> RuntimeFuture {
        // async-io's timer; a duration past the end of time never fires.
        Box::pin(async move {
            async_io::Timer::after(duration).await;
        })
    }
}

/// Spawns hosts as async-executor tasks, and wakes them through the
/// runtime's gate.
struct SmolHosts {
    /// Weakly: a chain keeps its spawner while its tasks are referenced,
    /// and a host queued on the executor references its task, so a strong
    /// reference would keep both alive for good once the runtime stopped.
    executor: Weak<Executor<'static>>,
    /// Closed by the runtime's drop before the executor goes.
    wakes: Arc<WakeGate>,
}

impl HostSpawner for SmolHosts {
    fn spawn_host(&self, host: TaskHost) {
        // The executor gone, the host is dropped: the chain learns that its
        // runtime is.
        if let Some(executor) = self.executor.upgrade() {
            executor.spawn(host).detach();
        }
    }

    /// `Executor::drop` drains its queue once: a wake that marked its task
    /// scheduled before the drain would push it after, where nothing drops
    /// it (the host, its task and its chain with it). The runtime's drop
    /// closes the gate first, waiting for the wakes inside it; a wake after
    /// that is not made, and the executor's drop drops the host.
    fn wake_host(&self, waker: &Waker) {
        self.wakes.wake(|| waker.wake_by_ref());
    }
}

impl Drop for SmolRuntime {
    fn drop(&mut self) {
        self.stop.stop();
        let me = thread::current().id();
        let own = self.threads.iter().any(|t| t.thread().id() == me);
        let all_out = self
            .stop
            .wait_until_running(usize::from(own), SHUTDOWN_WAIT);
        for handle in self.threads.drain(..) {
            // This thread cannot join itself; a thread still busy past the
            // bound is left to end on its own rather than hang the drop.
            if handle.thread().id() != me && (all_out || handle.is_finished()) {
                // A thread's panic was the task's, already reported by the
                // panic hook; nothing is left to do with it.
                let _ = handle.join();
            }
        }
        // No host wake is in flight from here, and none is made later.
        self.host_wakes.close();
        // The executor (and the tasks left on it) drops with the last
        // reference: here, or on a thread still finishing its poll.
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    use taskchain_core::{Runtime, TaskScheduling};

    use super::SmolRuntime;

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A host's wake goes through the runtime's gate: made while the
    /// runtime lives, not once its drop began (the executor's drop drops
    /// the hosts then).
    #[test]
    fn host_wakes_stop_when_the_runtime_drops() {
        let runtime = SmolRuntime::new(1).unwrap();
        let Some(TaskScheduling::Hosts(spawner)) = runtime.task_scheduling() else {
            panic!("the smol runtime hosts coroutines");
        };
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        spawner.wake_host(&waker);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        drop(runtime);
        spawner.wake_host(&waker);
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "woken after the drop");
    }
}
