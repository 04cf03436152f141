//! A task's name: set at spawn, changeable while the task lives
//! (Panda3D's `task.name = ...`), readable as a `&str` borrowed from the
//! task.
//!
//! A borrowed name must stay valid while the task's header does, even if
//! another thread renames the task meanwhile: every distinct name the task
//! had is kept until the header drops (a task renamed back and forth
//! between a few names keeps a few). The chain's name index follows each
//! rename under the chain's lock (see `ChainCore::rename`).

use std::sync::Arc;

use crate::sync::Mutex;

/// A task's current name and the names it had.
#[derive(Default)]
pub(crate) struct TaskName {
    names: Mutex<Names>,
}

#[derive(Default)]
struct Names {
    /// Every distinct name the task had; never shrinks, so a `&str`
    /// borrowed from one stays valid (an `Arc<str>`'s text does not move
    /// when the vector grows).
    had: Vec<Arc<str>>,
    /// The index in `had` of the current name.
    current: Option<usize>,
}

impl TaskName {
    pub(crate) fn new(name: Option<Arc<str>>) -> Self {
        let current = name.is_some().then_some(0);
        TaskName {
            names: Mutex::new(Names {
                had: name.into_iter().collect(),
                current,
            }),
        }
    }

    fn lock(&self) -> crate::sync::MutexGuard<'_, Names> {
        // No user code runs under the lock.
        self.names.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current name, shared.
    pub(crate) fn get_arc(&self) -> Option<Arc<str>> {
        let names = self.lock();
        names.current.map(|i| names.had[i].clone())
    }

    /// The current name, borrowed for as long as `self`.
    pub(crate) fn get(&self) -> Option<&str> {
        let names = self.lock();
        let text: *const str = &**names.had.get(names.current?)?;
        drop(names);
        // SAFETY: `text` points into an `Arc<str>` held in `had`, which
        // only grows and is dropped with `self`: the text stays where it is
        // for as long as `self` is borrowed, whatever renames happen.
        Some(unsafe { &*text })
    }

    /// Makes `name` the current name; returns the one it replaces.
    pub(crate) fn set(&self, name: Arc<str>) -> Option<Arc<str>> {
        let mut names = self.lock();
        let before = names.current.map(|i| names.had[i].clone());
        let index = match names.had.iter().position(|had| **had == *name) {
            Some(index) => index,
            None => {
                names.had.push(name);
                names.had.len() - 1
            }
        };
        names.current = Some(index);
        before
    }
}
