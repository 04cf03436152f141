//! How late `ThreadPool::sleep(50 µs)` completes: the time from the start
//! of the sleep to the task running again, minus 50 µs, measured inside a
//! pool task; with the default timer spin tail, without one, and
//! `std::thread::sleep` for reference. Prints figures; asserts nothing.
//!
//! `cargo run --release -p taskchain-threadpool --example sleep_overshoot`

use std::time::{Duration, Instant};

use taskchain_threadpool::{ThreadPool, DEFAULT_TIMER_SPIN};

const SLEEP: Duration = Duration::from_micros(50);
const ROUNDS: usize = 2_000;

fn main() {
    for spin in [DEFAULT_TIMER_SPIN, Duration::ZERO] {
        let pool = ThreadPool::builder()
            .threads(2)
            .timer_spin(spin)
            .build()
            .expect("a pool of two threads");
        let timer = pool.clone();
        let overshoots = pool
            .spawn(async move {
                let mut overshoots = Vec::with_capacity(ROUNDS);
                for _ in 0..ROUNDS {
                    let start = Instant::now();
                    timer.sleep(SLEEP).await;
                    overshoots.push(start.elapsed().saturating_sub(SLEEP));
                }
                overshoots
            })
            .join()
            .expect("the measuring task finishes");
        report(
            &format!("pool sleep(50us), timer_spin {spin:?}"),
            overshoots,
        );
        pool.shutdown();
    }

    let baseline = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            std::thread::sleep(SLEEP);
            start.elapsed().saturating_sub(SLEEP)
        })
        .collect();
    report("std::thread::sleep(50us), for reference", baseline);
}

fn report(what: &str, mut overshoots: Vec<Duration>) {
    overshoots.sort_unstable();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| micros(overshoots[((overshoots.len() - 1) as f64 * q) as usize]);
    let mean = micros(overshoots.iter().sum::<Duration>()) / overshoots.len() as f64;
    println!(
        "{what}: overshoot over {} rounds: p50 {:.1} us, p90 {:.1} us, p99 {:.1} us, max {:.1} us, mean {:.1} us",
        overshoots.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        mean
    );
}
