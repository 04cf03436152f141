//! The `soak` command line: which chain, how long, how busy. Parsing is a
//! pure function so that every refusal of a bad argument is tested; the
//! binary turns an `Err` into exit code 2.

use std::time::Duration;

use taskchain::Backend;

use taskchain_conformance::cli_flags::Flags;

/// The chain a soak runs its tasks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The embedded frame chain ("default"), driven by the soak's game
    /// loop calling `poll()` on its own thread.
    Frame,
    /// A threaded chain on a backend.
    Chain(Backend),
}

impl Target {
    /// Every name `--backend` accepts.
    pub const NAMES: [&'static str; 5] = ["frame", "threadpool", "tokio", "smol", "async-std"];

    /// The target called `name`, if any.
    pub fn from_name(name: &str) -> Option<Target> {
        match name {
            "frame" => Some(Target::Frame),
            other => Backend::from_name(other).ok().map(Target::Chain),
        }
    }

    /// Its `--backend` name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Frame => "frame",
            Target::Chain(backend) => backend.name(),
        }
    }
}

/// A fault the soak plants in its own bookkeeping, to prove the checker
/// catches it (tests only: no command-line flag sets one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The first promise-awaiting task that finishes is expected to return
    /// one more than its promise was set to.
    WrongExpectedValue,
}

/// The options of a soak run.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `--backend NAME` (default: frame).
    pub target: Target,
    /// `--threads N`: workers of a threaded chain (default 2).
    pub threads: usize,
    /// `--duration D` (default 60 s): how long new work is started; the
    /// drain and the final checks come after.
    pub duration: Duration,
    /// `--seed N` (default: from the clock): the same seed starts the
    /// same mix of work (threads make the interleavings differ).
    pub seed: u64,
    /// `--max-live N` (default 1000): the soak starts nothing while this
    /// many of its tasks are unfinished.
    pub max_live: usize,
    /// `--progress-every D` (default 5 s): how often a progress line goes
    /// to stderr (the invariants are checked every sweep, far more often).
    pub progress_every: Duration,
    /// `--liveness D` (default 10 s): how long a task may stay unfinished
    /// after everything it waits on settled before that is a violation.
    pub liveness: Duration,
    /// Whether to check that the heap is back near its start after
    /// shutdown; needs `CountingAlloc` installed, and no other work in the
    /// process (the binary turns it on when the allocator is there).
    pub check_memory: bool,
    /// A fault planted on purpose (tests only).
    pub fault: Option<Fault>,
}

impl Options {
    /// The defaults, with `seed`.
    pub fn new(seed: u64) -> Self {
        Options {
            target: Target::Frame,
            threads: 2,
            duration: Duration::from_secs(60),
            seed,
            max_live: 1000,
            progress_every: Duration::from_secs(5),
            liveness: Duration::from_secs(10),
            check_memory: false,
            fault: None,
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the soak.
    Run(Options),
    /// Print the usage and exit.
    Help,
}

/// The usage text.
pub fn usage() -> String {
    format!(
        "soak: runs a randomized mix of tasks (coroutines awaiting promises, tasks,\n\
         gathers, shields, pauses and events; recurring tasks; cancels, removals\n\
         by name, panics; done callbacks and upon_death) on one chain for a while,\n\
         checking the invariants as it goes; exits 0 only with no violation.\n\n\
         usage: soak [--backend NAME] [--threads N] [--duration D] [--seed N]\n\
         \x20           [--max-live N] [--progress-every D] [--liveness D]\n\n\
         \x20 --backend NAME      the chain: {} (default frame:\n\
         \x20                     the embedded chain driven by poll() in a game loop)\n\
         \x20 --threads N         workers of a threaded chain (default 2)\n\
         \x20 --duration D        how long to start new work: 30s, 5m, 1h, 1500ms (default 60s)\n\
         \x20 --seed N            the random seed (default from the clock; printed)\n\
         \x20 --max-live N        most unfinished tasks at a time (default 1000)\n\
         \x20 --progress-every D  how often a progress line goes to stderr (default 5s)\n\
         \x20 --liveness D        a task unfinished this long after what it waits on\n\
         \x20                     settled is a violation (default 10s)\n\
         \x20 -h, --help          this text\n",
        Target::NAMES.join(", ")
    )
}

/// Parses a duration: a whole number followed by `ms`, `s`, `m` or `h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 5m, 1h or 1500ms"))?;
    let secs = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        _ => {
            return Err(format!(
                "{text:?} needs a unit: ms, s, m or h (like 30s, 5m, 1h)"
            ))
        }
    };
    secs.map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

fn parse_count(flag: &str, text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{flag} takes a whole number, at least 1, not {text:?}"
        )),
    }
}

