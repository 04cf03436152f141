//! Turning measured durations into the figures workloads report.

use std::time::Duration;

use crate::Metric;

/// The figures of a latency distribution, in µs: what
/// [`latency_quantiles_us`] returns, in its order.
pub(crate) const LATENCY_METRICS: &[Metric] = &[
    Metric::lower("p50", "µs"),
    Metric::lower("p99", "µs"),
    Metric::lower("max", "µs"),
];

/// The p50, p99 and max of `samples` in µs ([`LATENCY_METRICS`]).
pub(crate) fn latency_quantiles_us(samples: &mut [Duration]) -> Result<Vec<f64>, String> {
    quantiles_us(samples, &[0.5, 0.99, 1.0])
}

/// Nanoseconds per operation: `total` spread over `ops` operations.
pub(crate) fn ns_per(total: Duration, ops: usize) -> f64 {
    total.as_secs_f64() * 1e9 / ops.max(1) as f64
}

/// The `q`-quantile (0 to 1) of `samples`, in microseconds, by the nearest
/// rank; sorts `samples`.
///
/// Returns an error for an empty set (a workload that measured nothing has
/// no figure to give).
fn quantiles_us(samples: &mut [Duration], qs: &[f64]) -> Result<Vec<f64>, String> {
    if samples.is_empty() {
        return Err("no latency samples were taken".into());
    }
    samples.sort_unstable();
    let last = samples.len() - 1;
    Ok(qs
        .iter()
        .map(|q| {
            let i = ((last as f64) * q.clamp(0.0, 1.0)).round() as usize;
            samples[i.min(last)].as_secs_f64() * 1e6
        })
        .collect())
}
