//! A tiny runtime for trying threaded chains in this crate's own tests,
//! without depending on a backend (the backends depend on this crate): a
//! thread per spawned future, and one timer thread for sleeps.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use taskchain_core::{Runtime, RuntimeFuture};

/// Due times and the wakers waiting for them.
#[derive(Default)]
struct Timers {
    /// By due time; the sequence number keeps entries distinct.
    due: BinaryHeap<Reverse<(Instant, u64)>>,
    wakers: std::collections::HashMap<u64, Waker>,
    next: u64,
    stopped: bool,
}

struct TimerThread {
    timers: Mutex<Timers>,
    changed: Condvar,
}

impl TimerThread {
    fn run(&self) {
        let mut timers = self.timers.lock().unwrap();
        loop {
            if timers.stopped {
                return;
            }
            let now = Instant::now();
            while let Some(&Reverse((at, seq))) = timers.due.peek() {
                if at > now {
                    break;
                }
                timers.due.pop();
                if let Some(waker) = timers.wakers.remove(&seq) {
                    waker.wake();
                }
            }
            timers = match timers.due.peek() {
                Some(&Reverse((at, _))) => {
                    let wait = at.saturating_duration_since(Instant::now());
                    self.changed.wait_timeout(timers, wait).unwrap().0
                }
                None => self.changed.wait(timers).unwrap(),
            };
        }
    }
}

/// A runtime that runs each spawned future on a thread of its own.
pub struct ThreadPerFuture {
    threads: usize,
    timer: Arc<TimerThread>,
}

impl ThreadPerFuture {
    /// A runtime that reports `threads` threads (a chain without an
    /// explicit worker count runs that many).
    pub fn start(threads: usize) -> Arc<dyn Runtime> {
        let timer = Arc::new(TimerThread {
            timers: Mutex::default(),
            changed: Condvar::new(),
        });
        let running = timer.clone();
        thread::Builder::new()
            .name("local-runtime-timer".into())
            .spawn(move || running.run())
            .expect("spawn the timer thread");
        Arc::new(ThreadPerFuture { threads, timer })
    }
}

impl Drop for ThreadPerFuture {
    fn drop(&mut self) {
        self.timer.timers.lock().unwrap().stopped = true;
        self.timer.changed.notify_all();
    }
}

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

fn block_on(mut future: RuntimeFuture) {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    while future.as_mut().poll(&mut cx).is_pending() {
        // An unpark before the park makes it return at once: no lost wake.
        thread::park();
    }
}

/// Completes at `at`, woken by the timer thread.
struct Sleep {
    at: Instant,
    timer: Arc<TimerThread>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.at {
            return Poll::Ready(());
        }
        let mut timers = self.timer.timers.lock().unwrap();
        let seq = timers.next;
        timers.next += 1;
        timers.due.push(Reverse((self.at, seq)));
        timers.wakers.insert(seq, cx.waker().clone());
        drop(timers);
        self.timer.changed.notify_all();
        Poll::Pending
    }
}

impl Runtime for ThreadPerFuture {
    fn name(&self) -> &str {
        "thread-per-future"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn spawn(&self, future: RuntimeFuture) {
        thread::Builder::new()
            .name("local-runtime-worker".into())
            .spawn(move || block_on(future))
            .expect("spawn a worker thread");
    }

    fn sleep(&self, duration: Duration) -> RuntimeFuture {
        Box::pin(Sleep {
            at: Instant::now() + duration,
            timer: self.timer.clone(),
        })
    }
}
