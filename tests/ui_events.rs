//! Event markers and the event log, drawn into ratatui's TestBackend: every change of a
//! setting is a tick on the step axis and a log line, every bottom-border message is in the
//! log in full, and a reset clears the border but not the log.

mod common;

use aescope::protocol::{Event, PauseReason};
use aescope::ui::event_log::EventKind;
use aescope::ui::live::keys::Action;
use aescope::ui::live::state::{AppState, Overlay};
use aescope::ui::widgets::event_log::LogOverlay;
use aescope::ui::widgets::theme::ColorMode;
use common::*;
use std::path::PathBuf;
use std::time::UNIX_EPOCH;

fn th() -> aescope::ui::widgets::theme::Theme {
    theme(ColorMode::TrueColor)
}

/// Metrics every 100 steps to 4000; r 0.5 → 0.75 at 1000, relu from 2000, lr scaled by a key
/// at 3000 (and moved by a schedule every interval).
fn eventful() -> AppState {
    let mut app = app(true);
    for step in (0..=4000).step_by(100) {
        if step == 3000 {
            app.on_action(Action::LrUp, UNIX_EPOCH);
        }
        app.on_event(metrics_with(step, |m| {
            m.lr = 0.003 - step as f64 * 1e-8 + if step >= 3000 { 0.001 } else { 0.0 };
            if step >= 1000 {
                (m.n, m.r, m.limit) = (192, 0.75, 0.6);
            }
            if step >= 2000 {
                m.activation = aescope::model::Activation::Relu;
            }
        }));
    }
    app
}

/// The characters of the x axis line (the row above the step labels) of the risk panel.
fn axis_row(s: &str) -> String {
    let rows: Vec<&str> = s.lines().collect();
    rows.iter()
        .rev()
        .find(|r| r.contains('└') && r.contains('─') && r.starts_with("│"))
        .map(ToString::to_string)
        .unwrap_or_default()
}

#[test]
fn changes_are_ticks_on_the_step_axis_and_lines_in_the_log() {
    let app = eventful();
    let kinds: Vec<EventKind> = app.log.entries().iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Rate, EventKind::Activation, EventKind::Lr],
        "{:?}",
        app.log.entries()
    );
    assert!(
        app.log.entries()[0]
            .text
            .contains("r 0.500 → 0.750 (n 128 → 192)")
    );
    assert_eq!(app.log.entries()[2].step, 3000);
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let s = text(&draw(&app, &th(), w, h));
        let axis = axis_row(&s);
        for tick in ['r', 'a', 'η'] {
            assert!(axis.contains(tick), "{w}×{h}: no {tick} in '{axis}'\n{s}");
        }
        // In order along the axis.
        let at = |c| axis.chars().position(|x| x == c).unwrap_or(0);
        assert!(at('r') < at('a') && at('a') < at('η'), "{axis}");
    }
}

#[test]
fn every_message_is_in_the_log_in_full_and_a_reset_clears_only_the_border() {
    let mut app = eventful();
    let long = PathBuf::from(format!(
        "/home/researcher/experiments/{}/aescope-sign-r0.5-step4000-20261130-171500.ckpt.json",
        "a-rather-deep-directory".repeat(3)
    ));
    app.on_event(Event::Saved(long.clone()));
    let full = format!("checkpoint saved to {}", long.display());
    // The border cuts it and says where the rest is.
    let s = text(&draw(&app, &th(), 120, 40));
    assert!(s.contains("… (j: log)"), "{s}");
    assert!(!s.contains(&full), "{s}");
    // The log has it whole, wrapped at any width.
    assert_eq!(
        app.log.entries().last().map(|e| e.text.clone()),
        Some(full.clone())
    );
    let t = th();
    for width in [56, 100, 196] {
        let lines = LogOverlay {
            log: &app.log,
            back: 0,
            theme: &t,
        }
        .lines(width);
        let joined: String = lines
            .iter()
            .map(|l| {
                l.spans
                    .last()
                    .map(|s| s.content.to_string())
                    .unwrap_or_default()
            })
            .collect();
        assert!(joined.contains(&full), "{width}: {joined}");
        assert!(lines.iter().all(|l| l.width() <= width), "{width}");
    }
    // j opens it over the panels; the newest line shows the end of the path.
    app.on_action(Action::EventLog, UNIX_EPOCH);
    assert_eq!(app.overlay, Overlay::Log { back: 0 });
    let s = text(&draw(&app, &th(), 120, 40));
    assert!(
        s.contains("Events") && s.contains("20261130-171500.ckpt.json"),
        "{s}"
    );
    app.on_action(Action::No, UNIX_EPOCH);
    assert_eq!(app.overlay, Overlay::None);

    // The run finishes: its message (cut in a narrow border) is whole in the log.
    app.on_event(Event::Finished(summary()));
    assert!(
        app.log
            .entries()
            .iter()
            .any(|e| e.text.ends_with("— r resets, q quits")),
        "{:?}",
        app.log.entries()
    );
    // A reset: the border is empty, the log keeps everything and adds the reset; the old
    // ticks go (the step axis restarts), the reset's stays.
    let before = app.log.len();
    app.on_event(metrics_with(0, |_| {}));
    app.on_event(metrics_with(100, |_| {}));
    assert_eq!(app.status, None);
    assert_eq!(app.log.len(), before + 1);
    let s = text(&draw(&app, &th(), 120, 40));
    assert!(!s.contains("checkpoint saved"), "{s}");
    let axis = axis_row(&s);
    assert!(axis.contains('R') && !axis.contains('η'), "{axis}");
}

#[test]
fn divergence_and_resume_are_marked() {
    // The first metrics past step 0: a run resumed from a checkpoint.
    let mut app = app(true);
    for step in (5000..=6000).step_by(100) {
        app.on_event(metrics_with(step, |_| {}));
    }
    app.on_event(Event::Paused(PauseReason::Diverged {
        step: 5800,
        loss: f64::NAN,
    }));
    let kinds: Vec<EventKind> = app.log.entries().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Resume, EventKind::Divergence]);
    assert!(app.log.entries()[1].error);
    let axis = axis_row(&text(&draw(&app, &th(), 120, 40)));
    assert!(axis.contains('!'), "{axis}");
}

#[test]
fn a_key_on_the_learning_rate_is_logged_once_when_it_takes_effect() {
    let cfg = config();
    let lr0 = cfg.train.lr.fixed().unwrap_or(f64::NAN);
    let t = &cfg.train;
    let mut app = app(true);
    for step in (0..=4000u64).step_by(100) {
        // The key at 3000; the worker applies it from 3200 (metrics already in flight).
        if step == 3000 {
            app.on_action(Action::LrUp, UNIX_EPOCH);
        }
        let factor = if step >= 3200 { 1.25 } else { 1.0 };
        app.on_event(metrics_with(step, |m| {
            m.lr = t.schedule.at(step, t.steps, lr0, t.lr_final) * factor;
        }));
    }
    let lr: Vec<_> = app
        .log
        .entries()
        .iter()
        .filter(|e| e.kind == EventKind::Lr)
        .map(|e| e.step)
        .collect();
    assert_eq!(lr, [3200]);
}
