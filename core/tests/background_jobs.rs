//! `spawn_blocking`: heavy work as a task of a threaded chain, awaited by a
//! frame coroutine; cancellation before the job starts drops it unrun.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::*;
use taskchain_conformance::kit::quiet_panics::quiet_panics;
use taskchain_core::{AsyncFuture, ChainSettings, Error, TaskChain, TaskChainExt};

/// A bound for waits on other threads, so a broken build fails instead of
/// hanging; generous, since under valgrind threads run one at a time.
const PATIENCE: Option<Duration> = Some(Duration::from_secs(120));

#[test]
fn a_frame_coroutine_resumes_after_a_job_on_a_threaded_chain() {
    let (_clock, manager) = setup();
    let loader = threaded(&manager, ChainSettings::default(), 1);
    let (release, gate) = mpsc::channel::<()>();
    let job = loader.spawn_blocking(move || {
        // Blocks its worker until the test lets it go (or fails and drops
        // the sender): the frames go on meanwhile.
        gate.recv().ok();
        (1..=100u32).sum::<u32>()
    });
    let watch = job.as_any();
    let frame_task = manager.spawn(async move { job.await.map(|sum| sum + 1) });
    for _ in 0..10 {
        manager.poll().unwrap();
        assert!(!frame_task.is_done(), "resumed before the job finished");
    }
    release.send(()).unwrap();
    // Blocking on the job (not spinning polls) leaves the worker the CPU,
    // which matters where threads take turns (valgrind).
    watch.wait_done(PATIENCE).unwrap();
    for _ in 0..3 {
        manager.poll().unwrap();
    }
    assert!(frame_task.is_done(), "the frame task never resumed");
    assert_eq!(frame_task.result(Some(Duration::ZERO)), Ok(Ok(5051)));
}

#[test]
fn cancelling_the_awaiting_coroutine_drops_a_job_that_has_not_started() {
    let (_clock, manager) = setup();
    let loader = threaded(&manager, ChainSettings::default(), 1);
    // The one worker is busy with a first job, so the second stays queued.
    let (release, gate) = mpsc::channel::<()>();
    let (started_tx, started) = mpsc::channel::<()>();
    let first = loader.spawn_blocking(move || {
        let _ = started_tx.send(());
        gate.recv().ok();
    });
    started.recv_timeout(PATIENCE.unwrap()).unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let second = loader.spawn_blocking(move || r.store(true, Ordering::SeqCst));
    let watch = second.as_any();
    let frame_task = manager.spawn_fallible(async move {
        second.await?;
        Ok("loaded")
    });
    manager.poll().unwrap(); // the coroutine now awaits the job
    assert!(frame_task.cancel());
    manager.poll().unwrap(); // the cancel reaches its await, and the job
    assert_eq!(frame_task.result(PATIENCE), Err(Error::Cancelled));
    assert!(watch.is_cancelled(), "the queued job was not cancelled");
    release.send(()).unwrap();
    first.result(PATIENCE).unwrap();
    loader.wait_for_tasks(PATIENCE).unwrap();
    assert!(!ran.load(Ordering::SeqCst), "a cancelled job ran");
}

#[test]
fn a_panicking_job_is_caught_in_its_handle() {
    quiet_panics("boom:");
    let (_clock, manager) = setup();
    let loader = threaded(&manager, ChainSettings::default(), 1);
    let job = loader.spawn_blocking(|| -> u32 { panic!("boom: the level file is corrupt") });
    assert!(matches!(
        job.result(PATIENCE),
        Err(Error::Panicked(m)) if m.contains("corrupt")
    ));
    assert_eq!(loader.spawn_blocking(|| 7).result(PATIENCE), Ok(7));
}

#[test]
fn on_the_frame_chain_a_job_runs_inside_poll() {
    let (_clock, manager) = setup();
    let job = manager.default_chain().spawn_blocking(|| "loaded");
    assert!(!job.is_done());
    manager.poll().unwrap();
    assert_eq!(job.result(Some(Duration::ZERO)), Ok("loaded"));
}
