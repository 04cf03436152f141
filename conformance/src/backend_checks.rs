//! Checks every backend crate shares beyond the chain's behaviour: its
//! `make_chain` (bad settings, the runtime it names, a shutdown that
//! cancels what is left and joins the threads, from outside or from one of
//! the chain's own tasks) and its runtime's ownership of its threads
//! (dropping the last reference joins them, even on one of them).

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use taskchain_core::{
    AsyncFuture, ChainSettings, Error, Runtime, TaskChain, TaskChainExt, TaskManager,
    ThreadedChain, MAX_THREADS,
};

use crate::kit::census::ThreadCensus;
use crate::PATIENCE;

/// A backend crate's `make_chain`: a threaded chain named `name` on a new
/// runtime of its own with `settings.num_threads` threads, added to the
/// manager.
pub type MakeChain = fn(&TaskManager, &str, ChainSettings) -> Result<Arc<ThreadedChain>, Error>;

/// Checks a backend's `make_chain`:
///
/// - 0 threads is [`Error::InvalidSetting`] (a chain without threads is a
///   frame chain), more than [`MAX_THREADS`] and a frame budget too, a
///   taken name
///   [`Error::DuplicateChain`];
/// - the chain names `runtime_name` and runs its tasks off the caller's
///   thread;
/// - `shutdown()` cancels a task stuck in an await, joins every thread the
///   chain's runtime started, and lets go of the runtime;
/// - `shutdown()` from one of the chain's own tasks returns.
///
/// # Panics
///
/// When a check fails.
pub fn check_make_chain(make: MakeChain, runtime_name: &str) {
    let manager = TaskManager::new();
    let two = ChainSettings::default().num_threads(2);
    assert!(
        matches!(
            make(&manager, "none", ChainSettings::default()),
            Err(Error::InvalidSetting(_))
        ),
        "0 threads must be refused"
    );
    for threads in [MAX_THREADS + 1, usize::MAX] {
        assert!(
            matches!(
                make(
                    &manager,
                    "huge",
                    ChainSettings::default().num_threads(threads)
                ),
                Err(Error::InvalidSetting(_))
            ),
            "{threads} threads must be refused"
        );
    }
    assert!(
        matches!(
            make(
                &manager,
                "budget",
                two.clone().frame_budget(Some(Duration::from_millis(1)))
            ),
            Err(Error::InvalidSetting(_))
        ),
        "a frame budget must be refused"
    );

    // Tasks run on the runtime's threads; shutdown joins them.
    let census = ThreadCensus::new();
    let chain = make(&manager, "owned", two.clone()).expect("make_chain");
    assert!(
        matches!(
            make(&manager, "owned", two.clone()),
            Err(Error::DuplicateChain(_))
        ),
        "a taken name must be refused"
    );
    assert_eq!(chain.runtime_name(), runtime_name);
    let here = std::thread::current().id();
    let marked: Vec<_> = (0..20)
        .map(|_| {
            let census = census.clone();
            chain.spawn(async move {
                census.mark();
                std::thread::current().id() != here
            })
        })
        .collect();
    for task in &marked {
        assert_eq!(task.result(Some(PATIENCE)), Ok(true), "ran off the caller");
    }
    let stuck = chain.spawn(std::future::pending::<()>());
    chain.shutdown();
    assert_eq!(stuck.result(Some(PATIENCE)), Err(Error::Cancelled));
    let (set, ended) = census.counts();
    assert!(set >= 1, "no thread marked");
    assert_eq!(ended, set, "shutdown returned before joining every thread");
    assert_eq!(chain.runtime_name(), "", "the runtime was not let go");

    // Shutdown from one of the chain's own tasks: the runtime's last
    // reference may drop on its own thread.
    let chain = make(&manager, "self", two).expect("make_chain");
    let (done_tx, done_rx) = mpsc::channel();
    let me = chain.clone();
    let _task = chain.spawn(async move {
        me.shutdown();
        let _ = done_tx.send(());
    });
    assert_eq!(done_rx.recv_timeout(PATIENCE), Ok(()), "shutdown hung");
    chain.shutdown();
    assert_eq!(chain.runtime_name(), "");
}

/// Checks a runtime that owns its threads, made by `make(threads)`:
///
/// - dropping it joins every thread it started and drops the futures left
///   on it (one stuck in an await);
/// - dropping its last reference on one of its own threads returns.
///
/// # Panics
///
/// When a check fails.
pub fn check_owned_runtime<R: Runtime>(make: impl Fn(usize) -> R) {
    let census = ThreadCensus::new();
    let runtime = make(3);
    let (tx, rx) = mpsc::channel();
    for _ in 0..30 {
        let (census, tx) = (census.clone(), tx.clone());
        runtime.spawn(Box::pin(async move {
            census.mark();
            let _ = tx.send(());
        }));
    }
    for _ in 0..30 {
        rx.recv_timeout(PATIENCE).expect("a spawned future ran");
    }
    let left = ThreadCensus::new();
    let held = left.mark_held();
    runtime.spawn(Box::pin(async move {
        let _held = held;
        std::future::pending::<()>().await;
    }));
    drop(runtime);
    let (set, ended) = census.counts();
    assert!(set >= 1, "no thread marked");
    assert_eq!(ended, set, "drop returned before joining every thread");
    assert_eq!(left.counts().1, 1, "a future left on the runtime leaked");

    let runtime = Arc::new(make(2));
    let slot = Arc::new(Mutex::new(Some(runtime.clone())));
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel();
    runtime.spawn(Box::pin(async move {
        // Blocks this thread until the test has let go, so that this drop
        // is the last one.
        let _ = go_rx.recv_timeout(PATIENCE);
        let last = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(last);
        let _ = done_tx.send(());
    }));
    drop(runtime);
    go_tx.send(()).expect("the future waits");
    assert_eq!(
        done_rx.recv_timeout(PATIENCE),
        Ok(()),
        "dropping the last reference on the runtime's own thread hung or panicked"
    );
}
