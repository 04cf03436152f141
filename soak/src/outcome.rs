//! A task's terminal state as the soak observes it, and the verdict on
//! it: what the contract says the task must have ended with, given what
//! happened to it and to what it awaited.

use taskchain::{AnyTask, Error};

use crate::deliberate_panic::panic_message;
use crate::plan::Plan;
use crate::probe::{Probe, Settled};

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It finished; a coroutine's body recorded what it returned (a
    /// recurring task returns nothing).
    Finished(Option<Result<u64, Error>>),
    /// It was cancelled.
    Cancelled,
    /// It panicked, with this message.
    Panicked(String),
}

impl Outcome {
    /// How `task` ended, or `None` while it is not done.
    pub fn observe(task: &AnyTask, probe: &Probe) -> Option<Outcome> {
        if !task.is_done() {
            return None;
        }
        Some(if task.is_cancelled() {
            Outcome::Cancelled
        } else {
            match task.wait_done(None) {
                Err(Error::Panicked(message)) => Outcome::Panicked(message),
                Err(Error::Cancelled) => Outcome::Cancelled,
                _ => Outcome::Finished(probe.returned()),
            }
        })
    }

    /// "finished", "cancelled" or "panicked".
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Finished(_) => "finished",
            Outcome::Cancelled => "cancelled",
            Outcome::Panicked(_) => "panicked",
        }
    }

    /// What awaiting a task that ended like this yields, flattened: the
    /// task's own result if it finished, else its error.
    pub fn awaited(&self) -> Result<u64, Error> {
        match self {
            Outcome::Finished(Some(returned)) => returned.clone(),
            // A recurring task is never awaited; a coroutine that finished
            // without recording a value is reported on its own.
            Outcome::Finished(None) => Err(Error::AlreadyTaken),
            Outcome::Cancelled => Err(Error::Cancelled),
            Outcome::Panicked(message) => Err(Error::Panicked(message.clone())),
        }
    }
}

/// What the checker concludes about one ended task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Its outcome is one the contract allows.
    Right,
    /// It cannot be judged yet: the settler has not recorded how it
    /// settled what the task awaited.
    NotYet,
    /// Its outcome breaks the contract; the message says how.
    Wrong(String),
}

/// What happened to a task, besides its plan, that its verdict depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Treatment {
    /// A cancel was aimed at it, or at a task awaiting it (not through a
    /// shield): it may end cancelled.
    pub cancel_may_reach: bool,
    /// A `cancel()` of it returned true: it must end cancelled (or, if it
    /// panicked in the run the cancel landed in, panicked).
    pub cancel_hit: bool,
    /// Runs of a recurring task.
    pub runs: u32,
}

/// Judges the outcome of the task with soak key `key`. `awaited(k)` is how
/// the task with key `k` ended (`None`: not done); `settled` how the settler
/// treated the promise or event it awaited.
pub fn judge(
    key: u64,
    plan: &Plan,
    outcome: &Outcome,
    treatment: Treatment,
    settled: Option<Settled>,
    awaited: &dyn Fn(u64) -> Option<Outcome>,
) -> Verdict {
    let panicked_as_planned =
        |message: &str| plan.panics() && message == panic_message(key).as_str();
    match outcome {
        Outcome::Cancelled if treatment.cancel_may_reach => return Verdict::Right,
        Outcome::Cancelled => {
            return Verdict::Wrong("cancelled, but no cancel reached it".to_string())
        }
        // A run that panics returns nothing for "cancelled whatever it
        // returned" to override: the panic is what the task reports.
        Outcome::Panicked(message) if panicked_as_planned(message) => return Verdict::Right,
        Outcome::Panicked(message) => {
            return Verdict::Wrong(format!("panicked ({message:?}) but its body does not"))
        }
        // The cancellation delivered at its await, handled by returning it
        // as its value: the task finishes, not cancelled.
        Outcome::Finished(Some(Err(Error::Cancelled))) if treatment.cancel_may_reach => {
            return Verdict::Right
        }
        Outcome::Finished(_) if treatment.cancel_hit => {
            return Verdict::Wrong("cancel() returned true, yet it finished".to_string())
        }
        Outcome::Finished(_) if plan.panics() => {
            return Verdict::Wrong("finished, but its body panics".to_string())
        }
        Outcome::Finished(_) => {}
    }
    let Outcome::Finished(returned) = outcome else {
        unreachable!("every other outcome returned above")
    };
    if let Plan::Recurring { runs, .. } = plan {
        return if treatment.runs == *runs && returned.is_none() {
            Verdict::Right
        } else {
            Verdict::Wrong(format!(
                "finished after {} runs; planned {runs}",
                treatment.runs
            ))
        };
    }
    let Some(returned) = returned else {
        return Verdict::Wrong("finished without its body returning".to_string());
    };
    let expected = match expected_value(plan, settled, awaited) {
        Ok(expected) => expected,
        Err(verdict) => return verdict,
    };
    if *returned == expected {
        Verdict::Right
    } else {
        Verdict::Wrong(format!("returned {returned:?}, expected {expected:?}"))
    }
}

