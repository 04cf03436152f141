//! Keeps the panics a test or a run provokes on purpose off stderr, while
//! every other panic (a failed assertion, a real bug) still prints.
//!
//! One panic hook for the whole process, installed on first use, filters
//! by message prefix: the core's tests panic with `"boom: …"`, the
//! conformance suite with its marker, the soak with its own. Quieting is
//! process-wide and permanent, so tests running at the same time never
//! swap the hook under each other.

use std::any::Any;
use std::sync::{Mutex, Once};

/// The prefixes of the messages kept quiet.
static QUIET: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// Keeps the panics whose message starts with `prefix` off stderr from
/// now on, in the whole process. Every other panic goes to the hook that
/// was installed before the first call. Calling it again with the same
/// prefix does nothing more.
pub fn quiet_panics(prefix: &'static str) {
    {
        let mut quiet = QUIET.lock().unwrap_or_else(|e| e.into_inner());
        if !quiet.contains(&prefix) {
            quiet.push(prefix);
        }
    }
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // `starts_with`: a failure report quoting a deliberate panic
            // must still be printed.
            let message = panic_message(info.payload()).unwrap_or("");
            let quiet = QUIET.lock().unwrap_or_else(|e| e.into_inner());
            if !quiet.iter().any(|prefix| message.starts_with(prefix)) {
                drop(quiet);
                previous(info);
            }
        }));
    });
}

/// The message of a panic payload, when it is a string (what `panic!`
/// with a message gives).
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}
