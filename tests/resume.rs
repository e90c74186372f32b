//! Checkpoints and `--resume`, through the binary: a resumed run ends with the same weights and
//! writes the same record lines (apart from timings) as a run that was never interrupted, and
//! damaged checkpoints are refused with a clear message and exit 2.

use aescope::checkpoint;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aescope"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running aescope: {e}"))
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Record lines as values, without timings and file names.
fn lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                for k in ["wall_s", "steps_per_sec", "record", "checkpoint"] {
                    m.remove(k);
                }
                if m.get("what").and_then(|w| w.as_str()) == Some("checkpoint") {
                    m.remove("detail");
                }
            }
            v
        })
        .collect()
}

fn load(path: &Path) -> checkpoint::Checkpoint {
    checkpoint::load(path, u64::MAX).unwrap_or_else(|e| panic!("{e}"))
}

/// Train `sets` for 300 steps with checkpoints every 100; resume a copy of the record at step
/// 100 (with a torn line appended, as SIGKILL leaves) and compare with the uninterrupted run.
fn resumes_bit_identically(preset: &str, sets: &[&str]) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let a = dir.path().join("a.jsonl");
    let mut args = vec![
        "run",
        preset,
        "--headless",
        "--steps",
        "300",
        "--checkpoint-every",
        "100",
        "--keep-checkpoints",
        "10",
        "--set",
        "eval.every=50",
    ];
    for x in sets {
        args.extend(["--set", x]);
    }
    let a_s = s(&a);
    let mut first = args.clone();
    first.extend(["--record", &a_s]);
    ok(&run(&first));
    let cks = checkpoint::beside(&a);
    assert_eq!(cks.len(), 3, "{cks:?}");
    let b = dir.path().join("b.jsonl");
    let mut text = std::fs::read_to_string(&a).unwrap_or_default();
    text.push_str("{\"type\":\"report\",\"st");
    std::fs::write(&b, text).unwrap_or_else(|e| panic!("{e}"));
    let ck100 = dir.path().join("b.jsonl.step000000000100.ckpt");
    std::fs::copy(&cks[0], &ck100).unwrap_or_else(|e| panic!("{e}"));
    let o = run(&[
        "run",
        "--resume",
        &s(&ck100),
        "--headless",
        "--record",
        &s(&b),
    ]);
    ok(&o);
    let (want, got) = (load(&cks[2]), load(&checkpoint::beside(&b)[2]));
    assert_eq!(got.step(), 300);
    assert_eq!(want.state.a, got.state.a, "{preset} {sets:?}: A differs");
    assert_eq!(want.state.b, got.state.b, "{preset} {sets:?}: B differs");
    assert_eq!(
        want.state.sample.map(|s| s.opt),
        got.state.sample.map(|s| s.opt)
    );
    assert_eq!(
        want.state.pop.map(|p| (p.a, p.b, p.opt)),
        got.state.pop.map(|p| (p.a, p.b, p.opt))
    );
    let la = lines(&a);
    let lb = lines(&b);
    let cut = |l: &[serde_json::Value],
               pred: &dyn Fn(&serde_json::Value) -> bool|
     -> Vec<serde_json::Value> {
        let i = l.iter().position(pred).unwrap_or(l.len());
        l[i + 1..].to_vec()
    };
    let after_a = cut(&la, &|v| v["what"] == "checkpoint" && v["step"] == 100);
    let after_b = cut(&lb, &|v| v["type"] == "resumed");
    assert!(after_a.len() >= 5, "{after_a:?}");
    assert_eq!(after_a, after_b, "{preset} {sets:?}");
    // Before the resume point the record is the original, cut at step 100.
    let before: Vec<_> = lb
        .iter()
        .take_while(|v| v["type"] != "resumed")
        .cloned()
        .collect();
    assert_eq!(before.last().map(|v| v["step"].clone()), Some(100.into()));
}

#[test]
fn sample_mode_resumes_bit_identically() {
    resumes_bit_identically("sign-r0.5", &["data.d=32", "eval.val_size=256"]);
}

#[test]
fn population_mode_resumes_bit_identically() {
    resumes_bit_identically("sign-population-r0.5", &[]);
}

