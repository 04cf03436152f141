//! Behaviour scenarios: one small program per behaviour of the contract,
//! each checking its outcome exactly, generic over a
//! [`ChainFactory`].
//!
//! Scenarios never depend on how fast anything runs. They wait for an
//! outcome ([`settle`](crate::settle)), never for an amount of time; they
//! step the chain one epoch at a time where the order of runs matters
//! ([`Stepper`](crate::Stepper)); and where the contract differs by chain
//! kind (the full run order holds only with at most one worker; a threaded
//! chain refuses a frame budget; it ticks an empty clock only with
//! `frame_sync`) they branch on [`ChainFactory::threads`].
//!
//! ```no_run
//! use taskchain_conformance::{run_scenario, run_scenarios, FrameChainFactory};
//!
//! run_scenarios(FrameChainFactory::new());
//! run_scenario(FrameChainFactory::new(), "order/sort_barrier");
//! ```

mod awaiting;
mod callbacks;
mod cancel;
mod compose;
mod cross_thread;
mod deaths;
mod delays;
mod faults;
mod gather;
mod groups;
mod lifecycle;
mod names;
mod order;
mod panic_matrix;
mod panics;
mod pin_contract;
mod shield;
mod statuses;
mod streams;
pub(crate) mod support;

use std::sync::{mpsc, Arc};
use std::time::Duration;

use crate::ChainFactory;

/// One scenario: builds its own fixtures from the factory and panics, with
/// a message saying what broke, when the chain does not conform.
pub type Scenario = fn(&dyn ChainFactory);

/// The environment variable that selects scenarios: only those whose name
/// contains its value run (for instance `order/` or `faults/`).
pub const SCENARIO_ENV: &str = "TASKCHAIN_SCENARIO";

/// How long one scenario may run before it counts as hung: far beyond what
/// any needs (each waits at most [`SETTLE_TIMEOUT`](crate::SETTLE_TIMEOUT)
/// for any one thing).
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(60);

static SCENARIOS: &[(&str, Scenario)] = &[
    (
        "order/sort_priority_insertion",
        order::sort_priority_insertion,
    ),
    (
        "order/start_time_before_insertion",
        order::start_time_before_insertion,
    ),
    ("order/resort_queued_task", order::resort_queued_task),
    ("order/added_during_epoch", order::added_during_epoch),
    ("order/woken_during_epoch", order::woken_during_epoch),
    ("order/sort_barrier", order::sort_barrier),
    ("order/timeslice_priority", order::timeslice_priority),
    ("statuses/done_exit_cont", statuses::done_exit_cont),
    ("statuses/again_with_delay", statuses::again_with_delay),
    ("statuses/pickup", statuses::pickup),
    ("statuses/coroutines", statuses::coroutines),
    (
        "statuses/configure_round_trip",
        statuses::configure_round_trip,
    ),
    (
        "awaiting/unscheduled_task_runs_on_the_awaiting_chain",
        awaiting::unscheduled_task_runs_on_the_awaiting_chain,
    ),
    (
        "awaiting/done_does_not_suspend",
        awaiting::done_does_not_suspend,
    ),
    ("delays/delayed_spawn", delays::delayed_spawn),
    (
        "delays/pause_resumes_after_its_time",
        delays::pause_resumes_after_its_time,
    ),
    ("delays/next_frame_and_age", delays::next_frame_and_age),
    ("cancel/queued", cancel::queued),
    ("cancel/sleeping", cancel::sleeping),
    (
        "cancel/running_cancels_itself",
        cancel::running_cancels_itself,
    ),
    (
        "cancel/running_cancelled_from_another_thread",
        cancel::running_cancelled_from_another_thread,
    ),
    ("cancel/suspended_coroutine", cancel::suspended_coroutine),
    ("cancel/escapes_a_coroutine", cancel::escapes_a_coroutine),
    ("cancel/propagates_down", cancel::propagates_down),
    (
        "cancel/remove_by_name_and_handle",
        cancel::remove_by_name_and_handle,
    ),
    (
        "cancel/upon_death_exactly_once",
        cancel::upon_death_exactly_once,
    ),
    ("names/names_globs_listings", names::names_globs_listings),
    (
        "gather/results_in_argument_order",
        gather::results_in_argument_order,
    ),
    ("gather/empty_is_done", gather::empty_is_done),
    ("gather/cancelled_child", gather::cancelled_child),
    (
        "gather/cancel_cancels_children",
        gather::cancel_cancels_children,
    ),
    (
        "shield/follows_inner_not_back",
        shield::follows_inner_not_back,
    ),
    (
        "shield/cancelled_awaiter_goes_on",
        shield::cancelled_awaiter_goes_on,
    ),
    ("shield/refused_cancels", shield::refused_cancels),
    (
        "callbacks/later_once_on_the_chain",
        callbacks::later_once_on_the_chain,
    ),
    (
        "panics/caught_and_the_chain_goes_on",
        panics::caught_and_the_chain_goes_on,
    ),
    ("panics/panicking_callback", panics::panicking_callback),
    (
        "panics/every_pair_of_sites",
        panic_matrix::every_pair_of_sites,
    ),
    ("pin/complete", pin_contract::complete),
    ("pin/cancel_queued", pin_contract::cancel_queued),
    ("pin/cancel_suspended", pin_contract::cancel_suspended),
    ("pin/cancel_running", pin_contract::cancel_running),
    ("pin/remove_by_name", pin_contract::remove_by_name),
    ("pin/shutdown", pin_contract::shutdown),
    ("pin/manager_drop", pin_contract::manager_drop),
    ("pin/panic", pin_contract::panic),
    (
        "cross_thread/set_result_on_another_thread_wakes_the_awaiter",
        cross_thread::set_result_on_another_thread_wakes_the_awaiter,
    ),
    (
        "cross_thread/blocking_result_from_plain_threads",
        cross_thread::blocking_result_from_plain_threads,
    ),
    ("lifecycle/wait_for_tasks", lifecycle::wait_for_tasks),
    ("lifecycle/shutdown", lifecycle::shutdown),
    ("lifecycle/frame_sync", lifecycle::frame_sync),
    ("faults/woken_task_is_rerun", faults::woken_task_is_rerun),
    (
        "faults/completion_mid_poll_is_not_lost",
        faults::completion_mid_poll_is_not_lost,
    ),
    (
        "faults/pause_runs_on_the_awaiting_chain",
        faults::pause_runs_on_the_awaiting_chain,
    ),
    (
        "faults/tick_clock_ticks_with_no_tasks",
        faults::tick_clock_ticks_with_no_tasks,
    ),
    (
        "groups/values_in_spawn_order",
        groups::values_in_spawn_order,
    ),
    (
        "groups/first_failure_cancels_the_rest",
        groups::first_failure_cancels_the_rest,
    ),
    (
        "groups/drop_cancels_running_children",
        groups::drop_cancels_running_children,
    ),
    (
        "groups/cancelled_awaiter_cancels_children",
        groups::cancelled_awaiter_cancels_children,
    ),
    ("groups/across_chains", groups::across_chains),
    (
        "compose/tuple_gather_over_a_task_and_a_promise",
        compose::tuple_gather_over_a_task_and_a_promise,
    ),
    (
        "compose/wait_for_times_out_on_the_chain_clock",
        compose::wait_for_times_out_on_the_chain_clock,
    ),
    (
        "callbacks/registration_order",
        callbacks::registration_order,
    ),
    (
        "callbacks/call_soon_and_later",
        callbacks::call_soon_and_later,
    ),
    (
        "streams/reads_every_send_from_another_thread_in_order",
        streams::reads_every_send_from_another_thread_in_order,
    ),
    (
        "streams/cancel_reaches_the_await",
        streams::cancel_reaches_the_await,
    ),
    (
        "lifecycle/upon_death_receives_the_task",
        deaths::upon_death_receives_the_task,
    ),
];

