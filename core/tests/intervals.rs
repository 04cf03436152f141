//! Intervals: stepped once per frame on the chain's clock with `t` from 0 to
//! exactly their duration; composed in sequence and in parallel; awaitable,
//! with pause / resume / stop resolving the awaiter cancelled and finish
//! completing it.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ms, poll_and_drain, setup};
use taskchain_conformance::kit::log::{drain, new_log, push, Log};
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{
    par, play, seq, AsyncFuture, Error, Interval, IntervalChainExt, IntervalHandle, IntervalSeq,
    Lerp, LerpFn, Lerpable, Sequence, TaskBuilder, TaskChain, TaskManager, Wait,
};

/// An interval that logs its hooks and every step, as `name:start`,
/// `name:<t in ms>`, `name:finish`.
struct Rec {
    name: &'static str,
    duration: Duration,
    log: Log,
}

fn rec(log: &Log, name: &'static str, duration_ms: u64) -> Rec {
    Rec {
        name,
        duration: ms(duration_ms),
        log: log.clone(),
    }
}

impl Interval for Rec {
    fn duration(&self) -> Duration {
        self.duration
    }
    fn step(&mut self, t: Duration) {
        push(&self.log, format!("{}:{}", self.name, t.as_millis()));
    }
    fn on_start(&mut self) {
        push(&self.log, format!("{}:start", self.name));
    }
    fn on_finish(&mut self) {
        push(&self.log, format!("{}:finish", self.name));
    }
}

/// Polls a frame, then moves the clock by `frame_ms`; what was logged.
fn frame(
    manager: &TaskManager,
    clock: &taskchain_core::ManualClock,
    log: &Log,
    frame_ms: u64,
) -> Vec<String> {
    let seen = poll_and_drain(manager, log);
    clock.advance(ms(frame_ms));
    seen
}

#[test]
fn steps_once_per_frame_from_zero_to_exactly_its_duration() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 300));
    assert!(
        drain(&log).is_empty(),
        "nothing runs before the chain is polled"
    );
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:start", "a:0"]);
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:100"]);
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:200"]);
    assert!(!handle.is_done());
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:300", "a:finish"]);
    assert!(handle.is_done());
    assert_eq!(handle.result(None), Ok(()));
    assert_eq!(handle.t(), ms(300));
    assert!(
        frame(&manager, &clock, &log, 100).is_empty(),
        "no step after the end"
    );
    assert!(handle.task().is_done());
}

#[test]
fn the_last_step_is_at_the_duration_whatever_the_frame_times() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 300));
    assert_eq!(frame(&manager, &clock, &log, 120), ["a:start", "a:0"]);
    assert_eq!(frame(&manager, &clock, &log, 120), ["a:120"]);
    assert_eq!(frame(&manager, &clock, &log, 120), ["a:240"]);
    assert_eq!(frame(&manager, &clock, &log, 120), ["a:300", "a:finish"]);
    assert!(handle.is_done());
}

#[test]
fn a_frame_without_clock_movement_repeats_t_and_a_clock_set_back_never_goes_backwards() {
    let (clock, manager) = setup();
    let log = new_log();
    let _handle = manager.default_chain().play(rec(&log, "a", 1000));
    assert_eq!(frame(&manager, &clock, &log, 0), ["a:start", "a:0"]);
    assert_eq!(frame(&manager, &clock, &log, 300), ["a:0"]);
    assert_eq!(frame(&manager, &clock, &log, 0), ["a:300"]);
    clock.set(ms(100));
    assert_eq!(frame(&manager, &clock, &log, 0), ["a:300"]);
}

#[test]
fn a_zero_duration_interval_steps_once_at_zero_and_completes() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "z", 0));
    assert_eq!(
        frame(&manager, &clock, &log, 100),
        ["z:start", "z:0", "z:finish"]
    );
    assert_eq!(handle.result(Some(Duration::ZERO)), Ok(()));
    assert!(frame(&manager, &clock, &log, 100).is_empty());
}

