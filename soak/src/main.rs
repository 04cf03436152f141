//! `soak`: runs a randomized mixed workload on one chain for a while,
//! checking the invariants continuously; prints progress on stderr and a
//! summary on stdout, and exits 0 only when there was no violation.
//!
//! Run: `cargo run --release -p taskchain-soak [-- --help]`.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use taskchain_conformance::kit::alloc::CountingAlloc;
use taskchain_soak::{deliberate_panic, options, Command};

// Heap growth, its peak and what is left after shutdown.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() -> ExitCode {
    let default_seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut options = match options::parse(std::env::args().skip(1), default_seed) {
        Ok(Command::Help) => {
            print!("{}", options::usage());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(options)) => options,
        Err(error) => {
            eprintln!("soak: {error}");
            return ExitCode::from(2);
        }
    };
    // The process does nothing else: the heap must come back.
    options.check_memory = true;
    deliberate_panic::quiet_deliberate_panics();
    eprintln!(
        "soak: backend {}, seed {}, {} s, at most {} live tasks (repeat with --seed {})",
        options.target.name(),
        options.seed,
        options.duration.as_secs_f64(),
        options.max_live,
        options.seed
    );
    match taskchain_soak::run(&options, &mut std::io::stderr()) {
        Ok(summary) => {
            print!("{summary}");
            if summary.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("soak: could not start: {error}");
            ExitCode::FAILURE
        }
    }
}
