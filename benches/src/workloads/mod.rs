//! The workloads of the comparison, one file each.

use crate::Workload;

/// Every workload, in report order.
pub fn workloads() -> Vec<Workload> {
    Vec::new()
}
