//! Waiting for a chain to get somewhere, whatever kind it is: a frame chain
//! progresses only when driven, a threaded chain by itself. Scenarios wait
//! for an outcome, never for an amount of time, so the same scenario holds
//! on both; the watchdog only turns a hang into a failure that names what
//! was awaited.

use std::time::{Duration, Instant};

use crate::{ChainFactory, Fixture};

/// How long [`settle`] drives before it fails: far beyond what any
/// scenario needs, so only a hang (a lost wake-up, a deadlock) reaches it.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Drives the chain (see [`ChainFactory::drive`]) until `cond()` holds.
/// `cond` is checked before the first drive too.
///
/// # Panics
///
/// If a drive fails, or `cond` still does not hold after
/// [`SETTLE_TIMEOUT`]: the message names `what` was awaited and the chain.
pub fn settle(
    factory: &dyn ChainFactory,
    fixture: &Fixture,
    what: &str,
    cond: impl FnMut() -> bool,
) {
    settle_for(factory, fixture, what, SETTLE_TIMEOUT, cond);
}

/// [`settle`] with a watchdog of `patience` instead of
/// [`SETTLE_TIMEOUT`]: for the stress checks, whose sizes make even a
/// healthy run of a debug build on a loaded machine take longer.
pub(crate) fn settle_for(
    factory: &dyn ChainFactory,
    fixture: &Fixture,
    what: &str,
    patience: Duration,
    mut cond: impl FnMut() -> bool,
) {
    let start = Instant::now();
    while !cond() {
        if let Err(e) = factory.drive(fixture) {
            panic!("while waiting for {what}: drive failed: {e:?}");
        }
        if start.elapsed() > patience {
            panic!(
                "watchdog: {what} did not happen within {patience:?} of driving {} \
                 (stats {:?})",
                factory.name(),
                fixture.chain.stats()
            );
        }
    }
}

/// Like [`settle`], but never polls the manager on a threaded chain: it
/// only waits, so what it awaits must come from the workers alone (a wake
/// that reached no worker, or a sleeper nobody re-checks, hangs it). A
/// frame chain, which progresses only when polled, is polled through its
/// own `poll()`, not the manager's: nothing on another chain runs.
pub(crate) fn settle_unaided(
    factory: &dyn ChainFactory,
    fixture: &Fixture,
    what: &str,
    mut cond: impl FnMut() -> bool,
) {
    let start = Instant::now();
    while !cond() {
        if factory.threads() == 0 {
            if let Err(e) = fixture.chain.poll() {
                panic!("while waiting for {what}: chain.poll() failed: {e:?}");
            }
        } else {
            std::thread::sleep(Duration::from_micros(200));
        }
        if start.elapsed() > SETTLE_TIMEOUT {
            panic!(
                "watchdog: {what} did not happen within {SETTLE_TIMEOUT:?} on {} without \
                 outside help (stats {:?})",
                factory.name(),
                fixture.chain.stats()
            );
        }
    }
}
