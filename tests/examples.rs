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
fn every_example_prints_its_usage_on_help() {
    // Every example in `examples/`, so a new one is held to it too.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("examples/ is listed")
        .map(|entry| entry.expect("an entry of examples/").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 10, "examples found: {names:?}");
    for name in &names {
        let stdout = run_example(name, &["--help"]);
        assert!(
            stdout.starts_with(&format!("usage: {name} ")),
            "{name} --help printed:\n{stdout}"
        );
    }
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

#[test]
fn async_loading_keeps_the_frames_going_while_the_loader_works() {
    let stdout = run_example("async_loading", &["--fast"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        &lines[..3],
        &[
            "loading the level in the background",
            "level loaded: 17984 primes, the last 199999",
            "the frame loop kept running while the loader worked",
        ],
        "full output:\n{stdout}"
    );
    // How many frames the load took depends on the machine; the line
    // reporting them does not.
    let last = lines.get(3).copied().unwrap_or_default();
    assert!(last.contains("frames rendered during the load"), "{last}");
}

#[test]
fn coroutine_chain_runs_the_phases_in_turn_and_returns_both_results() {
    let stdout = run_example("coroutine_chain", &["--fast"]);
    let lines: Vec<&str> = stdout.lines().collect();
    // On the manual clock (1/60 s per frame) each pause ends on the frame
    // its time is reached: phase1's 0.5 s on frame 30, phase2's 0.25 s 15
    // frames later. phase2, a task of its own, starts on the frame outer
    // awaits it.
    let expected = [
        "run_until_complete(outer()) ...",
        "[0.000 s] outer: start, awaiting phase1",
        "[0.000 s] phase1: start, pausing 0.5 s",
        "[0.500 s] phase1: end",
        "[0.500 s] outer: phase1 returned \"result1\", awaiting phase2 as a task",
        "[0.500 s] phase2: start with \"result1\", pausing 0.25 s",
        "[0.750 s] phase2: end",
        "[0.750 s] outer: phase2 returned \"result2 derived from result1\"",
        "run_until_complete returned:",
        "(\"result1\", \"result2 derived from result1\")",
    ];
    assert_eq!(lines, expected, "full output:\n{stdout}");
}

#[test]
fn gather_cubes_interleaves_the_runs_and_keeps_argument_order() {
    let stdout = run_example("gather_cubes", &["--fast"]);
    let lines: Vec<&str> = stdout.lines().collect();
    // cube(5) pauses least and finishes first, cube(3) last; the steps of
    // the three runs interleave; the gather still lists 27, 64, 125.
    let expected = [
        "spawned cube(3), cube(4), cube(5); gathering them",
        "[0.000 s] cube(3): pausing 0.30 s",
        "[0.000 s] cube(4): pausing 0.20 s",
        "[0.000 s] cube(5): pausing 0.10 s",
        "[0.100 s] cube(5): awake, awaiting square(5)",
        "[0.100 s] square(5): task started, pausing 0.25 s",
        "[0.200 s] cube(4): awake, awaiting square(4)",
        "[0.200 s] square(4): task started, pausing 0.20 s",
        "[0.300 s] cube(3): awake, awaiting square(3)",
        "[0.300 s] square(3): task started, pausing 0.15 s",
        "[0.350 s] square(5) = 25",
        "[0.350 s] cube(5) = 5 * 25 = 125",
        "[0.400 s] square(4) = 16",
        "[0.400 s] cube(4) = 4 * 16 = 64",
        "[0.450 s] square(3) = 9",
        "[0.450 s] cube(3) = 3 * 9 = 27",
        "gather(cube(3), cube(4), cube(5)) in argument order:",
        "[27, 64, 125]",
    ];
    assert_eq!(lines, expected, "full output:\n{stdout}");
}

#[test]
fn gather_cubes_rejects_unknown_arguments() {
    let output = cargo_run_example("gather_cubes", &["--slow"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: gather_cubes"));
    assert!(output.stdout.is_empty(), "ran despite the bad argument");
}

#[test]
fn by_hand_shows_each_suspension_and_resumption() {
    let stdout = run_example("by_hand", &[]);
    let lines: Vec<&str> = stdout.lines().collect();
    // The clock moves 0.25 s between polls: the ticker resumes on every
    // frame and returns on frame 3; the sleeper sleeps through frames 1 to
    // 3 and resumes on frame 4, when its 1 s pause is over.
    let expected = [
        "spawned: sleeper done = false, ticker done = false (nothing runs before a poll)",
        "frame 0: t = 0.00 s, manager.poll()",
        "  sleeper: started, pausing 1 s",
        "  ticker: tick 1, yielding until the next frame",
        "frame 0: sleeper sleeping (is_done = false), ticker suspended (is_done = false)",
        "frame 1: t = 0.25 s, manager.poll()",
        "  ticker: resumed",
        "  ticker: tick 2, yielding until the next frame",
        "frame 1: sleeper sleeping (is_done = false), ticker suspended (is_done = false)",
        "frame 2: t = 0.50 s, manager.poll()",
        "  ticker: resumed",
        "  ticker: tick 3, yielding until the next frame",
        "frame 2: sleeper sleeping (is_done = false), ticker suspended (is_done = false)",
        "frame 3: t = 0.75 s, manager.poll()",
        "  ticker: resumed",
        "  ticker: returning",
        "frame 3: sleeper sleeping (is_done = false), ticker done (is_done = true)",
        "frame 4: t = 1.00 s, manager.poll()",
        "  sleeper: resumed after its pause, returning",
        "frame 4: sleeper done (is_done = true), ticker done (is_done = true)",
        "after 5 frames: sleeper returned \"rested\", ticker returned 3",
    ];
    assert_eq!(lines, expected, "full output:\n{stdout}");
}

#[test]
fn damage_task_burns_every_ten_seconds_in_lava_until_health_is_gone() {
    let stdout = run_example("damage_task", &[]);
    let lines: Vec<&str> = stdout.lines().collect();
    // 60 frames per second on the manual clock. After each 10 s cooldown
    // the invocation returns Cont and the next one burns a frame later
    // (12.017 s) if the player is still in lava; out of the lava it
    // burns again the moment the player walks back in (30 s).
    let expected = [
        "t =  2.000 s: the player walks into the lava",
        "t =  2.000 s: burned for 25, health 75",
        "t = 12.000 s: cooldown over, returning Cont",
        "t = 12.017 s: burned for 25, health 50",
        "t = 15.000 s: the player steps out of the lava",
        "t = 22.017 s: cooldown over, returning Cont",
        "t = 30.000 s: the player walks into the lava",
        "t = 30.000 s: burned for 25, health 25",
        "t = 40.000 s: cooldown over, returning Cont",
        "t = 40.017 s: burned for 25, health 0",
        "t = 40.017 s: health 0, the damage task returns Done",
        "the damage task finished after 2402 frames (40.017 s); health 0",
    ];
    assert_eq!(lines, expected, "full output:\n{stdout}");
}

#[test]
fn cutscene_disables_input_for_exactly_the_intervals() {
    let stdout = run_example("cutscene", &["--fast"]);
    let lines: Vec<&str> = stdout.lines().collect();
    // 2 s move + 1 s hold + 0.5 s fade at 60 fps: done on frame 210.
    assert_eq!(
        lines,
        [
            "[0.000 s] cutscene: input disabled",
            "[0.000 s] cutscene: camera move, hold, fade",
            "[3.500 s] cutscene: done, camera at (12.0, 5.0), brightness 0.0",
            "[3.500 s] cutscene: input enabled",
            "rendered 211 frames; input was off for 210 of them",
        ],
        "full output:\n{stdout}"
    );
}

#[test]
fn event_future_resumes_the_door_when_the_player_sends_the_event() {
    let stdout = run_example("event_future", &["--fast"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "door: waiting for someone to open me",
            "player: reached the door after 3.0 s, sending door-open",
            "door: opened by the player",
            "the door task returned \"the player\" after 181 frames",
        ],
        "full output:\n{stdout}"
    );
}

#[test]
fn arena_runs_a_round_with_streams_a_group_and_a_timeout() {
    let stdout = run_example("arena", &["--fast"]);
    let lines: Vec<&str> = stdout.lines().collect();
    // Two seconds of waiting for a surrender (frames 0 to 120), then a hit
    // every 30 frames, read by each guard from its own stream.
    assert_eq!(
        lines,
        [
            "referee: nobody surrendered, fight!",
            "tank: hit for 10, 20 left (frame 0)",
            "scout: hit for 10, 10 left (frame 0)",
            "tank: hit for 10, 10 left (frame 30)",
            "scout: hit for 10, 0 left (frame 30)",
            "tank: hit for 10, 0 left (frame 60)",
            "referee: tank and scout fell",
            "whistle: not needed",
            "the round ended with 2 fallen after 181 frames",
        ],
        "full output:\n{stdout}"
    );
}

#[test]
fn asset_loader_runs_struct_tasks_of_three_types_and_skips_the_music() {
    let stdout = run_example("asset_loader", &["--fast"]);
    let lines: Vec<&str> = stdout.lines().collect();
    // 60 frames per second on the manual clock: a texture chunk per frame,
    // a model part every 250 ms (frames 15, 30, 45), a music buffer every
    // 500 ms until the skip on frame 45 reaches the music's pause. In a
    // frame the texture (sort 0) runs first, then the model (1), then the
    // music (2).
    assert_eq!(
        lines,
        [
            "t = 0.000 s  grass.png: 32/96 KB",
            "t = 0.017 s  grass.png: 64/96 KB",
            "t = 0.033 s  grass.png: 96/96 KB",
            "t = 0.250 s  tree.egg: mesh loaded (1 of 3 parts)",
            "t = 0.500 s  tree.egg: skeleton loaded (2 of 3 parts)",
            "t = 0.500 s  theme.ogg: buffer 1 of 8",
            "t = 0.750 s  the player skips the music",
            "t = 0.750 s  tree.egg: animations loaded (3 of 3 parts)",
            "t = 0.750 s  theme.ogg: stopped after 1 of 8 buffers (the future was cancelled)",
            "all loaders done after 46 frames",
            "grass.png (texture): 96 KB",
            "tree.egg (model): 168 KB",
            "theme.ogg: the future was cancelled",
        ],
        "full output:\n{stdout}"
    );
}

#[test]
fn asset_loader_rejects_unknown_arguments() {
    let output = cargo_run_example("asset_loader", &["--slow"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: asset_loader"));
}

#[test]
fn tracing_prints_the_spans_and_events_of_each_task() {
    let stdout = run_example("tracing", &["--fast"]);
    // In this order, each fragment in a line of its own (the subscriber's
    // level column and span prefix around them are its own format).
    let heartbeat = r#"task{id=1 name="heartbeat" chain="default" sort=1 priority=2}"#;
    let sleeper = r#"task{id=2 name="sleeper" chain="default" sort=0 priority=0}"#;
    let faulty = r#"task{id=3 name="faulty" chain="default" sort=0 priority=0}"#;
    let expected = [
        "-- frame 0".to_owned(),
        format!("{sleeper}: taskchain: new"),
        format!("{faulty}: taskchain: new"),
        format!(
            r#"WARN {faulty}: taskchain: task panicked task=3 name="faulty" during="run" panic="the faulty task gave up""#
        ),
        format!("{heartbeat}: taskchain: new"),
        "heartbeat: beat 1".to_owned(),
        r#"DEBUG taskchain: cancel requested task=2 name="sleeper" made=true abort=false"#.to_owned(),
        "cancelling the sleeper: true".to_owned(),
        "-- frame 1".to_owned(),
        format!("{sleeper}: taskchain: new"),
        format!(
            r#"DEBUG {sleeper}: taskchain: cancel delivered task=2 name="sleeper" at="await""#
        ),
        "heartbeat: beat 2".to_owned(),
        "heartbeat: beat 3".to_owned(),
        format!(r#"DEBUG {heartbeat}: taskchain: upon_death task=1 name="heartbeat" end=Finished"#),
        "heartbeat: upon_death, clean exit = true".to_owned(),
        r#"heartbeat done: true, sleeper: Err(Cancelled), faulty: Err(Panicked("the faulty task gave up"))"#
            .to_owned(),
        "-- shutting down".to_owned(),
        r#"DEBUG taskchain: chain shutdown chain="default" tasks=0"#.to_owned(),
    ];
    let mut lines = stdout.lines();
    for fragment in &expected {
        assert!(
            lines.any(|line| line.contains(fragment.as_str())),
            "no line with {fragment:?} in order in the output:\n{stdout}"
        );
    }
}
