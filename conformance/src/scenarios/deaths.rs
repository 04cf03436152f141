//! `upon_death_with` receives the task that ended: its id, its name, its
//! chain and how it ended, on every chain kind.

use std::sync::{Arc, Mutex};

use taskchain_core::{
    AsyncFuture, DoneStatus, Error, TaskBuilder, TaskChainExt, TaskContext, TaskDeath, TaskEnd,
};

use super::support::marker;
use crate::{settle, ChainFactory};

/// What a callback was told: id, name, chain, end, clean_exit.
type Seen = (u64, Option<String>, String, TaskEnd, bool);

/// A callback writing what it is told into `book`.
fn record(book: &Arc<Mutex<Vec<Seen>>>) -> impl FnOnce(&TaskDeath<'_>) + Clone + Send + 'static {
    let book = book.clone();
    move |death: &TaskDeath<'_>| {
        book.lock().unwrap_or_else(|e| e.into_inner()).push((
            death.id(),
            death.name().map(str::to_owned),
            death.chain_name().to_owned(),
            death.end(),
            death.clean_exit(),
        ))
    }
}

/// A finished, a cancelled and a panicked task each report their id, name,
/// chain and end once, and only a finished one a clean exit.
pub(crate) fn upon_death_receives_the_task(f: &dyn ChainFactory) {
    let fx = f.build();
    let book: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let finished = fx
        .chain
        .add_task(
            TaskBuilder::coroutine(async { 1_u32 })
                .name("finished")
                .upon_death_with(record(&book)),
        )
        .expect("add_task");
    let gate = fx.chain.promise::<u32>();
    let cancelled = fx
        .chain
        .add_task(
            TaskBuilder::fallible(gate.clone())
                .name("cancelled")
                .upon_death_with(record(&book)),
        )
        .expect("add_task");
    let message = marker("upon_death_with");
    let panicked = fx
        .chain
        .add_task(
            TaskBuilder::recurring(move |_: &TaskContext<'_>| -> DoneStatus {
                panic!("{message}")
            })
            .name("panicked")
            .upon_death_with(record(&book)),
        )
        .expect("add_task");
    settle(f, &fx, "the finished and panicked tasks to end", || {
        finished.is_done() && panicked.is_done()
    });
    cancelled.cancel();
    settle(f, &fx, "the cancelled task to end", || cancelled.is_done());
    assert_eq!(cancelled.result(None), Err(Error::Cancelled));

    let mut seen = book.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // Threaded chains end tasks in any order.
    seen.sort_by_key(|s| s.0);
    let chain = fx.chain.name().to_owned();
    let mut expected = vec![
        (finished.id(), "finished", TaskEnd::Finished, true),
        (cancelled.id(), "cancelled", TaskEnd::Cancelled, false),
        (panicked.id(), "panicked", TaskEnd::Panicked, false),
    ]
    .into_iter()
    .map(|(id, name, end, clean)| (id, Some(name.to_owned()), chain.clone(), end, clean))
    .collect::<Vec<_>>();
    expected.sort_by_key(|s| s.0);
    assert_eq!(seen, expected, "one call per task, telling which and how");
}
