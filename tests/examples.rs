//! Runs the facade's examples as a user would, and checks what they print.

use std::path::Path;
use std::process::{Command, Output};

/// `cargo run --quiet --all-features --example NAME -- ARGS` in this
/// package (every backend, as `cargo test --workspace --all-features`
/// builds it). Cargo rebuilds the example if it is stale, so the test never
/// runs an old binary.
fn cargo_run_example(name: &str, args: &[&str]) -> Output {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--all-features", "--manifest-path"])
        .arg(&manifest)
        .args(["--example", name, "--"])
        .args(args)
        .output()
        .expect("cargo runs")
}

/// Runs an example that must succeed; returns its standard output.
fn run_example(name: &str, args: &[&str]) -> String {
    let output = cargo_run_example(name, args);
    let stdout = String::from_utf8(output.stdout).expect("utf-8 output");
    assert!(
        output.status.success(),
        "example {name} failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn launch_rocket_counts_down_without_stalling_a_frame() {
    let stdout = run_example("launch_rocket", &["--fast"]);
    let lines: Vec<&str> = stdout.lines().collect();

    // With the manual clock everything but the measured work time is exact:
    // the countdown fires on frames 0, 60, 120 and 180 (one second apart at
    // 60 fps), each right after that frame was rendered, and the frame
    // counter keeps going in between.
    let expected = [
        "frame   0  t = 0.000 s",
        "3",
        "frame  30  t = 0.500 s",
        "frame  60  t = 1.000 s",
        "2",
        "frame  90  t = 1.500 s",
        "frame 120  t = 2.000 s",
        "1",
        "frame 150  t = 2.500 s",
        "frame 180  t = 3.000 s",
        "Launch!",
        "rendered 181 frames in 3.000 s; the frame counter advanced on every frame",
    ];
    assert_eq!(
        lines.len(),
        expected.len() + 1,
        "unexpected output:\n{stdout}"
    );
    assert_eq!(
        &lines[..expected.len()],
        &expected,
        "full output:\n{stdout}"
    );
    let timing = lines[expected.len()];
    assert!(
        timing.starts_with("late frames: ") && timing.contains("ms of a 16.667 ms frame"),
        "unexpected timing line: {timing}"
    );
}

#[test]
fn launch_rocket_rejects_unknown_arguments() {
    let output = cargo_run_example("launch_rocket", &["--bogus"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: launch_rocket"));
}

#[test]
fn pick_backend_gives_the_same_results_on_every_backend() {
    let stdout = run_example("pick_backend", &[]);
    let lines: Vec<&str> = stdout.lines().collect();
    let backends = ["threadpool", "tokio", "smol", "async-std"];
    let mut expected = vec!["backends compiled in: threadpool, tokio, smol, async-std".to_owned()];
    for b in backends {
        expected.push(format!(
            "{b}: cubes [27, 64, 125], offloaded sum 500500, recurring task ran 3 frames"
        ));
    }
    expected.push("same results on every backend: yes".to_owned());
    assert_eq!(lines, expected, "full output:\n{stdout}");
}

#[test]
fn pick_backend_runs_one_backend_by_name() {
    let stdout = run_example("pick_backend", &["--backend", "smol"]);
    assert!(
        stdout.contains("smol: cubes [27, 64, 125]") && !stdout.contains("tokio:"),
        "{stdout}"
    );
}

#[test]
fn pick_backend_rejects_an_unknown_backend() {
    let output = cargo_run_example("pick_backend", &["--backend", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no backend named \"nope\"") && stderr.contains("usage: pick_backend"),
        "{stderr}"
    );
}
