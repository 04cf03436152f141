//! Lookups by name and glob, listing, removal by name, and chain lookups.

mod common;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::setup;
use taskchain_core::{
    AnyTask, AsyncFuture, DoneStatus, Error, TaskBuilder, TaskChain, TaskChainExt, TaskContext,
    DEFAULT_CHAIN,
};

type ContTask = TaskBuilder<taskchain_core::Recurring<fn(&TaskContext<'_>) -> DoneStatus>>;

fn cont(name: &str) -> ContTask {
    fn run(_: &TaskContext<'_>) -> DoneStatus {
        DoneStatus::Cont
    }
    TaskBuilder::recurring(run as fn(&TaskContext<'_>) -> DoneStatus).name(name)
}

fn ids(tasks: &[AnyTask]) -> Vec<u64> {
    tasks.iter().map(AnyTask::id).collect()
}

fn names(tasks: &[AnyTask]) -> Vec<String> {
    tasks
        .iter()
        .map(|t| t.name().unwrap_or("<unnamed>").to_owned())
        .collect()
}

#[test]
fn find_by_exact_name_names_are_not_unique() {
    let (_clock, manager) = setup();
    let a1 = manager.add_task(cont("enemy")).unwrap();
    let _f = manager.add_task(cont("friend")).unwrap();
    let a2 = manager.add_task(cont("enemy")).unwrap();
    let _p = manager.add_task(cont("enemy-1")).unwrap();
    assert_ne!(a1.id(), a2.id(), "ids are unique");
    assert_eq!(a1.name(), Some("enemy"));

    let found = manager.find_tasks("enemy");
    assert_eq!(ids(&found), [a1.id(), a2.id()], "oldest first, exact match");
    assert_eq!(manager.find_task("enemy").unwrap().id(), a1.id());
    assert!(manager.find_task("enem").is_none());
    assert!(manager.find_task("ENEMY").is_none());
    assert!(manager.find_tasks("nobody").is_empty());

    // A finished task is no longer found.
    a1.cancel();
    assert_eq!(manager.find_task("enemy").unwrap().id(), a2.id());
    manager.poll().unwrap();
    assert_eq!(ids(&manager.find_tasks("enemy")), [a2.id()]);
}

#[test]
fn find_tasks_matching_globs() {
    let (_clock, manager) = setup();
    let other = manager.make_task_chain("other").unwrap();
    let e1 = manager.add_task(cont("enemy-1")).unwrap();
    let e12 = manager.add_task(cont("enemy-12")).unwrap();
    let f1 = manager.add_task(cont("friend-1")).unwrap();
    let e2 = other.add_task(cont("enemy-2")).unwrap();
    let bare = manager.add_task(cont("enemy")).unwrap();
    let _unnamed = manager.add(|_: &TaskContext<'_>| DoneStatus::Cont);

    let m = |p: &str| ids(&manager.find_tasks_matching(p));
    assert_eq!(m("enemy-*"), [e1.id(), e12.id(), e2.id()]);
    assert_eq!(m("enemy-?"), [e1.id(), e2.id()]);
    assert_eq!(m("enemy-??"), [e12.id()]);
    assert_eq!(m("*-1"), [e1.id(), f1.id()]);
    assert_eq!(m("*-1*"), [e1.id(), e12.id(), f1.id()]);
    assert_eq!(m("?nemy*"), [e1.id(), e12.id(), e2.id(), bare.id()]);
    assert_eq!(m("enemy"), [bare.id()], "no wildcard: exact");
    assert_eq!(m("e*y"), [bare.id()]);
    assert_eq!(m("*"), [e1.id(), e12.id(), f1.id(), e2.id(), bare.id()]);
    assert!(m("enemy-???").is_empty());
    assert!(m("x*").is_empty());
    // Per chain.
    assert_eq!(ids(&other.find_tasks_matching("enemy-*")), [e2.id()]);
    assert_eq!(
        names(&manager.default_chain().find_tasks_matching("*y*")),
        ["enemy-1", "enemy-12", "enemy"]
    );
}

#[test]
fn remove_by_name_counts_across_chains() {
    let (_clock, manager) = setup();
    let other = manager.make_task_chain("other").unwrap();
    for _ in 0..3 {
        manager.add_task(cont("wave")).unwrap();
    }
    other.add_task(cont("wave")).unwrap();
    let keep = manager.add_task(cont("wave-2")).unwrap();
    manager.poll().unwrap();
    assert_eq!(other.remove_by_name("wave"), 1);
    assert_eq!(manager.remove_by_name("wave"), 3);
    assert_eq!(manager.remove_by_name("wave"), 0);
    assert!(manager.find_tasks("wave").is_empty());
    assert!(!keep.is_done());
    assert_eq!(ids(&manager.tasks()), [keep.id()]);
}

#[test]
fn lookups_from_another_thread() {
    let (_clock, manager) = setup();
    let manager = Arc::new(manager);
    let a = manager.add_task(cont("worker")).unwrap();
    let b = manager.add_task(cont("worker")).unwrap();
    manager.poll().unwrap();
    let (found, matching, all, removed) = {
        let m = manager.clone();
        thread::spawn(move || {
            let found = ids(&m.find_tasks("worker"));
            let matching = ids(&m.find_tasks_matching("work*"));
            let all = ids(&m.tasks());
            let removed = m.remove_by_name("worker");
            (found, matching, all, removed)
        })
        .join()
        .unwrap()
    };
    assert_eq!(found, [a.id(), b.id()]);
    assert_eq!(matching, [a.id(), b.id()]);
    assert_eq!(all, [a.id(), b.id()]);
    assert_eq!(removed, 2);
    assert!(a.is_cancelled() && b.is_cancelled());

    // Concurrent lookups while the owner polls.
    let c = manager.add_task(cont("busy")).unwrap();
    thread::scope(|s| {
        let m = &manager;
        let reader = s.spawn(move || {
            (0..200)
                .map(|_| m.find_tasks("busy").len() + m.find_tasks_matching("b?sy").len())
                .collect::<Vec<_>>()
        });
        for _ in 0..50 {
            m.poll().unwrap();
        }
        assert!(reader.join().unwrap().iter().all(|n| *n == 2));
    });
    assert!(!c.is_done());
}

#[test]
fn tasks_active_and_sleeping_lists() {
    let (clock, manager) = setup();
    let a = manager.add_task(cont("a")).unwrap();
    let s = manager
        .add_task(cont("s").delay(Duration::from_secs(1)))
        .unwrap();
    let b = manager.add_task(cont("b")).unwrap();
    manager.poll().unwrap();
    assert_eq!(ids(&manager.tasks()), [a.id(), s.id(), b.id()]);
    assert_eq!(ids(&manager.active_tasks()), [a.id(), b.id()]);
    assert_eq!(ids(&manager.sleeping_tasks()), [s.id()]);
    assert_eq!(ids(&manager.default_chain().sleeping_tasks()), [s.id()]);
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert!(manager.sleeping_tasks().is_empty());
    assert_eq!(ids(&manager.active_tasks()), [a.id(), s.id(), b.id()]);
}

#[test]
fn chain_lookups_and_errors() {
    let (_clock, manager) = setup();
    assert_eq!(manager.find_chain(DEFAULT_CHAIN).unwrap().name(), "default");
    assert_eq!(manager.default_chain().name(), "default");
    assert!(matches!(
        manager.find_chain("nope"),
        Err(Error::UnknownChain(n)) if n == "nope"
    ));
    let b = manager.make_task_chain("b").unwrap();
    assert_eq!(manager.find_chain("b").unwrap().name(), "b");
    assert_eq!(
        manager.make_task_chain("b").unwrap_err(),
        Error::DuplicateChain("b".to_owned())
    );
    assert_eq!(
        manager.make_task_chain("default").unwrap_err(),
        Error::DuplicateChain("default".to_owned())
    );
    assert_eq!(
        manager.add_chain(b.clone()).unwrap_err(),
        Error::DuplicateChain("b".to_owned())
    );

    assert_eq!(
        manager.add_task(cont("x").chain("nope")).unwrap_err(),
        Error::UnknownChain("nope".to_owned())
    );
    assert!(manager.tasks().is_empty(), "nothing was scheduled");
    let on_b = manager.add_task(cont("x").chain("b")).unwrap();
    assert_eq!(on_b.chain_name(), "b");
    assert_eq!(ids(&b.tasks()), [on_b.id()]);
    assert!(manager.default_chain().tasks().is_empty());
    // A chain refuses a builder naming another chain.
    assert_eq!(
        manager
            .default_chain()
            .add_task(cont("y").chain("b"))
            .unwrap_err(),
        Error::UnknownChain("b".to_owned())
    );
    assert_eq!(b.add_task(cont("z").chain("b")).unwrap().chain_name(), "b");
}

#[test]
fn a_task_finished_earlier_in_the_epoch_is_gone_from_lookups_and_stats() {
    let (_clock, manager) = setup();
    let chain = manager.default_chain().clone();
    manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Done)
                .name("gone")
                .sort(0),
        )
        .unwrap();
    let seen: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    {
        let seen = seen.clone();
        manager
            .add_task(
                TaskBuilder::recurring(move |_: &TaskContext<'_>| {
                    let stats = chain.stats();
                    seen.lock().unwrap().push(format!(
                        "find={} match={} tasks={} total={} active={}",
                        chain.find_tasks("gone").len(),
                        chain.find_tasks_matching("go*").len(),
                        chain.tasks().len(),
                        stats.total(),
                        stats.active
                    ));
                    DoneStatus::Done
                })
                .name("looker")
                .sort(1),
            )
            .unwrap();
    }
    manager.poll().unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        ["find=0 match=0 tasks=1 total=1 active=1"],
        "only the looker itself is live"
    );
    assert_eq!(manager.default_chain().stats().total(), 0);
}

