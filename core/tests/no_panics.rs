//! No public function panics on any argument value: every call with
//! arbitrary durations, seconds, sorts, priorities, names, patterns, thread
//! counts and settings returns (a value or a typed `Error`), and the
//! manager keeps working afterwards.
//!
//! Each property runs the calls under `catch_unwind` and names the call
//! that panicked, so a failure says what to fix.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use common::{setup, ThreadRuntime};
use proptest::prelude::*;
use taskchain_conformance::kit::valgrind::under_valgrind;
use taskchain_core::{
    duration_from_secs, gather, pause, pause_secs, seq, shield, AsyncFuture, ChainSettings, Clock,
    DoneStatus, Error, Interval, IntervalChainExt, Lerp, LerpFn, ManualClock, Promise, TaskBuilder,
    TaskChain, TaskManager, Wait,
};

/// 256 cases each; 16 under valgrind, which runs every core test binary
/// in CI and is some fifty times slower.
fn cases() -> u32 {
    if under_valgrind() {
        16
    } else {
        256
    }
}

/// Runs `call`, failing the property with `what` if it panics.
fn no_panic<T>(what: &str, call: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    catch_unwind(AssertUnwindSafe(call))
        .map_err(|p| TestCaseError::fail(format!("{what} panicked: {:?}", Error::from_panic(&*p))))
}

/// Any duration, with the edges (zero, one nanosecond, the largest)
/// drawn often.
fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::from_nanos(1)),
        Just(Duration::MAX),
        Just(Duration::from_secs(u64::MAX / 2)),
        (0u64..5_000_000_000).prop_map(Duration::from_nanos),
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

/// Any `f64`, with NaN, the infinities, negative zero, tiny and huge
/// values drawn often.
fn any_secs() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX),
        Just(-1.0),
        Just(1e20),
        -1e3..1e3f64,
        any::<f64>(),
    ]
}

fn any_i32() -> impl Strategy<Value = i32> {
    prop_oneof![
        Just(i32::MIN),
        Just(i32::MAX),
        Just(0),
        Just(-1),
        any::<i32>()
    ]
}

