//! The `tracing` feature: a subscriber that records every span and event
//! it is shown checks that each task run is a `task` span with the task's
//! fields, and that cancel requests and deliveries, panics, `upon_death`,
//! chain shutdowns and frame-budget overruns are reported with theirs.
//!
//! Each test installs its subscriber on its own thread only
//! (`with_default`), and drives frame chains there, so tests running at
//! the same time do not see each other's tasks.
#![cfg(feature = "tracing")]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    pause, AsyncFuture, ChainSettings, DoneStatus, ManualClock, TaskBuilder, TaskChain,
    TaskChainExt, TaskContext, TaskManager, DEFAULT_CHAIN,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span as it was made.
#[derive(Debug, Clone)]
struct SpanRecord {
    id: u64,
    name: &'static str,
    target: String,
    level: String,
    fields: BTreeMap<String, String>,
}

/// An event as it was sent.
#[derive(Debug, Clone)]
struct EventRecord {
    target: String,
    level: String,
    /// The `message` field and the others.
    fields: BTreeMap<String, String>,
    /// The span this thread was in, if any.
    span: Option<u64>,
}

impl EventRecord {
    fn message(&self) -> &str {
        self.fields.get("message").map_or("", String::as_str)
    }

    fn field(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .unwrap_or_else(|| panic!("{self:?} has no field {name}"))
    }
}

#[derive(Debug, Default, Clone)]
struct Log {
    spans: Vec<SpanRecord>,
    events: Vec<EventRecord>,
}

impl Log {
    /// The events with this message, in order.
    fn events(&self, message: &str) -> Vec<&EventRecord> {
        self.events
            .iter()
            .filter(|e| e.message() == message)
            .collect()
    }

    /// The `task` spans of the task `id`.
    fn runs_of(&self, id: u64) -> Vec<&SpanRecord> {
        self.spans
            .iter()
            .filter(|s| s.name == "task" && s.fields.get("id") == Some(&id.to_string()))
            .collect()
    }

    /// The span a subscriber id names.
    fn span(&self, id: u64) -> &SpanRecord {
        self.spans
            .iter()
            .find(|s| s.id == id)
            .expect("an event's span was made")
    }

    /// Where the first event with `message` is among all events.
    fn position(&self, message: &str) -> usize {
        self.events
            .iter()
            .position(|e| e.message() == message)
            .unwrap_or_else(|| panic!("no event {message:?} in {:#?}", self.events))
    }
}

/// Field values as text: strings bare, the rest as `Debug` shows them.
struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// Records every span and event; the span stack is this thread's, the only
/// one the subscriber is installed on.
struct Capture {
    log: Arc<Mutex<Log>>,
    next_id: AtomicU64,
    stack: Mutex<Vec<u64>>,
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let meta = attrs.metadata();
        self.log.lock().unwrap().spans.push(SpanRecord {
            id,
            name: meta.name(),
            target: meta.target().to_owned(),
            level: meta.level().to_string(),
            fields,
        });
        Id::from_u64(id)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let span = self.stack.lock().unwrap().last().copied();
        self.log.lock().unwrap().events.push(EventRecord {
            target: event.metadata().target().to_owned(),
            level: event.metadata().level().to_string(),
            fields,
            span,
        });
    }

    fn enter(&self, span: &Id) {
        self.stack.lock().unwrap().push(span.into_u64());
    }

    fn exit(&self, span: &Id) {
        let popped = self.stack.lock().unwrap().pop();
        assert_eq!(popped, Some(span.into_u64()), "spans exit in order");
    }
}

/// Runs `f` with a recording subscriber on this thread; returns what it
/// returned and what was recorded.
fn capture<R>(f: impl FnOnce() -> R) -> (R, Log) {
    let log = Arc::new(Mutex::new(Log::default()));
    let subscriber = Capture {
        log: log.clone(),
        next_id: AtomicU64::new(1),
        stack: Mutex::new(Vec::new()),
    };
    let out = tracing::subscriber::with_default(subscriber, f);
    let log = log.lock().unwrap().clone();
    (out, log)
}

/// Ids, as fields show them.
fn text(id: u64) -> String {
    id.to_string()
}

