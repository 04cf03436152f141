//! `TokioRuntime`: a tokio runtime lent to threaded chains, owned (built
//! here, shut down on the last drop) or borrowed (the user's handle).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};
use std::time::Duration;

use taskchain_core::{
    check_thread_count, Error, HostSpawner, Runtime, RuntimeFuture, TaskHost, TaskScheduling,
};
use tokio::runtime::{Builder, Handle, RuntimeFlavor};

/// How long dropping an owned runtime waits for its threads: a task stuck
/// in a blocking call must not hang the drop forever (the same bound a
/// threaded chain gives its workers at shutdown).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// A tokio runtime for threaded chains: the chain's workers are tokio
/// tasks, so a chain's tasks run inside the runtime's context and can await
/// `tokio::time::sleep`, tokio channels and sockets.
///
/// [`TokioRuntime::new`] builds and owns a multi-thread runtime; dropping
/// the last reference (a chain lets go of it at shutdown) shuts it down and
/// joins its threads. [`TokioRuntime::from_handle`] runs on a runtime the
/// caller owns and never shuts it down.
///
/// ```
/// use std::time::Duration;
/// use taskchain_core::Runtime;
/// use taskchain_tokio::TokioRuntime;
///
/// let runtime = TokioRuntime::new(2).unwrap();
/// assert_eq!(runtime.threads(), 2);
/// let (tx, rx) = std::sync::mpsc::channel();
/// runtime.spawn(Box::pin(async move {
///     tokio::time::sleep(Duration::from_millis(1)).await;
///     let _ = tx.send(std::thread::current().name().map(str::to_owned));
/// }));
/// let name = rx.recv().unwrap().unwrap();
/// assert!(name.starts_with("taskchain-tokio-"));
/// ```
#[derive(Debug)]
pub struct TokioRuntime {
    /// The thread that first polled a future spawned here, on a
    /// current-thread runtime (the one that drives it): `None` on a
    /// multi-thread one.
    driver: Option<Arc<OnceLock<ThreadId>>>,
    handle: Handle,
    threads: usize,
    /// The runtime itself when this owns it; `None` on a borrowed handle.
    owned: Option<tokio::runtime::Runtime>,
}

impl TokioRuntime {
    /// Builds and owns a multi-thread runtime with `threads` worker threads
    /// named `taskchain-tokio-{i}`, every driver enabled (timers, and I/O
    /// when tokio's `net`/`io` features are compiled in).
    ///
    /// Returns [`Error::InvalidSetting`] for 0 threads or more than
    /// [`MAX_THREADS`](taskchain_core::MAX_THREADS), and
    /// [`Error::Runtime`] when tokio cannot build the runtime (the OS
    /// refused a thread or a driver).
    pub fn new(threads: usize) -> Result<Self, Error> {
        check_thread_count(threads, "a tokio runtime")?;
        let next = AtomicUsize::new(0);
        let runtime = Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name_fn(move || {
                format!("taskchain-tokio-{}", next.fetch_add(1, Ordering::Relaxed))
            })
            .enable_all()
            .build()
            .map_err(|e| {
                Error::Runtime(format!(
                    "cannot build a tokio runtime with {threads} threads: {e}"
                ))
            })?;
        Ok(TokioRuntime {
            driver: None,
            handle: runtime.handle().clone(),
            threads,
            owned: Some(runtime),
        })
    }

