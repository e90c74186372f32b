//! The screen as drawn into ratatui's TestBackend at fixed sizes: labels, header, overlays,
//! the too-small guard, and the heatmap's colours for a known matrix.

mod common;

use aescope::protocol::{Event, PauseReason};
use aescope::ui::live::keys::{Action, KEYS};
use aescope::ui::live::layout;
use aescope::ui::live::state::{AppState, BlockMode};
use aescope::ui::widgets::heatmap;
use aescope::ui::widgets::theme::{ColorMode, Theme, diverging, diverging_rgb, nearest_256};
use common::*;
use ndarray::Array2;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;
use std::time::UNIX_EPOCH;

/// A run 12 400 steps in, converging to its limit.
fn running() -> AppState {
    let mut app = app(false);
    for step in (0..=12_400).step_by(200) {
        app.on_event(metrics_with(step, |m| m.loss = m_risk(step)));
        if step % 2000 == 0 && step > 0 {
            app.on_event(Event::Report(report(step, m_risk(step))));
        }
    }
    app
}

/// The whole screen at 120×40 in true colour, as text.
fn screen(app: &AppState) -> String {
    text(&draw(app, &theme(ColorMode::TrueColor), 120, 40))
}

/// The run's risk (and loss) at `step`: an exponential approach to the sign limit.
fn m_risk(step: u64) -> f64 {
    0.6817 + 0.3 * (-(step as f64) / 2000.0).exp()
}

#[test]
fn header_shows_progress_risk_limit_gap() {
    let app = running();
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = text(&draw(&app, &theme(ColorMode::TrueColor), w, h));
        for needle in [
            "RUNNING",
            "step 12 400/20 000",
            "steps/s",
            "samples 3.17M",
            "elapsed 0:03",
            "risk 0.6843 (exact)",
            "sign limit 0.6817",
            "gap +0.0026",
            "lr 3.000e-3",
            "r 0.500 (n=128)",
            "adam",
        ] {
            assert!(
                screen.contains(needle),
                "{w}×{h}: no '{needle}' in\n{screen}"
            );
        }
    }
}

/// Under `lr = "auto"` the header says so, beside the rate the last step took.
#[test]
fn header_names_the_automatic_step() {
    let cfg = aescope::config::Config::load("sign-population-r0.5", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut app = AppState::new(&cfg, None);
    app.on_event(metrics_with(40, |m| m.lr = 12.5));
    let screen = text(&draw(&app, &theme(ColorMode::TrueColor), 120, 40));
    assert!(screen.contains("lr auto 1.250e1"), "{screen}");
    // A fixed rate is shown as the number alone.
    let fixed = text(&draw(&running(), &theme(ColorMode::TrueColor), 120, 40));
    assert!(
        fixed.contains("lr 3.000e-3") && !fixed.contains("lr auto"),
        "{fixed}"
    );
}

#[test]
fn header_states() {
    let th = theme(ColorMode::Ansi256);
    let mut app = running();
    app.on_event(metrics_with(12_400, |m| m.paused = true));
    assert!(text(&draw(&app, &th, 120, 40)).contains("PAUSED"));
    app.on_event(Event::Paused(PauseReason::Diverged {
        step: 12_400,
        loss: f64::NAN,
    }));
    let s = text(&draw(&app, &th, 120, 40));
    assert!(s.contains("DIVERGED at 12400"), "{s}");
    assert!(s.contains("lower the learning rate"), "{s}");
    app.on_event(Event::Finished(summary()));
    let s = text(&draw(&app, &th, 120, 40));
    assert!(s.contains("FINISHED"), "{s}");
    assert!(s.contains("3333 steps/s (run mean)"), "{s}");
}

#[test]
fn reference_lines_are_labelled_with_their_values_on_their_rows() {
    // A loss well above the lines, so that no curve is drawn over them.
    let mut app = app(false);
    for step in (0..=12_400).step_by(200) {
        let mut m = metrics(step);
        m.loss = 0.9;
        m.best_risk = Some(0.6);
        app.on_event(Event::Metrics(m));
    }
    let th = theme(ColorMode::TrueColor);
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let buf = draw(&app, &th, w, h);
        let rows = rows(&buf);
        for label in [
            "sign limit 0.6817",
            "PCA 0.5000",
            "Shannon D(r) 0.5000",
            "R*(B) 0.6000",
        ] {
            assert!(
                rows.iter().any(|r| r.contains(label)),
                "{w}×{h}: no '{label}' in\n{}",
                rows.join("\n")
            );
        }
        // The limit's label sits on the limit line: its row carries the reference glyph ─
        // drawn in the limit's colour beyond the label.
        // (The header names the limit too: the chart's label is the lower one.)
        let y = rows
            .iter()
            .rposition(|r| r.contains("sign limit 0.6817"))
            .unwrap_or(0) as u16;
        let drawn = (0..w).filter(|&x| {
            let c = &buf[(x, y)];
            c.fg == th.limit && c.symbol() == "─"
        });
        assert!(
            drawn.count() > 10,
            "{w}×{h}: limit line not on the label's row {y}\n{}",
            rows.join("\n")
        );
    }
}

