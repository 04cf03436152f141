//! What the crate tells `tracing` (feature `tracing`): a span per task
//! run, and events for cancel requests and their delivery, caught panics,
//! `upon_death` calls, chain shutdowns and frame-budget overruns.
//!
//! Every call site is one call to a function here. Without the feature
//! the functions are empty and inlined away: the crate compiles to what it
//! was, nothing read, nothing formatted. With it, each span or event is
//! first `tracing`'s check of its level and callsite (with no subscriber
//! installed, one atomic load and a compare); the fields (a name behind a
//! lock, a clock reading) are read only when a subscriber wants the span
//! or event.
//!
//! A subscriber is user code: each span and event is made (and the run
//! span left) with its panic caught, so the bookkeeping around a call site
//! runs whatever the subscriber does.
//!
//! Every span and event has the target `TARGET`, whichever crate the
//! source was compiled as. The task's events carry its id and name
//! themselves: a cancel request or a shutdown comes from outside the
//! task's run span.

#[cfg(feature = "tracing")]
pub(crate) use on::*;

#[cfg(not(feature = "tracing"))]
pub(crate) use off::*;

/// The target of every span and event.
#[cfg(feature = "tracing")]
pub(crate) const TARGET: &str = "taskchain";

/// Where a caught panic came from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PanicIn {
    /// The task's body (its closure or a poll of its future).
    Run,
    /// The drop of its work.
    Drop,
    /// Its `upon_death` callback.
    UponDeath,
}

impl PanicIn {
    #[cfg(feature = "tracing")]
    fn as_str(self) -> &'static str {
        match self {
            PanicIn::Run => "run",
            PanicIn::Drop => "drop",
            PanicIn::UponDeath => "upon_death",
        }
    }
}

#[cfg(feature = "tracing")]
mod on {
    use std::time::Duration;

    use tracing::span::EnteredSpan;
    use tracing::Level;

    use super::{PanicIn, TARGET};
    use crate::chain::core::ChainCore;
    use crate::error::{drop_payload, isolated};
    use crate::task::death::TaskEnd;
    use crate::task::header::Header;

    /// The span of one task run, entered until it drops (none if the
    /// subscriber panicked making it).
    pub(crate) struct RunSpan(Option<EnteredSpan>);

    impl Drop for RunSpan {
        fn drop(&mut self) {
            if let Some(span) = self.0.take() {
                // Leaving and closing it call the subscriber.
                isolated(move || drop(span));
            }
        }
    }

    /// The task's name, empty if it has none (a field is recorded as a
    /// `&str`, never formatted into a new string).
    fn name(header: &Header) -> &str {
        header.name().unwrap_or("")
    }

    /// Enters the span `task` for this run of `header`'s task.
    #[inline]
    pub(crate) fn run_span(header: &Header) -> RunSpan {
        let entered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            tracing::span!(
                target: TARGET,
                Level::TRACE,
                "task",
                id = header.id,
                name = name(header),
                chain = header.chain.name(),
                sort = header.sort(),
                priority = header.priority(),
            )
            .entered()
        }));
        RunSpan(entered.map_err(drop_payload).ok())
    }

    /// A cancel request was made of the task (`abort`: by its chain's
    /// shutdown or its runtime's loss); `made`: it took (false: the task
    /// had ended, or its value was already its outcome).
    #[inline]
    pub(crate) fn cancel_requested(header: &Header, made: bool, abort: bool) {
        isolated(|| {
            tracing::event!(
                target: TARGET,
                Level::DEBUG,
                task = header.id,
                name = name(header),
                made,
                abort,
                "cancel requested"
            );
        });
    }

    /// A coroutine read `Cancelled` at one of its await points: its
    /// pending cancel request is delivered.
    #[inline]
    pub(crate) fn cancel_delivered(header: &Header) {
        delivered(header, "await");
    }

    /// The task's outcome is decided as `end`: a cancelled end with the
    /// request still pending (the task was not suspended at an await point
    /// of ours, or was at rest when asked) delivers it.
    #[inline]
    pub(crate) fn finishing(header: &Header, end: TaskEnd) {
        if end == TaskEnd::Cancelled && header.state.snapshot().is_cancel_pending() {
            delivered(header, "end");
        }
    }

    /// A cancel request reached the task `at` an await point or its end.
    fn delivered(header: &Header, at: &'static str) {
        isolated(|| {
            tracing::event!(
                target: TARGET,
                Level::DEBUG,
                task = header.id,
                name = name(header),
                at,
                "cancel delivered"
            );
        });
    }

    /// A panic was caught in the task's `place`.
    #[inline]
    pub(crate) fn panicked(header: &Header, place: PanicIn, message: &str) {
        isolated(|| {
            tracing::event!(
                target: TARGET,
                Level::WARN,
                task = header.id,
                name = name(header),
                during = place.as_str(),
                panic = message,
                "task panicked"
            );
        });
    }

    /// The task's `upon_death` is about to run.
    #[inline]
    pub(crate) fn upon_death(header: &Header, end: TaskEnd) {
        isolated(|| {
            tracing::event!(
                target: TARGET,
                Level::DEBUG,
                task = header.id,
                name = name(header),
                end = ?end,
                "upon_death"
            );
        });
    }

    /// The chain is shutting down (the first call only), its tasks about to
    /// be cancelled.
    #[inline]
    pub(crate) fn chain_shutdown(chain: &ChainCore) {
        isolated(|| {
            tracing::event!(
                target: TARGET,
                Level::DEBUG,
                chain = chain.name(),
                tasks = chain.task_count(),
                "chain shutdown"
            );
        });
    }

    /// A poll of the frame chain spent its `budget` (it began at
    /// `poll_start` on the chain's clock); `deferred`: runs were left for
    /// the next poll.
    #[inline]
    pub(crate) fn budget_overrun(
        chain: &ChainCore,
        budget: Option<Duration>,
        poll_start: Duration,
        deferred: bool,
    ) {
        isolated(|| {
            tracing::event!(
                target: TARGET,
                Level::DEBUG,
                chain = chain.name(),
                budget = ?budget.unwrap_or_default(),
                spent = ?chain.now().saturating_sub(poll_start),
                deferred,
                "frame budget overrun"
            );
        });
    }
}

/// The same functions, empty: see the module docs.
#[cfg(not(feature = "tracing"))]
mod off {
    use std::time::Duration;

    use super::PanicIn;
    use crate::chain::core::ChainCore;
    use crate::task::death::TaskEnd;
    use crate::task::header::Header;

    pub(crate) struct RunSpan;

    #[inline(always)]
    pub(crate) fn run_span(_: &Header) -> RunSpan {
        RunSpan
    }

    #[inline(always)]
    pub(crate) fn cancel_requested(_: &Header, _: bool, _: bool) {}

    #[inline(always)]
    pub(crate) fn cancel_delivered(_: &Header) {}

    #[inline(always)]
    pub(crate) fn finishing(_: &Header, _: TaskEnd) {}

    #[inline(always)]
    pub(crate) fn panicked(_: &Header, _: PanicIn, _: &str) {}

    #[inline(always)]
    pub(crate) fn upon_death(_: &Header, _: TaskEnd) {}

    #[inline(always)]
    pub(crate) fn chain_shutdown(_: &ChainCore) {}

    #[inline(always)]
    pub(crate) fn budget_overrun(_: &ChainCore, _: Option<Duration>, _: Duration, _: bool) {}
}