    /// Runs on a runtime the caller owns (multi-thread or current-thread);
    /// it is never shut down from here. [`threads`](Runtime::threads) is
    /// its worker count (1 for a current-thread runtime).
    ///
    /// A current-thread runtime runs the chain only while its owner drives
    /// it (`block_on`). A blocking wait on the thread that drives it
    /// (`result` or `wait_done` on a pending task of the chain,
    /// `wait_for_tasks` with tasks left) would stall the chain: it returns
    /// [`Error::WouldDeadlock`] at once instead (that thread is the one
    /// that first ran the chain's workers). Await task handles there
    /// instead. `shutdown` on that thread, with the chain's workers live,
    /// waits up to ten seconds for them: shut the chain down from another
    /// thread (`spawn_blocking`) or after dropping the runtime.
    ///
    /// Returns [`Error::InvalidSetting`] if the runtime was built without
    /// timers (`enable_time`): chains need them for delays and pauses.
    /// Tokio reports that by panicking; the panic is caught here, but the
    /// panic hook still prints it, and under `panic = "abort"` it aborts.
    pub fn from_handle(handle: Handle) -> Result<Self, Error> {
        if !has_timer(&handle) {
            return Err(Error::InvalidSetting(
                "the tokio runtime has no timer: build it with enable_time() or enable_all()"
                    .into(),
            ));
        }
        let current_thread = handle.runtime_flavor() == RuntimeFlavor::CurrentThread;
        Ok(TokioRuntime {
            driver: current_thread.then(Default::default),
            threads: handle.metrics().num_workers(),
            handle,
            owned: None,
        })
    }

    /// The handle of the runtime, to spawn tokio tasks or enter its
    /// context next to the chain.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

/// Whether `handle`'s runtime has a time driver. Tokio has no query for
/// it; creating a sleep panics without one, so that is the probe.
fn has_timer(handle: &Handle) -> bool {
    catch_unwind(AssertUnwindSafe(|| {
        let _context = handle.enter();
        drop(tokio::time::sleep(Duration::ZERO));
    }))
    .is_ok()
}

impl Runtime for TokioRuntime {
    fn name(&self) -> &str {
        "tokio"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn spawn(&self, future: RuntimeFuture) {
        // Detached: the chain tracks its workers itself. On a runtime that
        // is shutting down tokio drops the future, as the trait allows.
        match &self.driver {
            Some(driver) => drop(self.handle.spawn(NotingDriver {
                future,
                driver: driver.clone(),
            })),
            None => drop(self.handle.spawn(future)),
        }
    }

    /// Each coroutine a chain hands over runs in a tokio task of its own,
    /// which its wakes wake: tokio's LIFO slot and work stealing apply.
    fn task_scheduling(&self) -> Option<TaskScheduling> {
        Some(TaskScheduling::Hosts(Arc::new(TokioHosts(
            self.handle.clone(),
        ))))
    }

    /// On the thread that drives a current-thread runtime.
    fn stalls_if_blocked(&self) -> bool {
        self.driver
            .as_ref()
            .and_then(|d| d.get())
            .is_some_and(|&driver| driver == thread::current().id())
    }

    fn sleep(&self, duration: Duration) -> RuntimeFuture {
        // A tokio sleep binds to the runtime current where it is created;
        // entering ours makes that this one, from any thread.
        let _context = self.handle.enter();
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Spawns hosts as tokio tasks. A handle does not keep the runtime's
/// threads: once the runtime is shut down, tokio drops what is spawned on
/// it, and with it the host.
struct TokioHosts(Handle);

impl HostSpawner for TokioHosts {
    fn spawn_host(&self, host: TaskHost) {
        drop(self.0.spawn(host));
    }
}

/// A future spawned on a current-thread runtime, which notes the thread
/// that first polls it: the one that drives the runtime.
struct NotingDriver {
    future: RuntimeFuture,
    driver: Arc<OnceLock<ThreadId>>,
}

impl Future for NotingDriver {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.driver.get_or_init(|| thread::current().id());
        self.future.as_mut().poll(cx)
    }
}

impl Drop for TokioRuntime {
    fn drop(&mut self) {
        let Some(runtime) = self.owned.take() else {
            return;
        };
        if Handle::try_current().is_ok() {
            // Inside an async context (one of this runtime's own tasks, when
            // a chain is shut down from its task, or another runtime's)
            // tokio forbids blocking: the threads are told to stop and exit
            // by themselves once their current poll returns.
            runtime.shutdown_background();
        } else {
            runtime.shutdown_timeout(SHUTDOWN_WAIT);
        }
    }
}
