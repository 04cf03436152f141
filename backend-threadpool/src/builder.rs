//! [`ThreadPoolBuilder`]: how many workers, and what their threads are
//! called.

use std::sync::Arc;
use std::time::Duration;

use taskchain_core::{check_thread_count, Error};

use crate::job::Job;
use crate::pool::ThreadPool;
use crate::pool_state::PoolState;
use crate::remote::Remote;
use crate::sleepers::Sleepers;
use crate::sync::{Parker, Worker};
use crate::timer::Timer;
use crate::worker;

/// The thread-name prefix of a pool built without [`ThreadPoolBuilder::name`].
pub const DEFAULT_PREFIX: &str = "taskchain-pool";

/// The most worker threads a pool takes: core's bound, shared by every
/// backend.
pub const MAX_THREADS: usize = taskchain_core::MAX_THREADS;

/// The timer's spin tail of a pool built without
/// [`ThreadPoolBuilder::timer_spin`]: a little more than Linux's default
/// timer slack (50 µs).
pub const DEFAULT_TIMER_SPIN: Duration = Duration::from_micros(60);

/// The longest spin tail [`ThreadPoolBuilder::timer_spin`] takes: a longer
/// one would burn a core for little gain.
pub const MAX_TIMER_SPIN: Duration = Duration::from_millis(1);

/// Configures and starts a [`ThreadPool`].
///
/// ```
/// use taskchain_threadpool::ThreadPool;
///
/// let pool = ThreadPool::builder().threads(2).name("physics").build().unwrap();
/// let name = pool
///     .spawn(async { std::thread::current().name().map(str::to_owned) })
///     .join()
///     .unwrap();
/// assert!(name.unwrap().starts_with("physics-"));
/// ```
#[derive(Debug, Clone)]
pub struct ThreadPoolBuilder {
    threads: usize,
    prefix: String,
    timer_spin: Duration,
}

impl Default for ThreadPoolBuilder {
    fn default() -> Self {
        ThreadPoolBuilder {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            prefix: DEFAULT_PREFIX.to_owned(),
            timer_spin: DEFAULT_TIMER_SPIN,
        }
    }
}

impl ThreadPoolBuilder {
    /// A builder for a pool with one worker per CPU, named
    /// [`DEFAULT_PREFIX`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of worker threads (1 to [`MAX_THREADS`]; the timer
    /// thread comes on top).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Sets the thread-name prefix: workers are named `{prefix}-{i}` (`i`
    /// from 0), the timer thread `{prefix}-timer`. (The operating system
    /// may show only the first 15 bytes of a name; Rust sees all of it.)
    pub fn name(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets the timer's spin tail: the timer thread parks until `spin`
    /// before the next deadline and yields the CPU in a loop for the rest,
    /// so that a short sleep is not late by the operating system's timer
    /// slack. Longer: more punctual sleeps, more CPU spent on the timer
    /// thread; zero: park to the deadline and never spin. Defaults to
    /// [`DEFAULT_TIMER_SPIN`]; capped at [`MAX_TIMER_SPIN`].
    pub fn timer_spin(mut self, spin: Duration) -> Self {
        self.timer_spin = spin.min(MAX_TIMER_SPIN);
        self
    }

    /// Starts the pool's threads.
    ///
    /// Returns [`Error::InvalidSetting`] for 0 threads, more than
    /// [`MAX_THREADS`], or a prefix with a NUL byte, and [`Error::Runtime`]
    /// when the operating system refuses to start a thread (the threads
    /// started so far are stopped and joined first).
    pub fn build(self) -> Result<ThreadPool, Error> {
        let ThreadPoolBuilder {
            threads,
            prefix,
            timer_spin,
        } = self;
        check_thread_count(threads, "a thread pool")?;
        if prefix.contains('\0') {
            return Err(Error::InvalidSetting(format!(
                "a thread name cannot hold a NUL byte: {prefix:?}"
            )));
        }
        let Parts {
            shared,
            workers,
            timer_parker,
        } = Parts::new(threads, prefix, timer_spin);
        let timer = shared.timer.clone();
        // From here on an early return drops `pool`, which shuts down and
        // joins the threads started so far.
        let pool = ThreadPool::from_shared(shared.clone());
        for (index, (queue, parker)) in workers.into_iter().enumerate() {
            let name = format!("{}-{index}", shared.prefix);
            let worker_shared = shared.clone();
            shared
                .threads
                .spawn(name.clone(), move || {
                    worker::run(worker_shared, index, queue, parker)
                })
                .map_err(|e| spawn_error(&name, &e))?;
        }
        let name = format!("{}-timer", shared.prefix);
        shared
            .threads
            .spawn(name.clone(), move || timer.run(&timer_parker))
            .map_err(|e| spawn_error(&name, &e))?;
        Ok(pool)
    }
}

/// A pool's state and what each of its threads takes, before any thread
/// runs (the builder starts OS threads on them; the loom models, loom
/// threads).
pub(crate) struct Parts {
    pub(crate) shared: Arc<PoolState>,
    /// Worker `i`'s local queue and parker, by index.
    pub(crate) workers: Vec<(Worker<Job>, Parker)>,
    /// What the timer thread parks on.
    pub(crate) timer_parker: Parker,
}

impl Parts {
    /// The parts of a pool of `threads` workers.
    pub(crate) fn new(threads: usize, prefix: String, timer_spin: Duration) -> Self {
        let workers: Vec<(Worker<Job>, Parker)> = (0..threads)
            .map(|_| (Worker::new_fifo(), Parker::new()))
            .collect();
        let timer_parker = Parker::new();
        let timer = Arc::new(Timer::new(timer_parker.unparker(), timer_spin));
        let shared = Arc::new(PoolState::new(
            workers
                .iter()
                .map(|(queue, _)| Remote::new(queue.stealer()))
                .collect(),
            Sleepers::new(
                workers
                    .iter()
                    .map(|(_, parker)| parker.unparker())
                    .collect(),
            ),
            timer,
            prefix,
        ));
        Parts {
            shared,
            workers,
            timer_parker,
        }
    }
}

fn spawn_error(name: &str, error: &std::io::Error) -> Error {
    Error::Runtime(format!("cannot start thread {name:?}: {error}"))
}
