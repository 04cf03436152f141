//! Random programs: what the property test generates, shrinks, and prints
//! when a case fails.
//!
//! Indices into promises and tasks are taken modulo the number that exist
//! when the op runs, so that every generated (and every shrunk) program is
//! valid; an op naming a task before any exists does nothing.

use proptest::collection::vec;
use proptest::prelude::*;

/// Longest pause a coroutine awaits, and longest spawn delay, in ms.
pub const MAX_PAUSE_MS: u8 = 20;

/// A program run against a fresh chain: a pool of promises, a sequence of
/// ops, and how it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// How many promises (`Promise<_>` made on the chain under test) exist
    /// from the start; at least 1.
    pub promises: u8,
    /// The ops, run in order on the driving thread.
    pub ops: Vec<Op>,
    /// What happens after the ops.
    pub ending: Ending,
}

/// How a program ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Settle every pending promise, advance the clock and drive until every
    /// task is done, then shut the manager down. Nothing may be left pending.
    Drain,
    /// Shut the manager down at once, with tasks still queued, sleeping or
    /// suspended: shutdown must cancel each of them.
    ShutdownEarly,
}

/// One step of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Spawns a coroutine task on the chain under test.
    Spawn(SpawnSpec),
    /// `set_result(value)` on a promise, from the driving thread or from a
    /// fresh std thread (joined before the next op).
    SetPromise {
        /// Promise index (modulo the pool size).
        promise: u8,
        /// The value.
        value: u8,
        /// Call it from another thread.
        from_thread: bool,
    },
    /// `cancel()` on a promise.
    CancelPromise {
        /// Promise index (modulo the pool size).
        promise: u8,
        /// Call it from another thread.
        from_thread: bool,
    },
    /// `cancel()` on a task.
    CancelTask {
        /// Task index (modulo the tasks spawned so far).
        task: u8,
        /// Call it from another thread.
        from_thread: bool,
    },
    /// `remove_by_name("c{name}")` on the chain under test.
    RemoveByName {
        /// Name index, 0..3.
        name: u8,
    },
    /// Advances the manual clock.
    Advance {
        /// Milliseconds.
        ms: u8,
    },
    /// Drives the chain (`poll()` on a frame chain) this many times.
    Drive {
        /// How many times.
        times: u8,
    },
    /// Runs each cross op on its own std thread, all released together,
    /// while the driving thread drives `drives` times; then joins them.
    Concurrent {
        /// The ops, one thread each.
        ops: Vec<CrossOp>,
        /// Drives meanwhile.
        drives: u8,
    },
}

/// A coroutine task to spawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnSpec {
    /// Named `c{n}` (n in 0..3), or unnamed.
    pub name: Option<u8>,
    /// The task's sort (-1..=1).
    pub sort: i8,
    /// A spawn delay in ms.
    pub delay_ms: Option<u8>,
    /// What the coroutine awaits.
    pub awaits: Await,
    /// The coroutine panics once its await returns.
    pub panics: bool,
    /// A fallible coroutine (`TaskBuilder::fallible`): an error from its
    /// await is propagated with `?`, ending the task with it (a
    /// cancellation cancels it), instead of being returned as its value.
    pub fallible: bool,
}

/// What a spawned coroutine awaits (once), and how it derives its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Await {
    /// A promise; the value is the promise's.
    Promise(u8),
    /// Another task's handle (one whose handle nobody took yet; with none
    /// free, a pause of this many ms); the value is the task's plus one.
    Task(u8),
    /// `pause(ms)`; the value is `ms`.
    Pause(u8),
    /// A gather of promises; the value is the sum.
    GatherPromises(Vec<u8>),
    /// A gather of free task handles (distinct); the value is the sum.
    GatherTasks(Vec<u8>),
    /// A shield of a promise; if the await reports cancellation, the
    /// coroutine handles it by awaiting the promise itself (the shield must
    /// have left it running).
    ShieldPromise(u8),
    /// A shield of a free task handle (else a pause); value as for `Task`.
    ShieldTask(u8),
    /// A task not yet scheduled (a `TaskBuilder` whose coroutine pauses
    /// this many ms and returns that): awaiting it schedules it on the
    /// awaiting task's chain. The value is the inner task's plus one.
    Unscheduled(u8),
}

