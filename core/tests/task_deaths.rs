//! `upon_death_with` receives the task that ended (its id, its current
//! name, its chain and how it ended) and `upon_death` keeps receiving only
//! `clean_exit`; a builder is `Clone` when its work is, and each clone's
//! task runs its own copy of the callback.

mod common;

use std::future::ready;
use std::sync::{Arc, Mutex};

use common::{ms, poll_n, setup};
use taskchain_conformance::kit::counters::{bump, counter, get};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    AsyncFuture, DoneStatus, Error, TaskBuilder, TaskContext, TaskDeath, TaskEnd, TaskManager,
    DEFAULT_CHAIN,
};

/// What a callback saw: id, name, chain, end, clean_exit.
type Seen = (u64, Option<String>, String, TaskEnd, bool);

type Book = Arc<Mutex<Vec<Seen>>>;

/// A callback writing what it is told into `book`.
fn record(book: &Book) -> impl FnOnce(&TaskDeath<'_>) + Clone + Send + 'static {
    let book = book.clone();
    move |death: &TaskDeath<'_>| {
        book.lock().unwrap().push((
            death.id(),
            death.name().map(str::to_owned),
            death.chain_name().to_owned(),
            death.end(),
            death.clean_exit(),
        ))
    }
}

fn seen(book: &Book) -> Vec<Seen> {
    book.lock().unwrap().clone()
}

fn named(id: u64, name: &str, end: TaskEnd) -> Seen {
    let chain = DEFAULT_CHAIN.to_owned();
    (
        id,
        Some(name.to_owned()),
        chain,
        end,
        end == TaskEnd::Finished,
    )
}

#[test]
fn upon_death_with_reports_each_end_with_the_tasks_id_name_and_chain() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let book = Book::default();
    let finished = manager
        .add_task(
            TaskBuilder::coroutine(async { 1_u32 })
                .name("finished")
                .upon_death_with(record(&book)),
        )
        .unwrap();
    let removed = manager
        .add_task(
            TaskBuilder::coroutine(std::future::pending::<()>())
                .name("removed")
                .upon_death_with(record(&book)),
        )
        .unwrap();
    let panicked = manager
        .add_task(
            TaskBuilder::recurring(|_: &TaskContext<'_>| -> DoneStatus { panic!("boom: body") })
                .name("panicked")
                .upon_death_with(record(&book)),
        )
        .unwrap();
    let failed = manager
        .add_task(
            TaskBuilder::fallible(async { Err::<u32, _>(Error::Timeout) })
                .name("failed")
                .upon_death_with(record(&book)),
        )
        .unwrap();
    manager.poll().unwrap();
    assert!(manager.remove(&removed.as_any()));
    manager.poll().unwrap();
    assert_eq!(
        seen(&book),
        [
            named(finished.id(), "finished", TaskEnd::Finished),
            named(panicked.id(), "panicked", TaskEnd::Panicked),
            named(failed.id(), "failed", TaskEnd::Failed),
            named(removed.id(), "removed", TaskEnd::Cancelled),
        ]
    );
    assert_eq!(finished.try_take(), Some(Ok(1)));
    assert_eq!(failed.try_take(), Some(Err(Error::Timeout)));
}

#[test]
fn upon_death_with_reports_the_chain_and_a_missing_name() {
    let (_clock, manager) = setup();
    manager.make_task_chain("side").unwrap();
    let book = Book::default();
    let task = manager
        .add_task(
            TaskBuilder::coroutine(async {})
                .chain("side")
                .upon_death_with(record(&book)),
        )
        .unwrap();
    manager.run_until(&task).unwrap();
    assert_eq!(
        seen(&book),
        [(task.id(), None, "side".to_owned(), TaskEnd::Finished, true)]
    );
}

#[test]
fn upon_death_with_reports_the_name_a_renamed_task_has_when_it_ends() {
    let (_clock, manager) = setup();
    let book = Book::default();
    let task = manager
        .add_task(
            TaskBuilder::recurring(|t: &TaskContext<'_>| {
                if t.frame() < 2 {
                    DoneStatus::Cont
                } else {
                    DoneStatus::Done
                }
            })
            .name("before")
            .upon_death_with(record(&book)),
        )
        .unwrap();
    manager.poll().unwrap();
    task.set_name("after");
    manager.run_until(&task).unwrap();
    assert_eq!(seen(&book), [named(task.id(), "after", TaskEnd::Finished)]);
}

#[test]
fn a_panicking_upon_death_with_ends_a_finished_task_panicked_and_the_chain_goes_on() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let runs = counter();
    let ticking = {
        let runs = runs.clone();
        manager.add(move |_: &TaskContext<'_>| {
            bump(&runs);
            DoneStatus::Cont
        })
    };
    let calls = counter();
    let task = {
        let calls = calls.clone();
        manager
            .add_task(TaskBuilder::coroutine(async { 3_u32 }).upon_death_with(
                move |death: &TaskDeath<'_>| {
                    bump(&calls);
                    assert!(death.clean_exit());
                    panic!("boom: upon_death_with");
                },
            ))
            .unwrap()
    };
    poll_n(&manager, 3);
    assert_eq!(get(&calls), 1);
    assert_eq!(
        task.try_take(),
        Some(Err(Error::Panicked("boom: upon_death_with".to_owned())))
    );
    assert_eq!(get(&runs), 3, "the chain went on");
    assert!(!ticking.is_done());
}

