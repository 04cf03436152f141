//! Event futures: a coroutine awaits `event_future("door-open")` while
//! another task (here a recurring "player" task) sends the event when the
//! player reaches the door. The payload travels with the event.
//!
//! ```sh
//! cargo run --example event_future            # real time, 60 fps
//! cargo run --example event_future -- --fast  # manual clock, finishes at once
//! ```

use std::time::{Duration, Instant};

use taskchain::{AsyncFuture, DoneStatus, ManualClock, TaskContext, TaskManager};

/// 1/60 s, rounded up so that 60 frames make exactly one second.
const FRAME: Duration = Duration::from_nanos(16_666_667);

/// What `--help` prints (on stdout), and a bad argument after its reason
/// (on stderr).
const USAGE: &str = "usage: event_future [--fast]
  --fast  use a manual clock advanced 1/60 s per frame: no waiting
";

fn main() {
    let fast = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--fast") => true,
        Some("--help" | "-h") => {
            print!("{USAGE}");
            std::process::exit(0);
        }
        Some(other) => {
            eprint!("unknown argument {other:?}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let clock = ManualClock::new();
    let manager = if fast {
        TaskManager::with_clock(clock.clone())
    } else {
        TaskManager::new()
    };

    // The door: a coroutine that waits for the event, however long it takes.
    let opened = match manager.event_future::<String>("door-open") {
        Ok(future) => future,
        Err(e) => {
            eprintln!("cannot listen for the door: {e}");
            std::process::exit(1);
        }
    };
    let door = manager.spawn_fallible(async move {
        println!("door: waiting for someone to open me");
        let who = opened.await?;
        println!("door: opened by {who}");
        Ok(who)
    });

    // The player walks 1 m per second; the door is 3 m away.
    let messenger = manager.messenger();
    let _player = manager.add(move |task: &TaskContext<'_>| {
        let walked = task.time().as_secs_f64();
        if walked < 3.0 {
            return DoneStatus::Cont;
        }
        println!("player: reached the door after {walked:.1} s, sending door-open");
        if let Err(e) = messenger.send("door-open", "the player".to_owned()) {
            eprintln!("player: cannot send: {e}");
        }
        DoneStatus::Done
    });

    let mut frames = 0u64;
    while !door.is_done() {
        let start = Instant::now();
        if let Err(e) = manager.poll() {
            eprintln!("poll failed: {e}");
            std::process::exit(1);
        }
        frames += 1;
        if fast {
            clock.advance(FRAME);
        } else {
            std::thread::sleep(FRAME.saturating_sub(start.elapsed()));
        }
    }
    match door.wait() {
        Ok(who) => println!("the door task returned {who:?} after {frames} frames"),
        other => {
            eprintln!("the door task failed: {other:?}");
            std::process::exit(1);
        }
    }
}
