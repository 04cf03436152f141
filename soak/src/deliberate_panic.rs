//! The panics the soak plants in its tasks: their message, and a panic
//! hook that keeps them off stderr (thousands a second would bury
//! everything else) while reporting any other panic as usual.

/// The message a planned panic of the task with soak key `key` carries.
pub fn panic_message(key: u64) -> String {
    format!("{PREFIX}{key}")
}

/// What every planned panic's message starts with.
const PREFIX: &str = "soak: deliberate panic in task ";

/// Keeps the soak's planned panics off stderr; every other one goes to the
/// hook installed before.
pub fn quiet_deliberate_panics() {
    taskchain_conformance::kit::quiet_panics::quiet_panics(PREFIX);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_messages_are_the_ones_kept_quiet() {
        assert!(panic_message(3).starts_with(PREFIX));
        assert!(!"index out of bounds".starts_with(PREFIX));
    }
}
