//! A subject's runtime: built before a workload's timed part, torn down
//! (chains shut down, threads joined) when dropped, so that the compare
//! binary can run many workloads one after another in one process.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use taskchain::threadpool::ThreadPool;
use taskchain::{ChainSettings, ManualClock, TaskChain, TaskManager, ThreadedChain};
use taskchain_core_traced as traced;

use super::floor::Floor;
use super::smol_pool::SmolPool;
use super::spawner::Spawner;
use crate::{Raw, Subject, THREADS};

/// How long a wait for the runtime may take before the workload gives up
/// with an error instead of hanging the whole comparison.
const GIVE_UP: Duration = Duration::from_secs(120);

/// Frame-chain polls between two looks at the wall clock for [`GIVE_UP`]
/// (reading the clock every poll would be timed too).
const POLLS_PER_CLOCK_CHECK: u32 = 1024;

/// Which clock the frame chain runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameClock {
    /// A manual clock that never moves: throughput workloads, where clock
    /// reads at every poll would be measured too (threaded chains always
    /// take the real clock: on a manual one their idle workers poll it).
    Manual,
    /// The real clock: latency and timer workloads.
    Real,
}

/// A subject's runtime, ready to spawn on.
pub(crate) struct Exec {
    kind: Kind,
}

enum Kind {
    Frame(TaskManager),
    /// The frame chain of the core built with `tracing` on.
    FrameTraced(traced::TaskManager),
    Chain {
        /// Owns the chain: dropping it shuts the chain down.
        manager: TaskManager,
        chain: Arc<ThreadedChain>,
    },
    TokioCurrentThread(tokio::runtime::Runtime),
    TokioMultiThread(tokio::runtime::Runtime),
    Executor(SmolPool),
    AsyncStd,
    Pool(ThreadPool),
    Floor(Floor),
}

impl Exec {
    /// The runtime of `subject`, for throughput workloads (the frame chain
    /// on a manual clock).
    ///
    /// Returns an error for std threads (they run no futures) or if the
    /// runtime cannot be built.
    pub(crate) fn new(subject: Subject) -> Result<Self, String> {
        Self::build(subject, FrameClock::Manual, ChainSettings::default())
    }

    /// The runtime of `subject` with the frame chain on the real clock.
    pub(crate) fn real_clock(subject: Subject) -> Result<Self, String> {
        Self::build(subject, FrameClock::Real, ChainSettings::default())
    }

    /// The runtime of `subject` with threaded chains made with `settings`
    /// (their thread count is always [`THREADS`]).
    pub(crate) fn build(
        subject: Subject,
        clock: FrameClock,
        settings: ChainSettings,
    ) -> Result<Self, String> {
        let kind = match subject {
            Subject::FrameChain => Kind::Frame(match clock {
                FrameClock::Manual => TaskManager::with_clock(ManualClock::new()),
                FrameClock::Real => TaskManager::new(),
            }),
            Subject::FrameChainTraced => Kind::FrameTraced(match clock {
                FrameClock::Manual => traced::TaskManager::with_clock(traced::ManualClock::new()),
                FrameClock::Real => traced::TaskManager::new(),
            }),
            Subject::Chain(backend) => {
                let manager = TaskManager::new();
                let chain = backend
                    .make_chain(&manager, backend.name(), settings.num_threads(THREADS))
                    .map_err(|e| format!("cannot make a {backend} chain: {e}"))?;
                Kind::Chain { manager, chain }
            }
            Subject::Raw(Raw::TokioCurrentThread) => Kind::TokioCurrentThread(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot build a tokio runtime: {e}"))?,
            ),
            Subject::Raw(Raw::TokioMultiThread) => Kind::TokioMultiThread(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(THREADS)
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot build a tokio runtime: {e}"))?,
            ),
            Subject::Raw(Raw::AsyncExecutor) => Kind::Executor(SmolPool::new()?),
            Subject::Raw(Raw::AsyncStd) => Kind::AsyncStd,
            Subject::Raw(Raw::ThreadPool) => Kind::Pool(
                ThreadPool::new(THREADS).map_err(|e| format!("cannot build a thread pool: {e}"))?,
            ),
            Subject::Raw(Raw::StdThreads) => {
                return Err("std threads run no futures".into());
            }
            Subject::Floor => Kind::Floor(Floor::new()),
        };
        Ok(Exec { kind })
    }

    /// A handle to spawn tasks on this runtime.
    pub(crate) fn spawner(&self) -> Spawner {
        match &self.kind {
            Kind::Frame(manager) => Spawner::Frame(manager.default_chain().clone()),
            Kind::FrameTraced(manager) => Spawner::FrameTraced(manager.default_chain().clone()),
            Kind::Chain { chain, .. } => Spawner::Chain(chain.clone()),
            Kind::TokioCurrentThread(rt) | Kind::TokioMultiThread(rt) => {
                Spawner::Tokio(rt.handle().clone())
            }
            Kind::Executor(pool) => Spawner::Executor(pool.executor().clone()),
            Kind::AsyncStd => Spawner::AsyncStd,
            Kind::Pool(pool) => Spawner::Pool(pool.clone()),
            Kind::Floor(floor) => Spawner::Floor(floor.spawner()),
        }
    }