#[test]
fn task_context_reports_the_tasks_properties() {
    let (_clock, manager) = setup();
    let chain = manager.make_task_chain("props").unwrap();
    let seen: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let h = {
        let seen = seen.clone();
        chain
            .add_task(
                TaskBuilder::recurring(move |t: &TaskContext<'_>| {
                    *seen.lock().unwrap() = Some(format!(
                        "{} {:?} {} {} {} {:?}",
                        t.id(),
                        t.name(),
                        t.chain_name(),
                        t.sort(),
                        t.priority(),
                        t.delay()
                    ));
                    DoneStatus::Done
                })
                .name("probe")
                .sort(-4)
                .priority(6),
            )
            .unwrap()
    };
    let id = h.id();
    assert_eq!((h.sort(), h.priority(), h.name()), (-4, 6, Some("probe")));
    manager.poll().unwrap();
    assert_eq!(
        seen.lock().unwrap().as_deref(),
        Some(format!("{id} Some(\"probe\") props -4 6 None").as_str())
    );
}

#[test]
fn find_task_returns_the_oldest_across_chains_without_listing() {
    let (_clock, manager) = setup();
    let b = manager.make_task_chain("b").unwrap();
    let on_b = b.add_task(cont("same")).unwrap();
    let on_default: Vec<_> = (0..5)
        .map(|_| manager.add_task(cont("same")).unwrap())
        .collect();
    assert_eq!(manager.find_task("same").unwrap().id(), on_b.id());
    assert_eq!(
        manager.default_chain().find_task("same").unwrap().id(),
        on_default[0].id()
    );
    on_b.cancel();
    on_default[0].cancel();
    // Cancelled but not yet out of the registry: skipped.
    assert_eq!(manager.find_task("same").unwrap().id(), on_default[1].id());
    manager.poll().unwrap();
    assert_eq!(manager.find_task("same").unwrap().id(), on_default[1].id());
    assert_eq!(
        ids(&manager.find_tasks("same")),
        ids(&on_default[1..]
            .iter()
            .map(|h| h.as_any())
            .collect::<Vec<_>>())
    );
}

