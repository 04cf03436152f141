//! The "coroutine chain": a coroutine `outer` awaits `phase1`,
//! then `phase2(result1)`, and returns both results. The caller runs it to
//! completion with `TaskManager::run_until_complete`, asyncio's
//! `loop.run_until_complete(outer())`, and gets
//! `("result1", "result2 derived from result1")`.
//!
//! It shows the two ways to await another coroutine:
//!
//! - `phase1(..).await` runs the `async fn` inside `outer`'s own task, like
//!   a function call that may suspend;
//! - `TaskBuilder::fallible(phase2(..)).name("phase2").await` schedules it
//!   as a task of its own on `outer`'s chain (it has a name, could be found
//!   or cancelled by it) and resumes `outer` when that task completes.
//!
//! Each phase pauses on the chain's clock; the frame loop inside
//! `run_until_complete` goes on meanwhile.
//!
//! ```text
//! cargo run --example coroutine_chain            # real time, ~0.8 s
//! cargo run --example coroutine_chain -- --fast  # manual clock, instant
//! ```
//!
//! With `--fast` the manager reads a [`ManualClock`] that the default chain
//! ticks forward by 1/60 s at the start of every frame (the chain setting
//! `tick_clock`), so the run is instant and prints the same times on every
//! machine.

use std::sync::Arc;
use std::time::Duration;

use taskchain::{pause, Clock, Error, ManualClock, TaskBuilder, TaskChain, TaskManager};

/// One frame at 60 fps, rounded up to the nanosecond so that 60 frames
/// cover a whole second (a pause of 0.5 s then ends on frame 30, not 31).
const FRAME: Duration = Duration::from_nanos(16_666_667);

/// Prints lines stamped with the time on the chain's clock since the
/// stopwatch was started.
#[derive(Clone)]
struct Stopwatch {
    clock: Arc<dyn Clock>,
    start: Duration,
}

impl Stopwatch {
    fn start(clock: Arc<dyn Clock>) -> Self {
        let start = clock.now();
        Stopwatch { clock, start }
    }

    fn log(&self, what: &str) {
        let t = self.clock.now().saturating_sub(self.start);
        println!("[{:.3} s] {what}", t.as_secs_f64());
    }
}

/// The first phase: an `async fn` awaited directly, so it runs inside the
/// awaiting task.
async fn phase1(watch: Stopwatch) -> Result<String, Error> {
    watch.log("phase1: start, pausing 0.5 s");
    pause(Duration::from_millis(500)).await?;
    watch.log("phase1: end");
    Ok("result1".to_owned())
}

/// The second phase, which needs the first one's result; `outer` runs it as
/// a task of its own.
async fn phase2(watch: Stopwatch, result1: String) -> Result<String, Error> {
    watch.log(&format!("phase2: start with {result1:?}, pausing 0.25 s"));
    pause(Duration::from_millis(250)).await?;
    watch.log("phase2: end");
    Ok(format!("result2 derived from {result1}"))
}

/// The chain: one phase after the other, the second fed by the first.
async fn outer(clock: Arc<dyn Clock>) -> Result<(String, String), Error> {
    let watch = Stopwatch::start(clock);
    watch.log("outer: start, awaiting phase1");
    let result1 = phase1(watch.clone()).await?;
    watch.log(&format!(
        "outer: phase1 returned {result1:?}, awaiting phase2 as a task"
    ));
    // Awaiting a task builder schedules the task on this chain; a fallible
    // task's error (phase2's own, its cancellation or panic) is the task's.
    let result2 = TaskBuilder::fallible(phase2(watch.clone(), result1.clone()))
        .name("phase2")
        .await?;
    watch.log(&format!("outer: phase2 returned {result2:?}"));
    Ok((result1, result2))
}

/// What `--help` prints (on stdout), and a bad argument (on stderr).
const USAGE: &str = "usage: coroutine_chain [--fast]
  --fast  use a manual clock ticked 1/60 s per frame: no waiting
";

fn main() -> Result<(), Error> {
    let mut fast = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--fast" => fast = true,
            "--help" | "-h" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            _ => {
                eprint!("{USAGE}");
                std::process::exit(2);
            }
        }
    }

    let manager = if fast {
        let manager = TaskManager::with_clock(ManualClock::with_tick_step(FRAME));
        let chain = manager.default_chain();
        chain.configure(chain.settings().tick_clock(true))?;
        manager
    } else {
        TaskManager::new()
    };

    println!("run_until_complete(outer()) ...");
    // Spawns `outer` on the default chain and polls the chains, frame after
    // frame, until it completes.
    let results = manager.run_until_complete(outer(manager.clock().clone()))??;
    println!("run_until_complete returned:");
    println!("{results:?}");
    Ok(())
}
