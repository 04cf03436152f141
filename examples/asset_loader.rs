//! Asset loaders as struct tasks: Panda3D's subclass-a-task style, where a
//! task is an object whose method is the coroutine,
//!
//! ```python
//! class TextureLoader(AsyncTask):
//!     def __init__(self, path): ...
//!     async def run(self, task):
//!         while self.loaded < self.size:
//!             self.loaded += CHUNK
//!             await Task.frame()
//! ```
//!
//! Each loader here is a struct implementing [`CoroutineTask`]: its fields
//! are the loader's state, kept across its awaits, and its `async fn run`
//! is the coroutine. Loaders of three types go in one list as
//! `Box<dyn CoroutineTask<Output = Asset>>` and are spawned alike; each
//! names and sorts its own task.
//!
//! - the texture loads one 32 KB chunk per frame;
//! - the model loads one part every 250 ms;
//! - the music streams one buffer every 500 ms, until the player skips it
//!   at 0.75 s: the cancel reaches the music loader at its pause, it says
//!   how far it got, and its task ends cancelled.
//!
//! ```text
//! cargo run --example asset_loader   # instant: always on a manual clock
//! ```
//!
//! It always runs on a [`ManualClock`] set to `frame / 60` s before each
//! frame, so the times printed are the same on every machine.

use std::time::Duration;

use taskchain::{
    async_trait, next_frame, pause, AnyTask, AsyncFuture, Clock, CoroutineTask, Error, ManualClock,
    TaskManager,
};

/// Frames per second of the game loop.
const FPS: u64 = 60;

/// When the player skips the music.
const SKIP_FRAME: u64 = 45;

/// When frame `n` is due: `n / FPS` seconds, to the nanosecond.
fn frame_due(n: u64) -> Duration {
    Duration::from_nanos(n * 1_000_000_000 / FPS)
}

/// What a loader hands back.
#[derive(Debug)]
struct Asset {
    path: &'static str,
    kind: &'static str,
    size_kb: u32,
}

/// `t = 1.250 s  `, the time since the task started (they all start on
/// frame 0, so it is also the game time).
fn stamp(task: &AnyTask) -> String {
    format!("t = {:.3} s", task.elapsed().as_secs_f64())
}

/// Loads a texture one chunk per frame.
struct TextureLoader {
    path: &'static str,
    size_kb: u32,
    chunk_kb: u32,
    loaded_kb: u32,
}

#[async_trait]
impl CoroutineTask for TextureLoader {
    type Output = Asset;

    async fn run(&mut self, task: &AnyTask) -> Result<Asset, Error> {
        while self.loaded_kb < self.size_kb {
            self.loaded_kb = (self.loaded_kb + self.chunk_kb).min(self.size_kb);
            println!(
                "{}  {}: {}/{} KB",
                stamp(task),
                self.path,
                self.loaded_kb,
                self.size_kb
            );
            next_frame().await;
        }
        Ok(Asset {
            path: self.path,
            kind: "texture",
            size_kb: self.loaded_kb,
        })
    }

    fn name(&self) -> Option<&str> {
        Some(self.path)
    }
}

/// Loads a model part by part, each part taking a while.
struct ModelLoader {
    path: &'static str,
    parts: &'static [(&'static str, u32)],
    loaded: Vec<&'static str>,
    size_kb: u32,
}

#[async_trait]
impl CoroutineTask for ModelLoader {
    type Output = Asset;

    async fn run(&mut self, task: &AnyTask) -> Result<Asset, Error> {
        for &(part, size_kb) in self.parts {
            pause(Duration::from_millis(250)).await?;
            self.loaded.push(part);
            self.size_kb += size_kb;
            println!(
                "{}  {}: {} loaded ({} of {} parts)",
                stamp(task),
                self.path,
                part,
                self.loaded.len(),
                self.parts.len()
            );
        }
        Ok(Asset {
            path: self.path,
            kind: "model",
            size_kb: self.size_kb,
        })
    }

    fn name(&self) -> Option<&str> {
        Some(self.path)
    }

    /// After the textures in each frame.
    fn sort(&self) -> i32 {
        1
    }
}

/// Streams music one buffer at a time; stops when cancelled.
struct MusicStream {
    path: &'static str,
    buffers: u32,
    streamed: u32,
}

#[async_trait]
impl CoroutineTask for MusicStream {
    type Output = Asset;

    async fn run(&mut self, task: &AnyTask) -> Result<Asset, Error> {
        while self.streamed < self.buffers {
            if let Err(e) = pause(Duration::from_millis(500)).await {
                println!(
                    "{}  {}: stopped after {} of {} buffers ({e})",
                    stamp(task),
                    self.path,
                    self.streamed,
                    self.buffers
                );
                return Err(e);
            }
            self.streamed += 1;
            println!(
                "{}  {}: buffer {} of {}",
                stamp(task),
                self.path,
                self.streamed,
                self.buffers
            );
        }
        Ok(Asset {
            path: self.path,
            kind: "music",
            size_kb: self.streamed * 64,
        })
    }

    fn name(&self) -> Option<&str> {
        Some(self.path)
    }

    /// Last in each frame.
    fn sort(&self) -> i32 {
        2
    }
}

/// What `--help` prints (on stdout), and a bad argument after its reason
/// (on stderr).
const USAGE: &str = "usage: asset_loader [--fast]
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

    let clock = ManualClock::new();
    let manager = TaskManager::with_clock(clock.clone());

    // Loaders of three types in one list, as Panda3D keeps its task
    // objects in one.
    let loaders: Vec<Box<dyn CoroutineTask<Output = Asset>>> = vec![
        Box::new(TextureLoader {
            path: "grass.png",
            size_kb: 96,
            chunk_kb: 32,
            loaded_kb: 0,
        }),
        Box::new(ModelLoader {
            path: "tree.egg",
            parts: &[("mesh", 120), ("skeleton", 8), ("animations", 40)],
            loaded: Vec::new(),
            size_kb: 0,
        }),
        Box::new(MusicStream {
            path: "theme.ogg",
            buffers: 8,
            streamed: 0,
        }),
    ];
    let handles: Vec<_> = loaders
        .into_iter()
        .map(|loader| manager.spawn_task(loader))
        .collect();

    let mut frame = 0;
    while !handles.iter().all(|h| h.is_done()) {
        clock.set(frame_due(frame));
        if frame == SKIP_FRAME {
            println!(
                "t = {:.3} s  the player skips the music",
                clock.now().as_secs_f64()
            );
            manager.remove_by_name("theme.ogg");
        }
        manager.poll()?;
        frame += 1;
    }

    println!("all loaders done after {frame} frames");
    for handle in &handles {
        let name = handle.name().unwrap_or("?").to_owned();
        match handle.try_take() {
            Some(Ok(asset)) => println!("{} ({}): {} KB", asset.path, asset.kind, asset.size_kb),
            Some(Err(e)) => println!("{name}: {e}"),
            None => println!("{name}: still running"),
        }
    }
    manager.shutdown();
    Ok(())
}
