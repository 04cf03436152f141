//! The timer thread: a sleeper registered while the thread goes to park
//! with no deadline or a later one is never missed, as registering the
//! earliest deadline unparks it.
//!
//! loom does not model time: the model clock stands still (see
//! [`crate::sync::now`]), so a deadline at it is due and one after it
//! never comes. What is checked is the registration/wake protocol.

use std::sync::Arc;
use std::time::Duration;

use loom::thread;

use super::{check, Flag};
use crate::sync::{now, Parker};
use crate::timer::{Registered, Timer};

/// Registers a due sleeper while the timer thread starts, collects and
/// parks (on `later`'s deadline, if one is registered first); the due
/// sleeper must be woken before shutdown.
fn due_sleeper_is_woken(with_later: bool) {
    check(move || {
        let parker = Parker::new();
        let timer = Arc::new(Timer::new(parker.unparker(), Duration::ZERO));
        let later = Flag::new();
        if with_later {
            let far = now() + Duration::from_secs(3600);
            assert!(matches!(
                timer.register(None, far, &later.waker()),
                Registered::Waiting(_)
            ));
        }
        let running = timer.clone();
        let thread = thread::spawn(move || running.run(&parker));

        let due = Flag::new();
        assert!(matches!(
            timer.register(None, now(), &due.waker()),
            Registered::Waiting(_)
        ));
        due.wait();
        assert!(!later.is_woken(), "a sleeper that is not due was woken");

        timer.close();
        thread.join().expect("the timer thread panicked");
        // Closing wakes every sleeper still waiting.
        assert_eq!(later.is_woken(), with_later);
    });
}

/// The timer thread has no deadline and parks with none.
#[test]
fn loom_timer_wakes_sleeper_registered_while_parking_with_no_deadline() {
    due_sleeper_is_woken(false);
}

/// The timer thread parks on a later deadline.
#[test]
fn loom_timer_wakes_sleeper_registered_while_parking_on_later_deadline() {
    due_sleeper_is_woken(true);
}

/// Two due sleepers registered at once, from the model's main thread and
/// from another, while the timer thread parks with no deadline: the second
/// registration may find the first's deadline in the heap (so it is not
/// the earliest and does not unpark), and both must still be woken.
#[test]
fn loom_timer_wakes_two_sleepers_registered_at_once() {
    check(|| {
        let parker = Parker::new();
        let timer = Arc::new(Timer::new(parker.unparker(), Duration::ZERO));
        let running = timer.clone();
        let thread = thread::spawn(move || running.run(&parker));

        let other = Flag::new();
        let registering = {
            let timer = timer.clone();
            let other = other.clone();
            thread::spawn(move || {
                assert!(matches!(
                    timer.register(None, now(), &other.waker()),
                    Registered::Waiting(_)
                ));
            })
        };
        let mine = Flag::new();
        assert!(matches!(
            timer.register(None, now(), &mine.waker()),
            Registered::Waiting(_)
        ));
        registering.join().expect("the registering thread panicked");
        mine.wait();
        other.wait();

        timer.close();
        thread.join().expect("the timer thread panicked");
    });
}
