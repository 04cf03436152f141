//! Coroutines stepped by hand: the caller owns the frame loop.
//! Two coroutine tasks are spawned on a manager that reads a
//! [`ManualClock`]; each `manager.poll()` runs one frame, and between
//! frames the caller moves the clock forward by a quarter of a second.
//!
//! - `sleeper` pauses 1 s: it suspends on frame 0, costs nothing while it
//!   sleeps in the chain's timer heap (`is_sleeping()` says so), and
//!   resumes on the first frame whose time has reached its deadline.
//! - `ticker` yields with `next_frame()` (Panda3D's `yield` in a coroutine
//!   task): it suspends and resumes once per frame.
//!
//! Nothing runs between polls, and spawning runs nothing either: the
//! coroutines only move inside `poll()`. `is_done()` flips to `true` on the
//! frame each one returns.
//!
//! ```text
//! cargo run --example by_hand   # instant: always on a manual clock
//! ```

use std::time::Duration;

use taskchain::{
    next_frame, pause, AsyncFuture, Clock, Error, ManualClock, TaskHandle, TaskManager,
};

/// How far the caller moves the clock between frames.
const STEP: Duration = Duration::from_millis(250);

/// How the caller sees a task between frames: `sleeping` while it waits
/// out a pause in the chain's timer heap, `suspended` while it waits at
/// another await (here `next_frame()`), `done` once it has returned.
fn state<T: Send>(task: &TaskHandle<T>) -> &'static str {
    if task.is_done() {
        "done"
    } else if task.is_sleeping() {
        "sleeping"
    } else {
        "suspended"
    }
}

/// What `--help` prints (on stdout), and a bad argument (on stderr).
const USAGE: &str = "usage: by_hand [--fast]
  runs on a manual clock, always instant; --fast changes nothing
";

fn main() -> Result<(), Error> {
    // Always on the manual clock: `--fast`, which the other examples take,
    // is accepted and changes nothing.
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--fast" => {}
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

    let clock = ManualClock::new();
    let manager = TaskManager::with_clock(clock.clone());

    let sleeper = manager.spawn_fallible(async {
        println!("  sleeper: started, pausing 1 s");
        pause(Duration::from_secs(1)).await?;
        println!("  sleeper: resumed after its pause, returning");
        Ok("rested")
    });
    let ticker = manager.spawn(async {
        for tick in 1..=3 {
            println!("  ticker: tick {tick}, yielding until the next frame");
            next_frame().await;
            println!("  ticker: resumed");
        }
        println!("  ticker: returning");
        3
    });
    println!(
        "spawned: sleeper done = {}, ticker done = {} (nothing runs before a poll)",
        sleeper.is_done(),
        ticker.is_done()
    );

    let mut frame = 0;
    while !(sleeper.is_done() && ticker.is_done()) {
        println!(
            "frame {frame}: t = {:.2} s, manager.poll()",
            clock.now().as_secs_f64()
        );
        manager.poll()?;
        println!(
            "frame {frame}: sleeper {} (is_done = {}), ticker {} (is_done = {})",
            state(&sleeper),
            sleeper.is_done(),
            state(&ticker),
            ticker.is_done()
        );
        clock.advance(STEP);
        frame += 1;
    }

    println!(
        "after {frame} frames: sleeper returned {:?}, ticker returned {:?}",
        sleeper.wait()?,
        ticker.wait()?
    );
    Ok(())
}
