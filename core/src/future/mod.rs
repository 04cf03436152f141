//! Futures: completion handles any thread can observe, await, cancel and
//! attach done callbacks to.
//!
//! - `async_future`: the `AsyncFuture` trait.
//! - `state`: `FutureState`, the state machine every taskchain future
//!   shares (pending, then one terminal state, with its waiters).
//! - `promise`: `Promise`, a future completed by hand.
//! - `gather`: one future over many, done when all of them are.
//! - `shield`: a future whose cancellation leaves the one it wraps alone.

pub(crate) mod async_future;
pub(crate) mod gather;
pub(crate) mod promise;
pub(crate) mod shield;
pub(crate) mod state;