/// Every scenario, by name (`area/behaviour`), in the order
/// [`run_scenarios`] runs them.
pub fn scenarios() -> &'static [(&'static str, Scenario)] {
    SCENARIOS
}

/// Runs one scenario on its own thread under the watchdog; `Err` holds
/// why it failed.
fn run_one(factory: &Arc<dyn ChainFactory>, name: &str, scenario: Scenario) -> Result<(), String> {
    crate::quiet_deliberate_panics();
    let (tx, rx) = mpsc::channel();
    let factory = factory.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("scenario {name}"))
        .spawn(move || {
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(&*factory)));
            let _ = tx.send(outcome.map_err(|payload| crate::panic_text(&*payload)));
        });
    if let Err(e) = spawned {
        return Err(format!("cannot spawn the scenario's thread: {e}"));
    }
    match rx.recv_timeout(SCENARIO_TIMEOUT) {
        Ok(outcome) => outcome,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
            "watchdog: still running after {SCENARIO_TIMEOUT:?} (the thread is left behind)"
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err("the scenario's thread died without a result".into())
        }
    }
}

/// Runs the scenario named `name` against chains from `factory`.
///
/// # Panics
///
/// If it fails (the message names it, the chain, and what broke) or no
/// scenario has that name.
pub fn run_scenario(factory: impl ChainFactory, name: &str) {
    let Some(&(name, scenario)) = SCENARIOS.iter().find(|(n, _)| *n == name) else {
        panic!("no scenario named {name:?}; see scenarios()");
    };
    let factory: Arc<dyn ChainFactory> = Arc::new(factory);
    if let Err(why) = run_one(&factory, name, scenario) {
        panic!("scenario {name} failed on {}: {why}", factory.name());
    }
}

/// Runs every scenario (those selected by [`SCENARIO_ENV`], if set)
/// against chains from `factory`, each on its own thread under a watchdog,
/// and reports every failure, not just the first.
///
/// # Panics
///
/// If any scenario fails: the message lists each failing scenario by name
/// with what broke.
pub fn run_scenarios(factory: impl ChainFactory) {
    let filter = std::env::var(SCENARIO_ENV).unwrap_or_default();
    let factory: Arc<dyn ChainFactory> = Arc::new(factory);
    let mut failures = Vec::new();
    let mut ran = 0;
    for &(name, scenario) in SCENARIOS.iter().filter(|(n, _)| n.contains(&filter)) {
        ran += 1;
        if let Err(why) = run_one(&factory, name, scenario) {
            failures.push(format!("  - {name}: {why}"));
        }
    }
    assert!(
        ran > 0,
        "no scenario matches {SCENARIO_ENV}={filter:?}; see scenarios()"
    );
    if !failures.is_empty() {
        panic!(
            "{} of {ran} scenarios failed on {}:\n{}",
            failures.len(),
            factory.name(),
            failures.join("\n")
        );
    }
}
