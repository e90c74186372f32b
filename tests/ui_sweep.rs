//! The sweep view: its state driven by a scripted sequence of SweepEvents and keys, the screen
//! drawn into a TestBackend, and the record tail's handling of half-written lines.

use aescope::config::Config;
use aescope::data::SourceKind;
use aescope::data::preprocess::Whiten;
use aescope::model::Activation;
use aescope::protocol::TrainMode;
use aescope::sweep::curves::{Curve, CurveKind, SweepCurves};
use aescope::sweep::plot::figure_curves;
use aescope::sweep::{
    self, GridPoint, Progress, Row, RunOptions, Shard, Stop, SweepEvent, SweepPlan,
};
use aescope::theory::bounds;
use aescope::ui::record_tail::RecordTail;
use aescope::ui::sweep::state::{RunState, SweepAction, SweepState};
use aescope::ui::sweep::view as sweep_view;
use aescope::ui::widgets::theme::{ColorMode, Theme};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod independent;
use independent::{covariance, jacobi_eigenvalues, water_filling_kkt};

fn points() -> Vec<GridPoint> {
    [0.5, 1.0, 2.0, 4.0]
        .iter()
        .enumerate()
        .map(|(i, &rate)| GridPoint {
            index: i,
            rate,
            k: 0,
            seed: 1,
        })
        .collect()
}

fn row(r: f64, risk: f64) -> Row {
    let limit = bounds::r_sign(r);
    Row {
        preset: "sweep-sign".into(),
        sweep_id: "abc".into(),
        shard: "1/1".into(),
        activation: Activation::Sign,
        source: SourceKind::Gaussian,
        whiten: Whiten::None,
        mode: TrainMode::Population,
        d: 64,
        r,
        n: (r * 64.0).round() as usize,
        seed: 1,
        risk,
        risk_kind: "exact".into(),
        val_risk: risk,
        best_risk: risk,
        limit,
        limit_label: "sign limit".into(),
        gap: risk - limit,
        rel_gap: (risk - limit) / limit,
        pca: bounds::pca_bound(r),
        shannon: bounds::shannon(r),
        steps: 500,
        budget: 1000,
        stop: Stop::Converged,
        wall_s: 1.0,
        record: String::new(),
    }
}