/// An op run on its own thread inside [`Op::Concurrent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrossOp {
    /// `set_result(value)` on a promise.
    SetPromise {
        /// Promise index.
        promise: u8,
        /// The value.
        value: u8,
    },
    /// `cancel()` on a promise.
    CancelPromise {
        /// Promise index.
        promise: u8,
    },
    /// `cancel()` on a task.
    CancelTask {
        /// Task index.
        task: u8,
    },
    /// Watches a task from outside while the others run: once `is_done()`
    /// says true, its terminal state must be readable without waiting.
    ObserveTask {
        /// Task index.
        task: u8,
    },
    /// Blocks in `result(timeout)` on a promise for a few ms: the answer
    /// must agree with the promise's terminal state.
    WaitPromise {
        /// Promise index.
        promise: u8,
    },
}

fn await_strategy() -> impl Strategy<Value = Await> {
    prop_oneof![
        3 => any::<u8>().prop_map(Await::Promise),
        3 => any::<u8>().prop_map(Await::Task),
        2 => (0..=MAX_PAUSE_MS).prop_map(Await::Pause),
        1 => vec(any::<u8>(), 0..4).prop_map(Await::GatherPromises),
        1 => vec(any::<u8>(), 0..4).prop_map(Await::GatherTasks),
        1 => any::<u8>().prop_map(Await::ShieldPromise),
        1 => any::<u8>().prop_map(Await::ShieldTask),
        1 => (0..=MAX_PAUSE_MS).prop_map(Await::Unscheduled),
    ]
}

fn spawn_strategy() -> impl Strategy<Value = SpawnSpec> {
    (
        proptest::option::weighted(0.6, 0..3u8),
        -1..=1i8,
        proptest::option::weighted(0.2, 0..=MAX_PAUSE_MS),
        await_strategy(),
        proptest::bool::weighted(0.1),
        proptest::bool::weighted(0.3),
    )
        .prop_map(
            |(name, sort, delay_ms, awaits, panics, fallible)| SpawnSpec {
                name,
                sort,
                delay_ms,
                awaits,
                panics,
                fallible,
            },
        )
}

fn cross_op_strategy() -> impl Strategy<Value = CrossOp> {
    prop_oneof![
        3 => (any::<u8>(), any::<u8>())
            .prop_map(|(promise, value)| CrossOp::SetPromise { promise, value }),
        2 => any::<u8>().prop_map(|promise| CrossOp::CancelPromise { promise }),
        2 => any::<u8>().prop_map(|task| CrossOp::CancelTask { task }),
        1 => any::<u8>().prop_map(|task| CrossOp::ObserveTask { task }),
        1 => any::<u8>().prop_map(|promise| CrossOp::WaitPromise { promise }),
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => spawn_strategy().prop_map(Op::Spawn),
        3 => (any::<u8>(), any::<u8>(), proptest::bool::weighted(0.2))
            .prop_map(|(promise, value, from_thread)| Op::SetPromise { promise, value, from_thread }),
        1 => (any::<u8>(), proptest::bool::weighted(0.2))
            .prop_map(|(promise, from_thread)| Op::CancelPromise { promise, from_thread }),
        2 => (any::<u8>(), proptest::bool::weighted(0.2))
            .prop_map(|(task, from_thread)| Op::CancelTask { task, from_thread }),
        1 => (0..3u8).prop_map(|name| Op::RemoveByName { name }),
        2 => (0..=30u8).prop_map(|ms| Op::Advance { ms }),
        3 => (1..=3u8).prop_map(|times| Op::Drive { times }),
        1 => (vec(cross_op_strategy(), 1..4), 0..=3u8)
            .prop_map(|(ops, drives)| Op::Concurrent { ops, drives }),
    ]
}

/// Random programs of up to `max_ops` ops.
pub fn program_strategy(max_ops: usize) -> impl Strategy<Value = Program> {
    (
        1..=4u8,
        vec(op_strategy(), 0..=max_ops),
        prop_oneof![3 => Just(Ending::Drain), 1 => Just(Ending::ShutdownEarly)],
    )
        .prop_map(|(promises, ops, ending)| Program {
            promises,
            ops,
            ending,
        })
}
