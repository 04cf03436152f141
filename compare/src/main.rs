//! `compare`: runs every workload on every taskchain backend and raw
//! runtime in one process, interleaved, and reports a summary per subject
//! with which chain suits what, then the medians, the ratios of each
//! subject to the runtime it wraps, to the floor and to the best, and the
//! targets checked repeat by repeat: the summary and tables on stdout, and
//! `report.md`, `report.json` and an SVG chart per metric in
//! `target/compare/`.
//!
//! Run: `cargo run --release -p taskchain-compare [-- --help]`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Instant;

use taskchain_compare::report::cli::{self, Command};
use taskchain_compare::report::schedule::schedule;
use taskchain_compare::report::{is_skip, output, text, Machine, Report, Results};
use taskchain_compare::{workloads, Mode, Sample, Subject, Workload, THREADS};
use taskchain_conformance::kit::alloc::CountingAlloc;
use taskchain_conformance::kit::quiet_panics::panic_message;

// The memory workloads read the bytes requested off this allocator; it
// counts only while one of them asks, so the timed workloads pay a
// relaxed load per allocation and nothing more.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Runs `workload` once on `subject`, a panic becoming an error of that
/// run: one broken subject must not lose the whole comparison.
fn run_once(workload: Workload, subject: Subject, mode: Mode) -> Result<Sample, String> {
    catch_unwind(AssertUnwindSafe(|| (workload.run)(subject, mode))).unwrap_or_else(|panic| {
        let message = panic_message(&*panic).unwrap_or("no message");
        Err(format!("panicked: {message}"))
    })
}

/// Runs every step of the schedule into `results`, showing progress on
/// stderr: which run, on what, how long it took.
fn measure(results: &mut Results, mode: Mode) {
    let steps = schedule(results);
    let started = Instant::now();
    for (i, step) in steps.iter().enumerate() {
        let workload = results.workloads[step.workload].workload;
        let progress = format!(
            "[{}/{} {:.0} s] {} on {}",
            i + 1,
            steps.len(),
            started.elapsed().as_secs_f64(),
            workload.name,
            step.subject
        );
        // A subject that failed (or was skipped) once is not run again:
        // its later repeats would only repeat the error.
        let earlier = results
            .runs(step.workload, step.subject)
            .and_then(|runs| runs.error.as_deref());
        match earlier {
            Some(why) if is_skip(why) => {
                eprintln!("{progress}: {why}");
                continue;
            }
            Some(_) => {
                eprintln!("{progress}: skipped, it failed in an earlier run");
                continue;
            }
            None => {}
        }
        eprint!("{progress} … ");
        let run_started = Instant::now();
        let outcome = run_once(workload, step.subject, mode);
        let seconds = run_started.elapsed().as_secs_f64();
        match results.record(step.workload, step.subject, outcome) {
            None => eprintln!("{seconds:.2} s"),
            Some(why) if is_skip(&why) => eprintln!("{why}"),
            Some(error) => eprintln!("{seconds:.2} s, error: {error}"),
        }
    }
    eprintln!(
        "{} runs in {:.1} s",
        steps.len(),
        started.elapsed().as_secs_f64()
    );
}

/// The variable async-std's global runtime reads its thread count from
/// (one thread per core without it).
const ASYNC_STD_THREADS: &str = "ASYNC_STD_THREAD_COUNT";

fn main() -> ExitCode {
    // Every threaded subject runs `THREADS` workers; async-std's global
    // runtime (beneath async-std and taskchain-async-std) would otherwise
    // run one per core, more than the others on a larger machine. Set
    // before anything starts it, while this is the only thread.
    std::env::set_var(ASYNC_STD_THREADS, THREADS.to_string());
    let all = workloads();
    let options = match cli::parse(std::env::args().skip(1), &all) {
        Ok(Command::Help) => {
            print!("{}", cli::usage(&all));
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(options)) => options,
        Err(error) => {
            eprintln!("compare: {error}");
            return ExitCode::from(2);
        }
    };
    if all.is_empty() {
        eprintln!("compare: this build has no workloads to run");
        return ExitCode::FAILURE;
    }
    let mut results = Results::new(
        options.mode,
        options.repeats(),
        &options.workloads(&all),
        &options.subjects(),
    );
    if results.workloads.is_empty() {
        eprintln!(
            "compare: nothing to run: no selected workload applies to the selected backends \
             (compare --help lists both)"
        );
        return ExitCode::from(2);
    }

    measure(&mut results, options.mode);
    let report = Report::new(results, Machine::detect());
    print!("{}", text::render(&report));
    let dir = options.out.clone().unwrap_or_else(output::default_dir);
    match output::write_all(&report, &dir) {
        Ok(written) => {
            println!();
            for path in written.iter().take(2) {
                println!("wrote {}", path.display());
            }
            if let Some(dir) = written.first().and_then(|p| p.parent()) {
                let charts = written.len().saturating_sub(2);
                println!("wrote {charts} SVG charts in {}", dir.display());
            }
        }
        Err(error) => {
            eprintln!("compare: {error}");
            return ExitCode::FAILURE;
        }
    }
    if report.results.everything_failed() {
        eprintln!("compare: every run failed; the report says why");
        return ExitCode::FAILURE;
    }
    // The smoke run proves every workload still runs on every subject.
    if options.mode == Mode::Smoke && report.results.any_failed() {
        eprintln!("compare: a run failed in the smoke run; the report says which");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
