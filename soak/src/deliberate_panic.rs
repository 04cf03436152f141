//! The panics the soak plants in its tasks: their message, and a panic
//! hook that keeps them off stderr (thousands a second would bury
//! everything else) while reporting any other panic as usual.

/// The message a planned panic of the task with soak key `key` carries.
pub fn panic_message(key: u64) -> String {
    format!("soak: deliberate panic in task {key}")
}

/// Whether a panic message is one of the soak's planned panics.
pub fn is_deliberate_panic(message: &str) -> bool {
    message.starts_with("soak: deliberate panic in task ")
}

/// Installs a panic hook that drops the soak's planned panics and hands
/// every other one to the hook installed before.
pub fn quiet_deliberate_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied());
        if !message.is_some_and(is_deliberate_panic) {
            report(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_messages_are_told_apart() {
        assert!(is_deliberate_panic(&panic_message(3)));
        assert!(!is_deliberate_panic("index out of bounds"));
    }
}
