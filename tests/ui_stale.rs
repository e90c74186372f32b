//! No stale or misleading value on screen: values measured before a change of the model are
//! replaced or marked, a reset starts a clean border, and labels say what a line is.

mod common;

use aescope::config::Config;
use aescope::protocol::Event;
use aescope::ui::live::state::{AppState, Status};
use aescope::ui::widgets::theme::ColorMode;
use common::*;

/// A data-file run: after a change of r the header's training-subset risk (from the last
/// report, the old model's) is marked until the next report measures the new model.
#[test]
fn train_risk_from_before_a_change_is_marked_until_the_next_report() {
    let cfg = Config::load("digits-sign", &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut app = AppState::new(&cfg, Some("run.jsonl".into()));
    let th = theme(ColorMode::Ansi256);
    let data_metrics = |step: u64, n: usize| {
        metrics_with(step, move |m| {
            m.d = 64;
            m.n = n;
            m.r = n as f64 / 64.0;
            m.limit = 0.2910;
            m.risk = Some(0.5);
        })
    };
    app.on_event(data_metrics(100, 32));
    let mut r = report(100, 0.5);
    r.train_risk = Some(0.4321);
    app.on_event(Event::Report(r));
    let s = text(&draw(&app, &th, 120, 40));
    assert!(s.contains("train 0.4321 ·"), "{s}");
    assert!(!s.contains("before the change"), "{s}");
    // n 32 → 33: the worker's metrics carry the new model's risk; the report is old.
    app.on_event(data_metrics(100, 33));
    let s = text(&draw(&app, &th, 120, 40));
    assert!(s.contains("train 0.4321 (before the change)"), "{s}");
    let mut r = report(200, 0.49);
    r.n = 33;
    r.train_risk = Some(0.4011);
    app.on_event(data_metrics(200, 33));
    app.on_event(Event::Report(r));
    let s = text(&draw(&app, &th, 120, 40));
    assert!(s.contains("train 0.4011 ·"), "{s}");
    assert!(!s.contains("before the change"), "{s}");
}

/// Paused, a change of r is evaluated at the same step: the chart's R*(B) label shows the
/// new model's value, not the old one against the new limit.
#[test]
fn r_star_after_a_change_while_paused_is_the_new_models() {
    let mut app = app(true);
    let th = theme(ColorMode::Ansi256);
    for step in (0..=4000).step_by(200) {
        app.on_event(metrics_with(step, |m| m.best_risk = Some(0.6900)));
    }
    app.on_event(metrics_with(4000, |m| m.paused = true));
    let s = text(&draw(&app, &th, 120, 40));
    assert!(s.contains("R*(B) 0.6900"), "{s}");
    // r 0.5 → 1.0 at step 4000, paused: new limit, new R*(B), same step.
    app.on_event(Event::RateChanged {
        step: 4000,
        n: 256,
        r: 1.0,
        limit: 0.3634,
    });
    app.on_event(metrics_with(4000, |m| {
        m.paused = true;
        m.n = 256;
        m.r = 1.0;
        m.limit = 0.3634;
        m.best_risk = Some(0.4012);
    }));
    let s = text(&draw(&app, &th, 120, 40));
    assert!(s.contains("R*(B) 0.4012"), "{s}");
    assert!(!s.contains("R*(B) 0.6900"), "{s}");
}

/// A reset (the step goes back) clears the previous run's message from the border; the
/// event log keeps it.
#[test]
fn a_reset_clears_the_border_not_the_log() {
    let mut app = app(true);
    let th = theme(ColorMode::Ansi256);
    app.on_event(Event::Metrics(metrics(5000)));
    app.on_event(Event::Saved("/tmp/old-run.ckpt".into()));
    let s = text(&draw(&app, &th, 120, 40));
    assert!(s.contains("checkpoint saved to /tmp/old-run.ckpt"), "{s}");
    app.on_event(Event::Metrics(metrics(0)));
    assert_eq!(app.status, None::<Status>);
    let s = text(&draw(&app, &th, 120, 40));
    assert!(!s.contains("old-run"), "{s}");
    assert!(
        app.log
            .entries()
            .iter()
            .any(|e| e.text.contains("checkpoint saved to /tmp/old-run.ckpt")),
        "the log keeps the old run's messages"
    );
}

/// The sparse preset's reference line is the Gaussian data's limit, and says so: header and
/// chart label read "Gaussian limit", never "sign limit".
#[test]
fn the_sparse_presets_line_is_labelled_gaussian_limit() {
    let cfg = Config::load("sparse-sign", &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut app = AppState::new(&cfg, Some("run.jsonl".into()));
    assert_eq!(app.series.limit_label, "Gaussian limit");
    // The worker's label, as the trainer gives it for this data.
    let limit = aescope::train::Trainer::new(&cfg).limit();
    assert_eq!(limit.label, "Gaussian limit");
    for step in (0..=2000).step_by(200) {
        app.on_event(metrics_with(step, |m| {
            m.limit_label = limit.label.into();
            m.limit = limit.value;
        }));
    }
    let s = text(&draw(&app, &theme(ColorMode::Ansi256), 120, 40));
    assert!(s.contains("Gaussian limit 0.6817 ·"), "header: {s}");
    assert!(s.contains("─ Gaussian limit 0.6817"), "chart label: {s}");
    assert!(!s.contains("sign limit"), "{s}");
}

/// On power-law data the spectrum's target and A − βBᵀ are the isotropic data's, and are
/// labelled as such; on Gaussian data they are plain.
#[test]
fn isotropic_references_are_labelled_on_non_isotropic_data() {
    use aescope::protocol::MatrixView;
    use ndarray::Array2;
    let th = theme(ColorMode::Ansi256);
    let screen = |preset: &str| {
        let cfg = Config::load(preset, &[]).unwrap_or_else(|e| panic!("{e}"));
        let mut app = AppState::new(&cfg, Some("run.jsonl".into()));
        app.on_event(metrics_with(100, |_| {}));
        let mut s = snapshot(100, Array2::eye(8));
        s.view = MatrixView::Alignment;
        app.view.matrix = MatrixView::Alignment;
        app.on_event(Event::Snapshot(Box::new(s)));
        text(&draw(&app, &th, 120, 40))
    };
    let s = screen("powerlaw-sign");
    assert!(s.contains("A − βBᵀ (isotropic ref.)"), "{s}");
    assert!(s.contains("│ target (iso)"), "{s}");
    assert!(s.contains("max|λ−t_iso| 0.012"), "{s}");
    let s = screen("sign-r0.5");
    assert!(s.contains("A − βBᵀ 8×8"), "{s}");
    assert!(!s.contains("iso"), "{s}");
    assert!(s.contains("max|λ−t| 0.012"), "{s}");
}

/// The log risk axis (l) ticks round values and gives data within a decade most of the
/// chart: doublings (0.4, 0.8, 1.6), not the two decades 0.1 and 1 around it.
#[test]
fn log_axis_ticks_are_round_and_fit_the_data() {
    use aescope::ui::live::keys::Action;
    use std::time::UNIX_EPOCH;
    let mut app = app(true);
    for step in (0..=12_400).step_by(200) {
        let r = 0.6817 + 0.3 * (-(step as f64) / 2000.0).exp();
        app.on_event(metrics_with(step, |m| m.loss = r));
        if step % 2000 == 0 && step > 0 {
            app.on_event(Event::Report(report(step, r)));
        }
    }
    app.on_action(Action::ToggleLog, UNIX_EPOCH);
    let buf = draw(&app, &theme(ColorMode::Ansi256), 120, 40);
    // The y labels: the text between the panel's border and the axis line.
    let labels: Vec<String> = rows(&buf)
        .iter()
        .filter_map(|r| r.strip_prefix('│'))
        .filter_map(|r| r.split_once('│').map(|(l, _)| l.trim().to_string()))
        .filter(|l| l.parse::<f64>().is_ok())
        .collect();
    assert_eq!(labels, ["1.6", "0.8", "0.4"], "{}", text(&buf));
    // The limit line sits in the middle of the chart, not in its top quarter.
    let limit_row = rows(&buf)
        .iter()
        .position(|r| r.contains("─ sign limit 0.6817"))
        .unwrap_or(0);
    assert!((12..=28).contains(&limit_row), "{}", text(&buf));
}
