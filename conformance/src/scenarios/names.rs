//! Finding tasks: by exact name (names are not unique), by glob (`*`,
//! `?`), listing all / active / sleeping tasks, oldest first; the same
//! answers from any thread.

use std::time::Duration;

use taskchain_core::{AnyTask, TaskBuilder, TaskChain, TaskChainExt};

use crate::{settle, ChainFactory};

fn ids(tasks: &[AnyTask]) -> Vec<u64> {
    tasks.iter().map(AnyTask::id).collect()
}

/// What a chain answers to every lookup, for comparing threads.
fn lookups(chain: &dyn TaskChain) -> Vec<Vec<u64>> {
    vec![
        ids(&chain.find_tasks("enemy-1")),
        ids(&chain.find_tasks_matching("enemy-?")),
        ids(&chain.find_tasks_matching("enemy-*")),
        ids(&chain.find_tasks_matching("*")),
        ids(&chain.tasks()),
        ids(&chain.active_tasks()),
        ids(&chain.sleeping_tasks()),
    ]
}

/// Exact names, globs and listings, each oldest first, with unique ids,
/// from this thread and another.
pub(crate) fn names_globs_listings(f: &dyn ChainFactory) {
    let fx = f.build();
    // Suspended forever or asleep for an hour: each task stays in its
    // listing, whatever the chain does meanwhile. Each awaits a future of
    // its own: cancelling a coroutine cancels what it awaits, which would
    // end every other awaiter of a shared promise.
    let suspended = |name: Option<&str>| {
        let builder = TaskBuilder::coroutine(std::future::pending::<()>());
        let builder = match name {
            Some(n) => builder.name(n),
            None => builder,
        };
        fx.chain.add_task(builder).expect("add_task").as_any()
    };
    let e1 = suspended(Some("enemy-1"));
    let e2 = suspended(Some("enemy-2"));
    let e1_again = suspended(Some("enemy-1"));
    let e10 = fx
        .chain
        .add_task(
            TaskBuilder::coroutine(async {})
                .name("enemy-10")
                .delay(Duration::from_secs(3600)),
        )
        .expect("add_task")
        .as_any();
    let unnamed = suspended(None);
    let ally = suspended(Some("ally"));

    assert_eq!(fx.chain.find_task("enemy-1"), Some(e1.clone()), "oldest");
    assert_eq!(fx.chain.find_task("nobody"), None);
    assert_eq!(e1.name(), Some("enemy-1"));
    assert_eq!(unnamed.name(), None);
    let every = [&e1, &e2, &e1_again, &e10, &unnamed, &ally];
    let mut unique: Vec<u64> = every.iter().map(|t| t.id()).collect();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), every.len(), "ids are unique");
    assert!(every.iter().all(|t| t.chain_name() == fx.chain.name()));

    let expected = vec![
        ids(&[e1.clone(), e1_again.clone()]),
        ids(&[e1.clone(), e2.clone(), e1_again.clone()]),
        ids(&[e1.clone(), e2.clone(), e1_again.clone(), e10.clone()]),
        ids(&[
            e1.clone(),
            e2.clone(),
            e1_again.clone(),
            e10.clone(),
            ally.clone(),
        ]),
        ids(&[
            e1.clone(),
            e2.clone(),
            e1_again.clone(),
            e10.clone(),
            unnamed.clone(),
            ally.clone(),
        ]),
        ids(&[
            e1.clone(),
            e2.clone(),
            e1_again.clone(),
            unnamed.clone(),
            ally.clone(),
        ]),
        ids(std::slice::from_ref(&e10)),
    ];
    let here = lookups(&*fx.chain);
    assert_eq!(
        here, expected,
        "[find_tasks(enemy-1), enemy-?, enemy-*, *, tasks, active, sleeping]"
    );
    let chain = fx.chain.clone();
    let there = std::thread::spawn(move || lookups(&*chain))
        .join()
        .expect("lookups from another thread do not panic");
    assert_eq!(there, expected, "the same answers from another thread");

    assert_eq!(fx.chain.remove_by_name("enemy-1"), 2);
    // Suspended coroutines end once they have seen the cancel.
    settle(f, &fx, "the removed tasks to end", || {
        e1.is_done() && e1_again.is_done()
    });
    assert!(fx.chain.find_tasks_matching("enemy-1").is_empty());
    assert_eq!(
        ids(&fx.chain.find_tasks_matching("enemy-*")),
        ids(&[e2.clone(), e10.clone()])
    );
}
