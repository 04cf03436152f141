//! Futures: completion handles any thread can observe, await, cancel and
//! attach done callbacks to.
//!
//! - `async_future`: the `AsyncFuture` trait.
//! - `boxed`: `BoxedAsyncFuture`, any future of one value type behind
//!   one type.
//! - `state`: `FutureState`, the state machine every taskchain future
//!   shares (pending, then one terminal state, with its waiters).
//! - `promise`: `Promise`, a future completed by hand.
//! - `gathering`: what every gather shares, whatever holds its children.
//! - `gather`: one future over many, done when all of them are.
//! - `gather_tuple`: the same over a tuple of futures of different types.
//! - `as_completed`: a stream of futures' results as they finish.
//! - `shield`: a future whose cancellation leaves the one it wraps alone.

pub(crate) mod as_completed;
pub(crate) mod async_future;
pub(crate) mod boxed;
pub(crate) mod gather;
pub(crate) mod gather_tuple;
pub(crate) mod gathering;
pub(crate) mod pending_call;
pub(crate) mod promise;
pub(crate) mod shield;
pub(crate) mod state;