/// Names and glob patterns: empty, glob characters only, unicode, NUL.
fn any_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("*".to_owned()),
        Just("**?*".to_owned()),
        Just("\0".to_owned()),
        Just("é*ü?".to_owned()),
        "[*?a-c\\\\\\[\\]]{0,12}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn seconds_give_a_duration_or_invalid_duration(secs in any_secs()) {
        let valid = Duration::try_from_secs_f64(secs).is_ok();
        let (clock, manager) = setup();
        let before = clock.now();
        let results = [
            ("duration_from_secs", no_panic("duration_from_secs", || duration_from_secs(secs).map(drop))?),
            ("pause_secs", no_panic("pause_secs", || pause_secs(secs).map(drop))?),
            ("delay_secs", no_panic("delay_secs", || TaskBuilder::coroutine(async {}).delay_secs(secs).map(drop))?),
            ("advance_secs", no_panic("advance_secs", || clock.advance_secs(secs))?),
            ("frame_budget_secs", no_panic("frame_budget_secs", || ChainSettings::default().frame_budget_secs(secs).map(drop))?),
            ("Wait::new_secs", no_panic("Wait::new_secs", || Wait::new_secs(secs).map(drop))?),
            ("Lerp::new_secs", no_panic("Lerp::new_secs", || Lerp::new_secs(0.0, 1.0, secs, |_: f64| {}).map(drop))?),
            ("LerpFn::new_secs", no_panic("LerpFn::new_secs", || LerpFn::new_secs(secs, |_| {}).map(drop))?),
        ];
        let handle = manager.spawn(std::future::pending::<()>());
        let set = no_panic("set_delay_secs", || handle.set_delay_secs(secs))?;
        for (what, r) in results.into_iter().chain([("set_delay_secs", set)]) {
            match r {
                Ok(()) => prop_assert!(valid, "{what}({secs}) accepted"),
                Err(Error::InvalidDuration(_)) => prop_assert!(!valid, "{what}({secs}) refused"),
                Err(e) => prop_assert!(false, "{what}({secs}) gave {e:?}"),
            }
        }
        if !valid {
            prop_assert_eq!(clock.now(), before, "a refused advance moved the clock");
        }
    }

    #[test]
    fn any_duration_anywhere(d in any_duration(), step in any_duration()) {
        let clock = ManualClock::with_tick_step(step);
        let manager = TaskManager::with_clock(clock.clone());
        no_panic("ManualClock::advance/set/tick", || {
            clock.advance(d);
            clock.tick();
            clock.set(d);
            clock.tick();
            clock.set(Duration::ZERO);
        })?;
        let delayed = no_panic("delay", || manager.add_task(TaskBuilder::coroutine(async { 1 }).delay(d)))?;
        let delayed = delayed.map_err(|e| TestCaseError::fail(format!("delay({d:?}): {e:?}")))?;
        let paused = no_panic("pause", || manager.spawn(async move { pause(d).await.map(|()| 2) }))?;
        let again = no_panic("set_delay", || {
            manager.add(move |ctx: &taskchain_core::TaskContext<'_>| {
                ctx.set_delay(Some(d));
                DoneStatus::Again
            })
        })?;
        no_panic("set_delay on a handle", || again.set_delay(Some(d)))?;
        let waits = no_panic("play(Wait)", || manager.default_chain().play(Wait::new(d)))?;
        let lerp = no_panic("play(Lerp)", || {
            manager.default_chain().play(Interval::then(Lerp::new(0.0, 1.0, d, |_: f64| {}), LerpFn::new(d, |_| {})))
        })?;
        for _ in 0..3 {
            no_panic("poll", || manager.poll())?.map_err(|e| TestCaseError::fail(format!("poll: {e:?}")))?;
            no_panic("advance", || clock.advance(d))?;
        }
        no_panic("wait_for_tasks(d)", || {
            let _ = manager.default_chain().wait_for_tasks(Some(d.min(Duration::from_millis(1))));
        })?;
        no_panic("result(Some(d)) of a done future", || {
            let p = Promise::new();
            p.set_result(3).unwrap();
            p.result(Some(d))
        })?.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        no_panic("frame_budget", || manager.default_chain().configure(ChainSettings::default().frame_budget(Some(d))))?
            .map_err(|e| TestCaseError::fail(format!("frame_budget({d:?}): {e:?}")))?;
        no_panic("poll with a budget", || manager.poll())?.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        no_panic("shutdown", || manager.shutdown())?;
        for done in [delayed.is_done(), paused.is_done(), again.is_done(), waits.is_done(), lerp.is_done()] {
            prop_assert!(done, "a task outlived shutdown");
        }
    }

    #[test]
    fn any_sort_and_priority(orders in proptest::collection::vec((any_i32(), any_i32()), 1..24), timeslice in any::<bool>()) {
        let (_clock, manager) = setup();
        manager.default_chain().configure(ChainSettings::default().timeslice_priority(timeslice)).unwrap();
        let mut handles = Vec::new();
        for &(sort, priority) in &orders {
            let h = no_panic("sort/priority", || {
                manager.add_task(TaskBuilder::recurring(|_: &taskchain_core::TaskContext<'_>| DoneStatus::Cont).sort(sort).priority(priority))
            })?.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            handles.push(h);
        }
        for (i, h) in handles.iter().enumerate() {
            let (sort, priority) = orders[orders.len() - 1 - i];
            no_panic("set_sort/set_priority", || { h.set_sort(sort); h.set_priority(priority); })?;
        }
        for _ in 0..4 {
            no_panic("poll", || manager.poll())?.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        }
        manager.shutdown();
        prop_assert!(handles.iter().all(|h| h.is_cancelled()));
    }

    #[test]
    fn any_name_or_pattern(names in proptest::collection::vec(any_name(), 1..6), pattern in any_name()) {
        let (_clock, manager) = setup();
        for name in &names {
            no_panic("name", || manager.add_task(TaskBuilder::coroutine(std::future::pending::<()>()).name(name)))?
                .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        }
        if let Some(first) = manager.find_task(&names[0]) {
            no_panic("set_name", || first.set_name(&pattern))?;
            prop_assert_eq!(first.name(), Some(pattern.as_str()));
            prop_assert!(manager.find_tasks(&pattern).contains(&first), "found under its new name");
            first.set_name(&names[0]);
        }
        no_panic("find_task", || manager.find_task(&pattern))?;
        no_panic("find_tasks", || manager.find_tasks(&pattern))?;
        let matching = no_panic("find_tasks_matching", || manager.find_tasks_matching(&pattern))?;
        prop_assert!(matching.len() <= names.len());
        let chain = no_panic("make_task_chain", || manager.make_task_chain(&pattern))?;
        let made = chain.is_ok();
        match chain {
            Ok(_) => prop_assert!(manager.find_chain(&pattern).is_ok()),
            Err(Error::DuplicateChain(_)) => prop_assert_eq!(pattern.as_str(), taskchain_core::DEFAULT_CHAIN),
            Err(Error::InvalidSetting(_)) => prop_assert!(pattern.contains('\0'), "{pattern:?} refused"),
            Err(e) => prop_assert!(false, "make_task_chain({pattern:?}): {e:?}"),
        }
        no_panic("find_chain", || manager.find_chain(&names[0]).map(drop))?.ok();
        let to_unknown = no_panic("chain(unknown)", || {
            manager.add_task(TaskBuilder::coroutine(async {}).chain(&format!("{pattern}-missing")))
        })?;
        prop_assert!(matches!(to_unknown, Err(Error::UnknownChain(_))), "{to_unknown:?}");
        let sent = no_panic("send", || manager.send(&pattern, 1u8))?;
        prop_assert_eq!(sent.is_err(), pattern.is_empty());
        let future = no_panic("event_future", || manager.event_future::<u8>(&pattern))?;
        prop_assert_eq!(future.is_err(), pattern.is_empty());
        let done_event = no_panic("done_event", || TaskBuilder::coroutine(async {}).done_event(&manager.messenger(), &pattern).map(drop))?;
        prop_assert_eq!(done_event.is_err(), pattern.is_empty());
        let matched = manager.find_tasks_matching(&pattern).len();
        let removed = no_panic("remove_by_name", || manager.remove_by_name(&pattern))?;
        prop_assert_eq!(removed, names.iter().filter(|n| **n == pattern).count());
        // What remove_by_name left of the matches.
        let removed_matching = no_panic("remove_matching", || manager.remove_matching(&pattern))?;
        prop_assert_eq!(removed_matching, matched - removed);
        match no_panic("remove_chain", || manager.remove_chain(&pattern))? {
            Ok(()) => prop_assert!(made),
            Err(Error::InvalidSetting(_)) => prop_assert_eq!(pattern.as_str(), taskchain_core::DEFAULT_CHAIN),
            Err(Error::UnknownChain(_)) => prop_assert!(!made),
            Err(e) => prop_assert!(false, "remove_chain({pattern:?}): {e:?}"),
        }
        no_panic("poll and shutdown", || { manager.poll().unwrap(); manager.shutdown(); })?;
    }

    #[test]
    fn any_thread_count_and_settings(
        threads in prop_oneof![Just(0usize), Just(1), Just(2), Just(usize::MAX), Just(taskchain_core::MAX_THREADS), Just(taskchain_core::MAX_THREADS + 1), any::<usize>()],
        sync in any::<bool>(),
        tick in any::<bool>(),
        budget in proptest::option::of(any_duration()),
    ) {
        let (_clock, manager) = setup();
        let settings = ChainSettings::default()
            .num_threads(threads)
            .frame_sync(sync)
            .tick_clock(tick)
            .frame_budget(budget);
        let frame = no_panic("configure on a frame chain", || manager.default_chain().configure(settings.clone()))?;
        prop_assert_eq!(frame.is_ok(), threads == 0, "{:?}", frame);
        // Only small counts would start anything: the refusals come first.
        if threads <= 2 || threads > taskchain_core::MAX_THREADS || budget.is_some() {
            let made = no_panic("make_threaded_chain", || {
                manager.make_threaded_chain("threaded", settings.clone(), Arc::new(ThreadRuntime))
            })?;
            let refused = budget.is_some() || threads > taskchain_core::MAX_THREADS;
            prop_assert_eq!(made.is_err(), refused, "{:?}", made.map(|c| c.name().to_owned()));
            if let Ok(chain) = made {
                let again = no_panic("configure on a threaded chain", || chain.configure(settings.clone()))?;
                prop_assert!(again.is_ok(), "{again:?}");
                let other = no_panic("configure another count", || chain.configure(settings.clone().num_threads(threads.saturating_add(1))))?;
                prop_assert!(matches!(other, Err(Error::InvalidSetting(_))), "{other:?}");
                no_panic("threaded shutdown", || chain.shutdown())?;
            }
        }
        no_panic("shutdown", || manager.shutdown())?;
    }
}

#[test]
fn empty_and_degenerate_combinators_complete() {
    let (_clock, manager) = setup();
    let empty = gather(Vec::<Promise<u8>>::new());
    assert_eq!(manager.run_until(&empty), Ok(vec![]));
    let done = Promise::new();
    done.set_result(5).unwrap();
    assert_eq!(manager.run_until(&shield(done)), Ok(5));
    let nothing = manager.default_chain().play(seq(Vec::<Wait>::new()));
    manager.poll().unwrap();
    assert!(nothing.is_done());
    let zero = manager
        .default_chain()
        .play(Lerp::new(0.0, 1.0, Duration::ZERO, |_: f64| {}));
    manager.poll().unwrap();
    assert!(zero.is_done());
}
