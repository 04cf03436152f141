//! A run read as a report: its samples, the figures and ratios read off
//! them, the targets checked, and the machine it ran on. Every output
//! (text, Markdown, JSON, charts) renders this one value.

use super::figures::{tables, Table};
use super::targets::TARGETS;
use super::verdicts::{verdicts, Verdict};
use super::{Machine, Results};

/// A finished run, analysed.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every sample and error.
    pub results: Results,
    /// One table of figures per workload.
    pub tables: Vec<Table>,
    /// Every target of [`TARGETS`], checked.
    pub verdicts: Vec<Verdict>,
    /// Where and when it ran.
    pub machine: Machine,
}

impl Report {
    /// Analyses `results`, run on `machine`.
    pub fn new(results: Results, machine: Machine) -> Report {
        let tables = tables(&results);
        let verdicts = verdicts(TARGETS, &tables);
        Report {
            results,
            tables,
            verdicts,
            machine,
        }
    }

    /// The mode's name, as the command line takes it.
    pub fn mode_name(&self) -> &'static str {
        match self.results.mode {
            crate::Mode::Smoke => "smoke",
            crate::Mode::Quick => "quick",
            crate::Mode::Full => "full",
        }
    }
}
