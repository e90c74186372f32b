//! `--compare RECORD`: earlier runs read from their records and drawn beside the live run, as
//! ratatui's TestBackend shows them (legend, curves, own limits, gap view, samples axis,
//! cursor readout), and bad files refused on the command line before any terminal set-up.

mod common;

use aescope::config::Config;
use aescope::protocol::Event;
use aescope::ui::compare::ComparedRun;
use aescope::ui::live::keys::Action;
use aescope::ui::live::state::AppState;
use aescope::ui::widgets::theme::ColorMode;
use common::*;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::UNIX_EPOCH;

/// The first compared run's colour (the theme's first dim colour).
const FIRST: Color = Color::Red;

/// A record of `preset` with a report every 500 steps up to `last`, risk falling from 1 to
/// `floor`, against `limit`.
fn write_record(
    dir: &Path,
    name: &str,
    preset: &str,
    last: u64,
    floor: f64,
    limit: f64,
) -> PathBuf {
    let cfg = Config::load(preset, &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut text =
        serde_json::json!({"type": "config", "format": 2, "version": "test", "config": cfg})
            .to_string();
    text.push('\n');
    for step in (500..=last).step_by(500) {
        let risk = floor + (1.0 - floor) * (-(step as f64) / 3000.0).exp();
        let mut r = report(step, risk);
        r.limit = limit;
        r.gap = risk - limit;
        r.r = cfg.model.rate;
        let mut v = serde_json::to_value(&r).unwrap_or_else(|e| panic!("{e}"));
        v["type"] = "report".into();
        text.push_str(&v.to_string());
        text.push('\n');
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p
}

/// The live default run (sign-r0.5, limit 0.6817) at step 4000, with reports.
fn live() -> AppState {
    let mut app = app(true);
    for step in (0..=4000).step_by(100) {
        app.on_event(Event::Metrics(metrics(step)));
        if step % 1000 == 0 && step > 0 {
            app.on_event(Event::Report(report(step, 0.70)));
        }
    }
    app
}

fn cells_in(buf: &Buffer, fg: Color) -> usize {
    buf.content()
        .iter()
        .filter(|c| c.fg == fg && c.symbol() != " ")
        .count()
}

#[test]
fn a_compared_run_is_drawn_with_its_legend_and_own_limit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let other = write_record(dir.path(), "r2.jsonl", "sign-r2", 8000, 0.40, 0.3901);
    let run = ComparedRun::load(&other).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.points.len(), 16);
    assert_eq!(run.preset, "sign-r2");
    let th = theme(ColorMode::TrueColor);

    let plain = live();
    let before = draw(&plain, &th, 120, 40);
    assert_eq!(cells_in(&before, FIRST), 0);

    let mut app = live();
    app.series.compared = vec![run];
    for (w, h) in [(80, 24), (120, 40)] {
        let buf = draw(&app, &th, w, h);
        let s = text(&buf);
        assert!(s.contains("#1 sign-r2 r=2.00 sign"), "{w}×{h}\n{s}");
        // Its limit differs from the live one (0.6817): named in the legend and drawn.
        assert!(s.contains("limit 0.3901"), "{w}×{h}\n{s}");
        assert!(s.contains("#1 limit 0.3901"), "{w}×{h}\n{s}");
        // The curve (and its limit line) in the run's colour.
        assert!(cells_in(&buf, FIRST) > 20, "{w}×{h}\n{s}");
        // The step axis covers the compared run (8000), not only the live one (4000).
        assert!(s.contains("8000"), "{w}×{h}\n{s}");
    }
    // The gap view: the compared run against its own limit.
    app.on_action(Action::ToggleGap, UNIX_EPOCH);
    let buf = draw(&app, &th, 120, 40);
    assert!(cells_in(&buf, FIRST) > 10, "{}", text(&buf));
}

#[test]
fn the_same_limit_is_not_drawn_twice_and_the_samples_axis_lines_up_batches() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // sign-r0.5 with twice the batch: its 4000 steps are 8000 live steps of samples.
    let cfg_path = dir.path().join("big-batch.toml");
    let base = Config::load("sign-r0.5", &[]).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        &cfg_path,
        format!(
            "name = \"big-batch\"\n[train]\nbatch = {}\n",
            2 * base.train.batch
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rec = write_record(
        dir.path(),
        "b.jsonl",
        cfg_path.to_str().unwrap_or_default(),
        4000,
        0.69,
        0.6817,
    );
    let run = ComparedRun::load(&rec).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.batch, 2.0 * base.train.batch as f64);
    let mut app = live();
    app.series.compared = vec![run];
    let th = theme(ColorMode::TrueColor);
    let s = text(&draw(&app, &th, 120, 40));
    assert!(s.contains("#1 big-batch"), "{s}");
    assert!(!s.contains("#1 limit"), "{s}");
    assert!(!s.contains("history · samples"), "{s}");
    // Steps: both end at 4000.
    assert!(s.contains("4000") && !s.contains("8000"), "{s}");
    app.on_action(Action::ToggleSamples, UNIX_EPOCH);
    let s = text(&draw(&app, &th, 120, 40));
    assert!(s.contains("history · samples"), "{s}");
    assert!(
        s.contains(&format!("batch {}", 2 * base.train.batch)),
        "{s}"
    );
    // Samples: the compared run saw 4000 × 2b, the end of the axis (human units).
    let end = aescope::human::step_axis(4000.0 * 2.0 * base.train.batch as f64);
    assert!(s.contains(&end), "{end}\n{s}");
}

