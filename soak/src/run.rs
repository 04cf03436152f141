//! One soak run: builds the chain, runs the randomized mix for the chosen
//! time as a game loop (start work, `poll()`, check), drains, shuts down,
//! and checks that everything was released.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskchain::{AsyncFuture, ChainSettings, Error, TaskChain, TaskChainExt, TaskManager};
use taskchain_conformance::kit::drops::DropCounter;

use crate::actions::Workload;
use crate::counts_check::check_counts;
use crate::heap::{Heap, LEFT_OVER_TOLERANCE};
use crate::ledger::Ledger;
use crate::options::{Options, Target};
use crate::settler::Settler;
use crate::summary::{bytes, progress_line, Peaks, Summary};
use crate::tally::SettlerCounts;

/// How often the ledger is swept (ended tasks judged, liveness checked).
const SWEEP_EVERY: Duration = Duration::from_millis(10);

/// Runs `target`'s runtime once before the heap baseline, so that what a
/// runtime makes once per process (async-std's global executor) is not
/// taken for a leak.
fn warm_up(target: Target, threads: usize) -> Result<(), Error> {
    let manager = TaskManager::new();
    if let Target::Chain(backend) = target {
        let chain = backend.make_chain(
            &manager,
            "soak-warm-up",
            ChainSettings::default().num_threads(threads),
        )?;
        chain.spawn(async { 1 }).wait()?;
    }
    manager.shutdown();
    Ok(())
}

/// The soak's state while it runs, and the order things are torn down in.
struct Soak {
    manager: TaskManager,
    chain: Arc<dyn TaskChain>,
    ledger: Ledger,
    heap: Heap,
    peaks: Peaks,
    in_flight: usize,
    printed: usize,
    started: Instant,
}

impl Soak {
    /// Samples the queue and the heap.
    fn sample(&mut self) {
        let stats = self.chain.stats();
        self.peaks.total = self.peaks.total.max(stats.total());
        self.peaks.active = self.peaks.active.max(stats.active);
        self.heap.sample();
    }

    /// Sweeps the ledger, checks the chain's counts, and prints every new
    /// violation on `progress`.
    fn check(&mut self, last: bool, progress: &mut dyn Write) {
        self.ledger.sweep(last);
        let (_, wrong) = check_counts(&*self.chain, &self.ledger, self.in_flight);
        if let Some(wrong) = wrong {
            self.ledger.violation(wrong);
        }
        self.print_new_violations(progress);
    }

    fn print_new_violations(&mut self, progress: &mut dyn Write) {
        for v in &self.ledger.violations[self.printed..] {
            let _ = writeln!(
                progress,
                "VIOLATION at {:.1} s: {v}",
                self.started.elapsed().as_secs_f64()
            );
        }
        self.printed = self.ledger.violations.len();
    }

    fn poll(&mut self) {
        if let Err(e) = self.manager.poll() {
            self.ledger.violation(format!("manager.poll() failed: {e}"));
        }
    }

    fn progress(&self, progress: &mut dyn Write) {
        let counted = self.heap.counted();
        let line = progress_line(
            self.started.elapsed(),
            &self.ledger.tally,
            self.ledger.unjudged(),
            self.peaks,
            counted.then(|| self.heap.grown()),
            counted.then(|| self.heap.peak()),
            self.ledger.violations.len(),
        );
        let _ = writeln!(progress, "{line}");
    }

