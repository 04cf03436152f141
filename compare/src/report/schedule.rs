//! The order of a run: every repeat goes through every workload, and each
//! workload through its subjects in an order rotated per repeat and
//! workload, so slow drift of the machine (heat, other load) falls on
//! every subject alike rather than on whichever runs last.

use super::Results;
use crate::Subject;

/// One run of one workload on one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Which repeat, from 0.
    pub repeat: usize,
    /// The workload, an index into `Results::workloads`.
    pub workload: usize,
    /// The subject.
    pub subject: Subject,
}

/// Every step of a run collecting into `results`, in order.
pub fn schedule(results: &Results) -> Vec<Step> {
    let mut steps = Vec::new();
    for repeat in 0..results.repeats {
        for (workload, entry) in results.workloads.iter().enumerate() {
            let mut subjects: Vec<Subject> = entry.subjects.iter().map(|r| r.subject).collect();
            let turn = (repeat + workload) % subjects.len().max(1);
            subjects.rotate_left(turn);
            steps.extend(subjects.into_iter().map(|subject| Step {
                repeat,
                workload,
                subject,
            }));
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testing::{fake_workloads, CHAIN_TOKIO, FRAME, TOKIO_CT};
    use crate::Mode;

    #[test]
    fn repeats_interleave_and_rotate_the_subjects() {
        let results = Results::new(
            Mode::Quick,
            3,
            &fake_workloads(),
            &[FRAME, TOKIO_CT, CHAIN_TOKIO],
        );
        let steps = schedule(&results);
        // Per repeat: three subjects on "spin", the frame chain alone on
        // "memory_fake".
        assert_eq!(steps.len(), 3 * (3 + 1));
        let order = |repeat: usize| -> Vec<(usize, Subject)> {
            steps
                .iter()
                .filter(|s| s.repeat == repeat)
                .map(|s| (s.workload, s.subject))
                .collect()
        };
        assert_eq!(
            order(0),
            [(0, FRAME), (0, TOKIO_CT), (0, CHAIN_TOKIO), (1, FRAME)]
        );
        assert_eq!(
            order(1),
            [(0, TOKIO_CT), (0, CHAIN_TOKIO), (0, FRAME), (1, FRAME)]
        );
        assert_eq!(
            order(2),
            [(0, CHAIN_TOKIO), (0, FRAME), (0, TOKIO_CT), (1, FRAME)]
        );
    }
}
