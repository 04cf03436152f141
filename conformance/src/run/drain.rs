//! The drain ending: every pending promise settled, then the clock advanced
//! and the chain driven until every task is done, or the liveness check
//! fails.

use std::sync::Arc;
use std::time::{Duration, Instant};

use taskchain_core::AsyncFuture;

use super::records::PVal;
use super::Case;
use crate::scenarios::support::in_call;
use crate::ChainFactory;

/// Drain rounds (each advances the clock and drives once) before a task
/// still pending counts as lost, provided [`SETTLE_TIME`] passed too.
const DRAIN_ROUNDS: u32 = 400;

/// Wall time a threaded chain gets to settle during the drain.
const SETTLE_TIME: Duration = Duration::from_secs(1);

/// Clock advance per drain round.
const DRAIN_STEP: Duration = Duration::from_millis(25);

/// Value the drain sets on promise `i`: `DRAIN_VALUE + i`.
const DRAIN_VALUE: u64 = 1000;

impl<F: ChainFactory> Case<'_, F> {
    fn all_settled(&self) -> bool {
        self.tasks.iter().all(|r| r.any.is_done())
            && self.promises.iter().all(|r| r.promise.is_done())
            && self.fx().chain.stats().total() == 0
    }

    /// Settles every pending promise, then advances the clock and drives
    /// until every task is done.
    pub(super) fn drain(&mut self) {
        for p in 0..self.promises.len() {
            if !self.promises[p].promise.is_done() {
                let v = DRAIN_VALUE + p as u64;
                let value = PVal {
                    v,
                    _token: Arc::new(self.live.token()),
                };
                let r = in_call(|| self.promises[p].promise.set_result(value));
                self.log(format!("drain: set p{p} = {v} -> {r:?}"));
                self.record_set(p, v, r);
            }
        }
        let start = Instant::now();
        let mut rounds = 0u32;
        while !self.all_settled() {
            if rounds >= DRAIN_ROUNDS && start.elapsed() >= SETTLE_TIME {
                let stuck: Vec<String> = (0..self.tasks.len())
                    .filter(|&t| !self.tasks[t].any.is_done())
                    .map(|t| {
                        let any = &self.tasks[t].any;
                        format!(
                            "t{t} (cancel requested: {}, sleeping: {}, {any:?})",
                            any.is_cancel_requested(),
                            any.is_sleeping()
                        )
                    })
                    .collect();
                let stats = self.fx().chain.stats();
                self.fail(format!(
                    "liveness: after {rounds} drain rounds (every promise settled, clock \
                     advanced {:?}) still pending: [{}]; chain stats {stats:?}",
                    DRAIN_STEP * rounds,
                    stuck.join(", ")
                ));
                self.stuck = true;
                return;
            }
            self.fx().clock.advance(DRAIN_STEP);
            if let Err(e) = self.drive() {
                self.fail(format!("drain: {e}"));
                return;
            }
            rounds += 1;
        }
        self.log(format!("drain: settled after {rounds} rounds"));
        let waited = self.fx().chain.wait_for_tasks(Some(SETTLE_TIME));
        if waited.is_err() {
            self.fail(format!(
                "wait_for_tasks on a settled chain returned {waited:?}"
            ));
        }
        self.observe_all();
    }
}