// regression: there was no way to remove a chain, so a shut-down chain's
// name could never be used again.
#[test]
fn remove_chain_shuts_it_down_and_frees_its_name() {
    let (_clock, manager) = setup();
    let level = manager.make_task_chain("level").unwrap();
    let task = level.add_task(cont("t")).unwrap();
    assert_eq!(manager.remove_chain("level"), Ok(()));
    assert_eq!(task.result(Some(common::PATIENCE)), Err(Error::Cancelled));
    assert!(matches!(
        manager.find_chain("level"),
        Err(Error::UnknownChain(_))
    ));
    assert!(manager.find_task("t").is_none());
    assert_eq!(
        manager.add_task(cont("u").chain("level")).unwrap_err(),
        Error::UnknownChain("level".to_owned())
    );
    assert_eq!(
        manager.remove_chain("level"),
        Err(Error::UnknownChain("level".to_owned()))
    );
    // The name is free again, for any kind of chain.
    let again = manager.make_task_chain("level").unwrap();
    assert!(!Arc::ptr_eq(&level, &again));
    let fresh = manager.add_task(cont("t").chain("level")).unwrap();
    manager.poll().unwrap();
    assert!(!fresh.is_done());
    // The default chain stays: the manager's own spawns and events use it.
    assert!(matches!(
        manager.remove_chain(DEFAULT_CHAIN),
        Err(Error::InvalidSetting(_))
    ));
    assert_eq!(manager.default_chain().name(), DEFAULT_CHAIN);
}

