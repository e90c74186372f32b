//! Shared fixtures of the UI tests: events as the worker sends them, and screens as text.

#![allow(dead_code)]

use aescope::config::Config;
use aescope::model::Activation;
use aescope::protocol::{
    DecoderMode, Event, Features, FinishReason, MatrixView, Metrics, OptKind, Report, RiskKind,
    Snapshot, Summary,
};
use aescope::ui::live::layout;
use aescope::ui::live::state::AppState;
use aescope::ui::widgets::theme::{ColorMode, Theme};
use ndarray::Array2;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

pub fn config() -> Config {
    Config::load("sign-r0.5", &[]).unwrap_or_else(|e| panic!("{e}"))
}

pub fn app(record: bool) -> AppState {
    AppState::new(&config(), record.then(|| "run.jsonl".into()))
}

/// Metrics of the default preset (d = 256, r = 0.5) at `step`.
pub fn metrics(step: u64) -> Metrics {
    Metrics {
        step,
        samples: step * 256,
        loss: 0.7,
        loss_ema: 0.7,
        risk: Some(0.6843),
        risk_kind: Some(RiskKind::Exact),
        limit: 0.6817,
        limit_label: "sign limit".into(),
        lr: 0.003,
        r: 0.5,
        n: 128,
        d: 256,
        grad_norm: 0.1,
        steps_per_sec: 3210.0,
        activation: Activation::Sign,
        optimizer: OptKind::Adam,
        decoder: DecoderMode::Learned,
        paused: false,
        elapsed_s: step as f64 / 3210.0,
        best_risk: None,
        budget: 20_000,
    }
}

/// The worker's metrics at `step`, with one field changed by `edit`.
pub fn metrics_with(step: u64, edit: impl FnOnce(&mut Metrics)) -> Event {
    let mut m = metrics(step);
    edit(&mut m);
    Event::Metrics(m)
}

pub fn report(step: u64, risk: f64) -> Report {
    Report {
        step,
        samples: step * 256,
        loss: 0.7,
        risk,
        val_risk: risk,
        best_risk: None,
        train_risk: None,
        twin_risk: None,
        epochs: None,
        risk_kind: RiskKind::Exact,
        limit: 0.6817,
        gap: risk - 0.6817,
        lr: 0.003,
        r: 0.5,
        n: 128,
        wall_s: 1.0,
        features: Features {
            spectrum_distance: 0.1,
            eig_min: 0.9,
            eig_max: 1.1,
            alignment_beta: 0.8,
            alignment_rel: 0.05,
        },
    }
}

/// A snapshot of the Gram view holding `m` (block means and max-abs alike).
pub fn snapshot(step: u64, m: Array2<f32>) -> Snapshot {
    let n = m.nrows();
    let lo = m.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = m.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    Snapshot {
        step,
        view: MatrixView::Gram,
        full_shape: (n, n),
        mean: m.clone(),
        max_abs: m,
        range: (lo, hi),
        eigenvalues: vec![1.0; n],
        target: vec![1.0; n],
        spectrum_distance: 0.0123,
        alignment_beta: 0.8,
        alignment_rel: 0.0456,
        n,
        d: 2 * n,
    }
}

pub fn summary() -> Summary {
    Summary {
        reason: FinishReason::Completed,
        steps: 20_000,
        samples: 20_000 * 256,
        wall_s: 6.0,
        risk: 0.6830,
        val_risk: 0.6830,
        best_risk: None,
        risk_kind: RiskKind::Exact,
        limit: 0.6817,
        limit_label: "sign limit".into(),
        gap: 0.0013,
        r: 0.5,
        n: 128,
        d: 256,
        activation: Activation::Sign,
        steps_per_sec: 3333.0,
        record: None,
        checkpoint: None,
        twin_risk: None,
    }
}

pub fn theme(mode: ColorMode) -> Theme {
    Theme::new(mode, false)
}

/// Draw the whole screen at this size.
pub fn draw(app: &AppState, theme: &Theme, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
    t.draw(|f| layout::draw(f, app, theme))
        .unwrap_or_else(|e| panic!("{e}"));
    t.backend().buffer().clone()
}

/// The buffer's rows as text.
pub fn rows(buf: &Buffer) -> Vec<String> {
    let a = buf.area;
    (a.top()..a.bottom())
        .map(|y| {
            (a.left()..a.right())
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect()
        })
        .collect()
}

pub fn text(buf: &Buffer) -> String {
    rows(buf).join("\n")
}

/// Run `aescope ARGS... --headless --record REC` and insist it succeeds (its stderr in the
/// failure message, after `context`).
pub fn run_headless(args: &[&str], rec: &std::path::Path, context: &str) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aescope"))
        .args(args)
        .args(["--headless", "--record"])
        .arg(rec)
        .output()
        .unwrap_or_else(|e| panic!("{context}: {e}"));
    assert!(
        out.status.success(),
        "{context}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
