//! What a frame costs the terminal: ratatui sends only the cells that differ from the previous
//! frame, so a frame one report later must differ in few cells (the step axis does not
//! stretch with every step, the heatmap's colours come in steps), and frozen matrix panels
//! none at all.

mod common;

use aescope::protocol::{Command, Event};
use aescope::ui::live::keys::Action;
use aescope::ui::live::state::{AppState, Effect};
use aescope::ui::live::{DEFAULT_FPS, UiOptions};
use aescope::ui::widgets::theme::ColorMode;
use common::*;
use ndarray::Array2;
use ratatui::buffer::Buffer;
use std::time::{Duration, UNIX_EPOCH};

/// The run's risk at `step`: an exponential approach to the sign limit.
fn risk(step: u64) -> f64 {
    0.6817 + 0.3 * (-(step as f64) / 2000.0).exp()
}

/// A noisy-looking but fixed matrix that moves a little with `t`.
fn weights(t: f32) -> Array2<f32> {
    Array2::from_shape_fn((64, 64), |(i, j)| {
        if i == j {
            1.0
        } else {
            0.3 * ((i * 64 + j) as f32 * 0.71).sin() + t
        }
    })
}

/// A run `last` steps in, metrics every 100 steps, a report every 1000, a snapshot with each
/// report.
fn run_until(app: &mut AppState, from: u64, last: u64) {
    for step in (from..=last).step_by(100) {
        app.on_event(metrics_with(step, |m| {
            m.loss = risk(step) + 0.01 * ((step / 100) as f64).sin();
            m.risk = Some(risk(step - step % 1000));
            m.best_risk = Some(risk(step - step % 1000) - 0.001);
        }));
        if step % 1000 == 0 && step > 0 {
            let mut r = report(step, risk(step));
            r.best_risk = Some(risk(step) - 0.001);
            app.on_event(Event::Report(r));
            let mut s = snapshot(step, weights(step as f32 * 1e-6));
            s.range = (-1.0, 1.0);
            app.on_event(Event::Snapshot(Box::new(s)));
        }
    }
}

fn changed(a: &Buffer, b: &Buffer) -> Vec<(u16, u16)> {
    a.diff(b).into_iter().map(|(x, y, _)| (x, y)).collect()
}

#[test]
fn a_frame_one_report_later_changes_few_cells() {
    for mode in [ColorMode::TrueColor, ColorMode::Ansi256, ColorMode::Ansi16] {
        let th = theme(mode);
        let mut app = app(true);
        app.set_heatmap_side(40);
        run_until(&mut app, 0, 12_000);
        let a = draw(&app, &th, 120, 40);
        run_until(&mut app, 12_100, 13_000);
        let b = draw(&app, &th, 120, 40);
        let cells = changed(&a, &b);
        // Header numbers, the curves' new ends, a new risk dot, two labels' values, the
        // heatmap's step: a few dozen cells of 4800; a stretching step axis moves every curve
        // and label under it (several hundred).
        assert!(
            cells.len() < 100,
            "{mode:?}: {} cells changed: {cells:?}\n{}",
            cells.len(),
            text(&b)
        );
        // The step axis did not move: its labels are the same.
        let rows_a = rows(&a);
        let rows_b = rows(&b);
        let axis = rows_b
            .iter()
            .position(|r| r.starts_with("│   0 ") && r.contains("15000"))
            .unwrap_or_else(|| panic!("no step axis ending at 15000:\n{}", text(&b)));
        assert_eq!(rows_a[axis], rows_b[axis]);
    }
}

#[test]
fn the_step_axis_jumps_to_the_next_round_value() {
    let th = theme(ColorMode::Ansi256);
    let mut app = app(true);
    // The step axis's labels: first, middle and last step.
    let axis = |app: &AppState| {
        let r = rows(&draw(app, &th, 120, 40));
        r.iter()
            .find(|l| l.starts_with("│   0 "))
            .and_then(|l| l.split('│').nth(1))
            .map_or_else(
                || panic!("no step axis in\n{}", r.join("\n")),
                |l| l.split_whitespace().collect::<Vec<_>>().join(" "),
            )
    };
    run_until(&mut app, 0, 14_900);
    assert_eq!(axis(&app), "0 7500 15000");
    run_until(&mut app, 15_000, 15_100);
    assert_eq!(axis(&app), "0 10000 20000");
}

#[test]
fn frozen_matrix_panels_ask_for_nothing_and_do_not_change() {
    let th = theme(ColorMode::TrueColor);
    let mut app = app(true);
    let first = app.set_heatmap_side(40);
    assert!(matches!(first, Some(Command::WantSnapshots(Some(_)))));
    run_until(&mut app, 0, 5_000);
    let effects = app.on_action(Action::ToggleFreeze, UNIX_EPOCH);
    assert_eq!(effects, vec![Effect::Send(Command::WantSnapshots(None))]);
    let a = draw(&app, &th, 120, 40);
    assert!(text(&a).contains("· frozen ─"), "{}", text(&a));
    let wide = draw(&app, &th, 200, 60);
    assert!(
        text(&wide).contains("frozen (x) at step 5000"),
        "{}",
        text(&wide)
    );
    // A snapshot already on its way, with visibly different weights, is not shown.
    let mut s = snapshot(5_100, weights(0.5));
    s.range = (-1.0, 1.5);
    app.on_event(Event::Snapshot(Box::new(s)));
    let b = draw(&app, &th, 120, 40);
    let heatmap_changed = changed(&a, &b)
        .into_iter()
        .filter(|&(x, y)| x >= 70 && y > 2 && y < 22)
        .count();
    assert_eq!(heatmap_changed, 0, "{}", text(&b));
    // Live again: the request comes back, and so do the snapshots.
    let effects = app.on_action(Action::ToggleFreeze, UNIX_EPOCH);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Send(Command::WantSnapshots(Some(_)))]
        ),
        "{effects:?}"
    );
    assert!(!text(&draw(&app, &th, 120, 40)).contains("frozen"));
    // The key is in the help.
    app.on_action(Action::Help, UNIX_EPOCH);
    let help = text(&draw(&app, &th, 120, 40));
    assert!(help.contains("freeze / unfreeze heatmap"), "{help}");
}

#[test]
fn fps_sets_the_calm_frame_interval() {
    assert_eq!(DEFAULT_FPS, 10);
    assert_eq!(
        UiOptions::default().calm_interval(),
        Duration::from_millis(100)
    );
    let opts = UiOptions {
        fps: Some(4),
        ..UiOptions::default()
    };
    assert_eq!(opts.calm_interval(), Duration::from_millis(250));
}