    /// Drives the chain (a frame chain runs only inside `poll()`; a
    /// threaded one by itself) for a moment.
    fn tick(&mut self) {
        self.poll();
        self.sample();
        if self.in_flight == 0 && !self.chain.is_idle() {
            return; // a game loop goes straight on to its next frame
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// Runs a soak with `options`, writing progress lines and violations to
/// `progress`. An `Err` means the soak could not start (a backend that
/// would not build its runtime).
pub fn run(options: &Options, progress: &mut dyn Write) -> Result<Summary, Error> {
    warm_up(options.target, options.threads)?;
    let heap = Heap::start();
    let census = DropCounter::new();
    let counts = Arc::new(SettlerCounts::default());
    let manager = TaskManager::new();
    let (chain, in_flight): (Arc<dyn TaskChain>, usize) = match options.target {
        Target::Frame => (manager.default_chain().clone(), 0),
        Target::Chain(backend) => (
            backend.make_chain(
                &manager,
                "soak",
                ChainSettings::default().num_threads(options.threads),
            )?,
            options.threads,
        ),
    };
    let settler = Settler::start().map_err(|e| Error::Runtime(e.to_string()))?;
    let mut workload = Workload::new(
        options.seed,
        chain.clone(),
        manager.messenger(),
        census.clone(),
        &settler,
        counts.clone(),
    );
    let mut soak = Soak {
        manager,
        chain,
        ledger: Ledger::new(options.liveness, options.fault),
        heap,
        peaks: Peaks::default(),
        in_flight,
        printed: 0,
        started: Instant::now(),
    };

    // The run: start work up to the bound, poll, sample, check.
    let batch = (options.max_live / 20).clamp(1, 64);
    let mut next_sweep = soak.started + SWEEP_EVERY;
    let mut next_progress = soak.started + options.progress_every;
    while soak.started.elapsed() < options.duration {
        for _ in 0..batch {
            if soak.ledger.unjudged() >= options.max_live {
                break;
            }
            if let Err(e) = workload.act(&mut soak.ledger) {
                soak.ledger
                    .violation(format!("the chain refused a task: {e}"));
            }
        }
        soak.tick();
        let now = Instant::now();
        if now >= next_sweep {
            soak.check(false, progress);
            next_sweep = now + SWEEP_EVERY;
        }
        if now >= next_progress {
            soak.progress(progress);
            next_progress += options.progress_every;
        }
    }
    let ran_for = soak.started.elapsed();

    // The drain: every promise and event settles now; everything must end
    // within the liveness bound, and every done callback run.
    settler.flush();
    let drain_started = Instant::now();
    while !soak.ledger.is_empty() && drain_started.elapsed() < options.liveness {
        soak.tick();
        if Instant::now() >= next_sweep {
            soak.check(false, progress);
            next_sweep = Instant::now() + SWEEP_EVERY;
        }
    }
    soak.check(true, progress);
    let drained_in = drain_started.elapsed();
    soak.progress(progress);

    // Shutdown: then every counted value must be gone, and the heap back.
    let Soak {
        manager,
        chain,
        mut ledger,
        heap,
        peaks,
        printed,
        ..
    } = soak;
    manager.shutdown();
    drop(workload);
    drop(chain);
    drop(manager);
    drop(settler);
    ledger.clear();
    let alive = settle_census(&census);
    if alive != 0 {
        ledger.violation(format!(
            "{alive} drop-counted values (coroutines, closures, promise and event values) \
             are still alive after shutdown"
        ));
    }
    let heap_left = heap.settle(Duration::from_secs(2));
    // With violations already found, their messages are on the heap too:
    // the run has failed, and the figure is only reported.
    let clean_so_far = ledger.violations.is_empty();
    if options.check_memory && heap.counted() && clean_so_far && heap_left > LEFT_OVER_TOLERANCE {
        ledger.violation(format!(
            "the heap is {} above its start after shutdown (tolerance {})",
            bytes(heap_left),
            bytes(LEFT_OVER_TOLERANCE)
        ));
    }
    for v in &ledger.violations[printed..] {
        let _ = writeln!(progress, "VIOLATION: {v}");
    }
    Ok(Summary {
        backend: options.target.name(),
        threads: in_flight,
        seed: options.seed,
        ran_for,
        drained_in,
        tally: ledger.tally.clone(),
        settler: counts.read(),
        peaks,
        heap_counted: heap.counted(),
        peak_heap: heap.peak(),
        heap_left,
        counted: (census.made(), census.alive()),
        violations: std::mem::take(&mut ledger.violations),
    })
}

/// Waits up to two seconds for the census to reach zero (a runtime's
/// workers may still be dropping what they held when shutdown returned);
/// returns what is left.
fn settle_census(census: &DropCounter) -> usize {
    let until = Instant::now() + Duration::from_secs(2);
    while census.alive() != 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    census.alive()
}
