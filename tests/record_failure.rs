//! A record that cannot be written, made real with a file-size limit (RLIMIT_FSIZE: writes past
//! it fail with EFBIG, as a full disk fails with ENOSPC). The worker of an interface pauses and
//! waits for the user's choice; a headless worker trains on and says so. The limit applies to
//! a whole process, its output files included (a CI log!), so the test runs in a child copy of
//! this test binary whose output goes to pipes.

use aescope::config::Config;
use aescope::protocol::{Command, Event, FinishReason, PauseReason};
use aescope::train::{WorkerHandle, WorkerOptions, spawn};
use std::time::{Duration, Instant};

/// Record lines past this many bytes fail.
const LIMIT: u64 = 6000;

fn limit_file_size() {
    // SAFETY: plain libc calls with valid arguments; SIGXFSZ would otherwise kill the process
    // at the first write past the limit instead of failing it.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let lim = libc::rlimit {
            rlim_cur: LIMIT,
            rlim_max: libc::RLIM_INFINITY,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &raw const lim), 0);
    }
}

/// A run of `steps` steps (the interface's run is long enough that the record's first flush,
/// a second in, fails while it trains).
fn start(record: std::path::PathBuf, interactive: bool, steps: u64) -> WorkerHandle {
    let cfg = Config::load(
        "sign-r0.5",
        &[
            "data.d=32".into(),
            "eval.every=20".into(),
            format!("train.steps={steps}"),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let opts = WorkerOptions {
        record: Some(record),
        exit_when_finished: !interactive,
        start_paused: false,
    };
    spawn(cfg, opts).unwrap_or_else(|e| panic!("{e}"))
}

fn wait_for(w: &WorkerHandle, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match w.events.recv_deadline(deadline) {
            Ok(ev) if pred(&ev) => return ev,
            Ok(_) => {}
            Err(e) => panic!("no {what} in time ({e})"),
        }
    }
}

/// Set in the child that runs [`failed_record_in_a_limited_process`].
const CHILD: &str = "AESCOPE_TEST_FSIZE_CHILD";

#[test]
fn a_failed_record_pauses_an_interface_run_and_not_a_headless_one() {
    if std::env::var_os(CHILD).is_some() {
        failed_record_in_a_limited_process();
        return;
    }
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "a_failed_record_pauses_an_interface_run_and_not_a_headless_one",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "the limited child failed ({:?}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The child really ran the test (not zero tests).
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
}

fn failed_record_in_a_limited_process() {
    limit_file_size();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    // Interactive: paused with the file and the OS error, until the user goes on.
    let rec = dir.path().join("tui.jsonl");
    let w = start(rec.clone(), true, 100_000_000);
    let Event::Paused(PauseReason::RecordFailed { message }) = wait_for(&w, "the pause", |e| {
        matches!(e, Event::Paused(PauseReason::RecordFailed { .. }))
    }) else {
        unreachable!()
    };
    assert!(message.contains("tui.jsonl"), "{message}");
    assert!(message.contains("File too large"), "{message}");
    let paused_at = match wait_for(
        &w,
        "metrics",
        |e| matches!(e, Event::Metrics(m) if m.paused),
    ) {
        Event::Metrics(m) => m.step,
        _ => unreachable!(),
    };
    std::thread::sleep(Duration::from_millis(200));
    while let Ok(ev) = w.events.try_recv() {
        if let Event::Metrics(m) = ev {
            assert_eq!(m.step, paused_at, "trained on while waiting for the user");
        }
    }
    w.commands.send(Command::Resume).ok();
    wait_for(
        &w,
        "progress",
        |e| matches!(e, Event::Metrics(m) if m.step > paused_at + 10),
    );
    w.commands.send(Command::Quit).ok();
    wait_for(&w, "the summary", |e| matches!(e, Event::Finished(_)));
    w.join();
    // Whole lines only, under the limit.
    let text = std::fs::read_to_string(&rec).unwrap_or_default();
    assert!(text.len() as u64 <= LIMIT && text.ends_with('\n'));
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
    );

    // Headless: the error is reported and the run completes.
    let w = start(dir.path().join("headless.jsonl"), false, 4000);
    let mut saw_error = false;
    let summary = loop {
        match w.events.recv_timeout(Duration::from_secs(30)) {
            Ok(Event::Error(e)) => saw_error |= e.contains("headless.jsonl"),
            Ok(Event::Paused(p)) => panic!("a headless run paused: {p}"),
            Ok(Event::Finished(s)) => break s,
            Ok(_) => {}
            Err(e) => panic!("no summary ({e})"),
        }
    };
    assert!(saw_error);
    assert_eq!(
        (summary.reason, summary.steps),
        (FinishReason::Completed, 4000)
    );
}
