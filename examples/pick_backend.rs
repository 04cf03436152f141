//! One program, run on whichever backends this build has (the `taskchain`
//! features `threadpool` (default), `tokio`, `smol`, `async-std`):
//!
//! ```sh
//! cargo run --example pick_backend                                  # the thread pool
//! cargo run --example pick_backend --features tokio,smol,async-std  # all four
//! cargo run --example pick_backend --features tokio -- --backend tokio
//! ```
//!
//! The program: a gather of `cube(x)` coroutines that pause on the
//! threaded chain, a blocking job on it awaited by a coroutine on the frame
//! chain, and a frame-synced recurring task. It prints the same results on
//! every backend.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use taskchain::{
    pause, AsyncFuture, Backend, ChainSettings, DoneStatus, Error, TaskChainExt, TaskContext,
    TaskManager,
};

/// What the program computes; equal on every backend.
#[derive(Debug, PartialEq)]
struct Results {
    cubes: Vec<u64>,
    offloaded: u64,
    frames: u32,
}

fn run(backend: Backend) -> Result<Results, Error> {
    let manager = TaskManager::new();
    let settings = ChainSettings::default().num_threads(2).frame_sync(true);
    let workers = backend.make_chain(&manager, "workers", settings)?;

    // Coroutines on the backend's threads, pausing on the chain's clock.
    let cubes = workers.gather([3u64, 4, 5].map(|x| {
        workers.spawn_fallible(async move {
            pause(Duration::from_millis(10 * (6 - x))).await?;
            Ok(x * x * x)
        })
    }));

    // Heavy work off the frame thread, awaited by a frame coroutine that
    // resumes on the next poll after it completes.
    let job = workers.spawn(async { (1..=1000u64).sum::<u64>() });
    let frame_task = manager.spawn_fallible(async move {
        let sum = job.await?;
        Ok(sum)
    });

    // A recurring task that runs one epoch per frame.
    let frames = Arc::new(AtomicU32::new(0));
    let counter = frames.clone();
    let recurring = workers.add(move |_: &TaskContext<'_>| {
        if counter.fetch_add(1, Ordering::SeqCst) + 1 < 3 {
            DoneStatus::Cont
        } else {
            DoneStatus::Done
        }
    });

    // The frame loop.
    while !(frame_task.is_done() && recurring.is_done() && cubes.is_done()) {
        manager.poll()?;
        std::thread::sleep(Duration::from_millis(1));
    }
    let cubes = cubes.wait()?;
    let offloaded = frame_task.wait()?;
    manager.shutdown();
    Ok(Results {
        cubes,
        offloaded,
        frames: frames.load(Ordering::SeqCst),
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backends = match args.as_slice() {
        [] => Backend::enabled(),
        [flag] if flag == "--help" || flag == "-h" => {
            print!("{USAGE}");
            return;
        }
        [flag, name] if flag == "--backend" => match Backend::from_name(name) {
            Ok(b) if b.is_enabled() => vec![b],
            Ok(b) => usage(&format!(
                "the {b} backend is not compiled in: add --features {b}"
            )),
            Err(e) => usage(&e.to_string()),
        },
        _ => usage("unknown arguments"),
    };
    let names: Vec<&str> = backends.iter().map(|b| b.name()).collect();
    println!("backends compiled in: {}", names.join(", "));
    let mut all = Vec::new();
    for backend in backends {
        match run(backend) {
            Ok(r) => {
                println!(
                    "{backend}: cubes {:?}, offloaded sum {}, recurring task ran {} frames",
                    r.cubes, r.offloaded, r.frames
                );
                all.push(r);
            }
            Err(e) => {
                eprintln!("{backend}: failed: {e}");
                std::process::exit(1);
            }
        }
    }
    let same = all.windows(2).all(|w| w[0] == w[1]);
    println!(
        "same results on every backend: {}",
        if same { "yes" } else { "NO" }
    );
    if !same {
        std::process::exit(1);
    }
}

/// What `--help` prints (on stdout), and a bad argument after its reason
/// (on stderr).
const USAGE: &str = "usage: pick_backend [--backend threadpool|tokio|smol|async-std]
  runs the program on every backend compiled in, or on the one named
";

fn usage(why: &str) -> ! {
    eprint!("{why}\n{USAGE}");
    std::process::exit(2);
}
