//! The sweep view: its state driven by a scripted sequence of SweepEvents and keys, the screen
//! drawn into a TestBackend, and the record tail's handling of half-written lines.

use aescope::data::SourceKind;
use aescope::model::Activation;
use aescope::protocol::TrainMode;
use aescope::sweep::{GridPoint, Progress, Row, Stop, SweepEvent};
use aescope::theory::bounds;
use aescope::ui::record_tail::RecordTail;
use aescope::ui::sweep::state::{RunState, SweepAction, SweepState};
use aescope::ui::sweep::view as sweep_view;
use aescope::ui::widgets::theme::{ColorMode, Theme};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn points() -> Vec<GridPoint> {
    [0.5, 1.0, 2.0, 4.0]
        .iter()
        .enumerate()
        .map(|(i, &rate)| GridPoint {
            index: i,
            rate,
            k: 0,
            seed: 1,
        })
        .collect()
}

fn row(r: f64, risk: f64) -> Row {
    let limit = bounds::r_sign(r);
    Row {
        preset: "sweep-sign".into(),
        sweep_id: "abc".into(),
        shard: "1/1".into(),
        activation: Activation::Sign,
        source: SourceKind::Gaussian,
        mode: TrainMode::Population,
        d: 64,
        r,
        n: (r * 64.0).round() as usize,
        seed: 1,
        risk,
        risk_kind: "exact".into(),
        val_risk: risk,
        best_risk: risk,
        limit,
        limit_label: "sign limit".into(),
        gap: risk - limit,
        rel_gap: (risk - limit) / limit,
        pca: bounds::pca_bound(r),
        shannon: bounds::shannon(r),
        steps: 500,
        budget: 1000,
        stop: Stop::Converged,
        wall_s: 1.0,
        record: String::new(),
    }
}

