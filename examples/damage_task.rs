//! The "damage task": a recurring coroutine task, Panda3D's
//!
//! ```python
//! async def damage_task(task):
//!     if player_in_lava():
//!         apply_damage()
//!         await Task.pause(10)
//!     return task.cont
//! ```
//!
//! Built with `TaskBuilder::recurring_coroutine`, the async closure is
//! invoked once per frame; each invocation returns a [`DoneStatus`] that
//! says what happens next, as for a plain recurring task. While an
//! invocation awaits its 10 s pause the task is suspended (no invocation
//! per frame, no cost); when the pause ends the invocation returns `Cont`
//! and the next one runs on the next frame. When health reaches 0 it
//! returns `Done` and the task ends.
//!
//! Mind the frame after each cooldown: the pause that ends at 12.000 s
//! ends that invocation (`Cont`), and the next invocation, the one that
//! finds the player still in lava, runs one frame later, at 12.017 s.
//!
//! The player's position is simulated by frame number: a plain recurring
//! task, of a lower sort so it runs first in each frame, walks the player
//! into the lava at 2 s, out at 15 s and back in at 30 s.
//!
//! ```text
//! cargo run --example damage_task   # instant: always on a manual clock
//! ```
//!
//! It always runs on a [`ManualClock`] set to `frame / 60` s before each
//! frame: 40 s of game time take a few milliseconds, and the times printed
//! are the same on every machine.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use taskchain::{
    pause, AsyncFuture, Clock, DoneStatus, Error, ManualClock, TaskBuilder, TaskContext,
    TaskManager,
};

/// Frames per second of the game loop.
const FPS: u64 = 60;

/// The player's health at the start.
const HEALTH: u32 = 100;

/// Damage per burn.
const DAMAGE: u32 = 25;

/// The pause after each burn.
const COOLDOWN: Duration = Duration::from_secs(10);

/// When frame `n` is due: `n / FPS` seconds, to the nanosecond.
fn frame_due(n: u64) -> Duration {
    Duration::from_nanos(n * 1_000_000_000 / FPS)
}

/// Whether the player stands in lava on frame `n`: from 2 s to 15 s, and
/// from 30 s on.
fn in_lava_on(n: u64) -> bool {
    (2 * FPS..15 * FPS).contains(&n) || n >= 30 * FPS
}

/// What `--help` prints (on stdout), and a bad argument (on stderr).
const USAGE: &str = "usage: damage_task [--fast]
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
    let in_lava = Arc::new(AtomicBool::new(false));
    let health = Arc::new(AtomicU32::new(HEALTH));

    // The player: moves by frame number and says when it steps in or out.
    let lava = in_lava.clone();
    let player = TaskBuilder::recurring(move |task: &TaskContext<'_>| {
        let now = in_lava_on(task.frame());
        if lava.swap(now, Ordering::Relaxed) != now {
            let what = if now { "walks into" } else { "steps out of" };
            println!(
                "t = {:6.3} s: the player {what} the lava",
                task.time().as_secs_f64()
            );
        }
        DoneStatus::Cont
    })
    .name("player")
    .sort(-1);
    manager.add_task(player)?;

    // The damage task: one invocation of the async closure per run.
    let hp = health.clone();
    let time = clock.clone();
    let damage = TaskBuilder::recurring_coroutine(move || {
        let (in_lava, health, clock) = (in_lava.clone(), hp.clone(), time.clone());
        async move {
            if !in_lava.load(Ordering::Relaxed) {
                return DoneStatus::Cont;
            }
            let left = health.load(Ordering::Relaxed).saturating_sub(DAMAGE);
            health.store(left, Ordering::Relaxed);
            println!(
                "t = {:6.3} s: burned for {DAMAGE}, health {left}",
                clock.now().as_secs_f64()
            );
            if left == 0 {
                println!(
                    "t = {:6.3} s: health 0, the damage task returns Done",
                    clock.now().as_secs_f64()
                );
                return DoneStatus::Done;
            }
            // Suspends this invocation, and with it the task, for 10 s on
            // the chain's clock. It fails only if the task is cancelled.
            if pause(COOLDOWN).await.is_err() {
                return DoneStatus::Done;
            }
            println!(
                "t = {:6.3} s: cooldown over, returning Cont",
                clock.now().as_secs_f64()
            );
            DoneStatus::Cont
        }
    })
    .name("damage");
    let damage = manager.add_task(damage)?;

    // The game loop: one poll per frame, the clock set to the frame's time.
    let mut frames = 0;
    while !damage.is_done() {
        manager.poll()?;
        frames += 1;
        clock.set(frame_due(frames));
    }
    damage.wait()?;
    println!(
        "the damage task finished after {frames} frames ({:.3} s); health {}",
        frame_due(frames - 1).as_secs_f64(),
        health.load(Ordering::Relaxed)
    );
    Ok(())
}
