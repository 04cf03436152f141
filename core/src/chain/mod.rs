//! Task chains: named scheduling domains that run their tasks in epochs,
//! embedded in a game loop or on a backend's threads.
//!
//! - `task_chain`: the `TaskChain` trait (the backend boundary) and its
//!   generic extension `TaskChainExt`.
//! - `core`: `ChainCore`, the state a chain shares with its tasks (name,
//!   clock, settings, the registry of live tasks, the injection queues).
//! - `registry`: the chain's live tasks by slot and by name: `SlotTable`
//!   (`registry/slots.rs`), which a task's retirement updates without a
//!   lock, and `Registry`, the bookkeeping kept under the chain's lock.
//! - `live_count`: `LiveCount`, the chain's exact count of live tasks.
//! - `glob`: glob patterns for the registry's lookups by task name.
//! - `epoch_queues`: `EpochQueues`, the epoch queues (this epoch's runs,
//!   the next epoch's, the sleep heap), shared by both chain kinds.
//! - `frame`: `FrameChain`, the embedded chain a game loop polls.
//! - `local_runs`: `LocalRuns`, the runs a frame chain's poll collects on
//!   its own thread without a lock.
//! - `settings`: `ChainSettings` and `ChainStats`.
//! - `runtime`: the runtime boundary, the `Runtime` trait backends
//!   implement, and how a runtime takes a chain's coroutines
//!   (`TaskScheduling`: a `Scheduler` of runnables or a `HostSpawner`).
//! - `runnable`: `TaskRunnable`, one run of a task handed to a runtime.
//! - `host`: `TaskHost`, a task of a runtime that runs one coroutine.
//! - `sharded_count`: `ShardedCount`, calls in progress counted per
//!   thread, which `RunnerCount` and `WakeGate` pair with a flag.
//! - `runner_count`: `RunnerCount`, the runs of a chain in progress.
//! - `wake_gate`: `WakeGate`, wakes into a runtime in flight, which its
//!   drop waits for.
//! - `threaded`: `ThreadedChain`, run by worker futures on a runtime (its
//!   epoch gate, workers and idle-worker list).

pub(crate) mod core;
pub(crate) mod epoch_queues;
pub(crate) mod frame;
pub(crate) mod glob;
pub(crate) mod host;
pub(crate) mod live_count;
pub(crate) mod local_runs;
pub(crate) mod registry;
pub(crate) mod runnable;
pub(crate) mod runner_count;
pub(crate) mod runtime;
pub(crate) mod settings;
pub(crate) mod sharded_count;
pub(crate) mod task_chain;
pub(crate) mod threaded;
pub(crate) mod wake_gate;