#[test]
fn a_lerp_hands_over_the_value_at_each_step_and_exactly_its_ends() {
    let (clock, manager) = setup();
    let values = Arc::new(Mutex::new(Vec::new()));
    let v = values.clone();
    let handle = manager
        .default_chain()
        .play(Lerp::new(0.0_f32, 10.0, ms(1000), move |x| {
            v.lock().unwrap().push(x)
        }));
    while !handle.is_done() {
        manager.poll().unwrap();
        clock.advance(ms(250));
    }
    assert_eq!(*values.lock().unwrap(), [0.0, 2.5, 5.0, 7.5, 10.0]);

    // Ends that a float lerp would round: exactly `to` at the end.
    let last = Arc::new(Mutex::new(None));
    let l = last.clone();
    let odd = manager
        .default_chain()
        .play(Lerp::new(0.1_f64, 0.7, ms(300), move |x| {
            *l.lock().unwrap() = Some(x)
        }));
    manager.poll().unwrap();
    assert_eq!(*last.lock().unwrap(), Some(0.1));
    clock.advance(ms(1000));
    manager.poll().unwrap();
    assert_eq!(*last.lock().unwrap(), Some(0.7));
    assert!(odd.is_done());
}

#[test]
fn lerpable_values() {
    assert_eq!(1.0_f64.lerp(&3.0, 0.25), 1.5);
    assert_eq!(
        [0.0_f32, 4.0, -2.0].lerp(&[2.0, 0.0, 2.0], 0.5),
        [1.0, 2.0, 0.0]
    );
    assert_eq!((0.0_f64, 10.0_f32).lerp(&(1.0, 20.0), 0.5), (0.5, 15.0));
    assert_eq!(
        (0.0_f64, 0.0_f64, 0.0_f32).lerp(&(2.0, 4.0, 8.0), 0.5),
        (1.0, 2.0, 4.0)
    );
}

#[test]
fn a_lerp_fn_gets_the_fraction_done() {
    let (clock, manager) = setup();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let handle = manager
        .default_chain()
        .play(LerpFn::new(ms(400), move |f| s.lock().unwrap().push(f)));
    while !handle.is_done() {
        manager.poll().unwrap();
        clock.advance(ms(100));
    }
    assert_eq!(*seen.lock().unwrap(), [0.0, 0.25, 0.5, 0.75, 1.0]);

    let instant = Arc::new(Mutex::new(Vec::new()));
    let i = instant.clone();
    let handle = manager
        .default_chain()
        .play(LerpFn::new(Duration::ZERO, move |f| {
            i.lock().unwrap().push(f)
        }));
    manager.poll().unwrap();
    assert!(handle.is_done());
    assert_eq!(
        *instant.lock().unwrap(),
        [1.0],
        "an instant action runs once"
    );
}

#[test]
fn a_wait_lasts_its_duration() {
    let (clock, manager) = setup();
    let handle = manager.default_chain().play(Wait::new(ms(200)));
    manager.poll().unwrap();
    clock.advance(ms(199));
    manager.poll().unwrap();
    assert!(!handle.is_done());
    clock.advance(ms(1));
    manager.poll().unwrap();
    assert!(handle.is_done());
}

#[test]
fn a_sequence_steps_children_in_order_each_ending_exactly() {
    let (clock, manager) = setup();
    let log = new_log();
    let s = rec(&log, "a", 200)
        .then(rec(&log, "b", 0))
        .then(rec(&log, "c", 300));
    assert_eq!(s.len(), 3, "then appends to a sequence rather than nesting");
    assert_eq!(s.duration(), ms(500));
    let handle = manager.default_chain().play(s);
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:start", "a:0"]);
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:100"]);
    // On the boundary: a ends, the instant b runs, c starts at 0.
    assert_eq!(
        frame(&manager, &clock, &log, 100),
        ["a:200", "a:finish", "b:start", "b:0", "b:finish", "c:start", "c:0"]
    );
    assert_eq!(frame(&manager, &clock, &log, 100), ["c:100"]);
    assert_eq!(frame(&manager, &clock, &log, 100), ["c:200"]);
    assert!(!handle.is_done());
    assert_eq!(frame(&manager, &clock, &log, 100), ["c:300", "c:finish"]);
    assert!(handle.is_done());
}

