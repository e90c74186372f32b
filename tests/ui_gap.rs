//! The gap chart and the reference lines as drawn into ratatui's TestBackend: |risk − limit|
//! on whole decades, negative gaps marked, the finite-d approximation labelled, coinciding
//! reference lines both visible, reference lines over the data, and the zoom.

mod common;

use aescope::protocol::Event;
use aescope::ui::live::keys::Action;
use aescope::ui::live::state::AppState;
use aescope::ui::widgets::risk_chart::BELOW_GLYPH;
use aescope::ui::widgets::theme::{ColorMode, Theme};
use common::*;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use std::time::UNIX_EPOCH;

const LIMIT: f64 = 0.6817;

/// A run whose evaluated risk approaches the limit as 0.3·10^(−step/2000): gaps from 0.3 down
/// to 3e-7, with one report below the limit (−2e-3) at the end.
fn converging() -> AppState {
    let mut app = app(false);
    for step in (0..=12_000).step_by(200) {
        let mut m = metrics(step);
        m.loss = LIMIT + 0.3 * 10f64.powf(-(step as f64) / 2000.0);
        m.best_risk = Some(LIMIT + 0.1 * 10f64.powf(-(step as f64) / 2000.0));
        let loss = m.loss;
        app.on_event(Event::Metrics(m));
        if step % 1000 == 0 && step > 0 {
            app.on_event(Event::Report(report(step, loss)));
        }
    }
    let mut m = metrics(12_200);
    m.loss = LIMIT - 2e-3;
    app.on_event(Event::Metrics(m));
    app.on_event(Event::Report(report(12_200, LIMIT - 2e-3)));
    app
}

fn th() -> Theme {
    theme(ColorMode::TrueColor)
}

/// Cells showing `glyph` in colour `fg`.
fn count(buf: &Buffer, glyph: &str, fg: Color) -> usize {
    buf.content()
        .iter()
        .filter(|c| c.symbol() == glyph && c.fg == fg)
        .count()
}

/// The row (last from the top) containing `needle`.
fn row_with(buf: &Buffer, needle: &str) -> Option<u16> {
    rows(buf)
        .iter()
        .rposition(|r| r.contains(needle))
        .map(|y| y as u16)
}

#[test]
fn gap_chart_plots_decades_and_marks_negative_gaps() {
    let mut app = converging();
    app.on_action(Action::ToggleGap, UNIX_EPOCH);
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let buf = draw(&app, &th(), w, h);
        let s = text(&buf);
        assert!(s.contains("|gap| log"), "{w}×{h}\n{s}");
        assert!(s.contains("× below"), "{w}×{h}\n{s}");
        // Round decade ticks, the span of the gaps (3e-1 … 1e-7) covered.
        let labels = y_labels(&buf);
        assert!(labels.len() >= 3, "{w}×{h}: {labels:?}\n{s}");
        let exps: Vec<i32> = labels
            .iter()
            .map(|l| match l.as_str() {
                "1" => 0,
                "10" => 1,
                l => l
                    .strip_prefix("1e")
                    .and_then(|e| e.parse().ok())
                    .unwrap_or_else(|| panic!("{w}×{h}: tick {l} is no decade\n{s}")),
            })
            .collect();
        assert!(exps.iter().max() >= Some(&0), "{labels:?}");
        assert!(exps.iter().min() <= Some(&-7), "{labels:?}");
        // The negative gap is drawn at |gap| with its own marker, in the risk's colour.
        assert_eq!(
            count(&buf, &BELOW_GLYPH.to_string(), th().risk),
            1,
            "{w}×{h}\n{s}"
        );
        // Positive risk gaps are drawn as dots.
        assert!(count(&buf, "•", th().risk) >= 5, "{w}×{h}\n{s}");
    }
    // Back to the risk chart.
    app.on_action(Action::ToggleGap, UNIX_EPOCH);
    assert!(!text(&draw(&app, &th(), 120, 40)).contains("|gap|"));
}

#[test]
fn a_negative_gap_at_the_floor_is_still_drawn() {
    // Round-off: R*(B) 1e-13 below the limit, the risk exactly at it.
    let mut app = app(false);
    for step in (0..=4000).step_by(200) {
        let mut m = metrics(step);
        m.best_risk = Some(LIMIT - 1e-13);
        app.on_event(Event::Metrics(m));
    }
    app.on_event(Event::Report(report(4000, LIMIT)));
    app.on_action(Action::ToggleGap, UNIX_EPOCH);
    let buf = draw(&app, &th(), 120, 40);
    let s = text(&buf);
    assert!(count(&buf, &BELOW_GLYPH.to_string(), th().best) > 3, "{s}");
    assert!(s.contains("1e-12") || s.contains("1e-13"), "{s}");
}