#[test]
fn the_cursor_reads_the_compared_runs_at_its_step() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = write_record(dir.path(), "r2.jsonl", "sign-r2", 8000, 0.40, 0.3901);
    let run = ComparedRun::load(&rec).unwrap_or_else(|e| panic!("{e}"));
    let at_3000 = run
        .points
        .iter()
        .find(|p| p.step == 3000.0)
        .map_or(f64::NAN, |p| p.risk);
    let mut app = live();
    app.series.compared = vec![run];
    app.on_action(Action::ToggleCursor, UNIX_EPOCH);
    app.view.cursor = Some(3000.0);
    let s = text(&draw(&app, &theme(ColorMode::TrueColor), 120, 40));
    let want = format!("#1    {}", aescope::human::risk(at_3000));
    assert!(s.contains(&want), "{want}\n{s}");
}

#[test]
fn a_real_record_is_read_through_the_record_reader() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = dir.path().join("run.jsonl");
    let args = [
        "run",
        "sign-population-r0.5",
        "--steps",
        "300",
        "--set",
        "eval.every=50",
    ];
    run_headless(&args, &rec, "sign-population-r0.5");
    let text = std::fs::read_to_string(&rec).unwrap_or_else(|e| panic!("{e}"));
    let reports: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "report")
        .collect();
    let run = ComparedRun::load(&rec).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.points.len(), reports.len());
    let last = reports.last().unwrap_or_else(|| panic!("no report"));
    let p = run
        .points
        .last()
        .copied()
        .unwrap_or_else(|| panic!("no point"));
    assert_eq!(Some(p.step), last["step"].as_f64());
    assert_eq!(Some(p.risk), last["risk"].as_f64());
    assert_eq!(Some(p.limit), last["limit"].as_f64());
    assert_eq!(run.preset, "sign-population-r0.5");
}

/// Run aescope with `args`: exit code, stderr; stdout must hold no escape sequence (the
/// terminal was never set up).
fn refused(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aescope"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.stdout.contains(&0x1b), "{args:?}");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_compare_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let good = write_record(d, "good.jsonl", "sign-r2", 2000, 0.4, 0.3901);
    let csv = d.join("table.csv");
    std::fs::write(&csv, "rate,seed,risk\n0.5,1,0.7\n").unwrap_or_else(|e| panic!("{e}"));
    let newer = d.join("newer.jsonl");
    std::fs::write(
        &newer,
        "{\"type\":\"config\",\"format\":99,\"version\":\"9.0\",\"config\":{}}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let no_reports = d.join("fresh.jsonl");
    let cfg = Config::load("sign-r2", &[]).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        &no_reports,
        format!(
            "{}\n",
            serde_json::json!({"type": "config", "format": 2, "config": cfg})
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let fifo = d.join("pipe.jsonl");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let missing = d.join("missing.jsonl");
    let mut cases: Vec<(PathBuf, &str)> = vec![
        (missing, "No such file"),
        (csv, "not a run record"),
        (newer, "record format 99"),
        (no_reports, "no report line"),
    ];
    if made {
        cases.push((fifo, "not a regular file"));
    }
    for (bad, why) in &cases {
        let bad = bad.to_str().unwrap_or_default();
        let good = good.to_str().unwrap_or_default();
        for args in [
            vec!["sign-r2", "--compare", good, "--compare", bad],
            vec!["watch", good, "--compare", bad],
        ] {
            let (code, err) = refused(&args);
            assert_eq!(code, Some(2), "{args:?}: {err}");
            assert!(err.contains(bad), "{args:?}: {err}");
            assert!(err.contains(why), "{args:?}: {err}");
            assert!(err.contains("--compare"), "{args:?}: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    // Headless has nothing to draw them on.
    let (code, err) = refused(&[
        "run",
        "sign-population-r0.5",
        "--headless",
        "--compare",
        good.to_str().unwrap_or_default(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--headless"), "{err}");
}

#[test]
fn a_compared_runs_limit_ends_with_the_run() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // sign-r2 stopped at step 1000 of the live run's 4000.
    let rec = write_record(dir.path(), "r2.jsonl", "sign-r2", 1000, 0.40, 0.3901);
    let run = ComparedRun::load(&rec).unwrap_or_else(|e| panic!("{e}"));
    let mut app = live();
    app.series.compared = vec![run];
    let buf = draw(&app, &theme(ColorMode::TrueColor), 120, 40);
    let cols: Vec<u16> = (0..buf.area.height)
        .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
        .filter(|&p| buf[p].fg == FIRST && buf[p].symbol() == "┄")
        .map(|p| p.0)
        .collect();
    assert!(!cols.is_empty(), "{}", text(&buf));
    // The axis runs to 4000 over about 110 columns: 1000 is about column 30.
    let right = cols.iter().max().copied().unwrap_or(0);
    assert!(right < 45, "limit drawn to column {right}\n{}", text(&buf));
}

#[test]
fn on_the_samples_axis_the_cursor_reads_samples() {
    let mut app = live();
    app.on_action(Action::ToggleSamples, UNIX_EPOCH);
    app.on_action(Action::ToggleCursor, UNIX_EPOCH);
    app.view.cursor = Some(3000.0);
    let s = text(&draw(&app, &theme(ColorMode::TrueColor), 120, 40));
    let samples = aescope::human::step_axis(3000.0 * app.series.batch);
    assert!(s.contains(&format!("samples {samples}")), "{samples}\n{s}");
    assert!(s.contains("step    3000"), "{s}");
}
