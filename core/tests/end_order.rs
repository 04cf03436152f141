//! The order in which a task's end runs user code (work drop,
//! `upon_death`, waiter wake, done callback, done event handler, output
//! drop), for each way a task ends, compared with a recorded log
//! (`tests/expected_logs/end_order.txt`; `TASKCHAIN_RECORD_LOGS=1` rewrites
//! it).

mod common;

use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::setup;
use taskchain_conformance::kit::log::{new_log, push, Log};
use taskchain_core::{pause, AsyncFuture, Promise, TaskBuilder, TaskChain, TaskManager};

struct Note(Log, &'static str);
impl Drop for Note {
    fn drop(&mut self) {
        push(&self.0, format!("drop {}", self.1));
    }
}

struct W(Log);
impl Wake for W {
    fn wake(self: Arc<Self>) {
        push(&self.0, "waker");
    }
}

fn scenario(manager: &TaskManager, log: &Log, how: &str) {
    let messenger = manager.messenger();
    let l = log.clone();
    let sub = messenger
        .accept("done", move |_: &()| push(&l, "handler"))
        .unwrap();
    let (l1, l2) = (log.clone(), log.clone());
    let work_note = Note(log.clone(), "work");
    let out_log = log.clone();
    let p: Promise<u8> = manager.promise();
    let p2 = p.clone();
    let kind = how.to_owned();
    let h = manager
        .add_task(
            // Fallible: a cancellation delivered at an await ends it.
            TaskBuilder::fallible(async move {
                let _w = work_note;
                if kind.contains("suspend") {
                    p2.await?;
                }
                if kind.contains("sleep") {
                    pause(Duration::from_secs(1)).await?;
                }
                Ok(Note(out_log, "output"))
            })
            .upon_death(move |clean| push(&l1, format!("upon_death {clean}")))
            .done_event(&messenger, "done")
            .unwrap(),
        )
        .unwrap();
    h.add_done_callback(move |_| push(&l2, "callback")).unwrap();
    let waker = Waker::from(Arc::new(W(log.clone())));
    assert!(h.poll_done(&mut Context::from_waker(&waker)) == Poll::Pending);
    push(log, format!("-- {how}"));
    match how {
        "finish" => manager.poll().unwrap(),
        "finish-detached" => {
            drop(h);
            manager.poll().unwrap();
            manager.poll().unwrap();
            drop(sub);
            return;
        }
        "cancel-queued" => {
            push(log, format!("cancel {}", h.cancel()));
        }
        "cancel-suspend" => {
            manager.poll().unwrap();
            push(log, format!("cancel {}", h.cancel()));
            manager.poll().unwrap();
        }
        "cancel-sleep" => {
            manager.poll().unwrap();
            push(log, format!("cancel {}", h.cancel()));
        }
        "shutdown-suspend" => {
            manager.poll().unwrap();
            manager.default_chain().shutdown();
        }
        _ => unreachable!(),
    }
    p.set_result(1).ok();
    manager.poll().ok();
    manager.poll().ok();
    push(log, "-- drop handle");
    drop(h);
    drop(sub);
}

#[test]
fn end_order() {
    let mut all = Vec::new();
    for how in [
        "finish",
        "finish-detached",
        "cancel-queued",
        "cancel-suspend",
        "cancel-sleep",
        "shutdown-suspend",
    ] {
        let (_clock, manager) = setup();
        let log = new_log();
        scenario(&manager, &log, how);
        drop(manager);
        all.extend(taskchain_conformance::kit::log::drain(&log));
    }
    let path = format!(
        "{}/tests/expected_logs/end_order.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = all.join("\n");
    if std::env::var("TASKCHAIN_RECORD_LOGS").is_ok() {
        std::fs::write(&path, &text).unwrap();
    } else {
        assert_eq!(text, std::fs::read_to_string(&path).unwrap());
    }
}
