//! The shared state of a task group: its children's handles in spawn
//! order, how many still run, its first failure, and whether it still
//! takes children.
//!
//! Each child's end is counted once, in O(1), by a waker the group
//! registers on the child's handle: no end rescans the children. Only the
//! rare group-wide steps (the first failure, a cancel, the final read)
//! walk them, once each.
//!
//! The lock is never held across a call that may run user code: cancels
//! (which may end a child at once and re-enter `child_done`), wakes and
//! the drop of a child's output all happen after it is released.

use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};

use crate::chain::core::ChainCore;
use crate::error::{isolated, Error};
use crate::future::async_future::AsyncFuture;
use crate::future::state::{FutureState, Outcome, WaiterKey};
use crate::sync::{Mutex, MutexGuard};
use crate::task::awaited::CancelAwaited;
use crate::task::handle::{AnyTask, TaskHandle};

/// What a group's handle, its join futures and its children's wakers share.
pub(super) struct Shared<T: 'static> {
    book: Mutex<Book<T>>,
    /// Done once the group ended: every child ended and none can join any
    /// more. Join futures wait here.
    ended: FutureState<()>,
    /// Where `spawn` puts children.
    pub(super) home: Option<Arc<ChainCore>>,
}

struct Book<T: 'static> {
    /// In spawn order.
    children: Vec<Child<T>>,
    /// Children spawned or being spawned whose end is not counted yet.
    running: usize,
    /// A join started: the group ends as soon as nothing runs.
    joining: bool,
    /// A child failed or the group was cancelled (or dropped): it takes no
    /// more children and ends as soon as nothing runs.
    closed: bool,
    /// The group itself was cancelled.
    cancelled: bool,
    /// The first child error other than a cancellation.
    failure: Option<Error>,
    /// Set once, by whoever saw the group end; `Shared::ended` follows.
    ended: bool,
}

struct Child<T: 'static> {
    handle: TaskHandle<T>,
    /// Its end was counted.
    ended: bool,
}

/// Counts child `index`'s end in its group. Weak: a dropped group does not
/// stay alive in its children's waiter lists.
struct ChildWaker<T: 'static> {
    group: Weak<Shared<T>>,
    index: usize,
}

impl<T: Send + 'static> Wake for ChildWaker<T> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(group) = self.group.upgrade() {
            group.child_done(self.index);
        }
    }
}

