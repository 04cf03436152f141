//! `CoroutineTask`: coroutine tasks written as structs (Panda3D's
//! subclass-a-task style), spawned alone and as a list of boxes of
//! different types, on a frame chain driven by a manual clock.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::setup;
use taskchain_core::{
    async_trait, current_task, pause, AnyTask, AsyncFuture, CoroutineTask, Error, TaskBuilder,
    TaskChainExt, TaskDeath, TaskEnd,
};

type Log = Arc<Mutex<Vec<String>>>;

fn log_of(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// Loads `chunks` chunks, one per `every`, logging each with the task's
/// name and elapsed time; its output is what it loaded.
struct Loader {
    name: &'static str,
    sort: i32,
    chunks: u32,
    every: Duration,
    loaded: Vec<u32>,
    log: Log,
}

#[async_trait]
impl CoroutineTask for Loader {
    type Output = Vec<u32>;

    async fn run(&mut self, task: &AnyTask) -> Result<Vec<u32>, Error> {
        for chunk in 0..self.chunks {
            pause(self.every).await?;
            self.loaded.push(chunk);
            self.log.lock().unwrap().push(format!(
                "{} chunk {} at {:?}",
                task.name().unwrap_or("?"),
                chunk,
                task.elapsed()
            ));
        }
        Ok(std::mem::take(&mut self.loaded))
    }

    fn name(&self) -> Option<&str> {
        Some(self.name)
    }

    fn sort(&self) -> i32 {
        self.sort
    }
}

/// A task of another type: counts its runs, one per frame, and answers
/// with the count; its priority is its own.
struct Ticker {
    ticks: u32,
    until: u32,
    log: Log,
}

#[async_trait]
impl CoroutineTask for Ticker {
    type Output = Vec<u32>;

    async fn run(&mut self, task: &AnyTask) -> Result<Vec<u32>, Error> {
        while self.ticks < self.until {
            self.log.lock().unwrap().push(format!(
                "ticker {} frame {}",
                self.ticks,
                task.frame_count()
            ));
            self.ticks += 1;
            taskchain_core::next_frame().await;
        }
        Ok(vec![self.ticks])
    }

    fn name(&self) -> Option<&str> {
        Some("ticker")
    }

    fn sort(&self) -> i32 {
        -1
    }

    fn priority(&self) -> i32 {
        7
    }
}

fn loader(name: &'static str, sort: i32, chunks: u32, log: &Log) -> Loader {
    Loader {
        name,
        sort,
        chunks,
        every: Duration::from_secs(1),
        loaded: Vec::new(),
        log: log.clone(),
    }
}

#[test]
fn a_struct_task_keeps_its_state_across_pauses() {
    let (clock, manager) = setup();
    let log = Log::default();
    let task = manager.spawn_task(loader("textures", 0, 3, &log));
    assert_eq!(task.name(), Some("textures"));
    for second in 0..3 {
        manager.poll().unwrap();
        assert!(!task.is_done(), "still loading after {second} s");
        clock.advance(Duration::from_secs(1));
    }
    manager.poll().unwrap();
    assert_eq!(task.try_take(), Some(Ok(vec![0, 1, 2])));
    assert_eq!(
        log_of(&log),
        [
            "textures chunk 0 at 1s",
            "textures chunk 1 at 2s",
            "textures chunk 2 at 3s",
        ]
    );
}

#[test]
fn a_list_of_boxed_tasks_of_different_types_runs_in_sort_order() {
    let (clock, manager) = setup();
    let log = Log::default();
    let jobs: Vec<Box<dyn CoroutineTask<Output = Vec<u32>>>> = vec![
        Box::new(loader("models", 2, 1, &log)),
        Box::new(loader("sounds", 1, 2, &log)),
        Box::new(Ticker {
            ticks: 0,
            until: 2,
            log: log.clone(),
        }),
    ];
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|job| manager.spawn_task(job))
        .collect();
    let props: Vec<_> = handles
        .iter()
        .map(|h| (h.name().map(str::to_owned), h.sort(), h.priority()))
        .collect();
    assert_eq!(
        props,
        [
            (Some("models".to_owned()), 2, 0),
            (Some("sounds".to_owned()), 1, 0),
            (Some("ticker".to_owned()), -1, 7),
        ]
    );
    while !handles.iter().all(|h| h.is_done()) {
        manager.poll().unwrap();
        clock.advance(Duration::from_secs(1));
    }
    let outputs: Vec<_> = handles.iter().map(|h| h.try_take().unwrap()).collect();
    assert_eq!(outputs, [Ok(vec![0]), Ok(vec![0, 1]), Ok(vec![2])]);
    // Each frame runs sort -1, then 1, then 2: the two loaders wake in the
    // same frame at 1 s, sounds (sort 1) before models (sort 2).
    assert_eq!(
        log_of(&log),
        [
            "ticker 0 frame 0",
            "ticker 1 frame 1",
            "sounds chunk 0 at 1s",
            "models chunk 0 at 1s",
            "sounds chunk 1 at 2s",
        ]
    );
}