    /// The taskchain chain tasks are spawned on (`None` on a raw runtime,
    /// and on the traced frame chain, whose chain is the other build's
    /// type).
    pub(crate) fn chain(&self) -> Option<Arc<dyn TaskChain>> {
        match &self.kind {
            Kind::Frame(manager) => Some(manager.default_chain().clone()),
            Kind::Chain { chain, .. } => Some(chain.clone()),
            _ => None,
        }
    }

    /// Runs `future` to completion on the calling thread, driving the
    /// runtime as it needs.
    ///
    /// - The frame chain: as a game loop would, `future` runs between
    ///   frames on the loop's thread (so it spawns, sets promises and reads
    ///   handles from outside any task, the frame chain's usual way), and
    ///   the chain is polled back to back (an uncapped loop).
    /// - tokio and the floor: in their `block_on` (on the current-thread
    ///   runtime and the floor, the tasks run there too).
    /// - The others: on this thread, while the runtime's own threads run
    ///   the tasks it spawns.
    ///
    /// Returns an error if the frame chain fails to poll or `future` has
    /// not finished after two minutes there.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> Result<F::Output, String> {
        match &self.kind {
            Kind::Frame(manager) => drive_frames(|| manager.poll(), future),
            Kind::FrameTraced(manager) => drive_frames(|| manager.poll(), future),
            Kind::Chain { .. } | Kind::Executor(_) | Kind::Pool(_) => {
                Ok(futures_lite::future::block_on(future))
            }
            Kind::TokioCurrentThread(rt) | Kind::TokioMultiThread(rt) => Ok(rt.block_on(future)),
            Kind::AsyncStd => Ok(async_std::task::block_on(future)),
            Kind::Floor(floor) => Ok(floor.block_on(future)),
        }
    }

    /// Drives the runtime until `done()` holds, without timing anything:
    /// polls the frame chain, runs tokio's current-thread scheduler or the
    /// floor's queue, and otherwise waits (yielding this thread) for the runtime's own threads.
    ///
    /// Returns an error naming `what` if it does not hold after two
    /// minutes.
    pub(crate) fn run_until(&self, what: &str, done: impl Fn() -> bool) -> Result<(), String> {
        let deadline = Instant::now() + GIVE_UP;
        let gave_up = || format!("gave up after {} s waiting for {what}", GIVE_UP.as_secs());
        match &self.kind {
            Kind::Frame(manager) => poll_until(|| manager.poll(), done, deadline, gave_up),
            Kind::FrameTraced(manager) => poll_until(|| manager.poll(), done, deadline, gave_up),
            Kind::TokioCurrentThread(rt) => rt.block_on(async {
                while !done() {
                    if Instant::now() >= deadline {
                        return Err(gave_up());
                    }
                    tokio::task::yield_now().await;
                }
                Ok(())
            }),
            Kind::Floor(floor) => {
                if floor.run_until(done, deadline) {
                    Ok(())
                } else {
                    Err(gave_up())
                }
            }
            _ => {
                while !done() {
                    if Instant::now() >= deadline {
                        return Err(gave_up());
                    }
                    std::thread::yield_now();
                }
                Ok(())
            }
        }
    }
}

/// Set by the driving future's waker; the frame loop polls the future
/// only when it was woken (the loop never sleeps, so no unpark is needed).
struct Woken(AtomicBool);

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
}

/// Polls the frame chain (`poll`) until `done()` holds, or fails with
/// `gave_up()` past `deadline`.
fn poll_until<E: std::fmt::Display>(
    poll: impl Fn() -> Result<(), E>,
    done: impl Fn() -> bool,
    deadline: Instant,
    gave_up: impl Fn() -> String,
) -> Result<(), String> {
    while !done() {
        poll().map_err(|e| format!("the frame chain failed to poll: {e}"))?;
        if Instant::now() >= deadline {
            return Err(gave_up());
        }
    }
    Ok(())
}

/// A game loop: `future` polled between frames when woken, the frame chain
/// polled back to back (`poll`).
fn drive_frames<F: Future, E: std::fmt::Display>(
    poll: impl Fn() -> Result<(), E>,
    future: F,
) -> Result<F::Output, String> {
    let mut future = std::pin::pin!(future);
    let woken = Arc::new(Woken(AtomicBool::new(true)));
    let waker = Waker::from(woken.clone());
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + GIVE_UP;
    let mut polls = 0u32;
    loop {
        if woken.0.swap(false, Ordering::Acquire) {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return Ok(output);
            }
        }
        poll().map_err(|e| format!("the frame chain failed to poll: {e}"))?;
        polls = polls.wrapping_add(1);
        if polls.is_multiple_of(POLLS_PER_CLOCK_CHECK) && Instant::now() >= deadline {
            return Err(format!(
                "gave up after {} s: the frame chain did not finish",
                GIVE_UP.as_secs()
            ));
        }
    }
}

impl Drop for Exec {
    fn drop(&mut self) {
        match &self.kind {
            // Dropping the manager would do it too; said out loud, since
            // the compare binary relies on nothing being left running.
            Kind::Frame(manager) | Kind::Chain { manager, .. } => manager.shutdown(),
            Kind::FrameTraced(manager) => manager.shutdown(),
            Kind::Pool(pool) => pool.shutdown(),
            // Dropping it drops its queued tasks; it has no threads.
            // Dropping the runtime (or the pool's threads) stops it;
            // async-std's global runtime lives on, empty.
            Kind::TokioCurrentThread(_)
            | Kind::TokioMultiThread(_)
            | Kind::Executor(_)
            | Kind::AsyncStd
            | Kind::Floor(_) => {}
        }
    }
}