#[test]
fn each_run_is_a_task_span_with_the_tasks_fields() {
    let manager = TaskManager::with_clock(ManualClock::new());
    let ((walker, plain), log) = capture(|| {
        let walker = manager
            .add_task(
                TaskBuilder::recurring(|task: &TaskContext<'_>| match task.frame() {
                    0 | 1 => DoneStatus::Cont,
                    _ => DoneStatus::Done,
                })
                .name("walker")
                .sort(3)
                .priority(-2),
            )
            .unwrap();
        let plain = manager.spawn(async {});
        for _ in 0..3 {
            manager.poll().unwrap();
        }
        assert!(walker.is_done() && plain.is_done());
        (walker, plain)
    });

    let runs = log.runs_of(walker.id());
    assert_eq!(runs.len(), 3, "one span per run: {:#?}", log.spans);
    for run in runs {
        assert_eq!(
            (run.target.as_str(), run.level.as_str()),
            ("taskchain", "TRACE")
        );
        let expected: BTreeMap<String, String> = [
            ("id", text(walker.id())),
            ("name", "walker".to_owned()),
            ("chain", DEFAULT_CHAIN.to_owned()),
            ("sort", "3".to_owned()),
            ("priority", "-2".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(run.fields, expected);
    }
    let plain_runs = log.runs_of(plain.id());
    assert_eq!(plain_runs.len(), 1);
    assert_eq!(
        plain_runs[0].fields["name"], "",
        "an unnamed task's name is empty"
    );
    assert_eq!(plain_runs[0].fields["sort"], "0");
}

#[test]
fn cancelling_a_suspended_coroutine_is_requested_then_delivered_at_its_await() {
    let manager = TaskManager::with_clock(ManualClock::new());
    let (task, log) = capture(|| {
        let task = manager
            .add_task(
                TaskBuilder::coroutine(async { pause(Duration::from_secs(60)).await })
                    .name("sleeper"),
            )
            .unwrap();
        manager.poll().unwrap();
        assert!(task.cancel(), "the sleeping coroutine takes the request");
        manager.poll().unwrap();
        assert!(task.is_done());
        task
    });

    let requested = log.events("cancel requested");
    assert_eq!(requested.len(), 1, "{:#?}", log.events);
    let request = requested[0];
    assert_eq!(request.field("task"), text(task.id()));
    assert_eq!(request.field("name"), "sleeper");
    assert_eq!(
        (request.field("made"), request.field("abort")),
        ("true", "false")
    );
    assert_eq!(request.span, None, "asked from outside any task");

    let delivered = log.events("cancel delivered");
    assert_eq!(delivered.len(), 1, "delivered once: {:#?}", log.events);
    let delivery = delivered[0];
    assert_eq!(delivery.field("task"), text(task.id()));
    assert_eq!(delivery.field("at"), "await");
    assert_eq!(
        (delivery.target.as_str(), delivery.level.as_str()),
        ("taskchain", "DEBUG")
    );
    let span = log.span(delivery.span.expect("delivered inside the task's run"));
    assert_eq!(span.fields["id"], text(task.id()));
    assert!(log.position("cancel requested") < log.position("cancel delivered"));
}

#[test]
fn a_cancel_that_ends_a_task_at_rest_is_delivered_at_its_end() {
    let manager = TaskManager::with_clock(ManualClock::new());
    let (task, log) = capture(|| {
        let task = manager.add(|_: &TaskContext<'_>| DoneStatus::Cont);
        manager.poll().unwrap();
        assert!(task.cancel());
        assert!(task.is_cancelled(), "ended by the cancel itself");
        // Too late now: reported as a request that did not take.
        assert!(!task.cancel());
        task
    });

    let requested = log.events("cancel requested");
    assert_eq!(requested.len(), 2, "{:#?}", log.events);
    assert_eq!(requested[0].field("made"), "true");
    assert_eq!(requested[1].field("made"), "false");
    let delivered = log.events("cancel delivered");
    assert_eq!(delivered.len(), 1, "{:#?}", log.events);
    assert_eq!(delivered[0].field("task"), text(task.id()));
    assert_eq!(delivered[0].field("at"), "end");
    assert_eq!(delivered[0].span, None, "ended by the caller, not in a run");
}

#[test]
fn panics_are_reported_with_where_they_happened_and_their_message() {
    quiet_panics("boom:");
    let manager = TaskManager::with_clock(ManualClock::new());
    let ((body, death), log) = capture(|| {
        let body = manager
            .add_task(TaskBuilder::coroutine(async { panic!("boom: in the body") }).name("bad"))
            .unwrap();
        let death = manager
            .add_task(
                TaskBuilder::coroutine(async {}).upon_death(|_| panic!("boom: in upon_death")),
            )
            .unwrap();
        manager.poll().unwrap();
        assert!(body.is_done() && death.is_done());
        (body, death)
    });

    let panics = log.events("task panicked");
    assert_eq!(panics.len(), 2, "{:#?}", log.events);
    let of = |id: u64| {
        panics
            .iter()
            .find(|e| e.field("task") == text(id))
            .unwrap_or_else(|| panic!("no panic event of task {id}: {panics:#?}"))
    };
    let in_body = of(body.id());
    assert_eq!(in_body.level, "WARN");
    assert_eq!(in_body.field("name"), "bad");
    assert_eq!(in_body.field("during"), "run");
    assert_eq!(in_body.field("panic"), "boom: in the body");
    let span = log.span(in_body.span.expect("caught inside the task's run"));
    assert_eq!(span.fields["id"], text(body.id()));
    let in_death = of(death.id());
    assert_eq!(in_death.field("during"), "upon_death");
    assert_eq!(in_death.field("panic"), "boom: in upon_death");
}

#[test]
fn upon_death_is_reported_with_the_end_before_it_runs() {
    let manager = TaskManager::with_clock(ManualClock::new());
    let ((finished, cancelled), log) = capture(|| {
        let finished = manager
            .add_task(
                TaskBuilder::coroutine(async {})
                    .upon_death(|_| tracing::info!(target: "test", "inside upon_death")),
            )
            .unwrap();
        let cancelled = manager
            .add_task(
                TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont).upon_death(|_| {}),
            )
            .unwrap();
        manager.poll().unwrap();
        assert!(cancelled.cancel());
        (finished, cancelled)
    });

    let deaths = log.events("upon_death");
    assert_eq!(deaths.len(), 2, "{:#?}", log.events);
    assert_eq!(deaths[0].field("task"), text(finished.id()));
    assert_eq!(deaths[0].field("end"), "Finished");
    assert_eq!(deaths[1].field("task"), text(cancelled.id()));
    assert_eq!(deaths[1].field("end"), "Cancelled");
    assert!(
        log.position("upon_death") < log.position("inside upon_death"),
        "reported before the callback runs"
    );
}

#[test]
fn a_chain_shutdown_is_reported_once_before_its_tasks_are_cancelled() {
    let manager = TaskManager::with_clock(ManualClock::new());
    let (tasks, log) = capture(|| {
        let side = manager.make_task_chain("side").unwrap();
        let tasks = [
            side.add(|_: &TaskContext<'_>| DoneStatus::Cont),
            side.add(|_: &TaskContext<'_>| DoneStatus::Cont),
        ];
        side.shutdown();
        side.shutdown();
        assert!(tasks.iter().all(|t| t.is_cancelled()));
        tasks
    });

    let shutdowns = log.events("chain shutdown");
    assert_eq!(shutdowns.len(), 1, "once per chain: {:#?}", log.events);
    assert_eq!(shutdowns[0].field("chain"), "side");
    assert_eq!(shutdowns[0].field("tasks"), "2");
    let aborts: Vec<_> = log
        .events("cancel requested")
        .into_iter()
        .filter(|e| e.field("abort") == "true")
        .collect();
    assert_eq!(aborts.len(), 2, "{:#?}", log.events);
    for task in &tasks {
        assert!(aborts.iter().any(|e| e.field("task") == text(task.id())));
    }
    assert!(log.position("chain shutdown") < log.position("cancel requested"));
}

#[test]
fn a_frame_budget_overrun_is_reported_with_the_runs_it_deferred() {
    let clock = ManualClock::new();
    let manager = TaskManager::with_clock(clock.clone());
    let ((slow, next), log) = capture(|| {
        let chain = manager.make_task_chain("budgeted").unwrap();
        chain
            .configure(ChainSettings::default().frame_budget(Some(Duration::from_millis(1))))
            .unwrap();
        // The first run spends twice the budget on the chain's clock.
        let slow = chain.add_task(TaskBuilder::recurring(move |_: &TaskContext<'_>| {
            clock.advance(Duration::from_millis(2));
            DoneStatus::Cont
        }));
        let next =
            chain.add_task(TaskBuilder::recurring(|_: &TaskContext<'_>| DoneStatus::Cont).sort(1));
        chain.poll().unwrap();
        (slow.unwrap(), next.unwrap())
    });

    let overruns = log.events("frame budget overrun");
    assert_eq!(overruns.len(), 1, "{:#?}", log.events);
    let overrun = overruns[0];
    assert_eq!(overrun.field("chain"), "budgeted");
    assert_eq!(overrun.field("budget"), "1ms");
    assert_eq!(overrun.field("spent"), "2ms");
    assert_eq!(overrun.field("deferred"), "true");
    assert_eq!(log.runs_of(slow.id()).len(), 1);
    assert!(
        log.runs_of(next.id()).is_empty(),
        "deferred to the next poll"
    );
}

/// A subscriber that panics in every call it gets: user code, as any
/// other.
struct Panicking;

impl Subscriber for Panicking {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        panic!("subscriber: new_span");
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {
        panic!("subscriber: event");
    }
    fn enter(&self, _: &Id) {
        panic!("subscriber: enter");
    }
    fn exit(&self, _: &Id) {
        panic!("subscriber: exit");
    }
}

/// Enters its spans, then panics when they are left.
struct PanicsOnExit(AtomicU64);

impl Subscriber for PanicsOnExit {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.0.fetch_add(1, Ordering::Relaxed))
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {
        panic!("subscriber: exit");
    }
}

/// Every span, event and run of a task's life under `subscriber`: each
/// task still ends once, as it would without one, and no poll panics.
fn tasks_end_under(subscriber: impl Subscriber + Send + Sync + 'static) {
    quiet_panics("subscriber:");
    quiet_panics("boom:");
    let manager = TaskManager::with_clock(ManualClock::new());
    let deaths = Arc::new(AtomicU64::new(0));
    tracing::subscriber::with_default(subscriber, || {
        let counted = deaths.clone();
        let walker = manager
            .add_task(
                TaskBuilder::recurring(|task: &TaskContext<'_>| match task.frame() {
                    0 => DoneStatus::Cont,
                    _ => DoneStatus::Done,
                })
                .name("walker")
                .upon_death(move |_| {
                    counted.fetch_add(1, Ordering::SeqCst);
                }),
            )
            .unwrap();
        let sleeper = manager.spawn(async { pause(Duration::from_secs(60)).await });
        let faulty = manager.spawn(async { panic!("boom: the task") });
        let idle = manager.spawn(std::future::pending::<()>());
        manager.poll().unwrap();
        assert!(sleeper.cancel());
        manager.poll().unwrap();
        manager.poll().unwrap();
        assert_eq!(walker.wait(), Ok(()));
        assert_eq!(sleeper.wait(), Ok(Err(taskchain_core::Error::Cancelled)));
        assert!(matches!(
            faulty.wait(),
            Err(taskchain_core::Error::Panicked(_))
        ));
        manager.default_chain().shutdown();
        assert_eq!(idle.wait(), Err(taskchain_core::Error::Cancelled));
    });
    assert_eq!(deaths.load(Ordering::SeqCst), 1, "upon_death ran once");
}

#[test]
fn a_subscriber_that_panics_everywhere_changes_no_outcome() {
    tasks_end_under(Panicking);
}

#[test]
fn a_subscriber_that_panics_when_a_run_span_is_left_changes_no_outcome() {
    tasks_end_under(PanicsOnExit(AtomicU64::new(1)));
}
