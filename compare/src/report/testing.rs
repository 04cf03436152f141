//! Fixtures for the report's unit tests: fake workloads (never run, their
//! samples are made up by each test) and the subjects the tests use.

use super::Machine;
use crate::{Metric, Mode, Raw, Sample, Subject, Workload};
use taskchain::Backend;

/// The frame chain.
pub const FRAME: Subject = Subject::FrameChain;
/// tokio's current-thread runtime, the frame chain's baseline.
pub const TOKIO_CT: Subject = Subject::Raw(Raw::TokioCurrentThread);
/// tokio's multi-thread runtime, taskchain-tokio's baseline.
pub const TOKIO_MT: Subject = Subject::Raw(Raw::TokioMultiThread);
/// The tokio backend's chain.
pub const CHAIN_TOKIO: Subject = Subject::Chain(Backend::Tokio);

/// A time metric, lower is better.
pub const NS_PER_TASK: Metric = Metric {
    name: "ns/task",
    unit: "ns",
    lower_is_better: true,
};

/// A throughput metric, higher is better.
pub const TASKS_PER_S: Metric = Metric {
    name: "tasks/s",
    unit: "/s",
    lower_is_better: false,
};

/// A memory metric, lower is better.
pub const BYTES: Metric = Metric {
    name: "B steady",
    unit: "B",
    lower_is_better: true,
};

fn never_run(_: Subject, _: Mode) -> Result<Sample, String> {
    Err("a fake workload is never run".into())
}

/// A fake workload named `name` reporting `metrics`, on every subject.
pub fn fake(name: &'static str, metrics: &'static [Metric]) -> Workload {
    Workload {
        name,
        about: "a fake workload for the report's tests",
        metrics,
        applies_to: |_| true,
        run: never_run,
    }
}

/// Two fake workloads: "spin" (ns/task, tasks/s) on every subject and
/// "memory_fake" (B steady) on the frame chain only.
pub fn fake_workloads() -> Vec<Workload> {
    vec![
        fake("spin", &[NS_PER_TASK, TASKS_PER_S]),
        Workload {
            applies_to: |subject| subject == FRAME,
            ..fake("memory_fake", &[BYTES])
        },
    ]
}

/// A machine with fixed, recognisable fields.
pub fn machine() -> Machine {
    Machine {
        cpu: "Test CPU".into(),
        cores: 2,
        os: "TestOS".into(),
        rustc: "rustc 1.0".into(),
        date: "2026-01-02 03:04 UTC".into(),
    }
}
