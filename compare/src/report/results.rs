//! Everything measured in one run of the comparison: the samples of each
//! workload on each subject, or the error that stopped it.

use crate::{Mode, Sample, Subject, Workload};

/// Whether a workload's error means it skipped the run rather than
/// failed: a workload that does not run in the chosen mode (the
/// 1,000,000-coroutine memory workload outside `--full`) returns an error
/// starting with "skipped", e.g. "skipped: needs --full", and the report
/// shows it as skipped, not as a failure.
pub fn is_skip(error: &str) -> bool {
    error.starts_with("skipped")
}

/// What was measured of one workload on one subject.
#[derive(Debug, Clone)]
pub struct Runs {
    /// The subject it ran on.
    pub subject: Subject,
    /// One sample per successful repeat, each one value per metric, in
    /// repeat order: sample `i` is repeat `i` (the schedule runs repeat by
    /// repeat, and a subject that fails is not run again), so two
    /// subjects' samples of the same index pair up as the same repeat.
    pub samples: Vec<Sample>,
    /// Why it stopped, if a repeat failed (later repeats are skipped: a
    /// subject that failed once is not measured on that workload).
    pub error: Option<String>,
}

impl Runs {
    /// The values of metric `metric` over the samples, in run order.
    pub fn values(&self, metric: usize) -> Vec<f64> {
        self.samples.iter().map(|sample| sample[metric]).collect()
    }

    /// Whether a repeat failed (a skip is not a failure).
    pub fn failed(&self) -> bool {
        self.error.as_deref().is_some_and(|e| !is_skip(e))
    }
}

/// Everything measured of one workload, one [`Runs`] per subject it
/// applies to, in the order the subjects were given.
#[derive(Debug, Clone)]
pub struct WorkloadRuns {
    /// The workload.
    pub workload: Workload,
    /// Its runs, one per subject it applies to.
    pub subjects: Vec<Runs>,
}

/// The samples of a whole run, as the `compare` binary collects them.
#[derive(Debug, Clone)]
pub struct Results {
    /// The mode it ran in.
    pub mode: Mode,
    /// How many repeats each (workload, subject) pair was given.
    pub repeats: usize,
    /// One entry per workload run, in report order.
    pub workloads: Vec<WorkloadRuns>,
}

impl Results {
    /// Empty results for `workloads` on those of `subjects` each applies
    /// to (a workload that applies to none is left out).
    pub fn new(
        mode: Mode,
        repeats: usize,
        workloads: &[Workload],
        subjects: &[Subject],
    ) -> Results {
        let workloads = workloads
            .iter()
            .map(|&workload| WorkloadRuns {
                workload,
                subjects: subjects
                    .iter()
                    .filter(|&&subject| (workload.applies_to)(subject))
                    .map(|&subject| Runs {
                        subject,
                        samples: Vec::new(),
                        error: None,
                    })
                    .collect(),
            })
            .filter(|w| !w.subjects.is_empty())
            .collect();
        Results {
            mode,
            repeats,
            workloads,
        }
    }

    /// The runs of the workload at `workload` (an index into
    /// [`workloads`](Self::workloads)) on `subject`, if it applies.
    pub fn runs(&self, workload: usize, subject: Subject) -> Option<&Runs> {
        self.workloads
            .get(workload)?
            .subjects
            .iter()
            .find(|runs| runs.subject == subject)
    }

