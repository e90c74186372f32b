//! `aescope watch`: the watching thread driven through the worker's channel protocol,
//! headless. A record written by a real run is replayed as the events the worker sent; a
//! record that grows (and is cut back by a resume) is followed; the checkpoint beside it gives
//! the heatmap; the binary refuses what is not a record.

use aescope::checkpoint;
use aescope::protocol::{
    Command, Event, FeatureKind, FeatureRequest, MatrixView, Report, SnapshotRequest, Summary,
    ValidationStrip,
};
use aescope::record::read_header;
use aescope::train::WorkerHandle;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output, Stdio};
use std::time::{Duration, Instant};

fn aescope(args: &[&str]) -> Output {
    Process::new(env!("CARGO_BIN_EXE_aescope"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running aescope: {e}"))
}

/// A finished record of 300 steps (reports every 50, a checkpoint every 100) in `dir`.
fn finished_record(dir: &Path) -> PathBuf {
    let rec = dir.join("run.jsonl");
    let rec_s = rec.to_string_lossy().into_owned();
    let o = aescope(&[
        "run",
        "sign-r2",
        "--headless",
        "--steps",
        "300",
        "--set",
        "data.d=48",
        "--set",
        "eval.every=50",
        "--record",
        &rec_s,
        "--checkpoint-every",
        "100",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    rec
}

fn spawn(rec: &Path) -> WorkerHandle {
    let header = read_header(rec).unwrap_or_else(|e| panic!("{e}"));
    aescope::watch::spawn(rec, header, u64::MAX).unwrap_or_else(|e| panic!("{e}"))
}

/// Events until `done` says so (or 20 s pass: a failure).
fn events_until(h: &WorkerHandle, mut done: impl FnMut(&Event) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut out = Vec::new();
    loop {
        let ev = h
            .events
            .recv_deadline(deadline)
            .unwrap_or_else(|e| panic!("no event in time ({e}); got {out:?}"));
        let stop = done(&ev);
        out.push(ev);
        if stop {
            return out;
        }
    }
}

/// No event for `wait`.
fn quiet(h: &WorkerHandle, wait: Duration) {
    if let Ok(ev) = h.events.recv_timeout(wait) {
        panic!("unexpected event {ev:?}");
    }
}

fn reports(events: &[Event]) -> Vec<Report> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Report(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// The record's lines of one type, parsed as `T`.
fn lines_of<T: serde::de::DeserializeOwned>(rec: &Path, kind: &str) -> Vec<T> {
    std::fs::read_to_string(rec)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == kind)
        .map(|v| serde_json::from_value(v).unwrap_or_else(|e| panic!("{kind}: {e}")))
        .collect()
}

#[test]
fn a_finished_record_replays_as_the_run_reported_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = finished_record(dir.path());
    let h = spawn(&rec);
    let req = SnapshotRequest {
        view: MatrixView::Gram,
        max_side: 200,
    };
    h.commands
        .send(Command::WantSnapshots(Some(req)))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut finished = false;
    let mut snap = false;
    let events = events_until(&h, |e| {
        finished |= matches!(e, Event::Finished(_));
        snap |= matches!(e, Event::Snapshot(_));
        finished && snap
    });
    // Every report, in order, with the values the record holds.
    let expected: Vec<Report> = lines_of(&rec, "report");
    assert_eq!(expected.len(), 6, "reports at 50, 100, …, 300");
    assert_eq!(reports(&events), expected);
    // Each report is preceded by metrics that say the same.
    for (i, e) in events.iter().enumerate() {
        if let Event::Report(r) = e {
            let Some(Event::Metrics(m)) = events.get(i.wrapping_sub(1)) else {
                panic!("report at {} without metrics before it", r.step);
            };
            assert_eq!(
                (m.step, m.n, m.d, m.risk, m.limit),
                (r.step, r.n, 48, Some(r.risk), r.limit)
            );
            assert_eq!(m.limit_label, "sign limit");
        }
    }
    let summary: Vec<Summary> = lines_of(&rec, "summary");
    let Some(Event::Finished(s)) = events.iter().find(|e| matches!(e, Event::Finished(_))) else {
        panic!("no summary");
    };
    assert_eq!(Some(s), summary.first());
    // The summary names the checkpoint to resume from, and the heatmap comes from it.
    let newest = checkpoint::beside(&rec).pop();
    assert!(newest.is_some());
    assert_eq!(
        s.checkpoint.as_ref().map(|p| p.file_name()),
        newest.as_ref().map(|p| p.file_name())
    );
    let Some(Event::Snapshot(sn)) = events.iter().find(|e| matches!(e, Event::Snapshot(_))) else {
        panic!("no snapshot");
    };
    assert_eq!(sn.step, 300);
    assert_eq!(sn.full_shape, (96, 96));
    // G = B̃B̃ᵀ has a unit diagonal: its eigenvalues sum to n.
    let trace: f64 = sn.eigenvalues.iter().sum();
    assert!((trace - 96.0).abs() < 1e-3, "trace {trace}");
    // The feature panel's images come from the same checkpoint.
    h.commands
        .send(Command::WantFeatures(Some(FeatureRequest {
            kind: FeatureKind::Encoder,
            max_tiles: 12,
            strip: 3,
        })))
        .unwrap_or_else(|e| panic!("{e}"));
    let ev = events_until(&h, |e| matches!(e, Event::Features(_)));
    let Some(Event::Features(f)) = ev.last() else {
        panic!("{ev:?}");
    };
    assert_eq!((f.step, f.n, f.tiles.len()), (300, 96, 12));
    assert_eq!(f.strip, ValidationStrip::Synthetic, "no images to show");
    // Read-only: a command that would steer the run is refused; quitting ends the thread.
    h.commands
        .send(Command::SetRate(1.0))
        .unwrap_or_else(|e| panic!("{e}"));
    let ev = events_until(&h, |e| matches!(e, Event::Error(_)));
    let Some(Event::Error(msg)) = ev.last() else {
        panic!("{ev:?}");
    };
    assert!(msg.contains("read-only"), "{msg}");
    h.commands
        .send(Command::Quit)
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while h.events.recv_deadline(deadline).is_ok() {}
    assert!(
        Instant::now() < deadline,
        "the thread did not end after Quit"
    );
    h.join();
}

#[test]
fn a_growing_record_is_followed_and_a_cut_restarts_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let full = finished_record(dir.path());
    let text = std::fs::read_to_string(&full).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let live = dir.path().join("live.jsonl");
    let mut f = std::fs::File::create(&live).unwrap_or_else(|e| panic!("{e}"));
    let mut append = |s: &str| {
        f.write_all(s.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        f.flush().unwrap_or_else(|e| panic!("{e}"));
    };
    // The config line and two reports, then half of the third.
    let report_lines: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains("\"type\":\"report\""))
        .collect();
    append(&format!(
        "{}\n{}\n{}\n",
        lines[0], report_lines[0], report_lines[1]
    ));
    let (head, tail) = report_lines[2].split_at(20);
    append(head);
    let h = spawn(&live);
    let got = events_until(&h, |e| matches!(e, Event::Report(r) if r.step == 100));
    assert_eq!(
        reports(&got).iter().map(|r| r.step).collect::<Vec<_>>(),
        [50, 100]
    );
    quiet(&h, Duration::from_millis(700));
    append(&format!("{tail}\n"));
    let got = events_until(&h, |e| matches!(e, Event::Report(_)));
    assert_eq!(reports(&got)[0].step, 150);
    // A checkpoint appears beside it: a snapshot follows once one is wanted.
    h.commands
        .send(Command::WantSnapshots(Some(SnapshotRequest {
            view: MatrixView::Gram,
            max_side: 50,
        })))
        .unwrap_or_else(|e| panic!("{e}"));
    quiet(&h, Duration::from_millis(300));
    let ck = checkpoint::beside(&full)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no checkpoint"));
    std::fs::copy(&ck, checkpoint::unique_path(&live, 100, 0)).unwrap_or_else(|e| panic!("{e}"));
    let got = events_until(&h, |e| matches!(e, Event::Snapshot(_)));
    assert!(matches!(got.last(), Some(Event::Snapshot(s)) if s.step == 100));
    // A resume cuts the record back: it is read again from the start.
    drop(f);
    std::fs::write(&live, format!("{}\n{}\n", lines[0], report_lines[0]))
        .unwrap_or_else(|e| panic!("{e}"));
    let got = events_until(&h, |e| matches!(e, Event::Report(_)));
    assert_eq!(reports(&got)[0].step, 50);
    drop(h);
}

#[test]
fn what_is_not_a_record_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let csv = dir.path().join("results.csv");
    std::fs::write(&csv, "rate,seed,risk\n0.5,0,0.68\n").unwrap_or_else(|e| panic!("{e}"));
    let newer = dir.path().join("newer.jsonl");
    std::fs::write(
        &newer,
        "{\"type\":\"config\",\"format\":99,\"version\":\"9.0\",\"config\":{}}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.path().join("missing.jsonl");
    for (path, says) in [
        (csv.as_path(), "not a run record"),
        (newer.as_path(), "record format 99 (written by aescope 9.0)"),
        (missing.as_path(), "missing.jsonl: cannot read it"),
        (Path::new("/dev/zero"), "not a regular file"),
    ] {
        let o = aescope(&["watch", &path.to_string_lossy()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", path.display());
        assert!(err.contains(says), "{}: {err}", path.display());
    }
    // A good record, but no terminal to show it on.
    let rec = finished_record(dir.path());
    let o = aescope(&["watch", &rec.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs a terminal"));
}

/// A CSV of 400 images 4×4 (a blob whose brightness and position vary) in `dir`.
fn image_csv(dir: &Path, seed: u64) -> PathBuf {
    let path = dir.join("blobs.csv");
    let mut text = String::new();
    let mut s = seed;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as f64 / f64::from(1u32 << 31)
    };
    for _ in 0..400 {
        let (cy, cx, w) = (next() * 3.0, next() * 3.0, 1.0 + next());
        let px: Vec<String> = (0..16)
            .map(|i| {
                let (y, x) = (f64::from(i / 4), f64::from(i % 4));
                let v = w * (-((y - cy).powi(2) + (x - cx).powi(2)) / 2.0).exp() + 0.05 * next();
                format!("{v:.5}")
            })
            .collect();
        text.push_str(&px.join(","));
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path
}

#[test]
fn a_data_file_run_is_watched_with_its_features_in_pixels_and_a_changed_file_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let csv = image_csv(dir.path(), 1);
    let rec = dir.path().join("run.jsonl");
    let o = aescope(&[
        "run",
        "digits-sign",
        "--headless",
        "--steps",
        "200",
        "--set",
        &format!("data.path={}", csv.display()),
        "--set",
        "data.shape=[4, 4]",
        "--set",
        "model.rate=0.5",
        "--record",
        &rec.to_string_lossy(),
        "--checkpoint-every",
        "200",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want = FeatureRequest {
        kind: FeatureKind::Decoder,
        max_tiles: 8,
        strip: 3,
    };
    let h = spawn(&rec);
    h.commands
        .send(Command::WantFeatures(Some(want)))
        .unwrap_or_else(|e| panic!("{e}"));
    let ev = events_until(&h, |e| matches!(e, Event::Features(f) if f.step == 200));
    let Some(Event::Features(f)) = ev.last() else {
        panic!("{ev:?}");
    };
    assert!(f.pixel_space, "drawn in model coordinates");
    assert_eq!((f.shape.height, f.shape.width, f.n), (4, 4, 8));
    // The same images as the run itself draws: its checkpoint through its data's
    // preprocessing, computed here independently of the watching thread.
    let ck =
        checkpoint::load(&checkpoint::beside(&rec)[0], u64::MAX).unwrap_or_else(|e| panic!("{e}"));
    let t = aescope::train::Trainer::from_state(ck.state).unwrap_or_else(|e| panic!("{e}"));
    let direct = aescope::train::features::images(t.model(), &t.pixel_space(), want, 200);
    assert_eq!(f.tiles, direct.tiles);
    // The strip too: the checkpoint's reconstructions of the first validation images.
    let ValidationStrip::Images(pairs) = &f.strip else {
        panic!("a data file has images: {:?}", f.strip)
    };
    assert_eq!(pairs.len(), 3);
    assert_eq!(f.strip, direct.strip);
    // `e` writes the checkpoint's features as images too, the same files a live run writes:
    // the same PNG bytes as the shared export of the checkpoint, computed here.
    let out = dir.path().join("export");
    h.commands
        .send(Command::Export(out.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    let ev = events_until(&h, |e| matches!(e, Event::Exported(_) | Event::Error(_)));
    let Some(Event::Exported(files)) = ev.last() else {
        panic!("{ev:?}");
    };
    let mine = dir.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap_or_else(|e| panic!("{e}"));
    let want_files = aescope::train::feature_png::export(t.model(), &t.pixel_space(), 200, &mine)
        .unwrap_or_else(|e| panic!("{e}"));
    let names = |v: &[std::path::PathBuf]| -> Vec<String> {
        v.iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect()
    };
    let got = names(files);
    for (name, path) in names(&want_files).iter().zip(&want_files) {
        assert!(got.contains(name), "{name} not exported: {got:?}");
        let read = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(read(&out.join(name)), read(path), "{name}");
    }
    assert!(got.iter().any(|n| n == "reconstructions.png"), "{got:?}");
    assert!(
        got.iter()
            .any(|n| Path::new(n).extension().is_some_and(|e| e == "npy")),
        "the matrices too: {got:?}"
    );
    h.commands.send(Command::Quit).ok();
    h.join();

    // The file changed after the run: its images would be wrong, so none are drawn and the
    // message says which file and why.
    image_csv(dir.path(), 2);
    let h = spawn(&rec);
    h.commands
        .send(Command::WantFeatures(Some(want)))
        .unwrap_or_else(|e| panic!("{e}"));
    let ev = events_until(&h, |e| matches!(e, Event::Error(_)));
    let Some(Event::Error(msg)) = ev.last() else {
        panic!("{ev:?}");
    };
    assert!(
        msg.contains("blobs.csv") && msg.contains("has changed since the run"),
        "{msg}"
    );
    assert!(!ev.iter().any(|e| matches!(e, Event::Features(_))));
    h.commands.send(Command::Quit).ok();
    h.join();
}
