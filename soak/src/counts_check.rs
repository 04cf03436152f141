//! The chain's own count of live tasks (`chain.stats()`) against the
//! soak's books.

use taskchain::{ChainStats, TaskChain};

use crate::ledger::Ledger;

/// Checks `chain.stats().total()` against the tasks the ledger sees
/// unfinished, read just before and just after it. A task is counted live
/// from its start until a little after its future is done (its runner
/// publishes the outcome, then retires it), so: every task unfinished after
/// the read was live at the read, and at most `in_flight` tasks (one per
/// worker thread, each between publishing and retiring) were live without
/// being unfinished before it. On the frame chain, checked between two
/// `poll()`s of the same thread, `in_flight` is 0 and the counts are equal.
///
/// Returns the stats read, and a violation if they disagree.
pub fn check_counts(
    chain: &dyn TaskChain,
    ledger: &Ledger,
    in_flight: usize,
) -> (ChainStats, Option<String>) {
    let before = ledger.not_done();
    let stats = chain.stats();
    let after = ledger.not_done();
    let total = stats.total();
    let wrong = (after > total || total > before + in_flight).then(|| {
        format!(
            "chain.stats() counts {total} live tasks ({} active, {} sleeping); the soak \
             saw {before} unfinished before reading it and {after} after (allowing \
             {in_flight} being retired)",
            stats.active, stats.sleeping
        )
    });
    (stats, wrong)
}