fn positive_duration(flag: &str, text: &str) -> Result<Duration, String> {
    let d = parse_duration(text).map_err(|e| format!("{flag}: {e}"))?;
    if d.is_zero() {
        return Err(format!("{flag} must be longer than 0"));
    }
    Ok(d)
}

/// Parses the arguments after the program name; `default_seed` is used
/// without `--seed`. An `Err` is the message to print.
pub fn parse<I>(args: I, default_seed: u64) -> Result<Command, String>
where
    I: IntoIterator<Item = String>,
{
    let mut options = Options::new(default_seed);
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--backend" => {
                let name = flags.value("--backend")?;
                options.target = Target::from_name(&name).ok_or_else(|| {
                    format!(
                        "unknown backend {name:?}; the backends are: {}",
                        Target::NAMES.join(", ")
                    )
                })?;
            }
            "--threads" => options.threads = parse_count("--threads", &flags.value("--threads")?)?,
            "--duration" => {
                options.duration = positive_duration("--duration", &flags.value("--duration")?)?
            }
            "--seed" => {
                let text = flags.value("--seed")?;
                options.seed = text
                    .parse()
                    .map_err(|_| format!("--seed takes a whole number, not {text:?}"))?;
            }
            "--max-live" => {
                options.max_live = parse_count("--max-live", &flags.value("--max-live")?)?
            }
            "--progress-every" => {
                options.progress_every =
                    positive_duration("--progress-every", &flags.value("--progress-every")?)?
            }
            "--liveness" => {
                options.liveness = positive_duration("--liveness", &flags.value("--liveness")?)?
            }
            _ => {
                return Err(format!(
                    "unknown argument {flag:?}; the options are: --backend, --threads, \
                     --duration, --seed, --max-live, --progress-every, --liveness, --help"
                ))
            }
        }
    }
    Ok(Command::Run(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(|s| s.to_string()), 7)? {
            Command::Run(options) => Ok(options),
            Command::Help => Err("help".to_string()),
        }
    }

    #[test]
    fn defaults_and_every_option() {
        let defaults = run(&[]).unwrap();
        assert_eq!(defaults, Options::new(7));
        let options = run(&[
            "--backend",
            "tokio",
            "--threads=3",
            "--duration",
            "5m",
            "--seed",
            "42",
            "--max-live",
            "10",
            "--progress-every",
            "1500ms",
            "--liveness=2s",
        ])
        .unwrap();
        assert_eq!(options.target, Target::Chain(Backend::Tokio));
        assert_eq!(options.threads, 3);
        assert_eq!(options.duration, Duration::from_secs(300));
        assert_eq!(options.seed, 42);
        assert_eq!(options.max_live, 10);
        assert_eq!(options.progress_every, Duration::from_millis(1500));
        assert_eq!(options.liveness, Duration::from_secs(2));
        assert_eq!(run(&["-h"]), Err("help".to_string()));
    }

    #[test]
    fn bad_arguments_are_refused_with_the_valid_names() {
        let unknown = run(&["--backend", "nope"]).unwrap_err();
        assert!(unknown.contains("frame, threadpool, tokio, smol, async-std"));
        assert!(run(&["--frobnicate"]).unwrap_err().contains("--max-live"));
        assert!(run(&["--threads", "0"]).is_err());
        assert!(run(&["--duration", "10"]).unwrap_err().contains("unit"));
        assert!(run(&["--duration", "0s"]).is_err());
        assert!(run(&["--duration", "99999999999999999h"]).is_err());
        assert!(run(&["--seed", "x"]).is_err());
        assert!(run(&["--duration"]).unwrap_err().contains("needs a value"));
    }

    #[test]
    fn durations_take_each_unit() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