    /// Records one repeat's outcome. A sample with the wrong number of
    /// values or a value that is not finite is recorded as an error: a
    /// workload's bug must show in the report, not skew a median.
    /// Returns the error recorded, if any.
    ///
    /// # Panics
    ///
    /// If `workload` is out of range or `subject` is not one it applies
    /// to: a bug of the caller, since [`schedule`](super::schedule::schedule)
    /// only yields steps these results hold.
    pub fn record(
        &mut self,
        workload: usize,
        subject: Subject,
        outcome: Result<Sample, String>,
    ) -> Option<String> {
        let entry = &mut self.workloads[workload];
        let metrics = entry.workload.metrics;
        let checked = outcome.and_then(|sample| {
            if sample.len() != metrics.len() {
                return Err(format!(
                    "returned {} values for {} metrics",
                    sample.len(),
                    metrics.len()
                ));
            }
            match metrics.iter().zip(&sample).find(|(_, v)| !v.is_finite()) {
                Some((metric, value)) => Err(format!("returned {value} for {}", metric.name)),
                None => Ok(sample),
            }
        });
        let runs = entry
            .subjects
            .iter_mut()
            .find(|runs| runs.subject == subject)
            .expect("the schedule only runs subjects a workload applies to");
        match checked {
            Ok(sample) => {
                runs.samples.push(sample);
                None
            }
            Err(error) => {
                runs.error = Some(error.clone());
                Some(error)
            }
        }
    }

    /// Whether every run that was made failed (a skip is not a failure):
    /// the run as a whole went wrong.
    pub fn everything_failed(&self) -> bool {
        let mut runs = self.workloads.iter().flat_map(|w| &w.subjects);
        runs.clone().all(|r| r.samples.is_empty()) && runs.any(Runs::failed)
    }

    /// Whether any run failed (a skip is not a failure).
    pub fn any_failed(&self) -> bool {
        self.workloads
            .iter()
            .flat_map(|w| &w.subjects)
            .any(Runs::failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testing::{fake_workloads, FRAME, TOKIO_CT};

    #[test]
    fn a_workload_gets_only_the_subjects_it_applies_to() {
        let results = Results::new(Mode::Quick, 3, &fake_workloads(), &[FRAME, TOKIO_CT]);
        let names: Vec<Vec<Subject>> = results
            .workloads
            .iter()
            .map(|w| w.subjects.iter().map(|r| r.subject).collect())
            .collect();
        // The second fake workload applies to the frame chain only.
        assert_eq!(names, vec![vec![FRAME, TOKIO_CT], vec![FRAME]]);
    }

    #[test]
    fn bad_samples_are_recorded_as_errors() {
        let mut results = Results::new(Mode::Quick, 3, &fake_workloads(), &[FRAME]);
        assert_eq!(results.record(0, FRAME, Ok(vec![1.0, 2.0])), None);
        let short = results.record(0, FRAME, Ok(vec![1.0]));
        assert_eq!(short.as_deref(), Some("returned 1 values for 2 metrics"));
        let nan = results.record(1, FRAME, Ok(vec![f64::NAN]));
        assert_eq!(nan.as_deref(), Some("returned NaN for B steady"));
        let failed = results.record(1, FRAME, Err("no runtime".into()));
        assert_eq!(failed.as_deref(), Some("no runtime"));
        assert_eq!(
            results.runs(0, FRAME).unwrap().samples,
            vec![vec![1.0, 2.0]]
        );
        assert!(!results.everything_failed());
    }

    #[test]
    fn everything_failed_when_no_run_measured_and_one_failed() {
        let mut results = Results::new(Mode::Smoke, 1, &fake_workloads(), &[FRAME]);
        assert!(!results.everything_failed(), "nothing ran yet");
        results.record(1, FRAME, Err("skipped: needs --full".into()));
        assert!(!results.everything_failed(), "a skip is no failure");
        results.record(0, FRAME, Err("boom".into()));
        assert!(results.everything_failed());
    }

    #[test]
    fn any_failed_counts_failures_not_skips() {
        let mut results = Results::new(Mode::Smoke, 1, &fake_workloads(), &[FRAME, TOKIO_CT]);
        results.record(1, FRAME, Err("skipped: needs --full".into()));
        assert!(!results.any_failed(), "a skip is no failure");
        results.record(0, FRAME, Ok(vec![1.0, 2.0]));
        results.record(0, TOKIO_CT, Err("boom".into()));
        assert!(results.any_failed());
        assert!(!results.everything_failed(), "one run measured");
    }

    #[test]
    fn skips_are_told_from_failures() {
        assert!(is_skip("skipped: needs --full"));
        assert!(!is_skip("error: skipped nothing"));
    }
}
