//! The config panel (`i`): drawn with the command line, and that command line run headless
//! gives a record whose config is the original's.

mod common;

use aescope::config::Config;
use aescope::protocol::Event;
use aescope::protocol::LearningRate;
use aescope::ui::live::keys::Action;
use aescope::ui::live::state::AppState;
use aescope::ui::run_config::{command_line, current};
use aescope::ui::widgets::theme::ColorMode;
use common::*;
use std::time::UNIX_EPOCH;

#[test]
fn the_panel_shows_the_command_line_and_the_changes() {
    let cfg = Config::load("sign-r0.5", &["train.lr=0.0123".into(), "seed=7".into()])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut app = AppState::new(&cfg, None);
    app.on_event(Event::Metrics(metrics(0)));
    app.on_action(Action::Config, UNIX_EPOCH);
    let s = text(&draw(&app, &theme(ColorMode::TrueColor), 120, 40));
    assert!(
        s.contains("aescope run sign-r0.5 --set train.lr=0.0123 --seed 7"),
        "{s}"
    );
    assert!(s.contains("command line that reproduces this run"), "{s}");
    assert!(s.contains("[model]"), "{s}");
    // A key changed r: the command is the initial config's, the change is listed.
    app.on_action(Action::Config, UNIX_EPOCH);
    app.on_event(metrics_with(200, |m| {
        m.n = 192;
        m.r = 0.75;
    }));
    app.on_action(Action::Config, UNIX_EPOCH);
    let s = text(&draw(&app, &theme(ColorMode::TrueColor), 120, 40));
    assert!(s.contains("reproduces the initial config"), "{s}");
    assert!(s.contains("step 200: r 0.500 → 0.750"), "{s}");
    assert!(s.contains("rate = 0.75"), "{s}");
}

#[test]
fn the_command_line_reproduces_the_run() {
    let population = [
        "model.activation=relu",
        "train.steps=6",
        "eval.every=3",
        "seed=11",
    ];
    // A data file (its d follows from the file) with a changed preprocessing.
    let digits = [
        "train.steps=4",
        "eval.every=2",
        "data.whiten=\"pca\"",
        "seed=3",
    ];
    for (preset, sets) in [
        ("sign-population-r0.5", &population[..]),
        ("digits-sign", &digits[..]),
    ] {
        let sets: Vec<String> = sets.iter().map(ToString::to_string).collect();
        let cfg = Config::load(preset, &sets).unwrap_or_else(|e| panic!("{e}"));
        let line = command_line(&cfg);
        assert!(!line.contains('\''), "{line}");
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[..3], ["aescope", "run", preset]);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let rec = dir.path().join("r.jsonl");
        run_headless(&words[1..], &rec, &line);
        let header = aescope::record::read_header(&rec).unwrap_or_else(|e| panic!("{e}"));
        let mut want = cfg.clone();
        want.data.loaded = aescope::data::real::LoadedData::default();
        assert_eq!(header.cfg, want, "{line}");
    }
}

#[test]
fn the_settings_now_follow_the_learning_rate_keys() {
    let cfg = Config::load(
        "sign-r0.5",
        &[
            "train.lr=0.01".into(),
            "train.schedule=\"exp\"".into(),
            "train.lr_final=0.001".into(),
            "train.steps=1000".into(),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut m = metrics(500);
    // Halfway along the exp schedule, after `+` doubled the rate.
    m.lr = 2.0 * 0.01 * 0.1f64.sqrt();
    let now = current(&cfg, Some(&m));
    assert_eq!(now.train.lr, LearningRate::Fixed(0.02));
    assert_eq!(now.train.lr_final, 0.002);
    // Untouched: the preset's values, not their round-off.
    m.lr = 0.01 * 0.1f64.sqrt();
    let now = current(&cfg, Some(&m));
    assert_eq!(now.train.lr, LearningRate::Fixed(0.01));
    assert_eq!(now.train.lr_final, 0.001);
    // The panel shows the rate in force.
    let mut app = AppState::new(&cfg, None);
    app.on_event(Event::Metrics(metrics(0)));
    app.on_event(metrics_with(500, |m| m.lr = 2.0 * 0.01 * 0.1f64.sqrt()));
    app.on_action(Action::Config, UNIX_EPOCH);
    // Tall enough for the [train] table.
    let s = text(&draw(&app, &theme(ColorMode::TrueColor), 120, 90));
    assert!(s.contains("lr = 0.02"), "{s}");
}

/// The panel's lines that describe the data file.
fn data_lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| l.contains("sha256") || l.contains("preprocess") || l.contains(" train / "))
        .map(|l| {
            l.trim_matches(|c: char| c == '│' || c.is_whitespace())
                .to_string()
        })
        .collect()
}

#[test]
fn a_watched_run_describes_its_data_file_as_the_live_one_does() {
    let sets = vec!["train.steps=2".to_string(), "eval.every=1".to_string()];
    let cfg = Config::load("digits-sign", &sets).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = dir.path().join("r.jsonl");
    let args: Vec<&str> = ["run", "digits-sign"]
        .into_iter()
        .chain(sets.iter().flat_map(|s| ["--set", s.as_str()]))
        .collect();
    run_headless(&args, &rec, "digits-sign");
    let header = aescope::record::read_header(&rec).unwrap_or_else(|e| panic!("{e}"));

    let th = theme(ColorMode::TrueColor);
    let panel = |mut app: AppState| {
        app.on_event(Event::Metrics(metrics(0)));
        app.on_action(Action::Config, UNIX_EPOCH);
        data_lines(&text(&draw(&app, &th, 200, 60)))
    };
    let live = panel(AppState::new(&cfg, None));
    let mut watched = AppState::new(&header.cfg, Some(rec.clone()));
    watched.data = header.data.clone();
    let watched = panel(watched);
    assert_eq!(live.len(), 3, "{live:?}");
    assert!(
        live[0].contains("digits") && live[0].contains("8×8"),
        "{live:?}"
    );
    assert!(live[2].contains("\"center\":true"), "{live:?}");
    assert_eq!(watched, live);
}

#[test]
fn a_resumed_run_says_where_it_continues_from() {
    let cfg = config();
    let mut app = AppState::new(&cfg, None);
    app.resumed_from = Some("runs/ckpt-000300.aesc".into());
    app.on_event(Event::Metrics(metrics(300)));
    app.on_action(Action::Config, UNIX_EPOCH);
    let s = text(&draw(&app, &theme(ColorMode::TrueColor), 160, 40));
    assert!(s.contains("resumed at step 300:"), "{s}");
    assert!(
        s.contains("`aescope run --resume runs/ckpt-000300.aesc` continues it again"),
        "{s}"
    );
    assert!(s.contains("starts it afresh at step 0"), "{s}");
    // Not a change made by a key.
    assert!(!s.contains("changed by keys"), "{s}");
}
