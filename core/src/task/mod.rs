//! Tasks: the unit of scheduled work, from its trait and kinds to the cell
//! a spawned task lives in and the handles that observe it.
//!
//! - `kinds`: the `Task` trait, `Step`, and the kinds taskchain provides
//!   (recurring closures, coroutines, recurring coroutines).
//! - `status`: `DoneStatus`, what a recurring task asks of its chain.
//! - `blocking`: `Blocking`, a blocking closure run once as a task.
//! - `sequence`: task sequences, child tasks run one after another as one.
//! - `builder`: `TaskBuilder`, a task with its properties, not yet scheduled.
//! - `coroutine_task`: `CoroutineTask`, a coroutine task written as a struct
//!   whose `run` method is the coroutine (object-safe, with `async_trait`).
//! - `state`: the state word below and its transitions.
//! - `header`: the type-independent part of a task (id, sort, priority,
//!   start time, state, chain, out-of-line properties) and spawn options.
//! - `cell`: the task cell (header, future state, and one stage for the
//!   work and then the output), one allocation per spawned task, and how
//!   it runs, is cancelled and ends.
//! - `raw`: references to a cell (`TaskRef`, blind to its types, and
//!   `OutputRef`, for handles), the table of its typed functions, and the
//!   task's waker.
//! - `awaited`: the future a suspended coroutine awaits, which its
//!   cancel cancels at once.
//! - `current`: the current run (the thread-local frame a chain sets while
//!   it polls a task).
//! - `name`: a task's name, changeable while it lives.
//! - `context`: `TaskContext`, what a recurring task sees of itself.
//! - `handle`: `TaskHandle`, `LocalTaskHandle` and `AnyTask`.
//! - `group`: `TaskGroup`, children spawned and awaited together, the
//!   first failure cancelling the rest.
//! - `local`: `LocalSpawner`, spawning `!Send` tasks on a frame chain.
//! - `pause`: await points on the chain itself, `pause` and `next_frame`.
//! - `wait_for`: awaiting a future for at most some time on the chain's
//!   clock.
//!
//! # The state word
//!
//! A task's state is one atomic word; only `state.rs` changes it, through
//! named transitions, and everyone else reads a snapshot. Above its flags
//! it counts the references to the cell (each `TaskRef`, handle and
//! waker); no transition touches the count. Its flags:
//!
//! | bit | meaning | set by | cleared by |
//! |---|---|---|---|
//! | `SCHEDULED` | in a run queue, or on its way to one | submit, a wake, a run that asks to run again | the run that starts, a cancel or abort that claims the task, completion |
//! | `RUNNING` | someone owns the work: a runner, or a canceller ending the task | a run starting, a claiming cancel or abort | the run leaving it, completion |
//! | `WOKEN` | woken (or cancelled) while running: requeue whatever the run asks | a wake, cancel or abort during a run | the run leaving it (it becomes `SCHEDULED`) |
//! | `SLEEPING` | in the chain's sleep heap (delay, `Again`, `pause`) | submit with a delay, a run that sleeps | the run that starts, completion |
//! | `SUSPENDED` | a coroutine is between two polls of one invocation | a poll returning `Pending` | a run returning a step, completion |
//! | `COMPLETE` | terminal: the outcome is, or is about to be, published | completion | never |
//! | `HANDLE` | a typed handle may still read the output | spawn | the handle's drop |
//! | `CANCEL_PENDING` | a cancel request waits to be delivered | a cancel or abort | its delivery at an await point, on the runner |
//! | `CANCEL_REQUESTED` | `cancel()` (or shutdown) asked for the task's end, at least once | a cancel or abort | never |
//! | `CANCEL_SEEN` | the current run began with a request pending | that run | the next run's start |
//! | `FINISHING` | the outcome is decided (the run produced its value or panicked, or the task is ending cancelled) | the runner, or whoever ends the task | never |
//! | `HOSTED` | a runtime task was made to host the task (see `TaskHost`) | whoever makes it, once | never |
//! | `RESORT_PENDING` | a re-sort of the task is on its way to the chain's queues | a change of sort or priority | the queues, taking it |
//!
//! Which may coexist:
//!
//! - `RUNNING` excludes `SCHEDULED` and `SLEEPING`; `WOKEN` only comes with
//!   `RUNNING`. `SLEEPING` may come with `SCHEDULED` (woken early: the queue
//!   entry runs it, the sleep entry is stale).
//! - `SUSPENDED` comes with any of `RUNNING` (a resumed poll),
//!   `SCHEDULED` (woken) or `SLEEPING` (`pause`), or alone (awaiting).
//! - `COMPLETE` clears `SCHEDULED`, `RUNNING`, `WOKEN`, `SLEEPING` and
//!   `SUSPENDED`; the sticky bits stay.
//! - `CANCEL_PENDING` and `CANCEL_SEEN` only come with `CANCEL_REQUESTED`;
//!   a delivery clears both, so a request made after it is one this run
//!   has not seen.
//!
//! Who owns what:
//!
//! - The work (closure or future) belongs to the holder of `RUNNING`; at
//!   rest (queued, sleeping, suspended) nobody touches it. It is pinned in
//!   its cell from its first poll and dropped there by the holder of
//!   `RUNNING` as the task completes, on a thread that may drop it (any
//!   thread for a `Send` task, the chain's owner thread for a `!Send` one,
//!   a fixed property of the task rather than a bit); shutdown off the
//!   owner thread leaks a `!Send` task's work with its cell instead.
//! - The output takes the work's place in the cell's stage once the work
//!   is dropped, at completion, after `COMPLETE`; the future state then
//!   publishes a mark of it (`Ready`). Whoever moves that mark to `Taken`,
//!   under the future state's lock, owns the output: a reader moves it out,
//!   and whoever ends last of the handle (clearing `HANDLE` after
//!   `COMPLETE`) and the completion (finding `HANDLE` gone) drops it. The
//!   header's `stage` byte says what the stage holds; only the stage's
//!   owner of the moment reads or writes it.
//! - A queue entry carries the task's token from when it was queued; an
//!   entry whose token is no longer current is stale and skipped.
//!
//! # Cancellation
//!
//! `cancel()` counts the request (in the out-of-line properties, for
//! `cancelling()`) and sets `CANCEL_PENDING` and `CANCEL_REQUESTED` in one
//! transition that also decides who acts on it:
//!
//! - queued, sleeping or not started, on a thread that may drop the work:
//!   the caller claims `RUNNING` and ends the task cancelled at once;
//! - running: `WOKEN` is set too, so the runner requeues the task and its
//!   next run delivers the request;
//! - suspended in an await (or a `!Send` task, off its owner thread): if
//!   the task is suspended on a future of the crate, the caller cancels
//!   that future before `cancel()` returns (see `awaited`), and the task
//!   reads `Cancelled` from it, which delivers the request (clearing
//!   `CANCEL_PENDING`). Otherwise the task is woken, its next run finds
//!   the request pending, and the first await point of the crate it polls
//!   delivers it: that await cancels what it awaits and returns
//!   `Error::Cancelled`. A run that ends still pending without delivering
//!   it (`CANCEL_SEEN` at the next suspension) awaits a foreign future,
//!   and the task ends cancelled;
//! - a request already pending: this one joins it (one delivery answers
//!   both), and `cancel()` returns true; a removal (`remove`,
//!   `remove_by_name`) does not join it and returns false;
//! - complete or `FINISHING` (set as the outcome is decided, before
//!   `upon_death` runs): nothing to do, and `cancel()` returns false.
//!
//! A delivered request is the coroutine's to handle: if it goes on and
//! returns a value, the task finishes with it, and a later `cancel()`
//! makes a new request, delivered at its next await (Panda3D's and
//! asyncio's refusable cancel). A fallible coroutine that propagates the
//! `Error::Cancelled` ends the task cancelled. The runner decides the
//! outcome in one step (`FINISHING`): a request still pending then wins
//! over the value or panic of the run, and one that lands after finds the
//! task finishing. A recurring task has no await point: a pending request
//! ends it at the end of its run. `next_frame()` delivers no request
//! either: a run that ends there with a request pending ends the task
//! cancelled, as one that awaits a foreign future does.

pub(crate) mod awaited;
pub(crate) mod blocking;
pub(crate) mod builder;
pub(crate) mod cell;
pub(crate) mod context;
pub(crate) mod coroutine_task;
pub(crate) mod current;
pub(crate) mod death;
pub(crate) mod group;
pub(crate) mod handle;
pub(crate) mod header;
pub(crate) mod host_waker;
pub(crate) mod kinds;
pub(crate) mod local;
pub(crate) mod name;
pub(crate) mod pause;
pub(crate) mod raw;
pub(crate) mod sequence;
pub(crate) mod state;
pub(crate) mod status;
pub(crate) mod wait_for;