impl<T: Send + 'static> Shared<T> {
    pub(super) fn new(home: Option<Arc<ChainCore>>) -> Self {
        Shared {
            book: Mutex::new(Book {
                children: Vec::new(),
                running: 0,
                joining: false,
                closed: false,
                cancelled: false,
                failure: None,
                ended: false,
            }),
            ended: FutureState::new(),
            home,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Book<T>> {
        // Nothing panics under this lock; a poisoned one is still consistent.
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a child about to be spawned, so that the group cannot end
    /// before it is adopted; `GroupClosed` if the group takes no more.
    pub(super) fn reserve(&self) -> Result<(), Error> {
        let mut book = self.lock();
        if book.closed || book.ended {
            return Err(Error::GroupClosed);
        }
        book.running += 1;
        Ok(())
    }

    /// The reserved child could not be spawned.
    pub(super) fn unreserve(&self) {
        let mut book = self.lock();
        book.running -= 1;
        let ends = book.end_if_idle();
        drop(book);
        self.finish(ends);
    }

    /// Takes the reserved child's handle in: registers the waker that
    /// counts its end (or counts it now, if it already ended), and cancels
    /// it if the group closed while it was being spawned.
    pub(super) fn adopt(self: &Arc<Self>, handle: TaskHandle<T>) -> AnyTask {
        let any = handle.as_any();
        let mut book = self.lock();
        let index = book.children.len();
        let waker = Waker::from(Arc::new(ChildWaker {
            group: Arc::downgrade(self),
            index,
        }));
        // Under the lock: the waker may fire on another thread at once, and
        // its `child_done` must find the child in place.
        let ended = handle
            .poll_done(&mut Context::from_waker(&waker))
            .is_ready();
        book.children.push(Child {
            handle,
            ended: false,
        });
        let closed = book.closed;
        drop(book);
        if closed {
            any.cancel();
        }
        if ended {
            self.child_done(index);
        }
        any
    }

    /// Counts child `index`'s end, once. The first failure is kept; unless
    /// the group already closed, it closes it and cancels every child
    /// still running.
    fn child_done(&self, index: usize) {
        let mut guard = self.lock();
        let book = &mut *guard;
        let child = &mut book.children[index];
        if std::mem::replace(&mut child.ended, true) {
            return;
        }
        let error = child.handle.error();
        book.running -= 1;
        let mut to_cancel = Vec::new();
        match error {
            None | Some(Error::Cancelled) => {}
            Some(error) => {
                if book.failure.is_none() {
                    book.failure = Some(error);
                }
                // A closed group already cancelled its children: a child
                // that refused that cancel is not asked again.
                if !book.closed {
                    book.closed = true;
                    to_cancel = book.running_children();
                }
            }
        }
        let ends = book.end_if_idle();
        drop(guard);
        cancel_all(to_cancel);
        self.finish(ends);
    }

    /// Closes the group and cancels every child still running; `cancelled`
    /// marks the group itself cancelled (its join then yields
    /// `Err(Cancelled)` unless a child failed). False once the group ended.
    pub(super) fn cancel(&self, cancelled: bool) -> bool {
        let mut book = self.lock();
        if book.ended {
            return false;
        }
        book.closed = true;
        book.cancelled |= cancelled;
        let to_cancel = book.running_children();
        let ends = book.end_if_idle();
        drop(book);
        cancel_all(to_cancel);
        self.finish(ends);
        true
    }

    /// A join started: the group ends once nothing runs (now, if nothing
    /// does).
    pub(super) fn start_join(&self) {
        let mut book = self.lock();
        book.joining = true;
        let ends = book.end_if_idle();
        drop(book);
        self.finish(ends);
    }

    fn finish(&self, ends: bool) {
        if ends {
            // No done callbacks can be attached to `ended`: no home needed.
            let _ = self.ended.complete(Outcome::Ready(()), None);
        }
    }

    pub(super) fn is_done(&self) -> bool {
        self.ended.is_done()
    }

    /// Registers `cx`'s waker as `key`'s until the group ends.
    pub(super) fn poll_ended(&self, key: &WaiterKey, cx: &mut Context<'_>) -> Poll<()> {
        self.ended.poll_done(key, cx)
    }

    pub(super) fn remove_waiter(&self, key: &mut WaiterKey) {
        self.ended.remove_waiter(key);
    }

    pub(super) fn is_cancelled(&self) -> bool {
        self.lock().cancelled
    }

    /// The first failure, else `Cancelled` if the group was cancelled.
    pub(super) fn error(&self) -> Option<Error> {
        let book = self.lock();
        match &book.failure {
            Some(failure) => Some(failure.clone()),
            None => book.cancelled.then_some(Error::Cancelled),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.lock().children.len()
    }

    pub(super) fn running(&self) -> usize {
        self.lock().running
    }

    /// Reads an ended group: its first failure, else `Cancelled` if it was
    /// cancelled, else the first child without a value (one cancelled on
    /// its own: `Cancelled`), else every child's value in spawn order. No
    /// value is taken unless all are.
    pub(super) fn read(&self) -> Result<Vec<T>, Error> {
        if let Some(error) = self.error() {
            return Err(error);
        }
        let book = self.lock();
        if let Some(error) = book.children.iter().find_map(|c| c.handle.error()) {
            return Err(error);
        }
        if !book.children.iter().all(|c| c.handle.has_value()) {
            return Err(Error::AlreadyTaken);
        }
        book.children
            .iter()
            .map(|c| c.handle.try_take().unwrap_or(Err(Error::AlreadyTaken)))
            .collect()
    }
}

impl<T: 'static> Book<T> {
    /// Untyped handles to the children whose end is not counted yet.
    fn running_children(&self) -> Vec<AnyTask> {
        self.children
            .iter()
            .filter(|c| !c.ended)
            .map(|c| c.handle.as_any())
            .collect()
    }

    /// Marks the group ended if nothing runs and no child can join any
    /// more; true if this call did (the caller then completes `ended`).
    fn end_if_idle(&mut self) -> bool {
        if self.ended || self.running > 0 || !(self.joining || self.closed) {
            return false;
        }
        self.ended = true;
        true
    }
}

impl<T: Send + 'static> CancelAwaited for Shared<T> {
    /// The cancel of a task awaiting the group's join: the group is
    /// cancelled, and so are its running children.
    fn cancel_awaited(&self) -> bool {
        self.cancel(true)
    }
}

/// Cancels each task; one ending at once counts its end in its group.
fn cancel_all(tasks: Vec<AnyTask>) {
    for task in tasks {
        task.cancel();
    }
}

impl<T: 'static> Drop for Shared<T> {
    /// Dropping a handle may drop its child's unread output, whose `Drop`
    /// is user code: each is dropped on its own, a panic caught.
    fn drop(&mut self) {
        let children = {
            let mut book = self.book.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut book.children)
        };
        for child in children {
            isolated(move || drop(child));
        }
    }
}
