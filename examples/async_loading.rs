//! Background loading: heavy work runs on a threaded chain while a
//! coroutine on the frame chain awaits it, and the frame loop never waits.
//!
//! ```sh
//! cargo run --release --example async_loading            # real time, 60 fps
//! cargo run --release --example async_loading -- --fast  # manual clock, no frame pacing
//! ```
//!
//! The "level" is the primes below 200,000, found by trial division on
//! the loader chain's thread (`spawn_blocking`). The frame coroutine prints
//! when it starts waiting and when the level arrives; the frame loop keeps
//! polling meanwhile and reports how long its longest frame took: the job
//! never runs on the frame thread.

use std::time::{Duration, Instant};

use taskchain::{AsyncFuture, Backend, ChainSettings, ManualClock, TaskChainExt, TaskManager};

const FRAME: Duration = Duration::from_nanos(16_666_667);

/// The heavy part of loading: deliberately slow, blocking work.
fn load_level() -> Vec<u32> {
    (2..200_000u32)
        .filter(|&n| (2..).take_while(|d| d * d <= n).all(|d| n % d != 0))
        .collect()
}

/// What `--help` prints (on stdout), and a bad argument after its reason
/// (on stderr).
const USAGE: &str = "usage: async_loading [--fast]
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
    let loader = Backend::Threadpool
        .make_chain(&manager, "loader", ChainSettings::default().num_threads(1))
        .unwrap_or_else(|e| {
            eprintln!("cannot start the loader chain: {e}");
            std::process::exit(1);
        });

    let level = loader.spawn_blocking(load_level);
    let scene = manager.spawn_fallible(async move {
        println!("loading the level in the background");
        let primes = level.await?;
        println!(
            "level loaded: {} primes, the last {}",
            primes.len(),
            primes.last().copied().unwrap_or(0)
        );
        Ok(primes.len())
    });

    let mut frames = 0u64;
    let mut longest = Duration::ZERO;
    while !scene.is_done() {
        let start = Instant::now();
        if let Err(e) = manager.poll() {
            eprintln!("poll failed: {e}");
            std::process::exit(1);
        }
        let took = start.elapsed();
        longest = longest.max(took);
        frames += 1;
        if fast {
            clock.advance(FRAME);
            std::thread::yield_now();
        } else {
            std::thread::sleep(FRAME.saturating_sub(took));
        }
    }
    match scene.wait() {
        Ok(_) => {}
        other => {
            eprintln!("loading failed: {other:?}");
            std::process::exit(1);
        }
    }
    println!("the frame loop kept running while the loader worked");
    println!(
        "{frames} frames rendered during the load; longest frame {:.3} ms of a {:.3} ms budget",
        longest.as_secs_f64() * 1e3,
        FRAME.as_secs_f64() * 1e3
    );
    manager.shutdown();
}