#[test]
fn limit_line_steps_when_the_rate_changes() {
    let mut app = running();
    app.on_event(Event::RateChanged {
        step: 12_400,
        n: 133,
        r: 133.0 / 256.0,
        limit: 0.6693,
    });
    let mut m = metrics(12_600);
    m.limit = 0.6693;
    m.n = 133;
    m.r = 133.0 / 256.0;
    app.on_event(Event::Metrics(m));
    assert_eq!(app.series.limit.value_at(12_000.0), Some(0.6817));
    assert_eq!(app.series.limit.value_at(12_500.0), Some(0.6693));
    let s = screen(&app);
    assert!(s.contains("sign limit 0.6693"), "{s}");
    assert!(s.contains("r 0.520 (n=133)"), "{s}");
}

#[test]
fn log_scale_and_recent_window_keep_the_labels() {
    let mut app = running();
    app.on_action(Action::ToggleLog, UNIX_EPOCH);
    app.on_action(Action::ToggleHistory, UNIX_EPOCH);
    let s = screen(&app);
    assert!(s.contains("sign limit 0.6817"), "{s}");
    assert!(s.contains("recent window · log"), "{s}");
}

#[test]
fn help_lists_every_key() {
    let mut app = running();
    app.on_action(Action::Help, UNIX_EPOCH);
    let s = screen(&app);
    for row in KEYS.rows() {
        let (keys, what) = (row.keys, row.what);
        assert!(s.contains(keys), "help lacks '{keys}'\n{s}");
        assert!(s.contains(what), "help lacks '{what}'\n{s}");
    }
    // Small screens scroll instead of cutting.
    let s = text(&draw(&app, &theme(ColorMode::TrueColor), 60, 16));
    assert!(s.contains("scroll"), "{s}");
}

#[test]
fn quit_confirmation_is_drawn() {
    let mut app = running();
    app.on_action(Action::Quit, UNIX_EPOCH);
    let s = text(&draw(&app, &theme(ColorMode::TrueColor), 80, 24));
    assert!(s.contains("quit without saving a record? y/n"), "{s}");
}

#[test]
fn key_hints_are_always_on_the_bottom_line() {
    let app = running();
    for (w, h) in [(60, 16), (80, 24), (120, 40), (200, 60)] {
        let rows = rows(&draw(&app, &theme(ColorMode::TrueColor), w, h));
        let last = rows.last().cloned().unwrap_or_default();
        for hint in ["space pause", "? help", "q quit"] {
            assert!(last.contains(hint), "{w}×{h}: '{last}'");
        }
    }
}

