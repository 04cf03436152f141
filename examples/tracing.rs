//! What the `tracing` feature reports, printed by `tracing-subscriber`'s
//! `fmt` subscriber: every task run is a `task` span (its id, name, chain,
//! sort and priority; a `new` line each), and a task's life sends events
//! that the subscriber prints inside the span of the run they happen in.
//!
//! Four frames on a manual clock, with three tasks:
//!
//! - `heartbeat`, a named recurring task (sort 1, priority 2) that beats
//!   on three frames, then returns `Done`: its `upon_death` is reported;
//! - `sleeper`, a coroutine that pauses for a minute and is cancelled
//!   while it sleeps: the request, then its delivery at the coroutine's
//!   await point on the next frame;
//! - `faulty`, a coroutine that panics: the panic is caught, reported, and
//!   its handle holds `Error::Panicked`.
//!
//! Then the manager shuts down, which reports the default chain's shutdown.
//!
//! ```text
//! cargo run --example tracing --features tracing   # instant: a manual clock
//! ```

use std::time::Duration;

use taskchain::{
    pause, DoneStatus, Error, ManualClock, TaskBuilder, TaskContext, TaskHandle, TaskManager,
};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// What `--help` prints (on stdout), and a bad argument after its reason
/// (on stderr).
const USAGE: &str = "usage: tracing [--fast]
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
            other => {
                eprint!("unknown argument {other:?}\n{USAGE}");
                std::process::exit(2);
            }
        }
    }

    // Every level (the run spans are TRACE), a line for each new span, no
    // timestamps so that runs print alike.
    tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .with_span_events(FmtSpan::NEW)
        .without_time()
        .init();
    // The `task panicked` event reports the deliberate panic below; the
    // default hook's report on stderr would say it twice.
    std::panic::set_hook(Box::new(|_| {}));

    let clock = ManualClock::new();
    let manager = TaskManager::with_clock(clock.clone());

    let heartbeat = manager.add_task(
        TaskBuilder::recurring(|task: &TaskContext<'_>| {
            println!("heartbeat: beat {}", task.frame() + 1);
            if task.frame() < 2 {
                DoneStatus::Cont
            } else {
                DoneStatus::Done
            }
        })
        .name("heartbeat")
        .sort(1)
        .priority(2)
        .upon_death(|clean| println!("heartbeat: upon_death, clean exit = {clean}")),
    )?;
    let sleeper = manager.add_task(
        // Fallible: the `Cancelled` its pause returns ends it cancelled.
        TaskBuilder::fallible(async {
            pause(Duration::from_secs(60)).await?;
            Ok("rested")
        })
        .name("sleeper"),
    )?;
    let faulty: TaskHandle<()> = manager.add_task(
        TaskBuilder::coroutine(async { panic!("the faulty task gave up") }).name("faulty"),
    )?;

    for frame in 0..4 {
        println!("-- frame {frame}");
        manager.poll()?;
        if frame == 0 {
            println!("cancelling the sleeper: {}", sleeper.cancel());
        }
        clock.advance(Duration::from_millis(100));
    }

    println!(
        "heartbeat done: {}, sleeper: {:?}, faulty: {:?}",
        heartbeat.is_done(),
        sleeper.try_read().expect("the sleeper ended"),
        faulty.try_read().expect("the faulty task ended"),
    );
    println!("-- shutting down");
    manager.shutdown();
    Ok(())
}
