//! [`stress_tests!`](crate::stress_tests): the stress suite and the
//! shutdown check as `#[test]` functions, so that every threaded backend
//! declares them in one line and they run (and fail) one by one.

/// Declares the stress suite and the shutdown check as `#[test]`
/// functions in the calling module: `make` builds a
/// [`ChainFactory`](crate::ChainFactory) from a worker count, each test
/// runs once for every count in `workers`, and `ownership` says whether
/// the chain's threads are its own
/// ([`ThreadOwnership`](crate::ThreadOwnership)).
///
/// ```ignore
/// fn on_tokio(workers: usize) -> ThreadedChainFactory { /* ... */ }
///
/// taskchain_conformance::stress_tests!(on_tokio, workers = [1, 2], ownership = Owned);
/// ```
///
/// Sizes come from [`stress_size`](crate::stress::stress_size): 10,000
/// delayed tasks, 1,000 storm rounds and 10,000 tasks under panics, scaled
/// down under valgrind and by `TASKCHAIN_STRESS_SCALE`; 10,000 teardown
/// race rounds in release ([`teardown_rounds`](crate::stress::teardown_rounds)).
#[macro_export]
macro_rules! stress_tests {
    ($make:expr, workers = [$($workers:expr),+], ownership = $ownership:ident) => {
        #[test]
        fn delayed_tasks_removed_by_name_and_respawned() {
            for workers in [$($workers),+] {
                $crate::stress::check_delayed_removal(
                    &($make)(workers),
                    $crate::stress::stress_size(10_000, 200),
                );
            }
        }

        #[test]
        fn cancel_storms() {
            for workers in [$($workers),+] {
                $crate::stress::check_cancel_storms(
                    &($make)(workers),
                    $crate::stress::stress_size(1_000, 10),
                );
            }
        }

        #[test]
        fn panics_in_one_task_in_ten_under_load() {
            for workers in [$($workers),+] {
                $crate::stress::check_panics_under_load(
                    &($make)(workers),
                    $crate::stress::stress_size(10_000, 200),
                );
            }
        }

        // regression: set_result, wakes and sends racing the manager's
        // last drop ran callbacks inline and left callbacks and task
        // references in the chain's queues after its shutdown took them,
        // leaking the chain core.
        #[test]
        fn teardown_races() {
            $crate::stress::check_teardown_races(
                &[$(($make)($workers)),+],
                $crate::stress::teardown_rounds(10_000, 20),
            );
        }

        #[test]
        fn shutdown_with_tasks_running_sleeping_and_awaiting() {
            for workers in [$($workers),+] {
                $crate::check_shutdown(
                    &($make)(workers),
                    $crate::ShutdownBy::Shutdown,
                    $crate::ThreadOwnership::$ownership,
                );
            }
        }

        #[test]
        fn drop_with_tasks_running_sleeping_and_awaiting() {
            for workers in [$($workers),+] {
                $crate::check_shutdown(
                    &($make)(workers),
                    $crate::ShutdownBy::Drop,
                    $crate::ThreadOwnership::$ownership,
                );
            }
        }
    };
}
