//! The UI's state machine without a terminal: keys become the right `Command`s, and a
//! scripted sequence of worker `Event`s leaves the state the screen is drawn from.

mod common;

use aescope::model::Activation;
use aescope::protocol::{
    Command, DecoderMode, Event, FinishReason, MatrixView, OptKind, PauseReason, SnapshotRequest,
};
use aescope::ui::history::HistoryView;
use aescope::ui::live::export::series_csv;
use aescope::ui::live::state::{AppState, BlockMode, Effect, Overlay, RunState};
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ndarray::Array2;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ch(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

fn press(app: &mut AppState, k: KeyEvent) -> Vec<Effect> {
    // 2024-02-29 12:34:56 UTC, for file names.
    app.on_key(&k, UNIX_EPOCH + Duration::from_secs(1_709_210_096))
}

fn sends(app: &mut AppState, k: KeyEvent) -> Vec<Command> {
    press(app, k)
        .into_iter()
        .filter_map(|e| match e {
            Effect::Send(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// An app that has seen the first metrics of the default preset.
fn started(record: bool) -> AppState {
    let mut app = app(record);
    app.on_event(Event::Metrics(metrics(100)));
    app
}

#[test]
fn keys_become_commands() {
    let mut app = started(true);
    assert_eq!(sends(&mut app, ch(' ')), vec![Command::TogglePause]);
    assert_eq!(sends(&mut app, ch('s')), vec![Command::Step(1)]);
    assert_eq!(sends(&mut app, ch('+')), vec![Command::ScaleLr(1.25)]);
    assert_eq!(sends(&mut app, ch('=')), vec![Command::ScaleLr(1.25)]);
    assert_eq!(sends(&mut app, ch('-')), vec![Command::ScaleLr(0.8)]);
    assert_eq!(
        sends(&mut app, ch('a')),
        vec![Command::SetActivation(Activation::Relu)]
    );
    assert_eq!(
        sends(&mut app, ch('o')),
        vec![Command::SetOptimizer(OptKind::Sgd)]
    );
    assert_eq!(
        sends(&mut app, ch('d')),
        vec![Command::SetDecoder(DecoderMode::Optimal)]
    );
    assert_eq!(
        sends(&mut app, ch('r')),
        vec![Command::Reset { seed: None }]
    );
    // Releases do nothing.
    let mut release = ch(' ');
    release.kind = KeyEventKind::Release;
    assert!(press(&mut app, release).is_empty());
}

#[test]
fn rate_keys_step_one_neuron_and_build_on_unconfirmed_requests() {
    let mut app = started(true);
    // Five quick presses before the worker answers: n = 128 → 133.
    let mut got = Vec::new();
    for _ in 0..5 {
        got.extend(sends(&mut app, key(KeyCode::Right)));
    }
    let want: Vec<Command> = (129..=133).map(Command::SetN).collect();
    assert_eq!(got, want);
    assert_eq!(
        sends(&mut app, key(KeyCode::Left)),
        vec![Command::SetN(132)]
    );
    // The worker confirms n = 132: the next press starts from its value.
    app.on_event(metrics_with(200, |m| m.n = 132));
    assert_eq!(
        sends(&mut app, key(KeyCode::Left)),
        vec![Command::SetN(131)]
    );
    // An error (refused resize) forgets the request: back to the worker's n.
    app.on_event(Event::Error("cannot resize".into()));
    assert_eq!(
        sends(&mut app, key(KeyCode::Left)),
        vec![Command::SetN(131)]
    );
}

#[test]
fn one_neuron_is_the_floor() {
    let mut app = app(true);
    app.on_event(metrics_with(0, |m| m.n = 1));
    assert!(sends(&mut app, key(KeyCode::Left)).is_empty());
}

#[test]
fn shift_arrows_and_angle_brackets_walk_the_ladder() {
    let mut app = started(true);
    let shift_right = KeyEvent::new(KeyCode::Right, KeyModifiers::SHIFT);
    let shift_left = KeyEvent::new(KeyCode::Left, KeyModifiers::SHIFT);
    assert_eq!(sends(&mut app, shift_right), vec![Command::SetRate(0.75)]);
    assert_eq!(sends(&mut app, ch('>')), vec![Command::SetRate(1.0)]);
    assert_eq!(sends(&mut app, ch('<')), vec![Command::SetRate(0.75)]);
    assert_eq!(sends(&mut app, shift_left), vec![Command::SetRate(0.5)]);
    assert_eq!(sends(&mut app, ch('<')), vec![Command::SetRate(0.25)]);
    assert_eq!(sends(&mut app, ch('<')), vec![Command::SetRate(0.1)]);
    assert!(sends(&mut app, ch('<')).is_empty());
    // Between rungs (n = 130 of 256 ≈ 0.508): up goes to 0.75, down to 0.5.
    let mut app = started(true);
    app.on_event(metrics_with(200, |m| m.n = 130));
    assert_eq!(sends(&mut app, ch('>')), vec![Command::SetRate(0.75)]);
    let mut app2 = started(true);
    app2.on_event(metrics_with(300, |m| m.n = 130));
    assert_eq!(sends(&mut app2, ch('<')), vec![Command::SetRate(0.5)]);
}

#[test]
fn cycling_keys_follow_the_worker() {
    let mut app = started(true);
    // Two quick presses cycle twice.
    assert_eq!(
        sends(&mut app, ch('a')),
        vec![Command::SetActivation(Activation::Relu)]
    );
    assert_eq!(
        sends(&mut app, ch('a')),
        vec![Command::SetActivation(Activation::Tanh)]
    );
    // The worker says tanh: the next one is erf.
    app.on_event(metrics_with(200, |m| m.activation = Activation::Tanh));
    assert_eq!(
        sends(&mut app, ch('a')),
        vec![Command::SetActivation(Activation::Erf)]
    );
    // Optimizer wraps: adam → sgd → momentum.
    assert_eq!(
        sends(&mut app, ch('o')),
        vec![Command::SetOptimizer(OptKind::Sgd)]
    );
    assert_eq!(
        sends(&mut app, ch('o')),
        vec![Command::SetOptimizer(OptKind::Momentum)]
    );
}

#[test]
fn keys_before_the_first_metrics_do_not_guess() {
    let mut app = app(true);
    assert!(sends(&mut app, key(KeyCode::Right)).is_empty());
    assert!(sends(&mut app, ch('a')).is_empty());
    assert_eq!(sends(&mut app, ch(' ')), vec![Command::TogglePause]);
}

#[test]
fn tab_cycles_the_matrix_view_and_asks_for_its_snapshots() {
    let mut app = started(true);
    assert_eq!(
        app.set_heatmap_side(40),
        Some(Command::WantSnapshots(Some(SnapshotRequest {
            view: MatrixView::Gram,
            max_side: 40
        })))
    );
    // Same size again: nothing new to ask.
    assert_eq!(app.set_heatmap_side(40), None);
    let mut views = Vec::new();
    for _ in 0..4 {
        match sends(&mut app, key(KeyCode::Tab)).as_slice() {
            [Command::WantSnapshots(Some(r))] => views.push(r.view),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        views,
        vec![
            MatrixView::DecoderGram,
            MatrixView::EncoderDecoder,
            MatrixView::Alignment,
            MatrixView::Gram
        ]
    );
    assert_eq!(
        app.set_heatmap_side(24),
        Some(Command::WantSnapshots(Some(SnapshotRequest {
            view: MatrixView::Gram,
            max_side: 24
        })))
    );
}

#[test]
fn view_keys_change_only_the_view() {
    let mut app = started(true);
    let smoothing = app.view.smoothing();
    assert!(press(&mut app, ch('l')).is_empty());
    assert!(app.view.log_scale);
    assert!(press(&mut app, ch('h')).is_empty());
    assert_eq!(app.view.history, HistoryView::Recent);
    assert!(press(&mut app, ch('m')).is_empty());
    assert_eq!(app.view.block, BlockMode::Mean);
    assert!(press(&mut app, ch(']')).is_empty());
    assert!(app.view.smoothing() > smoothing);
    press(&mut app, ch('['));
    press(&mut app, ch('['));
    assert!(app.view.smoothing() < smoothing);
    for _ in 0..20 {
        press(&mut app, ch('['));
    }
    assert_eq!(app.view.smoothing(), 0.0);
}

#[test]
fn save_and_export_use_timestamped_names() {
    let mut app = started(true);
    assert_eq!(
        sends(&mut app, ch('w')),
        vec![Command::Save(PathBuf::from(
            "aescope-sign-r0.5-step100-20240229-123456"
        ))]
    );
    let dir = PathBuf::from("aescope-sign-r0.5-step100-20240229-123456");
    assert_eq!(
        press(&mut app, ch('e')),
        vec![
            Effect::Send(Command::Export(dir.clone())),
            Effect::WriteSeries(dir)
        ]
    );
}

#[test]
fn quitting_without_a_record_asks_first() {
    let mut app = started(false);
    assert!(press(&mut app, ch('q')).is_empty());
    assert_eq!(app.overlay, Overlay::ConfirmQuit);
    // Other keys do nothing while asking; n cancels.
    assert!(press(&mut app, ch(' ')).is_empty());
    assert!(press(&mut app, ch('n')).is_empty());
    assert_eq!(app.overlay, Overlay::None);
    press(&mut app, ch('q'));
    assert_eq!(press(&mut app, ch('y')), vec![Effect::Quit]);
    // Ctrl-C twice quits at once.
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    let mut app = started(false);
    assert!(press(&mut app, ctrl_c).is_empty());
    assert_eq!(press(&mut app, ctrl_c), vec![Effect::Quit]);
    // With a record being written, no question.
    let mut app = started(true);
    assert_eq!(press(&mut app, ch('q')), vec![Effect::Quit]);
    assert_eq!(press(&mut app, ctrl_c), vec![Effect::Quit]);
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut app = started(true);
    press(&mut app, ch('?'));
    assert_eq!(app.overlay, Overlay::Help { scroll: 0 });
    press(&mut app, key(KeyCode::Down));
    assert_eq!(app.overlay, Overlay::Help { scroll: 1 });
    press(&mut app, key(KeyCode::Esc));
    assert_eq!(app.overlay, Overlay::None);
    // A command key closes the help and acts.
    press(&mut app, ch('?'));
    assert_eq!(sends(&mut app, ch(' ')), vec![Command::TogglePause]);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn scripted_events_update_the_state() {
    let mut app = app(false);
    assert_eq!(app.run.state(), RunState::Starting);
    app.on_event(Event::Metrics(metrics(0)));
    for step in [50u64, 100, 150] {
        app.on_event(metrics_with(step, |m| m.loss = 0.9 - step as f64 / 1000.0));
    }
    assert_eq!(app.run.state(), RunState::Running);
    // Each point is the mean over the steps since the previous metrics.
    let loss = app.series.loss.points(HistoryView::Full);
    assert_eq!(loss.len(), 3);
    assert_eq!(loss[0].weight, 50.0);
    assert_eq!(loss[2].y, 0.75);
    // A metrics without new steps (paused) adds no point.
    app.on_event(metrics_with(150, |m| m.paused = true));
    assert_eq!(app.series.loss.points(HistoryView::Full).len(), 3);
    assert_eq!(app.run.state(), RunState::Paused);

    app.on_event(Event::Report(report(150, 0.70)));
    assert_eq!(
        app.series.risk.last().map(|p| (p.x, p.y)),
        Some((150.0, 0.70))
    );

    // The rate changes at step 150: limit, PCA and Shannon step there.
    app.on_event(Event::RateChanged {
        step: 150,
        n: 256,
        r: 1.0,
        limit: 0.3634,
    });
    assert_eq!(app.series.limit.value_at(149.0), Some(0.6817));
    assert_eq!(app.series.limit.value_at(150.0), Some(0.3634));
    assert_eq!(app.series.pca.last(), Some(0.0));
    assert_eq!(app.series.shannon.last(), Some(0.25));

    app.on_event(Event::Snapshot(Box::new(snapshot(150, Array2::eye(4)))));
    assert_eq!(app.snapshot.as_ref().map(|s| s.step), Some(150));

    app.on_event(Event::Paused(PauseReason::Diverged {
        step: 160,
        loss: f64::INFINITY,
    }));
    assert!(matches!(
        app.run.state(),
        RunState::Diverged { step: 160, .. }
    ));
    assert!(app.status.as_ref().is_some_and(|s| s.error));
    app.on_event(Event::Resumed);
    assert_eq!(app.run.state(), RunState::Paused);

    app.on_event(Event::Saved("x.ckpt.json".into()));
    assert!(
        app.status
            .as_ref()
            .is_some_and(|s| s.text.contains("x.ckpt.json") && !s.error)
    );
    app.on_event(Event::Finished(summary()));
    assert_eq!(app.run.state(), RunState::Finished(FinishReason::Completed));

    // The worker resets (r): the step goes back, the histories restart.
    app.on_event(Event::Metrics(metrics(0)));
    assert!(app.series.loss.points(HistoryView::Full).is_empty());
    assert!(app.series.risk.last().is_none());
    assert_eq!(app.run.state(), RunState::Running);
    assert_eq!(app.series.limit.value_at(0.0), Some(0.6817));
}

#[test]
fn displayed_values_come_from_the_worker() {
    let mut app = started(true);
    // Pressing + changes nothing shown until the worker reports the new lr.
    press(&mut app, ch('+'));
    assert_eq!(app.run.metrics.as_ref().map(|m| m.lr), Some(0.003));
    app.on_event(metrics_with(150, |m| m.lr = 0.00375));
    assert_eq!(app.run.metrics.as_ref().map(|m| m.lr), Some(0.00375));
}

#[test]
fn steps_per_second_averages_over_a_second() {
    let mut app = app(true);
    for i in 0..=40u64 {
        let mut m = metrics(i * 100);
        m.elapsed_s = i as f64 * 0.05;
        m.steps_per_sec = if i % 2 == 0 { 1000.0 } else { 3000.0 };
        app.on_event(Event::Metrics(m));
    }
    assert!(
        (app.run.steps_per_sec() - 2000.0).abs() < 1e-6,
        "{}",
        app.run.steps_per_sec()
    );
}

#[test]
fn series_export_has_every_series() {
    let mut app = started(true);
    app.on_event(Event::Metrics(metrics(200)));
    app.on_event(Event::Report(report(200, 0.7)));
    let csv = series_csv(&app.series, app.view.smoothing()).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("step,loss,loss_smoothed_0.99,risk,limit,pca,shannon,best_risk")
    );
    let fields = |l: Option<&str>| -> Vec<Option<f64>> {
        l.unwrap_or_default()
            .split(',')
            .map(|f| f.parse::<f64>().ok().map(|x| (x * 1e9).round() / 1e9))
            .collect()
    };
    let (some, none) = (Some, None::<f64>);
    assert_eq!(
        fields(lines.next()),
        vec![
            some(100.0),
            some(0.7),
            some(0.7),
            none,
            some(0.6817),
            some(0.5),
            some(0.5),
            none
        ]
    );
    assert_eq!(
        fields(lines.next()),
        vec![
            some(200.0),
            some(0.7),
            some(0.7),
            some(0.7),
            some(0.6817),
            some(0.5),
            some(0.5),
            none
        ]
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("export");
    let path = aescope::ui::live::export::write_series(&app.series, app.view.smoothing(), &out)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), csv);
    // The status line names both halves of the export.
    app.series_written(Ok(path));
    app.on_event(Event::Exported(vec![out.join("A.npy"), out.join("B.npy")]));
    let status = app.status.clone().map(|s| s.text).unwrap_or_default();
    assert!(
        status.contains("exported 2 matrix files") && status.contains("series.csv"),
        "{status}"
    );
    app.series_written(Err("cannot write".into()));
    app.on_event(Event::Exported(vec![]));
    assert!(app.status.as_ref().is_some_and(|s| s.error));
}