fn progress(done: usize, eta_s: u64) -> Progress {
    Progress {
        done,
        total: 4,
        elapsed: Duration::from_secs(10 * done as u64),
        eta: Some(Duration::from_secs(eta_s)),
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn started(p: GridPoint) -> SweepEvent {
    SweepEvent::RunStarted {
        point: p,
        n: 32,
        record: Some(PathBuf::from(format!("/nonexistent/r{}.jsonl", p.rate))),
    }
}

/// Two of four runs finished, one running.
fn scripted(now: Instant) -> SweepState {
    let pts = points();
    let mut s = SweepState::new("sweep-sign", Activation::Sign, &pts);
    s.on_event(&started(pts[3]), now);
    s.on_event(&started(pts[0]), now);
    let r4 = bounds::r_sign(4.0) + 0.001;
    s.on_event(
        &SweepEvent::RunFinished {
            row: Box::new(row(4.0, r4)),
            progress: progress(1, 90),
        },
        now,
    );
    s.on_event(&started(pts[1]), now);
    s.on_event(
        &SweepEvent::RunFinished {
            row: Box::new(row(0.5, bounds::r_sign(0.5))),
            progress: progress(2, 65),
        },
        now,
    );
    s
}

#[test]
fn events_fill_the_runs_points_and_progress() {
    let now = Instant::now();
    let s = scripted(now);
    assert_eq!(s.counts(), (2, 4));
    assert_eq!(s.points().len(), 2);
    assert_eq!(s.runs[0].state, RunState::Finished(Stop::Converged));
    assert_eq!(s.runs[1].state, RunState::Running);
    assert_eq!(s.runs[2].state, RunState::Queued);
    assert_eq!(s.eta(now), Some(Duration::from_secs(65)));
    // The ETA counts down between runs, never below zero.
    assert_eq!(
        s.eta(now + Duration::from_secs(5)),
        Some(Duration::from_mins(1))
    );
    assert_eq!(s.eta(now + Duration::from_secs(500)), Some(Duration::ZERO));
    // The record path from RunStarted is kept for the live view.
    assert!(s.runs[1].record.is_some());
}

#[test]
fn keys_move_the_selection_and_open_and_close_a_run() {
    let mut s = scripted(Instant::now());
    assert_eq!(s.selected, 0);
    s.on_key(&key(KeyCode::Left));
    assert_eq!(s.selected, 0);
    s.on_key(&key(KeyCode::Right));
    s.on_key(&key(KeyCode::Down));
    assert_eq!(s.selected, 2);
    for _ in 0..10 {
        s.on_key(&key(KeyCode::Right));
    }
    assert_eq!(s.selected, 3);
    s.on_key(&key(KeyCode::Up));
    assert_eq!(s.selected, 2);
    assert_eq!(s.on_key(&key(KeyCode::Enter)), SweepAction::Opened);
    assert_eq!(s.live.as_ref().map(|l| l.run), Some(2));
    // Moving keys do nothing in the live view; Esc goes back.
    s.on_key(&key(KeyCode::Left));
    assert_eq!(s.selected, 2);
    s.on_key(&key(KeyCode::Esc));
    assert!(s.live.is_none());
    assert_eq!(s.on_key(&key(KeyCode::Char('q'))), SweepAction::Quit);
    assert!(s.cancelling);
}

fn screen(s: &SweepState) -> String {
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap_or_else(|e| panic!("{e}"));
    let theme = Theme::new(ColorMode::TrueColor, false);
    t.draw(|f| sweep_view::draw(f, s, &theme, Instant::now()))
        .unwrap_or_else(|e| panic!("{e}"));
    let buf = t.backend().buffer().clone();
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_view_shows_gauge_axes_legend_list_and_points() {
    let s = scripted(Instant::now());
    let text = screen(&s);
    for want in [
        "2/4 runs",
        "ETA 1m 0",
        "rate r = n/d",
        "risk",
        "sign limit",
        "PCA bound",
        "Shannon D(r)",
        "runs",
        "converged",
        "running",
        "queued",
        "0.50",
        "4.00",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // A finished run is drawn as a dot (the scatter marker).
    assert!(text.contains('•'), "no point drawn in\n{text}");
}

#[test]
fn live_view_without_a_record_says_so() {
    let pts = points();
    let mut s = SweepState::new("sweep-sign", Activation::Sign, &pts);
    s.on_event(
        &SweepEvent::RunStarted {
            point: pts[0],
            n: 32,
            record: None,
        },
        Instant::now(),
    );
    s.on_key(&key(KeyCode::Enter));
    let text = screen(&s);
    assert!(text.contains("no record for this run"), "{text}");
    assert!(text.contains("Esc"), "{text}");
}

const REPORT1: &str = r#"{"type":"report","step":100,"risk":0.7,"limit":0.6,"gap":0.1,"lr":1.0,"features":{"eig_min":1.0}}"#;
const REPORT2: &str = r#"{"type":"report","step":200,"risk":0.65,"limit":0.6,"gap":0.05}"#;
const SUMMARY: &str = r#"{"type":"summary","steps":200,"risk":0.65,"limit":0.6,"gap":0.05,"reason":"completed","activation":"sign"}"#;

#[test]
fn record_tail_ignores_a_partial_last_line_until_it_is_complete() {
    let dir = std::env::temp_dir().join(format!("aescope-tail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("r1-seed1.jsonl");
    let config = r#"{"type":"config","config":{"name":"x"}}"#;
    let half = &REPORT2[..REPORT2.len() / 2];
    std::fs::write(&path, format!("{config}\n{REPORT1}\n{half}")).unwrap_or_else(|e| panic!("{e}"));
    let mut tail = RecordTail::default();
    tail.poll(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tail.reports.len(), 1);
    assert_eq!(tail.reports[0].step, 100);
    assert_eq!(tail.bad_lines, 0);
    // The worker finishes the line and writes its summary.
    let rest = &REPORT2[REPORT2.len() / 2..];
    std::fs::write(
        &path,
        format!("{config}\n{REPORT1}\n{half}{rest}\n{SUMMARY}\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    tail.poll(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tail.reports.len(), 2);
    assert_eq!(tail.reports[1].risk, 0.65);
    assert_eq!(
        tail.summary.as_ref().map(|s| s.reason.as_str()),
        Some("completed")
    );
    assert_eq!(tail.bad_lines, 0);
    // Nothing new: nothing changes.
    tail.poll(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tail.reports.len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn record_tail_feeds_in_pieces_and_counts_garbage() {
    let mut tail = RecordTail::default();
    let all = format!("{REPORT1}\nnot json\n{REPORT2}\n");
    for chunk in all.as_bytes().chunks(7) {
        tail.feed(chunk);
    }
    assert_eq!(tail.reports.len(), 2);
    assert_eq!(tail.bad_lines, 1);
}

#[test]
fn live_view_draws_the_run_from_its_record() {
    let pts = points();
    let mut s = SweepState::new("sweep-sign", Activation::Sign, &pts);
    s.on_event(&started(pts[0]), Instant::now());
    s.on_key(&key(KeyCode::Enter));
    if let Some(live) = s.live.as_mut() {
        live.tail.feed(format!("{REPORT1}\n{REPORT2}\n").as_bytes());
    }
    let text = screen(&s);
    for want in [
        "step 200",
        "risk 0.65000",
        "limit 0.60000",
        "gap +0.05000",
        "running",
        "risk against step",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn tui_refuses_a_stdout_that_is_not_a_terminal_before_training() {
    let dir = std::env::temp_dir().join(format!("aescope-sweeptui-{}", std::process::id()));
    let out = dir.join("s.csv");
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_aescope"))
        .args(["sweep", "sweep-sign", "--tui", "--out"])
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("--tui needs a terminal"), "{err}");
    assert!(!out.exists());
}
