//! The chart cursor through the state machine: `c` shows it on the latest reported step, ←/→
//! move it along reported steps (the rate keys return when it is hidden), the readout shows
//! the values the worker reported at that step, and the mouse (synthesized events, since tmux
//! cannot script it) places it and zooms the step axis.

mod common;

use aescope::protocol::{Command, Event};
use aescope::ui::live::keys::{Action, Mode};
use aescope::ui::live::layout;
use aescope::ui::live::state::{AppState, Effect};
use aescope::ui::widgets::theme::ColorMode;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use std::time::UNIX_EPOCH;

/// Metrics every 100 steps to 5000 (loss 1 + step/10000, lr halved at 2500), reports every
/// 1000 with risk 0.69 + step/1e6.
fn run() -> AppState {
    let mut app = app(false);
    for step in (0..=5000).step_by(100) {
        app.on_event(metrics_with(step, |m| {
            m.loss = 1.0 + step as f64 / 10_000.0;
            m.lr = if step >= 2500 { 0.0015 } else { 0.003 };
        }));
        if step % 1000 == 0 && step > 0 {
            app.on_event(Event::Report(report(step, 0.69 + step as f64 / 1e6)));
        }
    }
    app
}

/// Runs of spaces as one (the readout aligns its values).
fn squash(s: &str) -> String {
    s.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn key(app: &mut AppState, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    app.on_key(&KeyEvent::new(code, mods), UNIX_EPOCH)
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
    MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }
}

#[test]
fn keys_move_the_cursor_along_reported_steps_and_the_rate_keys_return() {
    let mut app = run();
    let none = KeyModifiers::NONE;
    assert_eq!(app.mode(), Mode::Panels);
    app.on_action(Action::ToggleCursor, UNIX_EPOCH);
    assert_eq!(app.view.cursor, Some(5000.0));
    assert_eq!(app.mode(), Mode::Cursor);
    // ← moves the cursor and sends nothing to the worker.
    assert!(key(&mut app, KeyCode::Left, none).is_empty());
    assert_eq!(app.view.cursor, Some(4900.0));
    // shift+← pages (a tenth of 51 steps: 5).
    assert!(key(&mut app, KeyCode::Left, KeyModifiers::SHIFT).is_empty());
    assert_eq!(app.view.cursor, Some(4400.0));
    key(&mut app, KeyCode::Right, none);
    assert_eq!(app.view.cursor, Some(4500.0));
    // esc hides it; ← is the rate key again.
    key(&mut app, KeyCode::Esc, none);
    assert_eq!(app.view.cursor, None);
    assert_eq!(
        key(&mut app, KeyCode::Left, none),
        vec![Effect::Send(Command::SetN(127))]
    );
    // The hint line says what ←/→ do.
    let th = theme(ColorMode::TrueColor);
    let last = rows(&draw(&app, &th, 200, 40)).pop().unwrap_or_default();
    assert!(
        last.contains("←/→ rate") && last.contains("c cursor"),
        "{last}"
    );
    app.on_action(Action::ToggleCursor, UNIX_EPOCH);
    let last = rows(&draw(&app, &th, 200, 40)).pop().unwrap_or_default();
    assert!(
        last.contains("←/→ move") && !last.contains("rate"),
        "{last}"
    );
}

#[test]
fn the_readout_shows_the_reported_values_at_the_cursor() {
    let mut app = run();
    app.on_action(Action::ToggleCursor, UNIX_EPOCH);
    for _ in 0..20 {
        app.on_action(Action::CursorLeft, UNIX_EPOCH);
    }
    assert_eq!(app.view.cursor, Some(3000.0));
    let th = theme(ColorMode::TrueColor);
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let s = squash(&text(&draw(&app, &th, w, h)));
        // The report at 3000: risk 0.693, gap 0.693 − 0.6817.
        assert!(s.contains("step 3000"), "{w}×{h}\n{s}");
        assert!(s.contains("risk 0.6930"), "{s}");
        assert!(
            s.contains("+1.13e-2") || s.contains("+0.0113"),
            "{w}×{h}\n{s}"
        );
        assert!(s.contains("1.300"), "loss at 3000: {s}");
        assert!(s.contains("1.500e-3"), "lr halved at 2500: {s}");
        assert!(s.contains("limit 0.6817"), "{s}");
        assert!(s.contains('┊'), "cursor line missing at {w}×{h}\n{s}");
    }
    // Between reports: the last report, marked with its step.
    app.on_action(Action::CursorLeft, UNIX_EPOCH);
    let s = squash(&text(&draw(&app, &th, 120, 40)));
    assert!(s.contains("risk 0.6920 @2000"), "{s}");
}

#[test]
fn a_click_places_the_cursor_and_the_wheel_zooms_the_steps() {
    let mut app = run();
    let th = theme(ColorMode::TrueColor);
    let screen = Rect::new(0, 0, 120, 40);
    let areas = layout::areas_for(&app, &th, screen).unwrap_or_else(|| panic!("no layout"));
    let geo = layout::risk_chart(&app, &th)
        .geometry(areas.risk)
        .unwrap_or_else(|| panic!("no chart"));
    let (g, mid_row) = (geo.graph, geo.graph.top() + geo.graph.height / 2);
    // A click in the middle of the graph: about step 2500, snapped to a reported step.
    let mid = g.left() + g.width / 2;
    app.on_mouse(
        &mouse(MouseEventKind::Down(MouseButton::Left), mid, mid_row),
        screen,
        &th,
    );
    let c = app.view.cursor.unwrap_or(f64::NAN);
    assert!((c - 2500.0).abs() <= 100.0 && c % 100.0 == 0.0, "{c}");
    // Outside the graph (the heatmap): nothing.
    app.on_mouse(
        &mouse(MouseEventKind::Down(MouseButton::Left), 119, mid_row),
        screen,
        &th,
    );
    assert_eq!(app.view.cursor, Some(c));
    // The wheel over the left quarter zooms in around it; the axis then ends before 5000.
    let quarter = g.left() + g.width / 4;
    app.on_mouse(
        &mouse(MouseEventKind::ScrollUp, quarter, mid_row),
        screen,
        &th,
    );
    let s = text(&draw(&app, &th, 120, 40));
    assert!(s.contains("steps zoom"), "{s}");
    let zoomed = layout::risk_chart(&app, &th)
        .geometry(areas.risk)
        .map(|g| g.steps);
    let (lo, hi) = zoomed.unwrap_or((f64::NAN, f64::NAN));
    assert!(
        (hi - lo - 2500.0).abs() < 1e-9 && hi < 4000.0,
        "{lo}..{hi}\n{s}"
    );
    // Out twice: the whole run again.
    app.on_mouse(
        &mouse(MouseEventKind::ScrollDown, quarter, mid_row),
        screen,
        &th,
    );
    app.on_mouse(
        &mouse(MouseEventKind::ScrollDown, quarter, mid_row),
        screen,
        &th,
    );
    assert_eq!(app.view.steps, None);
    // A reset (the step goes back) hides the cursor.
    app.on_event(metrics_with(0, |_| {}));
    assert_eq!(app.view.cursor, None);
}
