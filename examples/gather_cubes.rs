//! "Gather cubes": `cube(x)` pauses, then awaits `square(x)`,
//! a coroutine task of its own, and returns `x * square`. A gather of
//! `cube(3)`, `cube(4)` and `cube(5)` runs the three at once on one frame
//! chain; their steps interleave, `cube(5)` finishes first and `cube(3)`
//! last, yet the gather yields `[27, 64, 125]`: the values in argument
//! order, not in completion order (asyncio's `gather` does the same).
//!
//! ```text
//! cargo run --example gather_cubes            # real time, ~0.5 s
//! cargo run --example gather_cubes -- --fast  # manual clock, instant
//! ```
//!
//! With `--fast` the manager reads a [`ManualClock`] that the default chain
//! ticks forward by 1/60 s at the start of every frame (the chain setting
//! `tick_clock`), so the run is instant and prints the same times on every
//! machine.

use std::sync::Arc;
use std::time::Duration;

use taskchain::{
    gather, pause, Clock, Error, ManualClock, TaskBuilder, TaskChain, TaskHandle, TaskManager,
};

/// One frame at 60 fps, rounded up to the nanosecond so that 60 frames
/// cover a whole second (a pause of 0.1 s then ends on frame 6, not 7).
const FRAME: Duration = Duration::from_nanos(16_666_667);

/// Prints lines stamped with the time on the chain's clock since the run
/// started.
#[derive(Clone)]
struct Stopwatch {
    clock: Arc<dyn Clock>,
    start: Duration,
}

impl Stopwatch {
    fn log(&self, what: &str) {
        let t = self.clock.now().saturating_sub(self.start);
        println!("[{:.3} s] {what}", t.as_secs_f64());
    }
}

/// `x * x`, after a pause of `x * 50 ms`: a coroutine that `cube` runs as
/// a task of its own.
async fn square(watch: Stopwatch, x: u64) -> Result<u64, Error> {
    let nap = Duration::from_millis(50 * x);
    watch.log(&format!(
        "square({x}): task started, pausing {:.2} s",
        nap.as_secs_f64()
    ));
    pause(nap).await?;
    watch.log(&format!("square({x}) = {}", x * x));
    Ok(x * x)
}

/// `x * square(x)`, after a pause that is shorter the larger `x` is, so
/// that the larger numbers finish first.
async fn cube(watch: Stopwatch, x: u64) -> Result<u64, Error> {
    let nap = Duration::from_millis(100 * (6 - x));
    watch.log(&format!("cube({x}): pausing {:.2} s", nap.as_secs_f64()));
    pause(nap).await?;
    watch.log(&format!("cube({x}): awake, awaiting square({x})"));
    // Awaiting a task builder schedules it on this task's chain; a
    // fallible task's error (square's own, or its cancellation) is the
    // task's.
    let sq = TaskBuilder::fallible(square(watch.clone(), x))
        .name(&format!("square({x})"))
        .await?;
    watch.log(&format!("cube({x}) = {x} * {sq} = {}", x * sq));
    Ok(x * sq)
}

/// What `--help` prints (on stdout), and a bad argument (on stderr).
const USAGE: &str = "usage: gather_cubes [--fast]
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
    let clock = manager.clock().clone();
    // In fast mode the first frame ticks the clock to 1/60 s: count from
    // there, so that the first line reads 0.000 s in both modes.
    let start = if fast {
        clock.now() + FRAME
    } else {
        clock.now()
    };
    let watch = Stopwatch { clock, start };

    // Three coroutine tasks on the default chain; none runs before the
    // first frame.
    let cubes: Vec<TaskHandle<u64>> = [3, 4, 5]
        .into_iter()
        .map(|x| manager.spawn_fallible(cube(watch.clone(), x)))
        .collect();
    println!("spawned cube(3), cube(4), cube(5); gathering them");

    // gather(...) is done when every child is; awaiting it yields each
    // child's value in argument order.
    let values = manager.run_until_complete(async move { gather(cubes).await })??;
    println!("gather(cube(3), cube(4), cube(5)) in argument order:");
    println!("{values:?}");
    Ok(())
}
