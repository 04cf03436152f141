//! The verdict after shutdown: each promise and task checked against the
//! model of the contract (which values it may hold, whether a cancel could
//! reach it), its callbacks counted, and a late spawn refused.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use taskchain_core::{Error, TaskBuilder, TaskChainExt};

use super::records::{Snap, Target, TaskProbe, Win};
use super::{Case, PANIC_MARKER};
use crate::program::Ending;
use crate::ChainFactory;

impl<F: ChainFactory> Case<'_, F> {
    /// Whether each task and promise may have been cancelled: a cancel was
    /// aimed at it, or at a task awaiting it (not through a shield), or
    /// shutdown found it pending. A coroutine that handled a cancel behind
    /// a shield awaits the promise itself: a second cancel reaches it.
    fn may_be_cancelled(&self, ending: Ending) -> (Vec<bool>, Vec<bool>) {
        let everything = ending == Ending::ShutdownEarly || self.stuck;
        // Cancels that may reach each task: those aimed at it, and one from
        // the coroutine awaiting it (a handle is awaited once).
        let mut cancels: Vec<u32> = self
            .tasks
            .iter()
            .map(|r| r.aims + u32::from(everything))
            .collect();
        let mut promises = vec![false; self.promises.len()];
        // Awaited tasks were spawned before their awaiter: walk backwards.
        for t in (0..self.tasks.len()).rev() {
            if cancels[t] == 0 {
                continue;
            }
            let target = &self.tasks[t].target;
            let (ps, ts) = target.cancel_edges();
            ps.into_iter().for_each(|p| promises[p] = true);
            ts.into_iter().for_each(|c| cancels[c] += 1);
            if let Target::ShieldP(p) = target {
                promises[*p] |= cancels[t] >= 2;
            }
        }
        let tasks = cancels.iter().map(|&n| n > 0).collect();
        (tasks, promises)
    }

    /// What awaiting promise `p` gives, from its final state.
    fn promise_read(&self, p: usize) -> Result<u64, Error> {
        match &self.promises[p].seen {
            Snap::Value(v) => Ok(*v),
            Snap::Cancelled => Err(Error::Cancelled),
            other => Err(Error::Panicked(format!("<model: p{p} is {other:?}>"))),
        }
    }

    /// What awaiting task `t` gives, from its final state.
    fn task_read(&self, t: usize) -> Result<Result<u64, Error>, Error> {
        match &self.tasks[t].seen {
            Snap::Finished => Ok(self.returned(t).unwrap_or(Err(Error::AlreadyTaken))),
            Snap::Cancelled => Err(Error::Cancelled),
            Snap::Panicked(m) => Err(Error::Panicked(m.clone())),
            Snap::Failed(e) => Err(e.clone()),
            other => Err(Error::Panicked(format!("<model: t{t} is {other:?}>"))),
        }
    }

    pub(super) fn returned(&self, t: usize) -> Option<Result<u64, Error>> {
        self.tasks[t]
            .probe
            .returned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The value task `t` must have returned, given what it awaited.
    fn expected(&self, t: usize) -> Result<u64, Error> {
        match &self.tasks[t].target {
            Target::Promise(p) | Target::ShieldP(p) => self.promise_read(*p),
            Target::Task(c) | Target::ShieldT(c) => {
                self.task_read(*c).and_then(|r| r).map(|v| v + 1)
            }
            Target::Pause(ms) => Ok(*ms),
            Target::Unscheduled(ms) => Ok(ms + 1),
            Target::GatherP(ps) => ps.iter().map(|&p| self.promise_read(p)).sum(),
            Target::GatherT(cs) => cs
                .iter()
                .map(|&c| self.task_read(c))
                .collect::<Result<Vec<_>, _>>()
                .and_then(|rs| rs.into_iter().sum()),
        }
    }

    pub(super) fn after_shutdown(&mut self, ending: Ending) {
        let (task_may, promise_may) = self.may_be_cancelled(ending);
        for (p, &may) in promise_may.iter().enumerate() {
            let rec = &self.promises[p];
            let wins: Vec<String> = rec
                .wins
                .iter()
                .map(|w| match w {
                    Win::Set(v) => format!("set({v})"),
                    Win::Cancel => "cancel".into(),
                })
                .collect();
            let problem = match (&rec.seen, rec.wins.as_slice()) {
                (_, [_, _, ..]) => Some("more than one call reported moving it".to_string()),
                (Snap::Value(v), [Win::Set(w)]) if v == w => None,
                (Snap::Value(_), _) => Some("its value is not the one set_result placed".into()),
                (Snap::Cancelled, [Win::Cancel]) => None,
                (Snap::Cancelled, []) if may => None,
                (Snap::Cancelled, []) => {
                    Some("cancelled, but no cancel was aimed at it or at a task awaiting it".into())
                }
                (Snap::Cancelled, _) => Some("cancelled, though set_result succeeded".into()),
                (Snap::Pending, []) if ending == Ending::ShutdownEarly => None,
                (Snap::Pending, _) => Some("still pending".into()),
                (other, _) => Some(format!("in state {other:?}")),
            };
            let calls = rec.probe.callbacks.load(Ordering::SeqCst);
            let want = u32::from(rec.seen != Snap::Pending);
            if let Some(problem) = problem {
                let seen = rec.seen.clone();
                self.fail(format!(
                    "p{p}: {problem} (state {seen:?}, winners {wins:?})"
                ));
            }
            if calls != want {
                self.fail(format!(
                    "p{p}: done callback ran {calls} times, expected {want}"
                ));
            }
        }
        for (t, &may) in task_may.iter().enumerate() {
            let rec = &self.tasks[t];
            let (seen, panics) = (rec.seen.clone(), rec.panics);
            // The error a fallible task propagated, if its await failed
            // (a panic of its own comes first).
            let propagated = match self.returned(t) {
                Some(Err(e)) if rec.fallible && !panics => Some(e),
                _ => None,
            };
            let problem = match &seen {
                Snap::Pending => Some("not done after shutdown".to_string()),
                Snap::Cancelled if propagated == Some(Error::Cancelled) => None,
                Snap::Cancelled if !may => {
                    Some("cancelled, but no cancel was aimed at it or at a task awaiting it".into())
                }
                Snap::Panicked(m) if propagated == Some(Error::Panicked(m.clone())) => None,
                Snap::Panicked(m) if !panics || !m.contains(PANIC_MARKER) => {
                    Some(format!("panicked unexpectedly: {m}"))
                }
                Snap::Failed(e) if propagated.as_ref() == Some(e) => None,
                Snap::Failed(e) => Some(format!("failed with {e:?}, which it did not propagate")),
                Snap::Finished if panics => Some("finished though its body panics".into()),
                Snap::Finished if propagated.is_some() => {
                    Some(format!("finished though it propagated {propagated:?}"))
                }
                // A cancel delivered at its await, handled by returning it
                // as its value.
                Snap::Finished if may && self.returned(t) == Some(Err(Error::Cancelled)) => None,
                Snap::Finished => {
                    let (got, want) = (self.returned(t), self.expected(t));
                    (got.as_ref() != Some(&want))
                        .then(|| format!("returned {got:?}, expected {want:?}"))
                }
                _ => None,
            };
            if let Some(problem) = problem {
                self.fail(format!("t{t}: {problem} (state {seen:?})"));
            }
            let rec = &self.tasks[t];
            let deaths = rec.probe.deaths.load(Ordering::SeqCst);
            let clean = rec.probe.clean.load(Ordering::SeqCst);
            let calls = rec.probe.callbacks.load(Ordering::SeqCst);
            if deaths != 1 {
                self.fail(format!("t{t}: upon_death ran {deaths} times"));
            } else if clean != (seen == Snap::Finished) {
                self.fail(format!(
                    "t{t}: upon_death(clean_exit = {clean}) but it is {seen:?}"
                ));
            }
            if calls != 1 {
                self.fail(format!("t{t}: done callback ran {calls} times"));
            }
        }
        self.record_states(&task_may, &promise_may);
        self.take_violations();
        // A spawn after shutdown is cancelled at once.
        let probe = Arc::new(TaskProbe::default());
        let pr = probe.clone();
        let late = self
            .fx()
            .chain
            .add_task(
                TaskBuilder::coroutine(async { 0u8 }).upon_death(move |clean| {
                    pr.clean.store(clean, Ordering::SeqCst);
                    pr.deaths.fetch_add(1, Ordering::SeqCst);
                }),
            );
        match late {
            Ok(h) if h.is_cancelled() && probe.deaths.load(Ordering::SeqCst) == 1 => {}
            Ok(h) => self.fail(format!(
                "a task spawned after shutdown: cancelled = {}, upon_death ran {} times",
                h.is_cancelled(),
                probe.deaths.load(Ordering::SeqCst)
            )),
            Err(e) => self.fail(format!("add_task after shutdown failed: {e:?}")),
        }
    }

    fn record_states(&mut self, task_may: &[bool], promise_may: &[bool]) {
        for (p, rec) in self.promises.iter().enumerate() {
            self.states.push(format!(
                "p{p}: {:?}{}",
                rec.seen,
                if promise_may[p] {
                    " (a cancel may reach it)"
                } else {
                    ""
                }
            ));
        }
        for (t, rec) in self.tasks.iter().enumerate() {
            self.states.push(format!(
                "t{t}: {:?}, returned {:?}, awaits {:?}{}{}{}",
                rec.seen,
                self.returned(t),
                rec.target,
                if rec.panics { ", panics" } else { "" },
                if rec.fallible { ", fallible" } else { "" },
                if task_may[t] {
                    " (a cancel may reach it)"
                } else {
                    ""
                }
            ));
        }
    }
}