/// Population GD on a data file's Gaussian twin, with `lr = "auto"`: the curvature estimate
/// and the twin's risk in every report continue exactly.
#[test]
fn twin_population_resumes_bit_identically() {
    resumes_bit_identically("digits-population", &[]);
}

#[test]
fn powerlaw_with_momentum_resumes_bit_identically() {
    resumes_bit_identically(
        "powerlaw-sign",
        &["data.d=24", "eval.val_size=256", "train.optimizer=momentum"],
    );
}

#[test]
fn a_record_path_resumes_from_its_newest_checkpoint_after_sigterm() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = dir.path().join("r.jsonl");
    let child = Command::new(env!("CARGO_BIN_EXE_aescope"))
        .args([
            "run",
            "--headless",
            "--steps",
            "100000000",
            "--set",
            "data.d=16",
            "--record",
        ])
        .arg(&rec)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::metadata(&rec).map_or(true, |m| m.len() == 0)
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    let cks = checkpoint::beside(&rec);
    assert_eq!(cks.len(), 1, "{cks:?}");
    assert!(err.contains("--resume"), "{err}");
    let step = load(&cks[0]).step();
    assert!(step > 0);
    // Resume by the record's path, with a budget just past the checkpoint.
    let budget = (step + 7).to_string();
    let o = run(&[
        "run",
        "--resume",
        &s(&rec),
        "--headless",
        "--steps",
        &budget,
    ]);
    ok(&o);
    let l = lines(&rec);
    let kinds: Vec<&str> = l.iter().filter_map(|v| v["type"].as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "summary").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "resumed").count(), 1);
    assert_eq!(
        l.last().map(|v| v["steps"].clone()),
        Some((step + 7).into())
    );
}

/// Damaged checkpoints: a clear message and exit 2.
#[test]
fn damaged_checkpoints_are_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = dir.path().join("r.jsonl");
    ok(&run(&[
        "run",
        "--headless",
        "--steps",
        "20",
        "--set",
        "data.d=16",
        "--checkpoint-every",
        "10",
        "--record",
        &s(&rec),
    ]));
    let good = checkpoint::beside(&rec).pop().unwrap_or_default();
    let bytes = std::fs::read(&good).unwrap_or_default();
    let variant = |name: &str, data: &[u8]| -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap_or_else(|e| panic!("{e}"));
        p
    };
    let mut flipped = bytes.clone();
    let mid = bytes.len() - 40;
    flipped[mid] ^= 0x55;
    let mut version = bytes.clone();
    version[8] = 99;
    let reshaped = bytes.windows(7).position(|w| w == b"\"d\":16,").map(|i| {
        let mut v = bytes.clone();
        v[i + 4..i + 6].copy_from_slice(b"17");
        v
    });
    let replaced = |from: &[u8], to: &[u8]| {
        bytes
            .windows(from.len())
            .position(|w| w == from)
            .map(|i| {
                let mut v = bytes.clone();
                v[i..i + to.len()].copy_from_slice(to);
                v
            })
            .unwrap_or_default()
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            variant(
                "lr0.ckpt",
                &replaced(b"\"lr_mult\":1.0", b"\"lr_mult\":0.0"),
            ),
            "its lr_mult is 0, expected a positive number",
        ),
        (
            variant(
                "lrneg.ckpt",
                &replaced(b"\"lr_mult\":1.0", b"\"lr_mult\":-10"),
            ),
            "its lr_mult is -10",
        ),
        (variant("empty.ckpt", &[]), "empty"),
        (
            variant("short.ckpt", &bytes[..bytes.len() / 2]),
            "truncated",
        ),
        (variant("flip.ckpt", &flipped), "corrupt"),
        (variant("version.ckpt", &version), "format version 99"),
        (
            variant("json.ckpt", b"{\"version\":\"0.1.0\"}"),
            "not an aescope checkpoint",
        ),
        (variant("tiny.ckpt", b"AESC"), "truncated"),
        (
            variant("shape.ckpt", &reshaped.unwrap_or_default()),
            "shapes do not match",
        ),
    ];
    for (p, needle) in cases {
        let o = run(&[
            "run",
            "--resume",
            &s(&p),
            "--headless",
            "--record",
            &s(&dir.path().join("x.jsonl")),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", p.display());
        assert!(
            err.contains(needle) && err.contains(&*s(&p)),
            "{}: {err}",
            p.display()
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}