#[test]
fn finite_d_value_is_an_approximation_beside_the_limit() {
    // sign at r = 2, d = 256: the tight frame's finite-d value sits 3e-4 above the limit.
    let mut app = app(false);
    for step in (0..=4000).step_by(200) {
        let mut m = metrics(step);
        (m.n, m.r, m.limit) = (512, 2.0, 0.222_031);
        m.loss = 0.3;
        m.risk = Some(0.2224);
        app.on_event(Event::Metrics(m));
    }
    for (w, h) in [(80, 24), (120, 40)] {
        let buf = draw(&app, &th(), w, h);
        let s = text(&buf);
        assert!(s.contains("≈ finite-d 0.2223"), "{w}×{h}\n{s}");
        assert!(s.contains("sign limit 0.2220"), "{s}");
        // At 80×24 the two lines share a row, mostly under their shared label.
        let min = if w >= 120 { 10 } else { 0 };
        assert!(count(&buf, "╌", th().limit) > min, "{w}×{h}\n{s}");
    }
    app.on_action(Action::ToggleGap, UNIX_EPOCH);
    let buf = draw(&app, &th(), 120, 40);
    let s = text(&buf);
    assert!(s.contains("≈ finite-d +3.0e-4"), "{s}");
    let y = row_with(&buf, "finite-d").unwrap_or(0);
    let on_row = (0..120).filter(|&x| buf[(x, y)].symbol() == "╌").count();
    assert!(on_row > 10, "the label is not on its line\n{s}");
    // r ≤ 1 on sign: no finite-d line (orthonormal rows reach the limit exactly).
    let s = text(&draw(&converging(), &th(), 120, 40));
    assert!(!s.contains("finite-d"), "{s}");
}

#[test]
fn coinciding_reference_lines_both_stay_identifiable() {
    // r = 0.5: PCA 1 − r and Shannon 2^(−2r) are both 0.5.
    let mut app = app(false);
    for step in (0..=4000).step_by(200) {
        let mut m = metrics(step);
        m.loss = 0.9;
        app.on_event(Event::Metrics(m));
    }
    let th = th();
    let buf = draw(&app, &th, 120, 40);
    let s = text(&buf);
    let y = row_with(&buf, "PCA 0.5000 · Shannon D(r) 0.5000");
    let Some(y) = y else {
        panic!("no shared label\n{s}")
    };
    let fg = |c: Color| {
        (0..120)
            .filter(|&x| buf[(x, y)].fg == c && buf[(x, y)].symbol() == "─")
            .count()
    };
    assert!(fg(th.pca) > 10, "{s}");
    assert!(fg(th.shannon) > 10, "{s}");
}

#[test]
fn reference_lines_are_drawn_over_the_data() {
    // The loss sits on the limit: the limit's glyph still shows along the whole row.
    let mut app = app(false);
    for step in (0..=4000).step_by(200) {
        let mut m = metrics(step);
        m.loss = LIMIT;
        app.on_event(Event::Metrics(m));
    }
    let th = th();
    let buf = draw(&app, &th, 120, 40);
    let y = row_with(&buf, "sign limit 0.6817").unwrap_or(0);
    let line = (0..120)
        .filter(|&x| buf[(x, y)].fg == th.limit && buf[(x, y)].symbol() == "─")
        .count();
    assert!(line > 30, "{}", text(&buf));
}

/// The y-axis labels of the risk chart: the text between the panel's border and the axis
/// line on each row.
fn y_labels(buf: &Buffer) -> Vec<String> {
    rows(buf)
        .iter()
        .filter_map(|r| {
            let mut parts = r.split('│');
            parts.next()?;
            let label = parts.next()?.trim();
            let numeric = label.parse::<f64>().is_ok();
            numeric.then(|| label.to_string())
        })
        .collect()
}

#[test]
fn zoom_fits_the_last_window_and_the_limit_and_resets() {
    let mut app = converging();
    let th = th();
    let wide = y_labels(&draw(&app, &th, 120, 40));
    app.on_action(Action::Zoom, UNIX_EPOCH);
    let buf = draw(&app, &th, 120, 40);
    let s = text(&buf);
    assert!(s.contains("· zoom"), "{s}");
    let zoomed = y_labels(&buf);
    let values: Vec<f64> = zoomed.iter().filter_map(|l| l.parse().ok()).collect();
    assert!(values.len() >= 2, "{zoomed:?}\n{s}");
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    // The last fifth spans limit − 0.002 (the last report) … the limit and a little above.
    assert!(lo <= LIMIT - 2e-3 && hi >= LIMIT, "{zoomed:?}");
    assert!(hi - lo < 0.05, "{zoomed:?} (unzoomed {wide:?})\n{s}");
    assert!(s.contains("sign limit 0.6817"), "{s}");
    app.on_action(Action::ZoomReset, UNIX_EPOCH);
    assert_eq!(y_labels(&draw(&app, &th, 120, 40)), wide);
}
