//! Latency on threaded chains, per backend: how late `pause(50 µs)` wakes
//! (timer overshoot), and how long a coroutine takes to run after another
//! thread sets the promise it awaits (wake-to-run); p50 / p99 / max over
//! many samples, on the real clock, 2 workers each.
//!
//! Run: `cargo run --release -p taskchain-compare --bin latency [-- SAMPLES]`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskchain::{pause, AsyncFuture, Backend, ChainSettings, Error, TaskChainExt, TaskManager};

const PAUSE: Duration = Duration::from_micros(50);

/// p50, p99 and max of `samples`, in microseconds.
fn summary(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1e6
    };
    (at(0.5), at(0.99), at(1.0))
}

/// Overshoot of `pause(50 µs)` inside a coroutine on `backend`'s chain.
fn pause_overshoot(backend: Backend, samples: usize) -> Result<Vec<Duration>, Error> {
    let manager = TaskManager::new();
    let chain = backend.make_chain(&manager, "latency", ChainSettings::default().num_threads(2))?;
    let task = chain.spawn(async move {
        let mut late = Vec::with_capacity(samples);
        for _ in 0..samples {
            let start = Instant::now();
            pause(PAUSE).await?;
            late.push(start.elapsed().saturating_sub(PAUSE));
        }
        Ok::<_, Error>(late)
    });
    let late = task.wait()??;
    manager.shutdown();
    Ok(late)
}

/// Time from `set_result` on this thread to the awaiting coroutine
/// running on `backend`'s chain.
fn wake_to_run(backend: Backend, samples: usize) -> Result<Vec<Duration>, Error> {
    let manager = TaskManager::new();
    let chain = backend.make_chain(&manager, "latency", ChainSettings::default().num_threads(2))?;
    let mut out = Vec::with_capacity(samples);
    for _ in 0..samples {
        let promise = chain.promise::<Instant>();
        let p = promise.clone();
        let started = Arc::new(AtomicBool::new(false));
        let s = started.clone();
        let task = chain.spawn(async move {
            s.store(true, Ordering::Release);
            let sent = p.await?;
            Ok::<_, Error>(sent.elapsed())
        });
        // Let the coroutine suspend and its worker go idle.
        while !started.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_micros(100));
        promise.set_result(Instant::now())?;
        out.push(task.wait()??);
    }
    manager.shutdown();
    Ok(out)
}

fn main() {
    let samples: usize = match std::env::args().nth(1) {
        None => 2_000,
        Some(arg) => match arg.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: latency [SAMPLES > 0]   (default 2000)");
                std::process::exit(2);
            }
        },
    };
    type Measure = fn(Backend, usize) -> Result<Vec<Duration>, Error>;
    let measures: [(&str, Measure); 2] = [
        ("pause(50 µs) overshoot", pause_overshoot),
        ("wake-to-run after set_result", wake_to_run),
    ];
    println!("Latency on threaded chains (2 workers, real clock), {samples} samples each");
    println!();
    println!(
        "| {:<30} | {:<10} | {:>9} | {:>9} | {:>9} |",
        "measure", "backend", "p50 (µs)", "p99 (µs)", "max (µs)"
    );
    println!(
        "|{:-<32}|{:-<12}|{:->11}|{:->11}|{:->11}|",
        "", "", "", "", ""
    );
    for (what, measure) in measures {
        for backend in Backend::enabled() {
            match measure(backend, samples) {
                Ok(s) => {
                    let (p50, p99, max) = summary(s);
                    println!(
                        "| {what:<30} | {:<10} | {p50:>9.1} | {p99:>9.1} | {max:>9.1} |",
                        backend.name()
                    );
                }
                Err(e) => println!("| {what:<30} | {:<10} | failed: {e} |", backend.name()),
            }
        }
    }
}