#[test]
fn remove_chain_of_a_threaded_chain() {
    let (_clock, manager) = setup();
    let chain = common::threaded(&manager, taskchain_core::ChainSettings::default(), 1);
    let gate = chain.promise::<()>();
    let waiting = chain.spawn(gate.clone());
    assert_eq!(manager.remove_chain("threaded"), Ok(()));
    assert_eq!(
        waiting.result(Some(common::PATIENCE)),
        Err(Error::Cancelled)
    );
    let again = common::threaded(&manager, taskchain_core::ChainSettings::default(), 1);
    let task = again.spawn(async { 3 });
    assert_eq!(task.result(Some(common::PATIENCE)), Ok(3));
    manager.shutdown();
}

// regression: only the thread pool backend refused a chain name with a
// NUL byte; frame and other threaded chains took it.
#[test]
fn a_nul_in_a_chain_name_is_refused_by_every_chain_kind() {
    let (clock, manager) = setup();
    let refused = |r: Result<(), Error>| matches!(r, Err(Error::InvalidSetting(_)));
    assert!(refused(manager.make_task_chain("a\0b").map(drop)));
    assert!(refused(
        manager
            .make_threaded_chain(
                "a\0b",
                taskchain_core::ChainSettings::default().num_threads(1),
                Arc::new(common::ThreadRuntime),
            )
            .map(drop)
    ));
    let built = taskchain_core::FrameChain::new("a\0b", Arc::new(clock));
    assert!(refused(manager.add_chain(built)));
    assert!(manager.chains().iter().all(|c| !c.name().contains('\0')));
}

#[test]
fn remove_matching_removes_every_match_on_every_chain_once() {
    let (_clock, manager) = setup();
    let other = manager.make_task_chain("other").unwrap();
    let a = manager.add_task(cont("enemy-a")).unwrap();
    let b = other.add_task(cont("enemy-b")).unwrap();
    let player = manager.add_task(cont("player")).unwrap();
    let gate = manager.promise::<u32>();
    let suspended = manager
        .add_task(TaskBuilder::fallible(gate).name("enemy-c"))
        .unwrap();
    manager.poll().unwrap();
    assert_eq!(manager.remove_matching("enemy-*"), 3);
    assert_eq!(
        manager.remove_matching("enemy-*"),
        0,
        "a pending removal is not counted again"
    );
    assert_eq!(other.remove_matching("nobody*"), 0);
    assert!(a.is_cancelled() && b.is_cancelled());
    assert!(suspended.is_alive(), "removed at its next run");
    manager.poll().unwrap();
    assert!(!suspended.is_alive() && suspended.is_cancelled());
    assert!(player.is_alive());
    assert_eq!(names(&manager.tasks()), ["player"]);
}