#[test]
fn upon_death_still_receives_clean_exit_and_the_last_callback_set_wins() {
    let (_clock, manager) = setup();
    let exits: Arc<Mutex<Vec<bool>>> = Arc::default();
    let plain = |exits: &Arc<Mutex<Vec<bool>>>| {
        let exits = exits.clone();
        move |clean: bool| exits.lock().unwrap().push(clean)
    };
    let finished = manager
        .add_task(TaskBuilder::coroutine(async {}).upon_death(plain(&exits)))
        .unwrap();
    manager.run_until(&finished).unwrap();
    let removed = manager
        .add_task(TaskBuilder::coroutine(std::future::pending::<()>()).upon_death(plain(&exits)))
        .unwrap();
    manager.poll().unwrap();
    assert!(manager.remove(&removed.as_any()));
    manager.poll().unwrap();
    assert_eq!(*exits.lock().unwrap(), [true, false]);

    let book = Book::default();
    let replaced = manager
        .add_task(
            TaskBuilder::coroutine(async {})
                .name("replaced")
                .upon_death(plain(&exits))
                .upon_death_with(record(&book)),
        )
        .unwrap();
    manager.run_until(&replaced).unwrap();
    assert_eq!(*exits.lock().unwrap(), [true, false], "replaced");
    assert_eq!(
        seen(&book),
        [named(replaced.id(), "replaced", TaskEnd::Finished)]
    );
}

#[test]
fn a_clone_of_a_removed_recurring_tasks_builder_adds_it_again_with_the_same_settings() {
    let (clock, manager) = setup();
    let runs = counter();
    let book = Book::default();
    let builder = {
        let runs = runs.clone();
        TaskBuilder::recurring(move |_: &TaskContext<'_>| {
            bump(&runs);
            DoneStatus::Cont
        })
        .name("spin")
        .sort(3)
        .priority(2)
        .delay(ms(20))
        .upon_death_with(record(&book))
    };
    let mut ids = Vec::new();
    for round in 0..2 {
        let task = manager.add_task(builder.clone()).unwrap();
        ids.push(task.id());
        assert_eq!(task.name(), Some("spin"));
        assert_eq!((task.sort(), task.priority()), (3, 2));
        assert_eq!(task.delay(), Some(ms(20)));
        let before = get(&runs);
        poll_n(&manager, 2);
        assert_eq!(get(&runs), before, "the delay holds (round {round})");
        clock.advance(ms(20));
        manager.poll().unwrap();
        assert_eq!(get(&runs), before + 1, "runs once the delay passed");
        assert_eq!(manager.remove_by_name("spin"), 1);
        manager.poll().unwrap();
        assert!(task.is_cancelled());
    }
    assert_ne!(ids[0], ids[1]);
    assert_eq!(
        seen(&book),
        [
            named(ids[0], "spin", TaskEnd::Cancelled),
            named(ids[1], "spin", TaskEnd::Cancelled),
        ]
    );
    assert!(manager.tasks().is_empty());
}

#[test]
fn each_clone_runs_its_own_copy_of_upon_death_once() {
    let (_clock, manager) = setup();
    let said: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let builder = {
        let said = said.clone();
        // Captured by value and moved out: a FnOnce each copy runs once.
        let word = String::from("bye");
        TaskBuilder::coroutine(ready(())).upon_death_with(move |death: &TaskDeath<'_>| {
            said.lock().unwrap().push((word, death.id()))
        })
    };
    let first = manager.add_task(builder.clone()).unwrap();
    let second = manager.add_task(builder).unwrap();
    poll_n(&manager, 2);
    assert!(first.is_done() && second.is_done());
    let bye = || "bye".to_owned();
    assert_eq!(
        *said.lock().unwrap(),
        [(bye(), first.id()), (bye(), second.id())]
    );
}

#[test]
fn a_clone_of_a_coroutine_builder_whose_future_is_clone_runs_it_again() {
    let (_clock, manager) = setup();
    let messenger = manager.messenger();
    let sent = counter();
    {
        let sent = sent.clone();
        messenger
            .accept("five-done", move |_: &()| {
                bump(&sent);
            })
            .unwrap()
            .detach();
    }
    let builder = TaskBuilder::coroutine(ready(5_u32))
        .name("five")
        .priority(4)
        .done_event(&messenger, "five-done")
        .unwrap();
    let first = manager.add_task(builder.clone()).unwrap();
    let second = manager.add_task(builder).unwrap();
    assert_ne!(first.id(), second.id());
    assert_eq!(second.name(), Some("five"));
    assert_eq!(second.priority(), 4);
    poll_n(&manager, 2);
    assert_eq!(first.try_take(), Some(Ok(5)));
    assert_eq!(second.try_take(), Some(Ok(5)));
    assert_eq!(get(&sent), 2, "each clone sends its done event");
}

#[test]
fn fallible_and_recurring_coroutine_builders_clone_when_their_parts_do() {
    let manager = TaskManager::new();
    let fallible = TaskBuilder::fallible(ready(Ok::<_, Error>(2_u8)));
    let a = manager.add_task(fallible.clone()).unwrap();
    let b = manager.add_task(fallible).unwrap();
    let runs = counter();
    let recurring = {
        let runs = runs.clone();
        TaskBuilder::recurring_coroutine(move || {
            let runs = runs.clone();
            async move {
                if bump(&runs) % 2 == 1 {
                    DoneStatus::Cont
                } else {
                    DoneStatus::Done
                }
            }
        })
    };
    let c = manager.add_task(recurring.clone()).unwrap();
    let d = manager.add_task(recurring).unwrap();
    poll_n(&manager, 4);
    assert_eq!((a.try_take(), b.try_take()), (Some(Ok(2)), Some(Ok(2))));
    assert!(c.is_done() && d.is_done());
    assert_eq!(get(&runs), 4, "each clone ran twice");
}