#[test]
fn a_frame_that_jumps_over_children_ends_each_in_order() {
    let (clock, manager) = setup();
    let log = new_log();
    let s = seq([
        rec(&log, "a", 100),
        rec(&log, "b", 100),
        rec(&log, "c", 100),
        rec(&log, "d", 100),
    ]);
    let handle = manager.default_chain().play(s);
    assert_eq!(frame(&manager, &clock, &log, 250), ["a:start", "a:0"]);
    assert_eq!(
        frame(&manager, &clock, &log, 250),
        ["a:100", "a:finish", "b:start", "b:100", "b:finish", "c:start", "c:50"]
    );
    assert_eq!(
        frame(&manager, &clock, &log, 250),
        ["c:100", "c:finish", "d:start", "d:100", "d:finish"]
    );
    assert!(handle.is_done());
}

#[test]
fn a_parallel_steps_every_child_and_lasts_the_longest() {
    let (clock, manager) = setup();
    let log = new_log();
    let p = par([rec(&log, "a", 100), rec(&log, "b", 300)]);
    assert_eq!(p.duration(), ms(300));
    let handle = manager.default_chain().play(p);
    assert_eq!(
        frame(&manager, &clock, &log, 100),
        ["a:start", "a:0", "b:start", "b:0"]
    );
    assert_eq!(
        frame(&manager, &clock, &log, 100),
        ["a:100", "a:finish", "b:100"]
    );
    assert_eq!(frame(&manager, &clock, &log, 100), ["b:200"]);
    assert!(!handle.is_done());
    assert_eq!(frame(&manager, &clock, &log, 100), ["b:300", "b:finish"]);
    assert!(handle.is_done());
}

#[test]
fn compositions_nest() {
    let (clock, manager) = setup();
    let log = new_log();
    let nested = seq([
        par([rec(&log, "a", 100), rec(&log, "b", 200)]).boxed(),
        rec(&log, "c", 100).boxed(),
    ]);
    assert_eq!(nested.duration(), ms(300));
    let handle = manager.default_chain().play(nested);
    let mut all = Vec::new();
    while !handle.is_done() {
        all.extend(frame(&manager, &clock, &log, 100));
    }
    assert_eq!(
        all,
        [
            "a:start", "a:0", "b:start", "b:0", //
            "a:100", "a:finish", "b:100", //
            "b:200", "b:finish", "c:start", "c:0", //
            "c:100", "c:finish"
        ]
    );
}

#[test]
fn awaiting_an_interval_from_a_coroutine_completes_when_it_ends() {
    let (clock, manager) = setup();
    let log = new_log();
    let (l, r) = (log.clone(), log.clone());
    let scene = manager.spawn(async move {
        push(&l, "before");
        let played = play(rec(&r, "a", 200))?.await;
        push(&l, "after");
        played
    });
    // Played from a task of the chain, it runs in the same epoch, as any
    // task added during an epoch does (it sorts with the coroutine).
    assert_eq!(
        frame(&manager, &clock, &log, 100),
        ["before", "a:start", "a:0"]
    );
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:100"]);
    // The awaiter resumes in the frame the interval ends.
    assert_eq!(
        frame(&manager, &clock, &log, 100),
        ["a:200", "a:finish", "after"]
    );
    assert_eq!(scene.result(Some(Duration::ZERO)), Ok(Ok(())));
}

