//! The factory for the embedded frame chain, which progresses only inside
//! `manager.poll()`.

use std::sync::Arc;

use taskchain_core::{Error, ManualClock, TaskChain, TaskManager};

use crate::{ChainFactory, Fixture};

/// The embedded frame chain, driven by `manager.poll()`: the manager's
/// "default" chain, or an extra frame chain made with
/// [`TaskManager::make_task_chain`].
#[derive(Debug, Clone, Default)]
pub struct FrameChainFactory {
    chain: Option<String>,
}

impl FrameChainFactory {
    /// The manager's "default" chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// An extra frame chain named `name` (the manager polls it along with
    /// "default"; its tasks' pauses must run on it).
    pub fn extra_chain(name: &str) -> Self {
        FrameChainFactory {
            chain: Some(name.to_owned()),
        }
    }
}

impl ChainFactory for FrameChainFactory {
    fn name(&self) -> String {
        let name = self
            .chain
            .as_deref()
            .unwrap_or(taskchain_core::DEFAULT_CHAIN);
        format!("frame chain {name:?}")
    }

    fn build(&self) -> Fixture {
        let clock = ManualClock::new();
        let manager = TaskManager::with_clock(clock.clone());
        let chain: Arc<dyn TaskChain> = match &self.chain {
            None => manager.default_chain().clone(),
            Some(name) => manager
                .make_task_chain(name)
                .unwrap_or_else(|e| panic!("cannot make chain {name:?}: {e}")),
        };
        Fixture {
            manager,
            clock,
            chain,
        }
    }

    fn drive(&self, fixture: &Fixture) -> Result<(), Error> {
        fixture.manager.poll()
    }
}
