//! Whether the run is under valgrind, which runs one thread at a time and
//! every instruction tens of times slower: tests then scale their sizes
//! down.

/// The environment variable CI sets while it runs a test binary under
/// valgrind.
pub const UNDER_VALGRIND_ENV: &str = "TASKCHAIN_UNDER_VALGRIND";

/// Whether [`UNDER_VALGRIND_ENV`] is set.
pub fn under_valgrind() -> bool {
    std::env::var_os(UNDER_VALGRIND_ENV).is_some()
}