#[test]
fn the_manager_removes_a_task_by_handle_on_whichever_chain_holds_it() {
    let (_clock, manager) = setup();
    let other = manager.make_task_chain("other").unwrap();
    let here = manager.add_task(cont("here")).unwrap();
    let there = other.add_task(cont("there")).unwrap();
    assert!(manager.remove(&there.as_any()));
    assert!(!manager.remove(&there.as_any()), "it is done");
    assert!(there.is_cancelled() && here.is_alive());
    let elsewhere = setup().1;
    let foreign = elsewhere.add_task(cont("foreign")).unwrap();
    assert!(!manager.remove(&foreign.as_any()), "another manager's task");
    assert!(foreign.is_alive());
    elsewhere.shutdown();
}

#[test]
fn a_renamed_task_is_found_under_its_new_name_only() {
    let (_clock, manager) = setup();
    let task = manager.add_task(cont("walker")).unwrap();
    let unnamed = manager.add(|_: &TaskContext<'_>| DoneStatus::Cont);
    let before = task.name();
    task.set_name("runner");
    unnamed.set_name("runner");
    assert_eq!(before, Some("walker"), "a name read before stays valid");
    assert_eq!(task.name(), Some("runner"));
    assert!(manager.find_task("walker").is_none());
    assert_eq!(
        ids(&manager.find_tasks("runner")),
        [task.id(), unnamed.id()]
    );
    assert_eq!(
        ids(&manager.find_tasks_matching("run*")),
        [task.id(), unnamed.id()]
    );
    // Back to a name it had: nothing new is kept, and the index follows.
    task.set_name("walker");
    assert_eq!(ids(&manager.find_tasks("walker")), [task.id()]);
    assert_eq!(manager.remove_by_name("runner"), 1);
    assert!(unnamed.is_cancelled());
    assert!(!task.is_done());
}

#[test]
fn renaming_an_ended_task_indexes_nothing() {
    let (_clock, manager) = setup();
    let task = manager.add_task(cont("walker")).unwrap();
    assert!(task.cancel());
    task.set_name("ghost");
    assert_eq!(task.name(), Some("ghost"));
    // A new task may take the ended task's registry slot.
    let fresh = manager.add(|_: &TaskContext<'_>| DoneStatus::Cont);
    assert!(manager.find_task("ghost").is_none());
    assert!(manager.find_task("walker").is_none());
    assert!(fresh.name().is_none());
}

/// A rename racing the task's end (on the polling thread) must leave no
/// entry in the name index: a stale one points at the registry slot a
/// later, unnamed task takes, and finds that task by the old name.
#[test]
fn renames_racing_the_ends_of_tasks_leave_no_stale_name() {
    const ROUNDS: usize = 5_000;
    let (_clock, manager) = setup();
    let (tx, rx) = std::sync::mpsc::channel::<AnyTask>();
    let renamer = thread::spawn(move || {
        for task in rx {
            task.set_name("racer");
        }
    });
    for _ in 0..ROUNDS {
        let task = manager.add(|_: &TaskContext<'_>| DoneStatus::Done);
        tx.send(task.as_any()).unwrap();
        manager.poll().unwrap();
    }
    drop(tx);
    renamer.join().unwrap();
    // Unnamed tasks fill the slots the racers had.
    let fresh: Vec<_> = (0..64)
        .map(|_| manager.add(|_: &TaskContext<'_>| DoneStatus::Cont))
        .collect();
    let found = manager.find_tasks("racer");
    assert!(
        found.is_empty(),
        "a stale name found {} live tasks",
        found.len()
    );
    assert!(fresh.iter().all(|t| t.name().is_none()));
}
