//! What awaiting does: a task not yet scheduled is scheduled on the
//! awaiting task's chain; something already done does not suspend.

use std::future::IntoFuture;

use taskchain_core::{AsyncFuture, TaskBuilder, TaskChainExt};

use crate::kit::log::{new_log, push, seen};
use crate::{settle, ChainFactory, Stepper};

/// Awaiting a `TaskBuilder` schedules it on the awaiting task's chain (not
/// the default one) and yields its output.
pub(crate) fn unscheduled_task_runs_on_the_awaiting_chain(f: &dyn ChainFactory) {
    let fx = f.build();
    let log = new_log();
    let outer = {
        let log = log.clone();
        fx.chain.spawn(async move {
            let inner = TaskBuilder::coroutine(async { 20 })
                .name("inner")
                .into_future();
            let chain = inner.handle().map(|h| h.chain_name().to_owned());
            push(&log, format!("inner scheduled on {chain:?}"));
            inner.await.map(|v| v + 1)
        })
    };
    settle(f, &fx, "the outer coroutine to finish", || outer.is_done());
    assert_eq!(
        seen(&log),
        [format!("inner scheduled on Some({:?})", fx.chain.name())]
    );
    assert_eq!(outer.result(None), Ok(Ok(21)));
}

/// Awaiting a promise or task that is already done, or an empty gather,
/// does not suspend: the coroutine finishes in its first run.
pub(crate) fn done_does_not_suspend(f: &dyn ChainFactory) {
    let fx = f.build();
    let finished = fx.chain.spawn(async { 2u32 });
    settle(f, &fx, "the first task to finish", || finished.is_done());
    let set = fx.chain.promise::<u32>();
    set.set_result(3).expect("set_result");
    let stepper = Stepper::new(f, &fx);
    let awaiting = {
        let set = set.clone();
        fx.chain.spawn(async move {
            let a = set.await?;
            let b = finished.await?;
            let c: u32 = taskchain_core::gather(Vec::<taskchain_core::Promise<u32>>::new())
                .await?
                .into_iter()
                .sum();
            Ok::<u32, taskchain_core::Error>(a + b + c)
        })
    };
    stepper.step();
    assert!(awaiting.is_done(), "nothing it awaited was pending");
    assert_eq!(awaiting.result(None), Ok(Ok(5)));
}