#[test]
fn a_builder_overrides_what_the_task_says_and_sets_the_rest() {
    let (clock, manager) = setup();
    let log = Log::default();
    let died = Arc::new(Mutex::new(None));
    let seen = died.clone();
    let builder = TaskBuilder::from_task(loader("textures", 4, 1, &log))
        .name("renamed")
        .priority(3)
        .delay(Duration::from_secs(5))
        .upon_death_with(move |death: &TaskDeath<'_>| *seen.lock().unwrap() = Some(death.end()));
    let task = manager.add_task(builder).unwrap();
    assert_eq!(
        (task.name(), task.sort(), task.priority()),
        (Some("renamed"), 4, 3)
    );
    for _ in 0..6 {
        manager.poll().unwrap();
        assert!(!task.is_done(), "5 s of delay, then 1 s of pause");
        clock.advance(Duration::from_secs(1));
    }
    manager.poll().unwrap();
    assert_eq!(task.try_take(), Some(Ok(vec![0])));
    // `elapsed` counts from the task's start, after its delay.
    assert_eq!(log_of(&log), ["renamed chunk 0 at 1s"]);
    assert_eq!(*died.lock().unwrap(), Some(TaskEnd::Finished));
}

#[test]
fn task_is_the_running_task() {
    struct WhoAmI;

    #[async_trait]
    impl CoroutineTask for WhoAmI {
        type Output = (u64, u64, Option<String>);

        async fn run(&mut self, task: &AnyTask) -> Result<Self::Output, Error> {
            let current = current_task().expect("inside a task");
            Ok((task.id(), current.id(), task.name().map(str::to_owned)))
        }
    }

    let (_clock, manager) = setup();
    let task = manager.default_chain().spawn_task(WhoAmI);
    manager.poll().unwrap();
    let (seen, current, name) = task.try_take().expect("done").unwrap();
    assert_eq!((seen, current, name), (task.id(), task.id(), None));
}

/// Awaits a long pause, logs what the await returned, and sets a flag
/// when dropped.
struct Patient {
    log: Log,
    dropped: Arc<AtomicBool>,
    refuse: bool,
}

impl Drop for Patient {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

#[async_trait]
impl CoroutineTask for Patient {
    type Output = &'static str;

    async fn run(&mut self, _task: &AnyTask) -> Result<&'static str, Error> {
        let woke = pause(Duration::from_secs(100)).await;
        self.log.lock().unwrap().push(format!("pause: {woke:?}"));
        match woke {
            Err(Error::Cancelled) if self.refuse => Ok("refused"),
            other => other.map(|()| "slept"),
        }
    }
}

fn patient(log: &Log, refuse: bool) -> (Patient, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let job = Patient {
        log: log.clone(),
        dropped: dropped.clone(),
        refuse,
    };
    (job, dropped)
}

#[test]
fn a_cancel_is_delivered_to_run_and_ends_the_task_cancelled() {
    let (_clock, manager) = setup();
    let log = Log::default();
    let (job, dropped) = patient(&log, false);
    let task = manager.spawn_task(job);
    manager.poll().unwrap();
    assert!(!task.is_done());
    assert!(task.cancel());
    manager.poll().unwrap();
    assert!(task.is_cancelled());
    assert_eq!(task.try_take(), Some(Err(Error::Cancelled)));
    assert_eq!(log_of(&log), ["pause: Err(Cancelled)"]);
    assert!(
        dropped.load(Ordering::SeqCst),
        "the struct went with the task"
    );
}

#[test]
fn a_run_that_handles_the_cancel_finishes_with_its_value() {
    let (_clock, manager) = setup();
    let log = Log::default();
    let (job, _dropped) = patient(&log, true);
    let task = manager.spawn_task(Box::new(job));
    manager.poll().unwrap();
    assert!(task.cancel());
    manager.poll().unwrap();
    assert!(!task.is_cancelled());
    assert_eq!(task.try_take(), Some(Ok("refused")));
    assert_eq!(log_of(&log), ["pause: Err(Cancelled)"]);
}

#[test]
fn a_task_cancelled_before_its_first_run_never_runs() {
    let (_clock, manager) = setup();
    let log = Log::default();
    let (job, dropped) = patient(&log, false);
    let task = manager.spawn_task(job);
    assert!(task.cancel());
    assert!(dropped.load(Ordering::SeqCst), "dropped unrun");
    manager.poll().unwrap();
    assert_eq!(task.try_take(), Some(Err(Error::Cancelled)));
    assert!(log_of(&log).is_empty(), "run was never called");
}

#[test]
fn a_panicking_run_ends_the_task_panicked_and_the_chain_goes_on() {
    struct Faulty(u32);

    #[async_trait]
    impl CoroutineTask for Faulty {
        type Output = ();

        async fn run(&mut self, _task: &AnyTask) -> Result<(), Error> {
            pause(Duration::ZERO).await?;
            self.0 += 1;
            panic!("faulty after {} step", self.0);
        }
    }

    let (clock, manager) = setup();
    let faulty = manager.spawn_task(Faulty(0));
    let log = Log::default();
    let fine = manager.spawn_task(loader("fine", 1, 1, &log));
    manager.poll().unwrap();
    clock.advance(Duration::from_secs(1));
    manager.poll().unwrap();
    assert_eq!(
        faulty.try_take(),
        Some(Err(Error::Panicked("faulty after 1 step".to_owned())))
    );
    assert_eq!(fine.try_take(), Some(Ok(vec![0])));
}

#[test]
fn an_error_from_run_ends_the_task_with_it() {
    struct Missing;

    #[async_trait]
    impl CoroutineTask for Missing {
        type Output = ();

        async fn run(&mut self, _task: &AnyTask) -> Result<(), Error> {
            Err(Error::InvalidSetting("no such asset".to_owned()))
        }
    }

    let (_clock, manager) = setup();
    let task = manager.spawn_task(Missing);
    assert_eq!(
        manager.run_until(&task),
        Err(Error::InvalidSetting("no such asset".to_owned()))
    );
    assert!(!task.is_cancelled());
}
