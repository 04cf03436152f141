//! A round in an arena, with asyncio's and Panda3D's newer habits:
//!
//! - the referee waits two seconds for a surrender (`wait_for`, which
//!   times out on the chain's clock);
//! - it then puts two guards in a `TaskGroup` and waits for both;
//! - each guard handles every "hit" event from its own stream (Python's
//!   `async for hit in ...`), names itself (`current_task()`), and falls
//!   when its hit points run out;
//! - the player is a recurring task that sends a hit every half second;
//! - a whistle (`call_later`) would end the round after a minute: it is
//!   cancelled when the round ends first.
//!
//! ```sh
//! cargo run --example arena            # real time, 60 fps
//! cargo run --example arena -- --fast  # manual clock, finishes at once
//! ```

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use taskchain::{
    current_task, wait_for, DoneStatus, Error, EventStream, ManualClock, TaskContext, TaskGroup,
    TaskManager,
};

/// 1/60 s, rounded up so that 60 frames make exactly one second.
const FRAME: Duration = Duration::from_nanos(16_666_667);

/// Takes every hit from `hits` until `hp` runs out; returns its name.
async fn guard(
    name: &'static str,
    mut hp: u32,
    mut hits: EventStream<u32>,
) -> Result<String, Error> {
    let me = current_task().ok_or(Error::NoChain)?;
    me.set_name(name);
    while let Some(hit) = hits.next().await {
        let damage = hit?;
        hp = hp.saturating_sub(damage);
        println!(
            "{name}: hit for {damage}, {hp} left (frame {})",
            me.frame_count()
        );
        if hp == 0 {
            return Ok(name.to_owned());
        }
    }
    Err(Error::Shutdown)
}

/// What `--help` prints (on stdout), and a bad argument after its reason
/// (on stderr).
const USAGE: &str = "usage: arena [--fast]
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
    let messenger = manager.messenger();

    let referee = {
        let messenger = messenger.clone();
        manager.spawn_fallible(async move {
            let surrender = messenger.future::<()>("surrender")?;
            match wait_for(surrender, Duration::from_secs(2)).await {
                Err(Error::Timeout) => println!("referee: nobody surrendered, fight!"),
                other => println!("referee: {other:?}"),
            }
            let group = TaskGroup::new();
            group.spawn_fallible(guard("tank", 30, messenger.stream("hit", 8)?))?;
            group.spawn_fallible(guard("scout", 20, messenger.stream("hit", 8)?))?;
            let fallen = group.join().await?;
            println!("referee: {} fell", fallen.join(" and "));
            Ok(fallen.len())
        })
    };
    let whistle = manager
        .call_later(Duration::from_secs(60), || println!("whistle: time is up"))
        .expect("the chain runs");

    // The player strikes every half second once the fight is on.
    let _player = manager.add(move |task: &TaskContext<'_>| {
        let since_start = task.time();
        if since_start >= Duration::from_secs(2) && task.frame().is_multiple_of(30) {
            let _ = messenger.send("hit", 10u32);
        }
        DoneStatus::Cont
    });

    let mut frames = 0u64;
    while !referee.is_done() {
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
    if whistle.cancel() {
        println!("whistle: not needed");
    }
    match referee.try_read() {
        Some(Ok(n)) => println!("the round ended with {n} fallen after {frames} frames"),
        other => {
            eprintln!("the referee failed: {other:?}");
            std::process::exit(1);
        }
    }
}
