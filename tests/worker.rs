//! The worker driven headless through its channel protocol.

use aescope::config::Config;
use aescope::protocol::{Command, Event, FinishReason, PauseReason};
use aescope::train::{WorkerHandle, WorkerOptions, spawn};
use std::time::{Duration, Instant};

fn cfg(overrides: &[&str]) -> Config {
    let mut o: Vec<String> = vec!["data.d=32".into(), "eval.val_size=256".into()];
    o.extend(overrides.iter().map(ToString::to_string));
    Config::load("sign-r0.5", &o).unwrap_or_else(|e| panic!("{e}"))
}

fn start(c: Config, record: Option<std::path::PathBuf>, paused: bool) -> WorkerHandle {
    let opts = WorkerOptions {
        record,
        exit_when_finished: false,
        start_paused: paused,
    };
    spawn(c, opts).unwrap_or_else(|e| panic!("{e}"))
}

/// Wait (at most 10 s) for an event matching `pred`.
fn wait_for(w: &WorkerHandle, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match w.events.recv_timeout(left) {
            Ok(ev) if pred(&ev) => return ev,
            Ok(_) => {}
            Err(e) => panic!("no {what} within 10 s ({e})"),
        }
    }
}

fn metrics_step(ev: &Event) -> Option<u64> {
    match ev {
        Event::Metrics(m) => Some(m.step),
        _ => None,
    }
}

#[test]
fn paused_worker_steps_on_request_and_stays_paused() {
    let w = start(cfg(&[]), None, true);
    std::thread::sleep(Duration::from_millis(150));
    w.commands.send(Command::Step(3)).ok();
    wait_for(&w, "step 3", |e| metrics_step(e) == Some(3));
    std::thread::sleep(Duration::from_millis(300));
    // Still at 3: nothing trains while paused.
    while let Ok(ev) = w.events.try_recv() {
        if let Some(s) = metrics_step(&ev) {
            assert_eq!(s, 3);
        }
    }
    w.commands.send(Command::Resume).ok();
    wait_for(&w, "resumed", |e| matches!(e, Event::Resumed));
    wait_for(&w, "progress", |e| metrics_step(e).is_some_and(|s| s > 50));
    w.commands.send(Command::Pause).ok();
    wait_for(&w, "paused", |e| {
        matches!(e, Event::Paused(PauseReason::User))
    });
    w.commands.send(Command::Quit).ok();
    wait_for(
        &w,
        "finish",
        |e| matches!(e, Event::Finished(s) if s.reason == FinishReason::Interrupted),
    );
    w.join();
}

#[test]
fn rate_and_learning_rate_change_live() {
    let w = start(cfg(&[]), None, false);
    w.commands.send(Command::SetRate(1.0)).ok();
    let ev = wait_for(&w, "rate change", |e| {
        matches!(e, Event::RateChanged { .. })
    });
    let Event::RateChanged { n, r, limit, .. } = ev else {
        unreachable!()
    };
    assert_eq!(n, 32);
    assert_eq!(r, 1.0);
    assert!((limit - (1.0 - 2.0 / std::f64::consts::PI)).abs() < 1e-12);
    wait_for(
        &w,
        "metrics at n = 32",
        |e| matches!(e, Event::Metrics(m) if m.n == 32),
    );

    w.commands.send(Command::Pause).ok();
    let Event::Metrics(m0) = wait_for(
        &w,
        "paused metrics",
        |e| matches!(e, Event::Metrics(m) if m.paused),
    ) else {
        unreachable!()
    };
    w.commands.send(Command::ScaleLr(1.25)).ok();
    let Event::Metrics(m1) = wait_for(
        &w,
        "lr change",
        |e| matches!(e, Event::Metrics(m) if m.lr != m0.lr),
    ) else {
        unreachable!()
    };
    assert!(
        (m1.lr / m0.lr - 1.25).abs() < 1e-12,
        "{} → {}",
        m0.lr,
        m1.lr
    );
    assert_eq!(m1.step, m0.step, "paused, yet it trained");
    w.commands.send(Command::SetN(0)).ok();
    wait_for(
        &w,
        "error for n = 0",
        |e| matches!(e, Event::Error(msg) if msg.contains("n = 0")),
    );
    w.commands.send(Command::Quit).ok();
    wait_for(&w, "finish", |e| matches!(e, Event::Finished(_)));
    w.join();
}

