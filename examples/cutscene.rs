//! A cutscene in one coroutine: disable the player's input, await a
//! sequence of intervals (a camera move, a hold, a fade to black), then
//! re-enable input. The frame loop keeps rendering while it plays, and
//! input stays off for exactly as long as the intervals run.
//!
//! ```sh
//! cargo run --example cutscene            # real time, 60 fps
//! cargo run --example cutscene -- --fast  # manual clock, finishes at once
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use taskchain::{play, AsyncFuture, Interval, Lerp, ManualClock, TaskManager, Wait};

/// 1/60 s, rounded up so that 60 frames make exactly one second.
const FRAME: Duration = Duration::from_nanos(16_666_667);

/// What `--help` prints (on stdout), and a bad argument after its reason
/// (on stderr).
const USAGE: &str = "usage: cutscene [--fast]
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
    let now = {
        let clock = manager.clock().clone();
        move || clock.now().as_secs_f64()
    };

    let input_enabled = Arc::new(AtomicBool::new(true));
    let camera = Arc::new(Mutex::new((0.0_f32, 2.0_f32)));
    let brightness = Arc::new(Mutex::new(1.0_f32));

    let scene = {
        let (input, cam, light, now) = (
            input_enabled.clone(),
            camera.clone(),
            brightness.clone(),
            now.clone(),
        );
        manager.spawn_fallible(async move {
            input.store(false, Ordering::SeqCst);
            println!("[{:.3} s] cutscene: input disabled", now());
            let set_cam = cam.clone();
            let set_light = light.clone();
            let shots = Lerp::new(
                (0.0_f32, 2.0_f32),
                (12.0, 5.0),
                Duration::from_secs(2),
                move |pos| *set_cam.lock().unwrap_or_else(|e| e.into_inner()) = pos,
            )
            .then(Wait::new(Duration::from_secs(1)))
            .then(Lerp::new(
                1.0_f32,
                0.0,
                Duration::from_millis(500),
                move |b| *set_light.lock().unwrap_or_else(|e| e.into_inner()) = b,
            ));
            println!("[{:.3} s] cutscene: camera move, hold, fade", now());
            play(shots)?.await?;
            let pos = *cam.lock().unwrap_or_else(|e| e.into_inner());
            let b = *light.lock().unwrap_or_else(|e| e.into_inner());
            println!(
                "[{:.3} s] cutscene: done, camera at ({:.1}, {:.1}), brightness {b:.1}",
                now(),
                pos.0,
                pos.1
            );
            input.store(true, Ordering::SeqCst);
            println!("[{:.3} s] cutscene: input enabled", now());
            Ok(())
        })
    };

    // The frame loop: it renders every frame, and counts the frames the
    // player could not move.
    let mut frames = 0u64;
    let mut frames_without_input = 0u64;
    while !scene.is_done() {
        let start = Instant::now();
        if let Err(e) = manager.poll() {
            eprintln!("poll failed: {e}");
            std::process::exit(1);
        }
        frames += 1;
        if !input_enabled.load(Ordering::SeqCst) {
            frames_without_input += 1;
        }
        if fast {
            clock.advance(FRAME);
        } else {
            std::thread::sleep(FRAME.saturating_sub(start.elapsed()));
        }
    }
    if let Err(e) = scene.wait() {
        eprintln!("the cutscene failed: {e}");
        std::process::exit(1);
    }
    println!("rendered {frames} frames; input was off for {frames_without_input} of them");
}
