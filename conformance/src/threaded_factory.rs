//! The factory for threaded chains: a [`ThreadedChain`](taskchain_core::ThreadedChain)
//! on a backend's [`Runtime`], whose workers run its tasks by themselves.

use std::sync::Arc;
use std::time::Duration;

use taskchain_core::{ChainSettings, Error, ManualClock, Runtime, TaskChain, TaskManager};

use crate::{ChainFactory, Fixture};

/// The name of the chain under test in every fixture the factory builds.
pub const THREADED_CHAIN_NAME: &str = "conformance";

/// How long [`drive`](ChainFactory::drive) sleeps after marking a frame:
/// long enough for the workers to get somewhere between two looks at the
/// chain, short enough that a loop of drives stays responsive.
const DRIVE_NAP: Duration = Duration::from_micros(150);

/// Builds a threaded chain named [`THREADED_CHAIN_NAME`] with a fixed
/// number of workers on a fresh runtime per fixture, in a manager on a
/// [`ManualClock`].
///
/// ```no_run
/// use std::sync::Arc;
/// use taskchain_conformance::{run_scenarios, ThreadedChainFactory};
/// use taskchain_core::Runtime;
///
/// fn my_runtime() -> Arc<dyn Runtime> {
///     unimplemented!("a backend's runtime")
/// }
///
/// run_scenarios(ThreadedChainFactory::new("my-backend", 2, my_runtime));
/// ```
pub struct ThreadedChainFactory {
    label: String,
    threads: usize,
    runtime: Box<dyn Fn() -> Arc<dyn Runtime> + Send + Sync>,
}

impl ThreadedChainFactory {
    /// A factory labelled `label` (for reports) whose chains run `threads`
    /// workers on the runtime `runtime()` returns, called once per fixture.
    ///
    /// `threads == 0` means as many workers as the runtime has threads (at
    /// least one), as the chain itself would pick: the factory asks one
    /// runtime now, so that scenarios know the count before they build.
    pub fn new(
        label: &str,
        threads: usize,
        runtime: impl Fn() -> Arc<dyn Runtime> + Send + Sync + 'static,
    ) -> Self {
        let threads = match threads {
            0 => runtime().threads().max(1),
            n => n,
        };
        ThreadedChainFactory {
            label: label.to_owned(),
            threads,
            runtime: Box::new(runtime),
        }
    }
}

impl std::fmt::Debug for ThreadedChainFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadedChainFactory")
            .field("label", &self.label)
            .field("threads", &self.threads)
            .finish()
    }
}

impl ChainFactory for ThreadedChainFactory {
    fn name(&self) -> String {
        let plural = if self.threads == 1 { "" } else { "s" };
        format!(
            "threaded chain on {} ({} worker{plural})",
            self.label, self.threads
        )
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn build(&self) -> Fixture {
        let clock = ManualClock::new();
        let manager = TaskManager::with_clock(clock.clone());
        let settings = ChainSettings::default().num_threads(self.threads);
        let chain: Arc<dyn TaskChain> = manager
            .make_threaded_chain(THREADED_CHAIN_NAME, settings, (self.runtime)())
            .unwrap_or_else(|e| panic!("cannot make the threaded chain on {}: {e}", self.label));
        Fixture {
            manager,
            clock,
            chain,
        }
    }

    /// Marks a frame on every chain (`manager.poll()`: the threaded chain
    /// runs nothing in it, but a `frame_sync` chain may start its next
    /// epoch), then naps so the workers progress before the caller looks.
    fn drive(&self, fixture: &Fixture) -> Result<(), Error> {
        fixture.manager.poll()?;
        std::thread::sleep(DRIVE_NAP);
        Ok(())
    }
}
