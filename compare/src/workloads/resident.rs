//! The process's resident set, for the memory workloads' "B resident".

/// Resident bytes of this process (`VmRSS` in `/proc/self/status`), or
/// `None` where there is no such file (not Linux).
pub(crate) fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Hands the allocator's free pages back to the system, so that the next
/// allocations fault in fresh pages and show in the resident set (freed
/// memory the allocator kept would be reused without any growth).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn release_free_memory() {
    extern "C" {
        /// glibc: releases free memory from every arena; returns whether
        /// any was released.
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: `malloc_trim` only reorganises glibc's own free lists; it
    // takes no pointer and is safe to call at any time from any thread.
    unsafe {
        malloc_trim(0);
    }
}

/// Elsewhere the allocator keeps what it keeps: resident deltas may read
/// low.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn release_free_memory() {}