fn progress(done: usize, eta_s: u64) -> Progress {
    Progress {
        done,
        total: 4,
        elapsed: Duration::from_secs(10 * done as u64),
        eta: Some(Duration::from_secs(eta_s)),
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn started(p: GridPoint) -> SweepEvent {
    SweepEvent::RunStarted {
        point: p,
        n: 32,
        record: Some(PathBuf::from(format!("/nonexistent/r{}.jsonl", p.rate))),
    }
}

/// Two of four runs finished, one running.
fn scripted(now: Instant) -> SweepState {
    let pts = points();
    let mut s = SweepState::new(
        "sweep-sign",
        SweepCurves::isotropic(Activation::Sign, SourceKind::Gaussian),
        &pts,
    );
    s.on_event(&started(pts[3]), now);
    s.on_event(&started(pts[0]), now);
    let r4 = bounds::r_sign(4.0) + 0.001;
    s.on_event(
        &SweepEvent::RunFinished {
            row: Box::new(row(4.0, r4)),
            progress: progress(1, 90),
        },
        now,
    );
    s.on_event(&started(pts[1]), now);
    s.on_event(
        &SweepEvent::RunFinished {
            row: Box::new(row(0.5, bounds::r_sign(0.5))),
            progress: progress(2, 65),
        },
        now,
    );
    s
}

#[test]
fn events_fill_the_runs_points_and_progress() {
    let now = Instant::now();
    let s = scripted(now);
    assert_eq!(s.counts(), (2, 4));
    assert_eq!(s.rows().len(), 2);
    assert_eq!(s.runs[0].state, RunState::Finished(Stop::Converged));
    assert_eq!(s.runs[1].state, RunState::Running);
    assert_eq!(s.runs[2].state, RunState::Queued);
    assert_eq!(s.eta(now), Some(Duration::from_secs(65)));
    // The ETA counts down between runs, never below zero.
    assert_eq!(
        s.eta(now + Duration::from_secs(5)),
        Some(Duration::from_mins(1))
    );
    assert_eq!(s.eta(now + Duration::from_secs(500)), Some(Duration::ZERO));
    // The record path from RunStarted is kept for the live view.
    assert!(s.runs[1].record.is_some());
}

#[test]
fn keys_move_the_selection_and_open_and_close_a_run() {
    let mut s = scripted(Instant::now());
    assert_eq!(s.selected, 0);
    s.on_key(&key(KeyCode::Left));
    assert_eq!(s.selected, 0);
    s.on_key(&key(KeyCode::Right));
    s.on_key(&key(KeyCode::Down));
    assert_eq!(s.selected, 2);
    for _ in 0..10 {
        s.on_key(&key(KeyCode::Right));
    }
    assert_eq!(s.selected, 3);
    s.on_key(&key(KeyCode::Up));
    assert_eq!(s.selected, 2);
    assert_eq!(s.on_key(&key(KeyCode::Enter)), SweepAction::Opened);
    assert_eq!(s.live.as_ref().map(|l| l.run), Some(2));
    // Moving keys do nothing in the live view; Esc goes back.
    s.on_key(&key(KeyCode::Left));
    assert_eq!(s.selected, 2);
    s.on_key(&key(KeyCode::Esc));
    assert!(s.live.is_none());
    assert_eq!(s.on_key(&key(KeyCode::Char('q'))), SweepAction::Quit);
    assert!(s.cancelling);
}

fn screen(s: &SweepState) -> String {
    screen_at(s, Instant::now())
}

/// The view drawn at 120×40 at time `now`.
fn buffer_at(s: &SweepState, now: Instant) -> ratatui::buffer::Buffer {
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap_or_else(|e| panic!("{e}"));
    let theme = Theme::new(ColorMode::TrueColor, false);
    t.draw(|f| sweep_view::draw(f, s, &theme, now))
        .unwrap_or_else(|e| panic!("{e}"));
    t.backend().buffer().clone()
}

fn lines(buf: &ratatui::buffer::Buffer) -> Vec<String> {
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

fn screen_at(s: &SweepState, now: Instant) -> String {
    lines(&buffer_at(s, now)).join("\n")
}

#[test]
fn the_view_shows_gauge_axes_legend_list_and_points() {
    let s = scripted(Instant::now());
    let text = screen(&s);
    for want in [
        "2/4 runs",
        "ETA 1m 0",
        "rate r = n/d",
        "risk",
        "sign limit",
        "PCA bound",
        "Shannon D(r)",
        "runs",
        "converged",
        "running",
        "queued",
        "0.50",
        "4.00",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // A finished run is drawn as a dot (the scatter marker).
    assert!(text.contains('•'), "no point drawn in\n{text}");
}

#[test]
fn live_view_without_a_record_says_so() {
    let pts = points();
    let mut s = SweepState::new(
        "sweep-sign",
        SweepCurves::isotropic(Activation::Sign, SourceKind::Gaussian),
        &pts,
    );
    s.on_event(
        &SweepEvent::RunStarted {
            point: pts[0],
            n: 32,
            record: None,
        },
        Instant::now(),
    );
    s.on_key(&key(KeyCode::Enter));
    let text = screen(&s);
    assert!(text.contains("no record for this run"), "{text}");
    assert!(text.contains("Esc"), "{text}");
}

const REPORT1: &str = r#"{"type":"report","step":100,"risk":0.7,"limit":0.6,"gap":0.1,"lr":1.0,"features":{"eig_min":1.0}}"#;
const REPORT2: &str = r#"{"type":"report","step":200,"risk":0.65,"limit":0.6,"gap":0.05}"#;
const SUMMARY: &str = r#"{"type":"summary","steps":200,"risk":0.65,"limit":0.6,"gap":0.05,"reason":"completed","activation":"sign"}"#;

#[test]
fn record_tail_ignores_a_partial_last_line_until_it_is_complete() {
    let dir = std::env::temp_dir().join(format!("aescope-tail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("r1-seed1.jsonl");
    let config = r#"{"type":"config","config":{"name":"x"}}"#;
    let half = &REPORT2[..REPORT2.len() / 2];
    std::fs::write(&path, format!("{config}\n{REPORT1}\n{half}")).unwrap_or_else(|e| panic!("{e}"));
    let mut tail = RecordTail::default();
    tail.poll(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tail.reports.len(), 1);
    assert_eq!(tail.reports[0].step, 100);
    assert_eq!(tail.bad_lines, 0);
    // The worker finishes the line and writes its summary.
    let rest = &REPORT2[REPORT2.len() / 2..];
    std::fs::write(
        &path,
        format!("{config}\n{REPORT1}\n{half}{rest}\n{SUMMARY}\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    tail.poll(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tail.reports.len(), 2);
    assert_eq!(tail.reports[1].risk, 0.65);
    assert_eq!(
        tail.summary.as_ref().map(|s| s.reason.as_str()),
        Some("completed")
    );
    assert_eq!(tail.bad_lines, 0);
    // Nothing new: nothing changes.
    tail.poll(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tail.reports.len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn record_tail_feeds_in_pieces_and_counts_garbage() {
    let mut tail = RecordTail::default();
    let all = format!("{REPORT1}\nnot json\n{REPORT2}\n");
    for chunk in all.as_bytes().chunks(7) {
        tail.feed(chunk);
    }
    assert_eq!(tail.reports.len(), 2);
    assert_eq!(tail.bad_lines, 1);
}

#[test]
fn live_view_draws_the_run_from_its_record() {
    let pts = points();
    let mut s = SweepState::new(
        "sweep-sign",
        SweepCurves::isotropic(Activation::Sign, SourceKind::Gaussian),
        &pts,
    );
    s.on_event(&started(pts[0]), Instant::now());
    s.on_key(&key(KeyCode::Enter));
    if let Some(live) = s.live.as_mut() {
        live.tail.feed(format!("{REPORT1}\n{REPORT2}\n").as_bytes());
    }
    let text = screen(&s);
    for want in [
        "step 200",
        "risk 0.65000",
        "limit 0.60000",
        "gap +0.05000",
        "running",
        // The shared risk chart: its legend and the limit line with its value.
        " Risk ",
        "limit 0.6000",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn tui_refuses_a_stdout_that_is_not_a_terminal_before_training() {
    let dir = std::env::temp_dir().join(format!("aescope-sweeptui-{}", std::process::id()));
    let out = dir.join("s.csv");
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_aescope"))
        .args(["sweep", "sweep-sign", "--tui", "--out"])
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("--tui needs a terminal"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_power_law_sweep_draws_the_same_water_filling_curve_as_its_figure() {
    // A real, tiny power-law sweep: its rows carry the limits and PCA bounds its runs
    // reported, which is what the figure draws through.
    let overrides: Vec<String> = [
        "data.source=\"powerlaw\"",
        "data.d=16",
        "train.mode=\"sample\"",
        "train.optimizer=\"adam\"",
        "train.lr=0.003",
        "train.lr_final=0.003",
        "train.steps=20",
        "eval.every=10",
        "eval.val_size=64",
        "sweep.until_converged=false",
        "sweep.rates=\"0.25,0.5,1,2\"",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let cfg = Config::load("sweep-sign", &overrides).unwrap_or_else(|e| panic!("{e}"));
    let plan = SweepPlan::new(cfg, "sweep-sign", Shard::ALL).unwrap_or_else(|e| panic!("{e}"));
    let rates: Vec<f64> = plan.points.iter().map(|p| p.rate).collect();
    let state = SweepState::new(
        "powerlaw",
        SweepCurves::for_config(&plan.base, &rates),
        &plan.points,
    );
    let rows = run_to_end(plan);
    assert_eq!(rows.len(), 4);

    // Shannon's D(r) is sampled over each one's own r range; the limit and PCA curves go
    // through the sweep's rates in both.
    let through_rates = |cs: Vec<Curve>| -> Vec<Curve> {
        cs.into_iter()
            .filter(|c| c.kind != CurveKind::Shannon)
            .collect()
    };
    let tui = through_rates(sweep_view::reference_curves(&state));
    let figure = through_rates(figure_curves(&rows));
    assert_eq!(tui, figure);
    let limit = &tui[0];
    assert_eq!(limit.kind, CurveKind::Limit);
    assert_eq!(limit.short_label, "water-filling (sign)");
    assert_eq!(limit.points.len(), 4);
    for &(r, v) in &limit.points {
        // Reverse water-filling over a decaying spectrum, below the isotropic limit.
        assert!(v < bounds::r_sign(r) - 1e-3, "r = {r}: {v}");
    }
    assert!(screen(&state).contains("water-filling (sign)"));
}

/// The eigenvalues of the covariance of the rows of `x` (descending), computed independently.
fn training_spectrum(x: &ndarray::Array2<f32>) -> Vec<f64> {
    let rows: Vec<Vec<f64>> = x
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| f64::from(v)).collect())
        .collect();
    jacobi_eigenvalues(covariance(&rows))
}

/// The training spectrum of sweep-digits with `overrides` at each seed (each its own split),
/// computed independently.
fn split_spectra(overrides: &[String], seeds: &[u64]) -> Vec<Vec<f64>> {
    seeds
        .iter()
        .map(|seed| {
            let mut o = overrides.to_vec();
            o.push(format!("seed={seed}"));
            let cfg = Config::load("sweep-digits", &o).unwrap_or_else(|e| panic!("{e}"));
            let data = cfg
                .data
                .loaded
                .0
                .clone()
                .unwrap_or_else(|| panic!("sweep-digits did not read its data"));
            training_spectrum(&data.prepared.train)
        })
        .collect()
}

/// Run a sweep to its end and return its rows.
fn run_to_end(plan: SweepPlan) -> Vec<Row> {
    let handle = sweep::spawn(
        plan,
        RunOptions {
            jobs: 2,
            records: None,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rows = loop {
        match handle.events.recv_timeout(Duration::from_mins(1)) {
            Ok(SweepEvent::Finished { rows, .. }) => break rows,
            Ok(_) => {}
            Err(e) => panic!("no Finished: {e}"),
        }
    };
    handle.join();
    rows
}

#[test]
fn a_digits_sweep_draws_the_water_filling_of_the_data_spectrum_in_both_views() {
    let overrides: Vec<String> = [
        "train.steps=200",
        "eval.every=100",
        "sweep.seeds=2",
        "sweep.rates=\"0.25,0.5,1,2\"",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    // Each seed holds out its own validation images: the data `aescope run --set seed=S` reads.
    let spectra = split_spectra(&overrides, &[1, 2]);
    let c = std::f64::consts::FRAC_PI_2 - 1.0;

    let cfg = Config::load("sweep-digits", &overrides).unwrap_or_else(|e| panic!("{e}"));
    let plan = SweepPlan::new(cfg, "sweep-digits", Shard::ALL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.splits.len(), 2);
    let state = SweepState::new("sweep-digits", SweepCurves::for_plan(&plan), &plan.points);
    let tui = sweep_view::reference_curves(&state);
    let limit = &tui[0];
    assert_eq!(limit.kind, CurveKind::Limit);
    assert_eq!(limit.short_label, "water-filling (sign)");
    let want_rates = [0.25, 0.5, 1.0, 2.0];
    assert_eq!(limit.points.len(), want_rates.len());
    for (&(r, v), &want_r) in limit.points.iter().zip(&want_rates) {
        assert_eq!(r, want_r);
        let n = (r * 64.0).round() as usize;
        // The mean of the two splits' predictions.
        let want = spectra
            .iter()
            .map(|s| water_filling_kkt(s, n, c))
            .sum::<f64>()
            / 2.0;
        assert!(
            (v - want).abs() < 1e-6,
            "r = {r}: drawn {v}, independent {want}"
        );
        // Far below the isotropic limit: the digits are not isotropic.
        assert!(v < bounds::r_sign(r) - 0.1, "r = {r}: {v}");
    }
    let drawn_at_half = limit.points[1].1;
    // The digits keep their spectrum: the isotropic limit is no reference for them.
    assert!(
        !tui.iter().any(|c| c.kind == CurveKind::Isotropic),
        "{tui:?}"
    );

    let rows = run_to_end(plan);
    assert_eq!(rows.len(), 8);
    let at_half: Vec<&Row> = rows.iter().filter(|r| r.r == 0.5).collect();
    assert_eq!(at_half.len(), 2);
    for row in &at_half {
        // Each seed's own prediction: seed 1's is digits-sign's documented 0.290981.
        let s = &spectra[(row.seed - 1) as usize];
        let want = water_filling_kkt(s, 32, c);
        assert!(
            (row.limit - want).abs() < 1e-6,
            "seed {}: {}",
            row.seed,
            row.limit
        );
    }
    assert!(
        (at_half
            .iter()
            .find(|r| r.seed == 1)
            .map_or(0.0, |r| r.limit)
            - 0.290981)
            .abs()
            < 1e-6
    );
    // Two splits, two predictions; the rate's (and the drawn curve's) is their mean.
    assert!(
        (at_half[0].limit - at_half[1].limit).abs() > 1e-5,
        "{at_half:?}"
    );
    let by_rate = aescope::sweep::table::aggregate(&rows);
    assert_eq!(by_rate[1].limit, drawn_at_half);
    for row in &rows {
        // The PCA bound of the run's data spectrum: its d − n smallest eigenvalues over the trace.
        let spectrum = &spectra[(row.seed - 1) as usize];
        let tail: f64 =
            spectrum[row.n.min(64)..].iter().sum::<f64>() / spectrum.iter().sum::<f64>();
        assert!(
            (row.pca - tail).abs() < 1e-6,
            "r = {}: {} vs {tail}",
            row.r,
            row.pca
        );
    }
    // The figure draws the same curves as the view (Shannon and the isotropic limit are
    // sampled over each one's own r range).
    let through_rates = |cs: Vec<Curve>| -> Vec<Curve> {
        cs.into_iter()
            .filter(|c| !matches!(c.kind, CurveKind::Shannon | CurveKind::Isotropic))
            .collect()
    };
    assert_eq!(
        through_rates(sweep_view::reference_curves(&state)),
        through_rates(figure_curves(&rows))
    );
    assert!(
        !figure_curves(&rows)
            .iter()
            .any(|c| c.kind == CurveKind::Isotropic)
    );
    assert!(rows.iter().all(|r| r.whiten == Whiten::None));
}

/// Whitened digits land on the isotropic limit: the view and the figure draw it beside the
/// prediction (the same values: the whitened spectrum is flat), and the rows say whitened.
#[test]
fn a_whitened_digits_sweep_draws_the_isotropic_limit() {
    let overrides: Vec<String> = [
        "data.project=32",
        "data.whiten=pca",
        "train.steps=100",
        "eval.every=100",
        "sweep.seeds=1",
        "sweep.rates=\"0.5,1\"",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let cfg = Config::load("sweep-digits", &overrides).unwrap_or_else(|e| panic!("{e}"));
    let plan = SweepPlan::new(cfg, "sweep-digits", Shard::ALL).unwrap_or_else(|e| panic!("{e}"));
    let rates: Vec<f64> = plan.points.iter().map(|p| p.rate).collect();
    let view = SweepCurves::for_config(&plan.base, &rates).curves(0.0, 2.0);
    let rows = run_to_end(plan);
    assert!(rows.iter().all(|r| r.whiten == Whiten::Pca), "{rows:?}");
    for curves in [view, figure_curves(&rows)] {
        let iso = curves
            .iter()
            .find(|c| c.kind == CurveKind::Isotropic)
            .unwrap_or_else(|| panic!("no isotropic curve in {curves:?}"));
        for &(r, v) in &iso.points {
            assert!((v - bounds::r_sign(r)).abs() < 1e-12, "r = {r}");
        }
        let limit = &curves[0];
        assert!(
            (limit.points[0].1 - bounds::r_sign(0.5)).abs() < 1e-12,
            "{limit:?}"
        );
    }
}

#[test]
fn elapsed_time_runs_with_the_eta_and_stops_when_the_sweep_finishes() {
    let t0 = Instant::now();
    let mut s = scripted(t0);
    s.started = t0;
    let early = screen_at(&s, t0 + Duration::from_secs(5));
    assert!(early.contains("elapsed 5 s · ETA 1m 00s"), "{early}");
    let later = screen_at(&s, t0 + Duration::from_secs(30));
    assert!(later.contains("elapsed 30 s · ETA 35 s"), "{later}");
    s.on_event(
        &SweepEvent::Finished {
            rows: Vec::new(),
            cancelled: false,
        },
        t0 + Duration::from_secs(100),
    );
    let done = screen_at(&s, t0 + Duration::from_secs(500));
    assert!(done.contains("elapsed 1m 40s"), "{done}");
}

#[test]
fn running_rows_show_their_last_step_risk_and_gap() {
    let now = Instant::now();
    let mut s = scripted(now);
    s.on_event(
        &SweepEvent::RunReport {
            point: points()[1],
            step: 300,
            risk: 0.41234,
            gap: 0.04896,
        },
        now,
    );
    let text = screen(&s);
    let running = text
        .lines()
        .find(|l| l.contains("running"))
        .unwrap_or_else(|| panic!("no running row in\n{text}"));
    for want in ["300", "0.41234", "+0.04896"] {
        assert!(running.contains(want), "{want:?} not in {running:?}");
    }
    // A finished row shows its final step count.
    let finished = text
        .lines()
        .find(|l| l.contains("converged"))
        .unwrap_or_else(|| panic!("no finished row in\n{text}"));
    assert!(finished.contains("500"), "{finished:?}");
}

#[test]
fn the_quit_hint_says_cancel_only_while_the_sweep_runs() {
    let now = Instant::now();
    let mut s = scripted(now);
    let bottom = |s: &SweepState| {
        lines(&buffer_at(s, now))
            .last()
            .cloned()
            .unwrap_or_default()
    };
    let running = bottom(&s);
    assert!(running.contains("q quit"), "{running}");
    assert!(running.contains("quitting cancels the sweep"), "{running}");
    s.on_event(
        &SweepEvent::Finished {
            rows: Vec::new(),
            cancelled: false,
        },
        now,
    );
    let text = screen_at(&s, now);
    assert!(!text.contains("cancel"), "{text}");
    assert!(
        lines(&buffer_at(&s, now))
            .last()
            .is_some_and(|l| l.contains("sweep finished"))
    );
}

/// The foreground colour of the first cell of `needle` on screen.
fn colour_of(buf: &ratatui::buffer::Buffer, needle: &str) -> Option<ratatui::style::Color> {
    let rows = lines(buf);
    rows.iter().enumerate().find_map(|(y, line)| {
        let byte = line.find(needle)?;
        let x = line[..byte].chars().count() as u16;
        Some(buf[(x, y as u16)].fg)
    })
}

#[test]
fn every_legend_entry_has_its_own_colour() {
    let s = scripted(Instant::now());
    let buf = buffer_at(&s, Instant::now());
    let names = [
        "sign limit",
        "PCA bound",
        "Shannon D(r)",
        "runs",
        "selected run",
    ];
    let colours: Vec<_> = names
        .iter()
        .map(|n| colour_of(&buf, n).unwrap_or_else(|| panic!("no legend entry {n}")))
        .collect();
    for i in 0..colours.len() {
        for j in i + 1..colours.len() {
            assert_ne!(colours[i], colours[j], "{} and {}", names[i], names[j]);
        }
    }
}

#[test]
fn the_rate_axis_is_named_in_the_border_not_over_the_curves() {
    let s = scripted(Instant::now());
    let rows = lines(&buffer_at(&s, Instant::now()));
    let y = rows
        .iter()
        .position(|l| l.contains(sweep_view::X_TITLE))
        .unwrap_or_else(|| panic!("no x title in\n{}", rows.join("\n")));
    // Its row is the chart's bottom border.
    assert!(rows[y].starts_with('└'), "{}", rows[y]);
    assert_eq!(
        rows.iter()
            .filter(|l| l.contains(sweep_view::X_TITLE))
            .count(),
        1
    );
}

#[test]
fn seeds_of_one_rate_are_drawn_as_their_mean_with_an_error_bar() {
    let now = Instant::now();
    let pts: Vec<GridPoint> = [(0.5, 1), (0.5, 2), (2.0, 1), (2.0, 2)]
        .iter()
        .enumerate()
        .map(|(index, &(rate, seed))| GridPoint {
            index,
            rate,
            k: seed - 1,
            seed: seed.into(),
        })
        .collect();
    let mut s = SweepState::new(
        "sweep-sign",
        SweepCurves::isotropic(Activation::Sign, SourceKind::Gaussian),
        &pts,
    );
    for (p, risk) in pts.iter().zip([0.3, 0.9, 0.2, 0.2]) {
        let mut r = row(p.rate, risk);
        r.seed = p.seed;
        s.on_event(
            &SweepEvent::RunFinished {
                row: Box::new(r),
                progress: progress(1, 0),
            },
            now,
        );
    }
    // Select the run at r = 2 so its marker does not sit on the bar.
    s.selected = 3;
    let buf = buffer_at(&s, now);
    let text = lines(&buf).join("\n");
    assert!(text.contains("runs: mean ± s.e."), "{text}");
    // The bar at r = 0.5 spans mean 0.6 ± 0.3: many rows of the chart (70 columns wide) hold
    // the run colour; the r = 2 runs agree (no bar) and give one row.
    let theme = Theme::new(ColorMode::TrueColor, false);
    let chart_rows_with_runs = (1..35u16)
        .filter(|&y| {
            (1..69u16).any(|x| {
                let c = &buf[(x, y)];
                c.fg == theme.risk && c.symbol() != " "
            })
        })
        .count();
    assert!(chart_rows_with_runs >= 8, "{chart_rows_with_runs}\n{text}");
}

#[test]
fn question_mark_opens_the_help_from_the_key_table_and_esc_closes_it() {
    let mut s = scripted(Instant::now());
    s.on_key(&key(KeyCode::Char('?')));
    assert_eq!(s.screen(), aescope::ui::sweep::keys::Screen::Help);
    let text = screen(&s);
    assert!(text.contains(" Keys "), "{text}");
    for row in aescope::ui::sweep::keys::SWEEP_KEYS.rows() {
        let start: String = row.what.chars().take(30).collect();
        assert!(text.contains(&start), "help lacks {start:?}\n{text}");
    }
    // Selection keys scroll the help instead of moving the selection.
    s.on_key(&key(KeyCode::Down));
    assert_eq!(s.selected, 0);
    s.on_key(&key(KeyCode::Esc));
    assert!(s.help.is_none() && s.live.is_none());
    assert!(!screen(&s).contains(" Keys "));
    // q quits from the help too.
    s.on_key(&key(KeyCode::Char('?')));
    assert_eq!(s.on_key(&key(KeyCode::Char('q'))), SweepAction::Quit);
}

#[test]
fn at_80_by_24_the_chart_keeps_its_legend_and_running_rows_their_step_and_risk() {
    let now = Instant::now();
    let mut s = scripted(now);
    // The longest limit label of all: the data's water-filling prediction.
    s.curves = SweepCurves {
        activation: Activation::Sign,
        source: SourceKind::File,
        // Whitened: the isotropic limit is drawn too, the most crowded legend.
        whitened: true,
        spectral: Some(
            [0.5, 1.0, 2.0, 4.0]
                .iter()
                .map(|&r| aescope::sweep::curves::RatePoint {
                    r,
                    limit: 0.5 / (1.0 + r),
                    limit_label: "water-filling (sign)".into(),
                    pca: 0.0,
                })
                .collect(),
        ),
    };
    s.on_event(
        &SweepEvent::RunReport {
            point: points()[1],
            step: 300,
            risk: 0.41234,
            gap: 0.04896,
        },
        now,
    );
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap_or_else(|e| panic!("{e}"));
    let theme = Theme::new(ColorMode::TrueColor, false);
    t.draw(|f| sweep_view::draw(f, &s, &theme, now))
        .unwrap_or_else(|e| panic!("{e}"));
    let rows = lines(t.backend().buffer());
    let text = rows.join("\n");
    for want in [
        "water-filling (sign)",
        "isotropic limit",
        "PCA bound",
        "selected run",
        "rate r = n/d",
        "? help",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let running = rows
        .iter()
        .find(|l| l.contains("running"))
        .unwrap_or_else(|| panic!("no running row in\n{text}"));
    assert!(
        running.contains("300") && running.contains("0.41234"),
        "{running}"
    );
}
