//! Loom models of completion racing a chain's last drop: whatever the
//! interleaving, nothing is left in the chain's queues once its shutdown
//! took them (the chain is freed), and the done callback either ran once,
//! in the shutdown on the dropping thread, or was dropped unrun; never
//! inline on the completing thread.
#![cfg(loom)]

mod loom_support;

use std::sync::{Arc, Mutex, Weak};

use loom::thread;
use taskchain_core::{AsyncFuture, ChainCore, Promise, TaskChain, TaskChainExt};

use loom_support::{frame_chain, model, spawn_set_result, Counter};

/// Counts its drops: captured by a callback, it shows the callback was
/// freed, ran or not.
struct Dropped(Counter);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.bump();
    }
}

// regression: a set_result racing the chain's last drop pushed its done
// callback (holding the promise, which holds the chain) after the shutdown
// took the queue, leaking the chain; its wake did the same with the task.
#[test]
fn set_result_vs_the_last_drop_of_the_chain() {
    model(|| {
        let chain = frame_chain();
        let core: Weak<ChainCore> = Arc::downgrade(chain.core());
        let promise: Promise<u32> = chain.promise();
        // A coroutine suspended on the promise: the set wakes it.
        let task = chain.spawn(promise.clone());
        chain.poll().unwrap();
        let (runs, drops) = (Counter::default(), Counter::default());
        let ran_on = Arc::new(Mutex::new(None));
        {
            let (runs, ran_on, dropped) = (runs.clone(), ran_on.clone(), Dropped(drops.clone()));
            promise
                .add_done_callback(move |_| {
                    let _held = &dropped;
                    runs.bump();
                    *ran_on.lock().unwrap() = Some(thread::current().id());
                })
                .unwrap();
        }
        let setter = spawn_set_result(&promise, 7);
        drop(chain);
        assert_eq!(setter.join().unwrap(), Ok(()));

        assert!(task.is_done(), "the shutdown ended the task");
        drop((task, promise));
        assert!(runs.get() <= 1, "the callback ran twice");
        if runs.get() == 1 {
            assert_eq!(
                *ran_on.lock().unwrap(),
                Some(thread::current().id()),
                "the callback ran inline on the setting thread"
            );
        }
        assert_eq!(drops.get(), 1, "the callback was never dropped");
        assert_eq!(core.strong_count(), 0, "the chain outlived everything");
    });
}