#[test]
fn pause_resolves_the_awaiter_cancelled_and_resume_goes_on_from_there() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 300));
    let waiter = {
        let h = handle.clone();
        manager.spawn(h)
    };
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:start", "a:0"]);
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:100"]);

    assert!(handle.pause());
    assert!(!handle.pause(), "paused already");
    assert!(handle.is_paused() && !handle.is_playing());
    assert!(handle.is_cancelled(), "the awaiter is resolved at once");
    manager.poll().unwrap();
    assert_eq!(
        waiter.result(Some(Duration::ZERO)),
        Ok(Err(Error::Cancelled))
    );
    // No step while paused, however long.
    clock.advance(ms(5000));
    assert!(frame(&manager, &clock, &log, 0).is_empty());
    assert!(frame(&manager, &clock, &log, 0).is_empty());
    assert!(
        !handle.task().is_done(),
        "the player task is parked, not gone"
    );

    let resumed = handle.resume().unwrap();
    assert!(handle.is_cancelled(), "the paused handle stays cancelled");
    assert!(!resumed.is_done());
    // It goes on from t = 100, counting time from the resume.
    assert_eq!(frame(&manager, &clock, &log, 150), ["a:100"]);
    assert_eq!(frame(&manager, &clock, &log, 150), ["a:250"]);
    assert_eq!(frame(&manager, &clock, &log, 150), ["a:300", "a:finish"]);
    assert_eq!(resumed.result(Some(Duration::ZERO)), Ok(()));
    assert_eq!(handle.resume().unwrap_err(), Error::AlreadyDone);
}

#[test]
fn resume_of_a_playing_interval_changes_nothing() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 200));
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:start", "a:0"]);
    let same = handle.resume().unwrap();
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:100"]);
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:200", "a:finish"]);
    assert_eq!(same.result(Some(Duration::ZERO)), Ok(()));
    assert_eq!(handle.result(Some(Duration::ZERO)), Ok(()));
}

#[test]
fn pause_before_the_first_run_still_starts_at_zero() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 200));
    assert!(handle.pause());
    assert!(frame(&manager, &clock, &log, 500).is_empty());
    let resumed = handle.resume().unwrap();
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:start", "a:0"]);
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:100"]);
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:200", "a:finish"]);
    assert!(resumed.is_done());
}

#[test]
fn stop_resolves_the_awaiter_cancelled_and_leaves_the_interval_where_it_is() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 300));
    let task = handle.task().clone();
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:start", "a:0"]);
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:100"]);
    assert!(handle.stop());
    assert!(!handle.stop(), "stopped already");
    assert_eq!(handle.result(Some(Duration::ZERO)), Err(Error::Cancelled));
    assert!(
        frame(&manager, &clock, &log, 100).is_empty(),
        "no step, no on_finish"
    );
    assert_eq!(handle.t(), ms(100));
    assert!(task.is_done(), "its task ended");
    assert!(!handle.finish() && !handle.pause());
    assert_eq!(handle.resume().unwrap_err(), Error::AlreadyDone);
}

#[test]
fn stop_of_a_paused_interval_ends_its_parked_task() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 300));
    frame(&manager, &clock, &log, 100);
    assert!(handle.pause());
    manager.poll().unwrap();
    assert!(!handle.task().is_done());
    assert!(handle.stop());
    manager.poll().unwrap();
    assert!(handle.task().is_done());
    assert!(drain(&log).is_empty());
}

#[test]
fn finish_jumps_to_the_end_at_once_and_completes_the_awaiter() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 300));
    let waiter = {
        let h = handle.clone();
        manager.spawn(h)
    };
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:start", "a:0"]);
    assert!(handle.finish());
    // Before it returned: the last step and the hook ran, the play is done.
    assert_eq!(drain(&log), ["a:300", "a:finish"]);
    assert_eq!(handle.result(Some(Duration::ZERO)), Ok(()));
    assert!(!handle.finish(), "ended already");
    assert!(frame(&manager, &clock, &log, 100).is_empty());
    assert_eq!(waiter.result(Some(Duration::ZERO)), Ok(Ok(())));
    assert!(handle.task().is_done());
}

