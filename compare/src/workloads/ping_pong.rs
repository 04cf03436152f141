//! `ping_pong`: two tasks exchanging 1,000 messages each way, each message
//! a fresh single-value channel carrying the channel for the answer.
//!
//! The channel is a taskchain `Promise` on every subject (executor-agnostic,
//! so only the scheduling differs), and every subject runs the same two
//! tasks, the same number of round trips:
//!
//! - taskchain frame chain and threaded chains: both tasks spawned on the
//!   chain;
//! - tokio, async-executor, async-std, the raw thread pool: both tasks
//!   spawned on the runtime;
//! - the floor: both tasks spawned on it and run inside its `block_on`,
//!   each wake a push onto its queue.

use std::time::{Duration, Instant};

use taskchain::Promise;

use super::exec::Exec;
use super::stats::ns_per;
use crate::{Metric, Mode, Sample, Subject, Workload};

/// The workload.
pub(crate) const PING_PONG: Workload = Workload {
    name: "ping_pong",
    about: "two tasks exchanging 1,000 round trips; every message is a new \
            taskchain Promise (on every subject) carrying the one for the \
            answer",
    metrics: &[Metric::lower("ns/round trip", "ns")],
    applies_to: super::runs_futures,
    run,
};

/// Round trips per exchange.
fn rounds(mode: Mode) -> u32 {
    match mode {
        Mode::Smoke => 50,
        Mode::Quick | Mode::Full => 1_000,
    }
}

/// Timed exchanges per sample, after one untimed.
fn reps(mode: Mode) -> u32 {
    match mode {
        Mode::Smoke => 1,
        Mode::Quick => 20,
        Mode::Full => 100,
    }
}

fn run(subject: Subject, mode: Mode) -> Result<Sample, String> {
    let exec = Exec::new(subject)?;
    let rounds = rounds(mode);
    let reps = reps(mode);
    exchange(&exec, rounds)?;
    let mut total = Duration::ZERO;
    for _ in 0..reps {
        total += exchange(&exec, rounds)?;
    }
    Ok(vec![ns_per(total, (rounds * reps) as usize)])
}

/// One exchange of `rounds` round trips, timed from the spawn of the two
/// tasks to the end of both.
fn exchange(exec: &Exec, rounds: u32) -> Result<Duration, String> {
    let spawner = exec.spawner();
    exec.block_on(async move {
        let start = Instant::now();
        let first = Promise::new();
        let a = spawner.spawn(ping(first.clone(), rounds));
        let b = spawner.spawn(pong(first, rounds));
        a.await??;
        b.await??;
        Ok(start.elapsed())
    })?
}

/// A message: a number, and the promise to answer on.
#[derive(Clone)]
struct Msg(u32, Promise<Msg>);

async fn ping(mut to_pong: Promise<Msg>, rounds: u32) -> Result<(), String> {
    for i in 0..rounds {
        let reply = Promise::new();
        to_pong
            .set_result(Msg(i, reply.clone()))
            .map_err(|e| format!("ping cannot send: {e}"))?;
        let Msg(echo, next) = reply.await.map_err(|e| format!("no answer: {e}"))?;
        if echo != i {
            return Err(format!("ping sent {i}, pong answered {echo}"));
        }
        to_pong = next;
    }
    Ok(())
}

async fn pong(mut from_ping: Promise<Msg>, rounds: u32) -> Result<(), String> {
    for _ in 0..rounds {
        let Msg(value, reply) = from_ping.await.map_err(|e| format!("no message: {e}"))?;
        let next = Promise::new();
        reply
            .set_result(Msg(value, next.clone()))
            .map_err(|e| format!("pong cannot answer: {e}"))?;
        from_ping = next;
    }
    Ok(())
}