#[test]
fn too_small_terminal_says_so() {
    let app = running();
    for (w, h) in [(59, 24), (80, 15), (20, 5)] {
        let s = text(&draw(&app, &theme(ColorMode::TrueColor), w, h));
        assert!(s.contains("too small"), "{w}×{h}:\n{s}");
    }
    let s = text(&draw(&app, &theme(ColorMode::TrueColor), 59, 24));
    assert!(s.contains("need ≥ 60×16"), "{s}");
    // The minimum itself draws the panels.
    let s = text(&draw(&app, &theme(ColorMode::TrueColor), 60, 16));
    assert!(!s.contains("too small"), "{s}");
}

#[test]
fn first_frame_before_any_event() {
    let app = app(false);
    let s = text(&draw(&app, &theme(ColorMode::TrueColor), 80, 24));
    assert!(s.contains("STARTING"), "{s}");
    assert!(s.contains("waiting for the first metrics"), "{s}");
}

#[test]
fn spectrum_panel_shows_distance_and_alignment() {
    let mut app = running();
    app.on_event(Event::Snapshot(Box::new(snapshot(12_400, Array2::eye(8)))));
    let s = screen(&app);
    assert!(s.contains("max|λ−t| 0.012"), "{s}");
    assert!(s.contains("‖A−βBᵀ‖/‖A‖ 0.046"), "{s}");
    assert!(s.contains("Spectrum"), "{s}");
    assert!(s.contains("target"), "{s}");
}

/// The heatmap panel of `app` alone, in a 20×10 area.
fn heatmap_buffer(app: &AppState, th: &Theme) -> Buffer {
    let area = Rect::new(0, 0, 20, 10);
    let mut buf = Buffer::empty(area);
    layout::heatmap(app, th).render(area, &mut buf);
    buf
}

/// Cells of the 4×4 identity: 20×10 panel → 18×8 inside, 7 rows for the image (14 pixels),
/// so 3 pixels an entry: 12×12 pixels centred at column 1 + 3, row 1 + 0 (6 cell rows).
fn identity_cells(th: &Theme) -> (Buffer, u16, u16) {
    let mut app = running();
    app.on_event(Event::Snapshot(Box::new(snapshot(100, Array2::eye(4)))));
    let buf = heatmap_buffer(&app, th);
    let x0 = 1 + (18 - 12) / 2;
    // 7 image rows, 6 used: (7 − 6) / 2 = 0 rows of margin.
    let y0 = 1;
    (buf, x0, y0)
}

#[test]
fn heatmap_of_the_identity_is_red_on_the_diagonal_white_elsewhere() {
    let th = theme(ColorMode::TrueColor);
    let (buf, x0, y0) = identity_cells(&th);
    let red = Color::Rgb(178, 24, 43);
    let white = Color::Rgb(247, 247, 247);
    for entry in 0..4u16 {
        // Pixel rows 3e and 3e+1 and pixel columns 3e..3e+3 show entry (e, e).
        let cell_row = y0 + (3 * entry) / 2;
        let upper_is_diag = (3 * entry) % 2 == 0;
        let c = &buf[(x0 + 3 * entry + 1, cell_row)];
        assert_eq!(c.symbol(), "▀");
        if upper_is_diag {
            assert_eq!(c.fg, red, "entry {entry}");
        } else {
            assert_eq!(c.bg, red, "entry {entry}");
        }
        // Off the diagonal: the same rows, another entry's columns.
        let off = (entry + 2) % 4;
        let c = &buf[(x0 + 3 * off + 1, cell_row)];
        assert_eq!(c.fg, white, "entry ({entry}, {off})");
        assert_eq!(c.bg, white, "entry ({entry}, {off})");
    }
    // Top-left cell: both pixels are entry (0, 0).
    assert_eq!(buf[(x0, y0)].fg, red);
    assert_eq!(buf[(x0, y0)].bg, red);
}