#[test]
fn finish_before_the_first_run_starts_and_ends_it() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager
        .default_chain()
        .play(rec(&log, "a", 100).then(rec(&log, "b", 100)));
    assert!(handle.finish());
    assert_eq!(
        drain(&log),
        ["a:start", "a:100", "a:finish", "b:start", "b:100", "b:finish"]
    );
    assert!(handle.is_done() && !handle.is_cancelled());
    assert!(frame(&manager, &clock, &log, 100).is_empty());
}

#[test]
fn finish_of_a_paused_interval_jumps_to_the_end_but_its_play_stays_cancelled() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 300));
    frame(&manager, &clock, &log, 100);
    assert!(handle.pause());
    assert!(handle.finish());
    assert_eq!(drain(&log), ["a:300", "a:finish"]);
    assert!(handle.is_cancelled());
    manager.poll().unwrap();
    assert!(handle.task().is_done(), "the parked task was woken to end");
}

#[test]
fn controls_from_inside_the_intervals_own_step_do_not_deadlock() {
    let (clock, manager) = setup();
    let log = new_log();
    let slot: Arc<Mutex<Option<IntervalHandle>>> = Arc::default();
    let (s, l) = (slot.clone(), log.clone());
    let skipper = LerpFn::new(ms(1000), move |f| {
        push(&l, format!("{f}"));
        // Not at 1.0: that is the final step the finish itself makes.
        if (0.2..1.0).contains(&f) {
            let me = s.lock().unwrap().clone().unwrap();
            assert!(me.finish());
        }
    });
    let handle = manager.default_chain().play(skipper);
    *slot.lock().unwrap() = Some(handle.clone());
    assert_eq!(frame(&manager, &clock, &log, 200), ["0"]);
    // The finish asked for from inside the step happens when it returns,
    // in the same frame.
    assert_eq!(frame(&manager, &clock, &log, 200), ["0.2", "1"]);
    assert_eq!(handle.result(Some(Duration::ZERO)), Ok(()));
    slot.lock().unwrap().take();

    let stopper_slot: Arc<Mutex<Option<IntervalHandle>>> = Arc::default();
    let (s, l) = (stopper_slot.clone(), log.clone());
    let stopper = LerpFn::new(ms(1000), move |f| {
        push(&l, format!("{f}"));
        let me = s.lock().unwrap().clone();
        if let Some(me) = me {
            assert!(me.stop());
        }
    });
    let handle = manager.default_chain().play(stopper);
    *stopper_slot.lock().unwrap() = Some(handle.clone());
    assert_eq!(frame(&manager, &clock, &log, 200), ["0"]);
    assert!(handle.is_cancelled());
    assert!(frame(&manager, &clock, &log, 200).is_empty());
    stopper_slot.lock().unwrap().take();
}

#[test]
fn cancelling_the_awaiting_coroutine_stops_the_interval() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 1000));
    // Fallible: the cancellation delivered at its await ends it.
    let waiter = {
        let h = handle.clone();
        manager.spawn_fallible(h)
    };
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:start", "a:0"]);
    assert!(waiter.cancel());
    // The player, added first, steps before the waiter sees its cancel.
    assert_eq!(poll_and_drain(&manager, &log), ["a:100"]);
    assert!(waiter.is_cancelled());
    assert!(handle.is_cancelled());
    assert!(!handle.is_playing());
    clock.advance(ms(100));
    assert!(
        poll_and_drain(&manager, &log).is_empty(),
        "the interval stopped"
    );
}

#[test]
fn cancelling_the_handle_stops_only_the_current_play() {
    let (clock, manager) = setup();
    let log = new_log();
    let first = manager.default_chain().play(rec(&log, "a", 1000));
    frame(&manager, &clock, &log, 100);
    assert!(first.pause());
    let second = first.resume().unwrap();
    assert!(
        !first.cancel(),
        "the paused play is over: cancelling it does nothing"
    );
    manager.poll().unwrap();
    assert!(second.is_playing());
    assert!(second.cancel());
    assert!(second.is_cancelled());
    assert!(!second.is_playing());
}

