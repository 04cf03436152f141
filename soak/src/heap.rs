//! The heap as `CountingAlloc` sees it: growth since the soak started, its
//! sampled peak, and whether it came back after shutdown.

use std::time::{Duration, Instant};

use taskchain_conformance::kit::alloc;

/// Heap bytes beyond this, left after shutdown, are a violation: what
/// the runtimes keep for good (thread-locals of pooled threads, lazily
/// made globals) once a first chain has run, with room to spare.
pub const LEFT_OVER_TOLERANCE: isize = 256 * 1024;

/// Watches the live-bytes counter of `CountingAlloc`, if installed.
#[derive(Debug)]
pub struct Heap {
    /// Counting stays on while the soak runs.
    counting: Option<alloc::Counting>,
    baseline: usize,
    peak: isize,
}

impl Heap {
    /// Starts watching, if the process installed `CountingAlloc`.
    pub fn start() -> Heap {
        let counting = alloc::installed().then(alloc::counting);
        Heap {
            baseline: alloc::live_bytes(),
            counting,
            peak: 0,
        }
    }

    /// Whether the counter is there to read.
    pub fn counted(&self) -> bool {
        self.counting.is_some()
    }

    /// Bytes live now beyond the start (0 without the allocator).
    pub fn grown(&self) -> isize {
        if self.counted() {
            alloc::live_bytes().wrapping_sub(self.baseline) as isize
        } else {
            0
        }
    }

    /// Samples the counter into the peak; returns the growth now.
    pub fn sample(&mut self) -> isize {
        let grown = self.grown();
        self.peak = self.peak.max(grown);
        grown
    }

    /// The highest growth sampled.
    pub fn peak(&self) -> isize {
        self.peak
    }

    /// Waits up to `patience` for the growth to fall within
    /// [`LEFT_OVER_TOLERANCE`] (threads that were told to stop may still be
    /// freeing); returns what is left.
    pub fn settle(&self, patience: Duration) -> isize {
        let until = Instant::now() + patience;
        loop {
            let grown = self.grown();
            if grown <= LEFT_OVER_TOLERANCE || Instant::now() >= until {
                return grown;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
