//! Work stealing: a runnable in a busy worker's LIFO slot or local queue is
//! taken by an idle one, and none is lost in a storm of steals.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use common::{scaled, yield_now, HANG};
use taskchain_threadpool::ThreadPool;

/// A future spawned on a worker goes to that worker's LIFO slot; the
/// worker then blocks until the future has run, which only a thief can
/// make happen (an idle worker watching for a worker stuck in one run).
#[test]
fn a_blocked_workers_local_queue_is_stolen_from() {
    let pool = ThreadPool::new(2).unwrap();
    let spawner = pool.clone();
    let mut blocker = pool.spawn(async move {
        let (tx, rx) = mpsc::channel();
        let me = std::thread::current().name().map(str::to_owned);
        spawner
            .spawn(async move {
                let _ = tx.send(std::thread::current().name().map(str::to_owned));
            })
            .detach();
        // Blocks this worker on purpose: the other must steal.
        let thief = rx
            .recv_timeout(HANG)
            .expect("the local runnable was never stolen");
        (me, thief)
    });
    let (me, thief) = blocker.join_timeout(HANG).unwrap();
    assert_ne!(me, thief);
}

#[test]
fn a_tree_of_spawns_across_workers_loses_no_task() {
    let pool = ThreadPool::new(3).unwrap();
    let leaves = scaled(4_096);
    let ran = Arc::new(AtomicUsize::new(0));
    let workers = Arc::new(Mutex::new(HashSet::new()));

    fn node(
        pool: ThreadPool,
        width: usize,
        ran: Arc<AtomicUsize>,
        workers: Arc<Mutex<HashSet<String>>>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = usize> + Send>> {
        Box::pin(async move {
            if let Some(name) = std::thread::current().name() {
                workers.lock().unwrap().insert(name.to_owned());
            }
            if width <= 1 {
                yield_now().await;
                ran.fetch_add(1, Ordering::SeqCst);
                return 1;
            }
            let half = width / 2;
            let left = pool.spawn(node(pool.clone(), half, ran.clone(), workers.clone()));
            let right = pool.spawn(node(pool.clone(), width - half, ran, workers));
            left.await.unwrap() + right.await.unwrap()
        })
    }

    let mut root = pool.spawn(node(pool.clone(), leaves, ran.clone(), workers.clone()));
    assert_eq!(root.join_timeout(HANG), Ok(leaves));
    assert_eq!(ran.load(Ordering::SeqCst), leaves);
    assert_eq!(pool.live_tasks(), 0);
    // Which workers took part depends on the scheduler; shown, not checked.
    println!("workers that ran nodes: {:?}", workers.lock().unwrap());
}