#[test]
fn removing_the_player_task_or_shutting_the_chain_down_cancels_the_awaiter() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 1000));
    frame(&manager, &clock, &log, 100);
    assert!(handle.task().cancel());
    assert_eq!(handle.result(Some(Duration::ZERO)), Err(Error::Cancelled));
    assert_eq!(handle.resume().unwrap_err(), Error::AlreadyDone);

    let anim = manager.make_task_chain("anim").unwrap();
    let playing = anim.play(rec(&log, "b", 1000));
    anim.shutdown();
    assert_eq!(playing.result(Some(Duration::ZERO)), Err(Error::Cancelled));
    let late = anim.play(rec(&log, "c", 1000));
    assert!(late.is_cancelled(), "a shut-down chain cancels at once");
}

#[test]
fn dropping_every_handle_of_a_paused_interval_stops_it() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 1000));
    frame(&manager, &clock, &log, 100);
    let task = handle.task().clone();
    assert!(handle.pause());
    let other = handle.clone();
    drop(handle);
    manager.poll().unwrap();
    assert!(!task.is_done(), "a handle is left to resume it");
    drop(other);
    manager.poll().unwrap();
    assert!(task.is_done(), "nobody can resume it: its task ended");
    assert!(drain(&log).is_empty());
}

#[test]
fn dropping_the_handle_of_a_playing_interval_lets_it_play_on() {
    let (clock, manager) = setup();
    let log = new_log();
    drop(manager.default_chain().play(rec(&log, "a", 100)));
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:start", "a:0"]);
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:100", "a:finish"]);
}

#[test]
fn done_callbacks_run_on_a_later_poll() {
    let (clock, manager) = setup();
    let log = new_log();
    let handle = manager.default_chain().play(rec(&log, "a", 100));
    let l = log.clone();
    handle
        .add_done_callback(move |h: &IntervalHandle| {
            push(&l, format!("callback done={} t={:?}", h.is_done(), h.t()))
        })
        .unwrap();
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:start", "a:0"]);
    assert_eq!(frame(&manager, &clock, &log, 100), ["a:100", "a:finish"]);
    assert_eq!(
        frame(&manager, &clock, &log, 100),
        ["callback done=true t=100ms"]
    );
}

#[test]
fn a_panic_in_the_interval_resolves_the_awaiter_panicked() {
    quiet_panics("boom:");
    let (clock, manager) = setup();
    let boom = LerpFn::new(ms(300), |f| {
        if f > 0.0 {
            panic!("boom: interval");
        }
    });
    let handle = manager.default_chain().play(boom);
    let task = handle.task().clone();
    manager.poll().unwrap();
    clock.advance(ms(100));
    manager.poll().unwrap();
    assert_eq!(
        handle.result(Some(Duration::ZERO)),
        Err(Error::Panicked("boom: interval".into()))
    );
    assert_eq!(
        task.wait_done(Some(Duration::ZERO)),
        Err(Error::Panicked("boom: interval".into()))
    );
    assert!(!handle.finish(), "it ended");

    // From `finish`, the panic is the play's outcome too; finish returns.
    let boom = LerpFn::new(ms(300), |f| {
        if f >= 1.0 {
            panic!("boom: at the end");
        }
    });
    let handle = manager.default_chain().play(boom);
    assert!(handle.finish());
    assert_eq!(
        handle.result(Some(Duration::ZERO)),
        Err(Error::Panicked("boom: at the end".into()))
    );
    manager.poll().unwrap();
    assert!(handle.task().is_done());
}

#[test]
fn start_plays_on_a_chain_given_by_reference() {
    let (clock, manager) = setup();
    let log = new_log();
    let chain: &dyn TaskChain = &**manager.default_chain();
    let handle = rec(&log, "a", 0).start(chain);
    assert_eq!(handle.duration(), Duration::ZERO);
    frame(&manager, &clock, &log, 0);
    assert!(handle.is_done());
}

