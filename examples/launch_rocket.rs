//! The "launch rocket" countdown: a coroutine counts down from
//! 3, awaiting `pause(1 s)` between numbers, while the frame loop keeps
//! rendering at 60 frames per second. Waiting costs the frame nothing: the
//! paused coroutine sleeps in the chain's timer heap, so every frame runs,
//! and none runs late.
//!
//! ```text
//! cargo run --release --example launch_rocket            # real time, ~3 s
//! cargo run --release --example launch_rocket -- --fast  # manual clock, instant
//! ```
//!
//! With `--fast` the manager reads a [`ManualClock`] that the loop advances
//! by 1/60 s per frame instead of sleeping, so the run is instant and its
//! output (but for the measured work time) is the same on every machine.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskchain::{pause, AsyncFuture, DoneStatus, Error, ManualClock, TaskContext, TaskManager};

/// Frames per second of the render loop.
const FPS: u64 = 60;

/// Print the frame counter every this many frames.
const PRINT_EVERY: u64 = 30;

/// When frame `n` is due, from the start of the run: `n / FPS` seconds,
/// to the nanosecond (so that 60 frames make exactly one second).
fn frame_due(n: u64) -> Duration {
    Duration::from_nanos(n * 1_000_000_000 / FPS)
}

/// What `--help` prints (on stdout), and a bad argument (on stderr).
const USAGE: &str = "usage: launch_rocket [--fast]
  --fast  use a manual clock advanced 1/60 s per frame: no waiting
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

    // The manual clock only moves when the loop below advances it.
    let clock = ManualClock::new();
    let manager = if fast {
        TaskManager::with_clock(clock.clone())
    } else {
        TaskManager::new()
    };

    // The renderer: a recurring task that runs once per frame and counts
    // the frames it rendered.
    let rendered = Arc::new(AtomicU64::new(0));
    let counter = rendered.clone();
    manager.add(move |task: &TaskContext<'_>| {
        let frame = counter.fetch_add(1, Ordering::Relaxed);
        if frame.is_multiple_of(PRINT_EVERY) {
            println!("frame {frame:>3}  t = {:.3} s", task.time().as_secs_f64());
        }
        DoneStatus::Cont
    });

    // The countdown: a coroutine that pauses between numbers without
    // holding up a single frame.
    let countdown = manager.spawn_fallible(async {
        for n in (1..=3).rev() {
            println!("{n}");
            pause(Duration::from_secs(1)).await?;
        }
        println!("Launch!");
        Ok(())
    });

    // The frame loop.
    let slot = frame_due(1);
    let start = Instant::now();
    let mut frames = 0u64;
    let mut late = 0u64;
    let mut stalled = 0u64;
    let mut longest = Duration::ZERO;
    loop {
        let work = Instant::now();
        manager.poll()?;
        let took = work.elapsed();
        longest = longest.max(took);
        if took > slot {
            late += 1;
        }
        frames += 1;
        if rendered.load(Ordering::Relaxed) != frames {
            stalled += 1;
        }
        if countdown.is_done() {
            break;
        }
        let due = frame_due(frames);
        if fast {
            clock.advance(due - frame_due(frames - 1));
        } else if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    countdown.wait()?;

    // The manual clock's time, or the wall clock's.
    let clock_time = if fast {
        frame_due(frames - 1)
    } else {
        start.elapsed()
    };
    if stalled == 0 {
        println!(
            "rendered {frames} frames in {:.3} s; the frame counter advanced on every frame",
            clock_time.as_secs_f64()
        );
    } else {
        println!(
            "rendered {frames} frames in {:.3} s; the frame counter stalled on {stalled} frames",
            clock_time.as_secs_f64()
        );
    }
    println!(
        "late frames: {late} (longest frame work {:.3} ms of a {:.3} ms frame)",
        longest.as_secs_f64() * 1e3,
        slot.as_secs_f64() * 1e3
    );
    Ok(())
}
