//! The `compare` command line: what to run, how long, and where the
//! report goes. Parsing is a pure function so that every refusal of a
//! bad argument is tested; the binary turns an `Err` into exit code 2.

use std::path::PathBuf;

use crate::{Mode, Subject, Workload};
use taskchain_conformance::cli_flags::Flags;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the comparison.
    Run(Options),
    /// Print the usage and exit.
    Help,
}

/// The options of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `--smoke`, `--quick` (the default) or `--full`.
    pub mode: Mode,
    /// `--only` workload names; empty for every workload.
    pub only: Vec<String>,
    /// `--backend` names; empty for every subject.
    pub backends: Vec<String>,
    /// `--samples N`: repeats instead of the mode's.
    pub samples: Option<usize>,
    /// `--out DIR`: where the files go instead of `target/compare/`.
    pub out: Option<PathBuf>,
}

impl Options {
    /// Repeats of each workload on each subject: `--samples`, else 1 in
    /// smoke mode, 3 in quick mode (the least that has a median) and 7
    /// in full mode.
    pub fn repeats(&self) -> usize {
        self.samples.unwrap_or(match self.mode {
            Mode::Smoke => 1,
            Mode::Quick => 3,
            Mode::Full => 7,
        })
    }

    /// The workloads of `all` that `--only` selects, in report order.
    pub fn workloads(&self, all: &[Workload]) -> Vec<Workload> {
        all.iter()
            .filter(|w| self.only.is_empty() || self.only.iter().any(|o| o == w.name))
            .copied()
            .collect()
    }

    /// The subjects of this build that `--backend` selects.
    pub fn subjects(&self) -> Vec<Subject> {
        Subject::all()
            .into_iter()
            .filter(|s| {
                self.backends.is_empty()
                    || s.filter_names()
                        .iter()
                        .any(|n| self.backends.iter().any(|b| b == n))
            })
            .collect()
    }
}

/// The usage text, listing the workloads of `all` and the backend names.
pub fn usage(all: &[Workload]) -> String {
    let mut text = String::from(
        "compare: runs every workload on every taskchain backend and raw runtime,\n\
         interleaved, and reports a summary per subject, then medians, ratios and\n\
         the targets, each checked repeat by repeat (met, MISSED or inconclusive).\n\n\
         usage: compare [--quick | --full | --smoke] [--only WORKLOAD]...\n\
         \x20              [--backend NAME]... [--samples N] [--out DIR]\n\n\
         \x20 --quick          the default: under three minutes on two cores, 3 runs each\n\
         \x20 --full           every size, 7 runs each\n\
         \x20 --smoke          tiny sizes, 1 run each: seconds, to prove nothing rotted\n\
         \x20 --only WORKLOAD  run only this workload (repeatable)\n\
         \x20 --backend NAME   run only these subjects (repeatable): a backend's name\n\
         \x20                  selects its chain and the raw runtime beneath it\n\
         \x20 --samples N      runs of each workload on each subject, instead of the mode's\n\
         \x20 --out DIR        write report.md, report.json and the charts here\n\
         \x20                  (default: target/compare/ of the workspace)\n\
         \x20 -h, --help       this text\n\n",
    );
    text.push_str(&format!("backends: {}\n", Subject::FILTER_NAMES.join(", ")));
    text.push_str("workloads:\n");
    if all.is_empty() {
        text.push_str("  (none in this build)\n");
    }
    // The names in a column as wide as the longest, each description
    // wrapped beside it.
    let width = all
        .iter()
        .map(|w| w.name.chars().count())
        .max()
        .unwrap_or(0);
    for w in all {
        let mut lines = wrap(w.about, USAGE_WIDTH.saturating_sub(width + 4)).into_iter();
        let first = lines.next().unwrap_or_default();
        text.push_str(&format!("  {:<width$}  {first}\n", w.name));
        for line in lines {
            text.push_str(&format!("  {:width$}  {line}\n", ""));
        }
    }
    text
}

/// The width the usage text keeps to.
const USAGE_WIDTH: usize = 80;

/// `text` in lines of at most `width` characters, broken at spaces (a
/// word longer than that has a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn one_of(names: &[&str]) -> String {
    if names.is_empty() {
        "none in this build".to_string()
    } else {
        names.join(", ")
    }
}

