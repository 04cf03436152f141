//! The LIFO slot: a task woken by the task running on a worker runs next on
//! that worker, but neither starves the worker's queue nor stays behind a
//! worker that blocks.

mod common;

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};

use common::HANG;
use taskchain_threadpool::ThreadPool;

/// Where a bouncing task leaves its waker for the other one.
type WakerCell = Arc<Mutex<Option<Waker>>>;

/// A task that, at each poll, leaves its waker, runs `first` once (at its
/// `after`-th poll), wakes its partner and stays pending until `stop`:
/// two of them wake each other forever, each wake going to the worker's
/// LIFO slot.
async fn bounce(
    me: WakerCell,
    partner: WakerCell,
    stop: Arc<AtomicBool>,
    after: usize,
    mut first: Option<Box<dyn FnOnce() + Send>>,
) {
    let mut polls = 0;
    poll_fn(|cx| {
        if stop.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        polls += 1;
        *me.lock().unwrap() = Some(cx.waker().clone());
        if polls >= after {
            if let Some(first) = first.take() {
                first();
            }
        }
        if let Some(partner) = partner.lock().unwrap().take() {
            partner.wake();
        }
        Poll::Pending
    })
    .await;
}

/// On one worker, two tasks wake each other forever; one of them spawns a
/// third task, which lands in the worker's local queue behind the pair's
/// LIFO slot (the pair's next wake displaces it there). The third task
/// still runs, and stops the pair: the LIFO slot does not starve the queue.
#[test]
fn two_tasks_waking_each_other_do_not_starve_the_queue() {
    let pool = ThreadPool::new(1).unwrap();
    let (a, b): (WakerCell, WakerCell) = Default::default();
    let stop = Arc::new(AtomicBool::new(false));
    let (ran_tx, ran) = mpsc::channel();
    let spawner = pool.clone();
    let stopper = stop.clone();
    let spawn_third: Box<dyn FnOnce() + Send> = Box::new(move || {
        spawner
            .spawn(async move {
                stopper.store(true, Ordering::SeqCst);
                let _ = ran_tx.send(());
            })
            .detach();
    });
    let first = pool.spawn(bounce(
        a.clone(),
        b.clone(),
        stop.clone(),
        10,
        Some(spawn_third),
    ));
    let second = pool.spawn(bounce(b.clone(), a.clone(), stop.clone(), usize::MAX, None));
    assert_eq!(
        ran.recv_timeout(HANG),
        Ok(()),
        "the queued task never ran behind the bouncing pair"
    );
    // Each may be pending with its partner's wake already spent: wake both.
    for cell in [&a, &b] {
        if let Some(waker) = cell.lock().unwrap().take() {
            waker.wake();
        }
    }
    let mut first = first;
    let mut second = second;
    assert_eq!(first.join_timeout(HANG), Ok(()));
    assert_eq!(second.join_timeout(HANG), Ok(()));
    pool.shutdown();
}

/// A task that wakes another and then blocks its worker until that other
/// has run: the woken task sits in the blocked worker's LIFO slot, and the
/// idle worker must take it from there.
#[test]
fn a_task_woken_into_a_blocked_workers_lifo_slot_is_stolen() {
    let pool = ThreadPool::new(2).unwrap();
    let parked: WakerCell = Default::default();
    let (ran_tx, ran) = mpsc::channel();
    // The woken task: parks once, then reports the thread it ran on.
    let woken = {
        let parked = parked.clone();
        let mut polls = 0;
        pool.spawn(poll_fn(move |cx| {
            polls += 1;
            if polls == 1 {
                *parked.lock().unwrap() = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let _ = ran_tx.send(std::thread::current().name().map(str::to_owned));
            Poll::Ready(())
        }))
    };
    // Wait until it parked (its first poll is done).
    let waker = loop {
        if let Some(waker) = parked.lock().unwrap().take() {
            break waker;
        }
        std::thread::yield_now();
    };
    let mut blocker = pool.spawn(async move {
        let me = std::thread::current().name().map(str::to_owned);
        // The wake, from a running task: into this worker's LIFO slot.
        waker.wake();
        // Blocks this worker on purpose: only another worker can run it.
        (me, ran.recv_timeout(HANG))
    });
    let (me, thief) = blocker.join_timeout(HANG).unwrap();
    let thief = thief.expect("the woken task was never taken from the LIFO slot");
    assert_ne!(me, thief);
    drop(woken);
    pool.shutdown();
}