#[test]
fn heatmap_in_256_and_16_colours() {
    let th = theme(ColorMode::Ansi256);
    let (buf, x0, y0) = identity_cells(&th);
    assert_eq!(
        buf[(x0, y0)].fg,
        Color::Indexed(nearest_256(diverging_rgb(1.0)))
    );
    assert_eq!(
        buf[(x0 + 4, y0)].fg,
        Color::Indexed(nearest_256(diverging_rgb(0.0)))
    );
    let th = theme(ColorMode::Ansi16);
    let (buf, x0, y0) = identity_cells(&th);
    assert_eq!(buf[(x0, y0)].fg, Color::Red);
    assert_eq!(buf[(x0 + 4, y0)].fg, Color::White);
    assert_eq!(diverging(-1.0, ColorMode::Ansi16), Color::Blue);
}

#[test]
fn heatmap_legend_and_title() {
    let mut app = running();
    let mut m = Array2::<f32>::eye(4);
    m[[0, 1]] = -0.5;
    app.on_event(Event::Snapshot(Box::new(snapshot(100, m))));
    let area = Rect::new(0, 0, 60, 12);
    let mut buf = Buffer::empty(area);
    layout::heatmap(&app, &theme(ColorMode::TrueColor)).render(area, &mut buf);
    let s = text(&buf);
    assert!(s.contains("Gram B̃B̃ᵀ 4×4"), "{s}");
    assert!(s.contains("−1 "), "{s}");
    assert!(s.contains(" +1"), "{s}");
    assert!(s.contains("range [-0.5, 1]"), "{s}");
    // The legend bar runs from blue to red.
    let legend_y = 10;
    let bgs: Vec<Color> = (0..60).map(|x| buf[(x, legend_y)].bg).collect();
    assert!(bgs.contains(&Color::Rgb(33, 102, 172)));
    assert!(bgs.contains(&Color::Rgb(178, 24, 43)));
    // The block mode is named in the title.
    assert!(s.contains("max-abs"), "{s}");
    app.view.block = BlockMode::Mean;
    let mut buf = Buffer::empty(area);
    layout::heatmap(&app, &theme(ColorMode::TrueColor)).render(area, &mut buf);
    assert!(text(&buf).contains("· mean ·"));
}

#[test]
fn heatmap_legend_range_is_round_and_readable_at_any_magnitude() {
    // Entries of a few 1e-3 (a decoder early in training): the ends of the colour scale are a
    // round value with its digits, never "+0.00".
    let mut app = running();
    let mut m = Array2::<f32>::from_elem((4, 4), 0.001);
    m[[0, 0]] = 0.0042;
    m[[1, 2]] = -0.0031;
    let mut snap = snapshot(100, m);
    snap.range = (-0.0031, 0.0042);
    app.on_event(Event::Snapshot(Box::new(snap)));
    let area = Rect::new(0, 0, 60, 12);
    let th = theme(ColorMode::TrueColor);
    let mut buf = Buffer::empty(area);
    layout::heatmap(&app, &th).render(area, &mut buf);
    let s = text(&buf);
    assert!(s.contains("−5.00e-3 "), "{s}");
    assert!(s.contains(" +5.00e-3"), "{s}");
    assert!(s.contains("range [-3.10e-3, 4.20e-3]"), "{s}");
    assert!(!s.contains("0.00 "), "{s}");
    // Large entries: three digits, no exponent.
    let mut snap = snapshot(101, Array2::<f32>::from_elem((4, 4), 12.5));
    snap.range = (-3.0, 12.5);
    app.on_event(Event::Snapshot(Box::new(snap)));
    let mut buf = Buffer::empty(area);
    layout::heatmap(&app, &th).render(area, &mut buf);
    let s = text(&buf);
    assert!(s.contains("−15 ") && s.contains(" +15"), "{s}");
    assert!(s.contains("range [-3, 12.5]"), "{s}");
}