/// Parses the arguments after the program name. Workload names are
/// checked against `all`, backend names against
/// [`Subject::FILTER_NAMES`]; an `Err` is the message to print.
pub fn parse<I>(args: I, all: &[Workload]) -> Result<Command, String>
where
    I: IntoIterator<Item = String>,
{
    let mut options = Options {
        mode: Mode::Quick,
        only: Vec::new(),
        backends: Vec::new(),
        samples: None,
        out: None,
    };
    let mut mode_flag: Option<String> = None;
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--smoke" | "--quick" | "--full" => {
                if let Some(earlier) = &mode_flag {
                    if *earlier != flag {
                        return Err(format!("{earlier} and {flag} cannot both be given"));
                    }
                }
                options.mode = match flag.as_str() {
                    "--smoke" => Mode::Smoke,
                    "--full" => Mode::Full,
                    _ => Mode::Quick,
                };
                mode_flag = Some(flag);
            }
            "--only" => {
                let name = flags.value("--only")?;
                if !all.iter().any(|w| w.name == name) {
                    let names: Vec<&str> = all.iter().map(|w| w.name).collect();
                    return Err(format!(
                        "unknown workload {name:?}; the workloads are: {}",
                        one_of(&names)
                    ));
                }
                options.only.push(name);
            }
            "--backend" => {
                let name = flags.value("--backend")?;
                if !Subject::FILTER_NAMES.contains(&name.as_str()) {
                    return Err(format!(
                        "unknown backend {name:?}; the backends are: {}",
                        Subject::FILTER_NAMES.join(", ")
                    ));
                }
                options.backends.push(name);
            }
            "--samples" => {
                let text = flags.value("--samples")?;
                match text.parse::<usize>() {
                    Ok(n) if n > 0 => options.samples = Some(n),
                    _ => {
                        return Err(format!(
                            "--samples takes a whole number of runs, at least 1, not {text:?}"
                        ))
                    }
                }
            }
            "--out" => {
                let dir = flags.value("--out")?;
                if dir.is_empty() {
                    return Err("--out needs a directory".to_string());
                }
                options.out = Some(PathBuf::from(dir));
            }
            _ => return Err(format!("unknown argument {flag:?}; see compare --help")),
        }
    }
    Ok(Command::Run(options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testing::{fake_workloads, FRAME, TOKIO_CT};
    use crate::Raw;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(|a| a.to_string()), &fake_workloads())? {
            Command::Run(options) => Ok(options),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn defaults_to_quick_with_three_runs_of_everything() {
        let options = run(&[]).unwrap();
        assert_eq!(options.mode, Mode::Quick);
        assert_eq!(options.repeats(), 3);
        assert_eq!(options.workloads(&fake_workloads()).len(), 2);
        assert_eq!(options.subjects(), Subject::all());
        assert_eq!(options.out, None);
    }

    #[test]
    fn modes_filters_samples_and_out() {
        let options = run(&[
            "--full",
            "--only",
            "memory_fake",
            "--backend=frame",
            "--samples",
            "5",
            "--out",
            "/tmp/x",
        ])
        .unwrap();
        assert_eq!(options.mode, Mode::Full);
        assert_eq!(options.repeats(), 5);
        let names: Vec<&str> = options
            .workloads(&fake_workloads())
            .iter()
            .map(|w| w.name)
            .collect();
        assert_eq!(names, ["memory_fake"]);
        assert_eq!(
            options.subjects(),
            [FRAME, Subject::FrameChainTraced, TOKIO_CT, Subject::Floor]
        );
        assert_eq!(options.out, Some(PathBuf::from("/tmp/x")));
        assert_eq!(run(&["--smoke"]).unwrap().repeats(), 1);
        assert_eq!(run(&["--full"]).unwrap().repeats(), 7);
        let std = run(&["--backend", "std", "--backend", "tokio"])
            .unwrap()
            .subjects();
        assert!(std.contains(&Subject::Raw(Raw::StdThreads)));
        assert!(std.contains(&Subject::Raw(Raw::TokioMultiThread)));
        assert!(!std.contains(&FRAME));
    }

    #[test]
    fn help_wins() {
        assert_eq!(run(&["--full", "--help"]), Err("help".into()));
        assert_eq!(run(&["-h"]), Err("help".into()));
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        assert_eq!(
            run(&["--only", "spwan"]).unwrap_err(),
            "unknown workload \"spwan\"; the workloads are: spin, memory_fake"
        );
        assert_eq!(
            run(&["--backend", "glommio"]).unwrap_err(),
            "unknown backend \"glommio\"; the backends are: frame, threadpool, tokio, smol, async-std, std"
        );
        let none = parse(["--only".to_string(), "x".to_string()], &[]).unwrap_err();
        assert!(
            none.ends_with("the workloads are: none in this build"),
            "{none}"
        );
    }

    #[test]
    fn bad_values_and_arguments_are_refused() {
        assert_eq!(run(&["--only"]).unwrap_err(), "--only needs a value");
        assert_eq!(
            run(&["--samples", "0"]).unwrap_err(),
            "--samples takes a whole number of runs, at least 1, not \"0\""
        );
        assert!(run(&["--samples", "many"]).is_err());
        assert_eq!(run(&["--out="]).unwrap_err(), "--out needs a directory");
        assert_eq!(
            run(&["--quick", "--full"]).unwrap_err(),
            "--quick and --full cannot both be given"
        );
        assert!(run(&["--quick", "--quick"]).is_ok());
        assert_eq!(
            run(&["--fast"]).unwrap_err(),
            "unknown argument \"--fast\"; see compare --help"
        );
        assert_eq!(
            run(&["spawn_many"]).unwrap_err(),
            "unknown argument \"spawn_many\"; see compare --help"
        );
    }

    #[test]
    fn usage_lists_workloads_and_backends() {
        let text = usage(&fake_workloads());
        assert!(text.contains("backends: frame, threadpool, tokio, smol, async-std, std\n"));
        // The column is as wide as the longest name ("memory_fake").
        assert!(text.contains("\n  spin         a fake workload"), "{text}");
        assert!(text.contains("\n  memory_fake  a fake workload"), "{text}");
        assert!(usage(&[]).contains("(none in this build)"));
    }

    #[test]
    fn usage_keeps_to_its_width_with_every_workload() {
        let all = crate::workloads();
        let text = usage(&all);
        for line in text.lines() {
            assert!(line.chars().count() <= USAGE_WIDTH, "too wide: {line:?}");
        }
        // Every name stands apart from its description, the longest too.
        for w in &all {
            assert!(text.contains(&format!("\n  {}  ", w.name)), "{}", w.name);
        }
    }

    #[test]
    fn wrap_breaks_at_spaces() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("longer_than_width x", 4), ["longer_than_width", "x"]);
        assert_eq!(wrap("", 10), Vec::<String>::new());
    }
}
