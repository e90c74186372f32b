//! The config panel (`i`): drawn with the command line, and that command line run headless
//! gives a record whose config is the original's.

mod common;

use aescope::config::Config;
use aescope::protocol::Event;
use aescope::ui::live::keys::Action;
use aescope::ui::live::state::AppState;
use aescope::ui::run_config::command_line;
use aescope::ui::widgets::theme::ColorMode;
use common::*;
use std::process::Command;
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
        let out = Command::new(env!("CARGO_BIN_EXE_aescope"))
            .args(&words[1..])
            .args(["--headless", "--record"])
            .arg(&rec)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let header = aescope::record::read_header(&rec).unwrap_or_else(|e| panic!("{e}"));
        let mut want = cfg.clone();
        want.data.loaded = aescope::data::real::LoadedData::default();
        assert_eq!(header.cfg, want, "{line}");
    }
}