#[test]
fn heatmap_cells_that_barely_changed_are_identical() {
    // Two snapshots a step apart, every entry moved by 1 % of the scale: the colours are
    // quantised, so (almost) no cell changes and the terminal is sent (almost) nothing.
    let th = theme(ColorMode::TrueColor);
    let area = Rect::new(0, 0, 60, 20);
    let grid = |shift: f32| {
        Array2::<f32>::from_shape_fn((16, 16), |(i, j)| {
            let v = ((i * 16 + j) as f32 * 0.37).sin();
            // Away from the colour steps' boundaries (multiples of 1/16), then moved a little.
            (v * 8.0).round() / 8.0 + shift
        })
    };
    let draw_one = |m: Array2<f32>| {
        let mut app = running();
        let mut snap = snapshot(100, m);
        snap.range = (-1.0, 1.0);
        app.on_event(Event::Snapshot(Box::new(snap)));
        let mut buf = Buffer::empty(area);
        layout::heatmap(&app, &th).render(area, &mut buf);
        buf
    };
    let a = draw_one(grid(0.0));
    let b = draw_one(grid(0.01));
    let changed: Vec<_> = a.diff(&b).into_iter().map(|(x, y, _)| (x, y)).collect();
    // The title's step is the same; only cells that crossed a colour step may differ: none.
    assert!(
        changed.is_empty(),
        "{} cells changed: {changed:?}",
        changed.len()
    );
    // A visible change (a quarter of the scale) does show.
    let c = draw_one(grid(0.25));
    assert!(a.diff(&c).len() > 100, "{}", a.diff(&c).len());
}

#[test]
fn heatmap_keeps_the_aspect_of_the_full_matrix() {
    // A 256×128 matrix sent as 8×8 blocks is drawn twice as tall as wide.
    let mut app = running();
    let mut s = snapshot(100, Array2::from_elem((8, 8), 0.5));
    s.full_shape = (256, 128);
    app.on_event(Event::Snapshot(Box::new(s)));
    let area = Rect::new(0, 0, 40, 20);
    let mut buf = Buffer::empty(area);
    layout::heatmap(&app, &theme(ColorMode::TrueColor)).render(area, &mut buf);
    let drawn: Vec<(u16, u16)> = (0..20)
        .flat_map(|y| (0..40).map(move |x| (x, y)))
        .filter(|&(x, y)| buf[(x, y)].symbol() == "▀")
        .collect();
    let cols = drawn.iter().map(|p| p.0).max().unwrap_or(0)
        - drawn.iter().map(|p| p.0).min().unwrap_or(0)
        + 1;
    let rows = drawn.iter().map(|p| p.1).max().unwrap_or(0)
        - drawn.iter().map(|p| p.1).min().unwrap_or(0)
        + 1;
    // 17 image rows = 34 pixels high, so 34×17 pixels: 17 cells wide, 17 rows.
    assert_eq!((rows, cols), (17, 17), "{}", text(&buf));
}

#[test]
fn heatmap_waits_for_its_view() {
    let mut app = running();
    app.on_event(Event::Snapshot(Box::new(snapshot(100, Array2::eye(4)))));
    app.on_action(Action::CycleView, UNIX_EPOCH);
    let s = text(&heatmap_buffer(&app, &theme(ColorMode::TrueColor)));
    assert!(s.contains("AᵀA"), "{s}");
    assert!(s.contains("waiting"), "{s}");
}

#[test]
fn max_side_follows_the_panel() {
    // 40×12 panel: 38 wide, 9 rows of image = 18 pixels high.
    assert_eq!(heatmap::max_side(Rect::new(0, 0, 40, 12)), 18);
    assert_eq!(heatmap::max_side(Rect::new(0, 0, 12, 40)), 10);
}

#[test]
fn dot_marker_draws_without_braille() {
    let app = running();
    let th = Theme::new(ColorMode::TrueColor, true);
    let s = text(&draw(&app, &th, 120, 40));
    assert!(
        !s.chars().any(|c| ('\u{2801}'..='\u{28FF}').contains(&c)),
        "{s}"
    );
    assert!(s.contains("sign limit 0.6817"));
}
