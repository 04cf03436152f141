//! A run read as a report: its samples, the figures and ratios read off
//! them, the summary at the top, the targets checked, and the machine it
//! ran on. Every output (text, Markdown, JSON, charts) renders this one
//! value.

use super::figures::{tables, Table};
use super::overview::Overview;
use super::targets::{subject_named, FLOOR, TARGETS};
use super::verdicts::{verdicts, Verdict};
use super::{Machine, Results};
use crate::Subject;

/// A finished run, analysed.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every sample and error.
    pub results: Results,
    /// One table of figures per workload.
    pub tables: Vec<Table>,
    /// The summary per subject and which chain suits what.
    pub overview: Overview,
    /// Every target of [`TARGETS`], checked.
    pub verdicts: Vec<Verdict>,
    /// Where and when it ran.
    pub machine: Machine,
}

impl Report {
    /// Analyses `results`, run on `machine`, ×floor dividing by the
    /// subject named [`FLOOR`] where this build has it.
    pub fn new(results: Results, machine: Machine) -> Report {
        Report::with_floor(results, machine, subject_named(FLOOR))
    }

    /// Analyses `results` with `floor` as the floor (tests stand any
    /// subject in for it).
    pub fn with_floor(results: Results, machine: Machine, floor: Option<Subject>) -> Report {
        let tables = tables(&results, floor);
        let overview = Overview::of(&tables);
        let verdicts = verdicts(TARGETS, &tables);
        Report {
            results,
            tables,
            overview,
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