#[test]
fn divergence_pauses_with_a_message() {
    let c = cfg(&[
        "train.optimizer=sgd",
        "train.lr=1e30",
        "train.lr_final=1e30",
        "model.activation=linear",
    ]);
    let w = start(c, None, false);
    let Event::Paused(PauseReason::Diverged { step, .. }) = wait_for(&w, "divergence", |e| {
        matches!(e, Event::Paused(PauseReason::Diverged { .. }))
    }) else {
        unreachable!()
    };
    // The worker holds at the step that failed, which was not applied.
    let Event::Metrics(m) = wait_for(&w, "metrics", |e| matches!(e, Event::Metrics(_))) else {
        unreachable!()
    };
    assert!(
        m.paused && m.step == step,
        "{m:?} after diverging at {step}"
    );
    // The step that blew the weights up was applied (only its successor saw a non-finite
    // loss), so a lower rate alone does not recover: reset, lower the rate (a reset restores
    // the preset's), and training goes on.
    w.commands.send(Command::Reset { seed: None }).ok();
    w.commands.send(Command::ScaleLr(1e-33)).ok();
    w.commands.send(Command::Resume).ok();
    let Event::Metrics(m) = wait_for(&w, "training after the reset", |e| {
        metrics_step(e).is_some_and(|s| s > 20)
    }) else {
        unreachable!()
    };
    assert!(m.loss.is_finite() && !m.paused, "{m:?}");
    w.commands.send(Command::Quit).ok();
    wait_for(&w, "finish", |e| matches!(e, Event::Finished(_)));
    w.join();
}

#[test]
fn finished_run_stays_until_quit_and_record_is_complete() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("run.jsonl");
    let w = start(
        cfg(&["train.steps=300", "eval.every=100"]),
        Some(path.clone()),
        false,
    );
    wait_for(
        &w,
        "finish",
        |e| matches!(e, Event::Finished(s) if s.reason == FinishReason::Completed && s.steps == 300),
    );
    // Still answering: a reset starts over.
    w.commands.send(Command::Reset { seed: Some(7) }).ok();
    wait_for(
        &w,
        "the reset run to finish",
        |e| matches!(e, Event::Finished(s) if s.steps == 300),
    );
    w.commands.send(Command::Quit).ok();
    w.join();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let kinds: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap_or_default()["type"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(kinds[0], "config");
    assert!(
        kinds.iter().filter(|k| *k == "report").count() >= 6,
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"event".to_string()),
        "the reset is recorded"
    );
    assert_eq!(kinds.last().map(String::as_str), Some("summary"));
}

#[test]
fn snapshots_and_exports_on_request() {
    use aescope::protocol::{MatrixView, SnapshotRequest};
    let w = start(cfg(&[]), None, false);
    w.commands
        .send(Command::WantSnapshots(Some(SnapshotRequest {
            view: MatrixView::Gram,
            max_side: 8,
        })))
        .ok();
    let Event::Snapshot(s) = wait_for(&w, "snapshot", |e| matches!(e, Event::Snapshot(_))) else {
        unreachable!()
    };
    assert_eq!(s.full_shape, (16, 16));
    assert_eq!(s.mean.dim(), (8, 8));
    assert_eq!(s.eigenvalues.len(), 16);
    assert!(
        (s.eigenvalues.iter().sum::<f64>() - 16.0).abs() < 1e-6,
        "trace of G is n"
    );
    assert!(s.range.1 <= 1.0 + 1e-6);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    w.commands
        .send(Command::Export(dir.path().join("export")))
        .ok();
    let Event::Exported(files) = wait_for(&w, "export", |e| matches!(e, Event::Exported(_))) else {
        unreachable!()
    };
    for name in [
        "A.npy",
        "B.npy",
        "gram.npy",
        "eigenvalues.npy",
        "A.csv",
        "gram.csv",
    ] {
        assert!(
            files.iter().any(|f| f.ends_with(name) && f.exists()),
            "{name} missing"
        );
    }
    let a: ndarray::Array2<f64> =
        ndarray_npy::read_npy(dir.path().join("export/A.npy")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.dim(), (32, 16));
    w.commands
        .send(Command::Export("/proc/no/such/dir".into()))
        .ok();
    wait_for(
        &w,
        "export error",
        |e| matches!(e, Event::Error(m) if m.contains("/proc/no/such/dir")),
    );
    w.commands.send(Command::Quit).ok();
    w.join();
}

