//! What a workload runs on: the embedded frame chain (also built with the
//! core's `tracing` feature, to read that feature's cost), a taskchain
//! backend's threaded chain, a raw runtime (to read taskchain's overhead as
//! a ratio to the runtime it wraps), or the floor (the cheapest correct
//! executor, to read how far above it everything sits).

use taskchain::Backend;

/// Threads given to every threaded subject, so they compare like for like.
pub const THREADS: usize = 2;

/// A raw runtime, measured without taskchain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Raw {
    /// tokio's current-thread runtime (beneath the frame chain).
    TokioCurrentThread,
    /// tokio's multi-thread runtime with [`THREADS`] workers.
    TokioMultiThread,
    /// async-executor run by [`THREADS`] threads on async-io (the smol
    /// stack).
    AsyncExecutor,
    /// async-std's global runtime.
    AsyncStd,
    /// taskchain's own `ThreadPool`, spawning directly.
    ThreadPool,
    /// One std thread per task (spawn and memory workloads only).
    StdThreads,
}

/// Something a workload runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// The embedded frame chain, driven by `poll()` on the calling thread.
    FrameChain,
    /// The same, with the core's `tracing` feature on and no subscriber
    /// installed (the core built a second time, as
    /// `taskchain-core-traced`): it runs `spawn_many` only, to read what
    /// the feature costs beside [`FrameChain`](Self::FrameChain).
    FrameChainTraced,
    /// A threaded chain on a backend, [`THREADS`] workers.
    Chain(Backend),
    /// A raw runtime.
    Raw(Raw),
    /// The physical floor: a minimal single-thread executor of async-task
    /// cells in a `VecDeque` (every workload but `latency` and `timer`,
    /// which need worker threads and a timer it does not have), and a walk
    /// over boxed closures (`recurring_frame`).
    Floor,
}

impl Subject {
    /// Every subject this build has (backends by feature), taskchain's
    /// first.
    pub fn all() -> Vec<Subject> {
        let mut all = vec![Subject::FrameChain, Subject::FrameChainTraced];
        all.extend(Backend::enabled().into_iter().map(Subject::Chain));
        all.extend(
            [
                Raw::TokioCurrentThread,
                Raw::TokioMultiThread,
                Raw::AsyncExecutor,
                Raw::AsyncStd,
                Raw::ThreadPool,
                Raw::StdThreads,
            ]
            .map(Subject::Raw),
        );
        all.push(Subject::Floor);
        all
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Subject::FrameChain => "taskchain frame chain",
            Subject::FrameChainTraced => "taskchain frame chain, tracing on",
            Subject::Chain(Backend::Threadpool) => "taskchain-threadpool",
            Subject::Chain(Backend::Tokio) => "taskchain-tokio",
            Subject::Chain(Backend::Smol) => "taskchain-smol",
            Subject::Chain(Backend::AsyncStd) => "taskchain-async-std",
            Subject::Raw(Raw::TokioCurrentThread) => "tokio current_thread",
            Subject::Raw(Raw::TokioMultiThread) => "tokio multi_thread",
            Subject::Raw(Raw::AsyncExecutor) => "async-executor",
            Subject::Raw(Raw::AsyncStd) => "async-std",
            Subject::Raw(Raw::ThreadPool) => "threadpool (raw)",
            Subject::Raw(Raw::StdThreads) => "std threads",
            Subject::Floor => "floor",
        }
    }

    /// Whether this is taskchain (a chain) rather than a raw runtime or
    /// the floor.
    pub fn is_taskchain(self) -> bool {
        matches!(
            self,
            Subject::FrameChain | Subject::FrameChainTraced | Subject::Chain(_)
        )
    }

    /// Whether this subject is another one built with an option, measured
    /// on `spawn_many` only to read the option's cost (the frame chain
    /// with `tracing` on), rather than a subject of every workload.
    pub fn is_variant(self) -> bool {
        self == Subject::FrameChainTraced
    }

    /// The raw runtime a taskchain subject wraps (its ratio's baseline):
    /// the frame chain is compared with tokio's current-thread runtime,
    /// the thread pool's chain with the raw pool; a variant with the
    /// subject it varies (the traced frame chain with the frame chain).
    pub fn baseline(self) -> Option<Subject> {
        match self {
            Subject::FrameChain => Some(Subject::Raw(Raw::TokioCurrentThread)),
            Subject::FrameChainTraced => Some(Subject::FrameChain),
            Subject::Chain(Backend::Threadpool) => Some(Subject::Raw(Raw::ThreadPool)),
            Subject::Chain(Backend::Tokio) => Some(Subject::Raw(Raw::TokioMultiThread)),
            Subject::Chain(Backend::Smol) => Some(Subject::Raw(Raw::AsyncExecutor)),
            Subject::Chain(Backend::AsyncStd) => Some(Subject::Raw(Raw::AsyncStd)),
            Subject::Raw(_) | Subject::Floor => None,
        }
    }

    /// The `--backend` filter names that select it: a taskchain backend's
    /// name selects its chain and the raw runtime beneath; "frame" the
    /// frame chain (with and without tracing), tokio current_thread and
    /// the floor; "std" std threads.
    pub fn filter_names(self) -> &'static [&'static str] {
        match self {
            Subject::FrameChain
            | Subject::FrameChainTraced
            | Subject::Raw(Raw::TokioCurrentThread)
            | Subject::Floor => &["frame"],
            Subject::Chain(Backend::Threadpool) | Subject::Raw(Raw::ThreadPool) => &["threadpool"],
            Subject::Chain(Backend::Tokio) | Subject::Raw(Raw::TokioMultiThread) => &["tokio"],
            Subject::Chain(Backend::Smol) | Subject::Raw(Raw::AsyncExecutor) => &["smol"],
            Subject::Chain(Backend::AsyncStd) | Subject::Raw(Raw::AsyncStd) => &["async-std"],
            Subject::Raw(Raw::StdThreads) => &["std"],
        }
    }

    /// Every name `--backend` accepts.
    pub const FILTER_NAMES: [&'static str; 6] =
        ["frame", "threadpool", "tokio", "smol", "async-std", "std"];
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