#[test]
fn play_outside_a_task_is_no_chain() {
    assert_eq!(play(Wait::new(ms(1))).unwrap_err(), Error::NoChain);
}

#[test]
fn bad_durations_are_typed_errors() {
    for secs in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(matches!(
            Lerp::new_secs(0.0, 1.0, secs, |_: f64| {}),
            Err(Error::InvalidDuration(_))
        ));
        assert!(matches!(
            LerpFn::new_secs(secs, |_| {}),
            Err(Error::InvalidDuration(_))
        ));
        assert!(matches!(
            Wait::new_secs(secs),
            Err(Error::InvalidDuration(_))
        ));
    }
    assert_eq!(Wait::new_secs(0.0).unwrap().duration(), Duration::ZERO);
    assert_eq!(
        Lerp::new_secs(0.0, 1.0, 1.5, |_: f64| {})
            .unwrap()
            .duration(),
        ms(1500)
    );
}

#[test]
fn empty_compositions_last_zero_and_complete_at_once() {
    let (_clock, manager) = setup();
    let s = IntervalSeq::new();
    assert!(s.is_empty());
    let a = manager.default_chain().play(s);
    let b = manager.default_chain().play(par(Vec::<Wait>::new()));
    manager.poll().unwrap();
    assert!(a.is_done() && b.is_done());
    assert_eq!((a.result(None), b.result(None)), (Ok(()), Ok(())));
}

#[test]
fn huge_durations_saturate_instead_of_overflowing() {
    let s = Wait::new(Duration::MAX).then(Wait::new(Duration::MAX));
    assert_eq!(s.duration(), Duration::MAX);
}

#[test]
fn a_task_sequence_of_coroutines_playing_intervals() {
    let (clock, manager) = setup();
    let log = new_log();
    let (a, b) = (log.clone(), log.clone());
    let steps = Sequence::new()
        .then_coroutine(async move { play(rec(&a, "a", 100))?.await })
        .then_coroutine(async move { play(rec(&b, "b", 100))?.await });
    let handle = manager.add_task(TaskBuilder::new(steps)).unwrap();
    let mut all = Vec::new();
    for _ in 0..10 {
        if handle.is_done() {
            break;
        }
        all.extend(frame(&manager, &clock, &log, 100));
    }
    assert_eq!(
        all,
        ["a:start", "a:0", "a:100", "a:finish", "b:start", "b:0", "b:100", "b:finish"]
    );
    assert_eq!(
        handle.result(Some(Duration::ZERO)),
        Ok(vec![Ok(()), Ok(())])
    );
}

#[test]
fn cutscene_disables_input_awaits_intervals_and_reenables_it() {
    let (clock, manager) = setup();
    let input = Arc::new(AtomicBool::new(true));
    let camera = Arc::new(Mutex::new(0.0_f32));
    let scene = {
        let (input, cam) = (input.clone(), camera.clone());
        manager.spawn(async move {
            input.store(false, Ordering::SeqCst);
            let c = cam.clone();
            let shots = Lerp::new(0.0_f32, 4.0, ms(400), move |x| *c.lock().unwrap() = x)
                .then(Wait::new(ms(200)));
            let played = play(shots)?.await;
            input.store(true, Ordering::SeqCst);
            played
        })
    };
    let mut input_off_frames = 0;
    while !scene.is_done() {
        manager.poll().unwrap();
        if !input.load(Ordering::SeqCst) {
            input_off_frames += 1;
        }
        clock.advance(ms(100));
    }
    assert_eq!(scene.result(None), Ok(Ok(())));
    assert!(input.load(Ordering::SeqCst));
    assert_eq!(*camera.lock().unwrap(), 4.0);
    // Frames at t = 0..=600 ms: input is off after each from the first to
    // t = 500; in the frame at t = 600 the intervals end and the coroutine,
    // woken in that frame, re-enables it.
    assert_eq!(input_off_frames, 6);
}