/// What a coroutine that finished must have returned.
fn expected_value(
    plan: &Plan,
    settled: Option<Settled>,
    awaited: &dyn Fn(u64) -> Option<Outcome>,
) -> Result<Result<u64, Error>, Verdict> {
    let done = |k: u64| {
        awaited(k).ok_or_else(|| {
            Verdict::Wrong(format!(
                "finished while task {k}, which it awaited, is not done"
            ))
        })
    };
    Ok(match plan {
        Plan::Leaf { value, .. } => Ok(*value),
        Plan::AwaitPromise(_) | Plan::AwaitEvent(_) => match settled {
            None => return Err(Verdict::NotYet),
            Some(Settled::Set(v) | Settled::Sent(v)) => Ok(v),
            Some(Settled::Cancelled) => Err(Error::Cancelled),
            Some(Settled::Refused) => {
                return Err(Verdict::Wrong(
                    "finished, but its promise was cancelled under it, which only \
                     cancelling the task itself may do"
                        .to_string(),
                ))
            }
        },
        Plan::AwaitTask(b) | Plan::AwaitShield(b) => done(*b)?.awaited().map(|v| v + 1),
        Plan::Gather(children) => {
            let outcomes = children
                .iter()
                .map(|&k| done(k))
                .collect::<Result<Vec<_>, _>>()?;
            // The gather reports the first child that did not finish, in
            // argument order; then the first error a child returned.
            let failed = outcomes.iter().find_map(|o| match o {
                Outcome::Finished(_) => None,
                other => Some(other.awaited()),
            });
            match failed {
                Some(error) => error,
                None => outcomes
                    .iter()
                    .map(Outcome::awaited)
                    .sum::<Result<u64, Error>>(),
            }
        }
        Plan::Panic | Plan::Recurring { .. } => unreachable!("judged above"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::Settlement;
    use std::time::Duration;

    fn none(_: u64) -> Option<Outcome> {
        None
    }

    #[test]
    fn values_follow_from_what_was_awaited() {
        let promise = Plan::AwaitPromise(Settlement::new());
        let finished = |v| Outcome::Finished(Some(v));
        let t = Treatment::default();
        assert_eq!(
            judge(
                1,
                &promise,
                &finished(Ok(4)),
                t,
                Some(Settled::Set(4)),
                &none
            ),
            Verdict::Right
        );
        assert!(matches!(
            judge(
                1,
                &promise,
                &finished(Ok(5)),
                t,
                Some(Settled::Set(4)),
                &none
            ),
            Verdict::Wrong(_)
        ));
        assert_eq!(
            judge(1, &promise, &finished(Ok(4)), t, None, &none),
            Verdict::NotYet
        );
        let child = |k| (k == 2).then(|| Outcome::Panicked("boom".into()));
        assert_eq!(
            judge(
                3,
                &Plan::AwaitTask(2),
                &finished(Err(Error::Panicked("boom".into()))),
                t,
                None,
                &child
            ),
            Verdict::Right
        );
        let leaves = |k| Some(Outcome::Finished(Some(Ok(k))));
        assert_eq!(
            judge(
                9,
                &Plan::Gather(vec![1, 2]),
                &finished(Ok(3)),
                t,
                None,
                &leaves
            ),
            Verdict::Right
        );
    }

    #[test]
    fn cancels_and_panics_need_a_cause() {
        let leaf = Plan::Leaf {
            value: 1,
            pause: Duration::ZERO,
        };
        let t = Treatment::default();
        assert!(matches!(
            judge(1, &leaf, &Outcome::Cancelled, t, None, &none),
            Verdict::Wrong(_)
        ));
        let reached = Treatment {
            cancel_may_reach: true,
            ..t
        };
        assert_eq!(
            judge(1, &leaf, &Outcome::Cancelled, reached, None, &none),
            Verdict::Right
        );
        let hit = Treatment {
            cancel_may_reach: true,
            cancel_hit: true,
            ..t
        };
        assert!(matches!(
            judge(1, &leaf, &Outcome::Finished(Some(Ok(1))), hit, None, &none),
            Verdict::Wrong(_)
        ));
        assert_eq!(
            judge(
                7,
                &Plan::Panic,
                &Outcome::Panicked(panic_message(7)),
                t,
                None,
                &none
            ),
            Verdict::Right
        );
        assert!(matches!(
            judge(
                1,
                &leaf,
                &Outcome::Panicked(panic_message(1)),
                t,
                None,
                &none
            ),
            Verdict::Wrong(_)
        ));
    }
}