/// The header as text, drawn from `metrics` of a run of `c`.
fn header_text(c: &Config, metrics: Event) -> String {
    use aescope::ui::live::{layout, state::AppState};
    use aescope::ui::widgets::theme::{ColorMode, Theme};
    let mut app = AppState::new(c, None);
    app.on_event(metrics);
    let th = Theme::new(ColorMode::Ansi256, false);
    let area = ratatui::layout::Rect::new(0, 0, 120, 40);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    layout::render(&app, &th, area, &mut buf);
    (0..4)
        .map(|y| (0..120).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn elapsed(ev: &Event) -> f64 {
    match ev {
        Event::Metrics(m) => m.elapsed_s,
        _ => f64::NAN,
    }
}

#[test]
fn elapsed_time_stops_while_paused() {
    let c = cfg(&[]);
    let w = start(c.clone(), None, true);
    std::thread::sleep(Duration::from_millis(200));
    // Paused from the start: the clock has not run, single steps do not run it.
    w.commands.send(Command::Step(2)).ok();
    let m = wait_for(&w, "step 2", |e| metrics_step(e) == Some(2));
    assert_eq!(elapsed(&m), 0.0);
    let header = header_text(&c, m);
    assert!(header.contains("elapsed 0:00"), "{header}");
    w.commands.send(Command::Resume).ok();
    wait_for(&w, "progress", |e| metrics_step(e).is_some_and(|s| s > 50));
    w.commands.send(Command::Pause).ok();
    wait_for(&w, "paused", |e| {
        matches!(e, Event::Paused(PauseReason::User))
    });
    // Metrics after the pause all carry the time of the pause, however long it lasts.
    w.commands.send(Command::Step(0)).ok();
    let at_pause = elapsed(&wait_for(&w, "metrics", |e| metrics_step(e).is_some()));
    assert!(at_pause > 0.0);
    std::thread::sleep(Duration::from_millis(300));
    w.commands.send(Command::Step(1)).ok();
    let later = elapsed(&wait_for(&w, "metrics", |e| metrics_step(e).is_some()));
    assert_eq!(later, at_pause);
    w.commands.send(Command::Quit).ok();
    let Event::Finished(s) = wait_for(&w, "finish", |e| matches!(e, Event::Finished(_))) else {
        unreachable!()
    };
    assert_eq!(s.wall_s, at_pause);
    w.join();
}

#[test]
fn stop_ends_a_population_run_with_a_summary_and_a_record() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let record = dir.path().join("run.jsonl");
    let c = Config::load(
        "sign-population-r0.5",
        &[
            "data.d=300".into(),
            "train.steps=100000".into(),
            "eval.every=1000000".into(),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let w = start(c, Some(record.clone()), false);
    wait_for(&w, "a few steps", |e| {
        metrics_step(e).is_some_and(|s| s >= 2)
    });
    w.stop();
    let Event::Finished(s) = wait_for(&w, "the summary", |e| matches!(e, Event::Finished(_)))
    else {
        unreachable!()
    };
    assert_eq!(s.reason, FinishReason::Interrupted);
    assert!(s.steps >= 2 && s.steps < 100000, "{}", s.steps);
    // No report was made (eval.every is past the budget): the summary's risk is measured,
    // finite, and a full evaluation at this size (within the prompt budget).
    assert!(s.risk.is_finite() && s.risk < 1.0, "{}", s.risk);
    assert_eq!(s.risk_kind.name(), "exact");
    w.join();
    let text = std::fs::read_to_string(&record).unwrap_or_else(|e| panic!("{e}"));
    let last = text.lines().last().unwrap_or_default();
    assert!(last.contains("\"type\":\"summary\""), "{last}");
    assert!(last.contains("\"reason\":\"interrupted\""), "{last}");
}
