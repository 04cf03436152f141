//! The settler: a thread of its own that sets or cancels promises and
//! sends events when they fall due, so that tasks are woken from another
//! thread than the one that runs (or polls) them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Something to do at a given time.
type Job = Box<dyn FnOnce() + Send>;

enum Message {
    At(Instant, Job),
    /// Run every job at once, due or not (the soak is draining).
    Flush,
}

/// A job in the heap: ordered by due time, then by arrival.
struct Due {
    at: Instant,
    order: u64,
    job: Job,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

/// The settler thread and the way to hand it jobs. Dropping it runs
/// whatever is left at once and joins the thread.
#[derive(Debug)]
pub struct Settler {
    sender: Option<Sender<Message>>,
    thread: Option<JoinHandle<()>>,
}

impl Settler {
    /// Starts the thread.
    pub fn start() -> std::io::Result<Settler> {
        let (sender, receiver) = channel::<Message>();
        let thread = std::thread::Builder::new()
            .name("soak-settler".into())
            .spawn(move || {
                let mut heap: BinaryHeap<Reverse<Due>> = BinaryHeap::new();
                let mut order = 0u64;
                let mut flushing = false;
                loop {
                    let now = Instant::now();
                    while heap
                        .peek()
                        .is_some_and(|Reverse(d)| flushing || d.at <= now)
                    {
                        if let Some(Reverse(due)) = heap.pop() {
                            (due.job)();
                        }
                    }
                    let message = match heap.peek() {
                        Some(Reverse(next)) => {
                            receiver.recv_timeout(next.at.saturating_duration_since(now))
                        }
                        None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
                    };
                    match message {
                        Ok(Message::At(at, job)) => {
                            order += 1;
                            heap.push(Reverse(Due { at, order, job }));
                        }
                        Ok(Message::Flush) => flushing = true,
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => {
                            // Dropped: what is left runs now.
                            while let Some(Reverse(due)) = heap.pop() {
                                (due.job)();
                            }
                            return;
                        }
                    }
                }
            })?;
        Ok(Settler {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// Runs `job` on the settler thread after `delay`.
    pub fn after(&self, delay: Duration, job: impl FnOnce() + Send + 'static) {
        if let Some(sender) = &self.sender {
            // The thread only ends when the sender is dropped.
            let _ = sender.send(Message::At(Instant::now() + delay, Box::new(job)));
        }
    }

    /// From now on every job runs as soon as it arrives, and those waiting
    /// run now.
    pub fn flush(&self) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(Message::Flush);
        }
    }
}

impl Drop for Settler {
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(thread) = self.thread.take() {
            // A job that panicked already said so on stderr.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn jobs_run_in_due_order_and_dropping_runs_the_rest() {
        let ran = Arc::new(Mutex::new(Vec::new()));
        let settler = Settler::start().unwrap();
        for (n, ms) in [(1, 30u64), (2, 0), (3, 3_600_000)] {
            let ran = ran.clone();
            settler.after(Duration::from_millis(ms), move || {
                ran.lock().unwrap().push(n)
            });
        }
        drop(settler);
        // Whenever the drop lands, the jobs run by due time.
        assert_eq!(*ran.lock().unwrap(), vec![2, 1, 3]);
    }
}
