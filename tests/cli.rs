//! The binary as a user runs it: outputs, exit codes, messages, signals.

use std::process::{Command, Output};
use std::time::Duration;

fn aescope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aescope"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running aescope: {e}"))
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

#[test]
fn theory_json_gives_the_paper_values() {
    let o = aescope(&["theory", "--act", "sign", "--rates", "0.5,1,2", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    let got: Vec<f64> = (0..3)
        .map(|i| v[i]["limit"].as_f64().unwrap_or(f64::NAN))
        .collect();
    for (g, want) in got.iter().zip([0.681690, 0.363380, 0.222031]) {
        assert!((g - want).abs() < 1e-6, "{got:?}");
    }
    assert_eq!(v[2]["shannon"].as_f64(), Some(0.0625));
    assert_eq!(v[0]["pca"].as_f64(), Some(0.5));
}

#[test]
fn theory_table_has_its_columns() {
    let (out, _) = text(&aescope(&["theory", "--act", "relu"]));
    for col in ["limit", "PCA", "Shannon"] {
        assert!(out.contains(col), "{out}");
    }
}

#[test]
fn bad_inputs_fail_with_a_message_never_a_panic() {
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--headless", "--set", "data.d=0"], "data.d"),
        (
            &["run", "--headless", "--set", "model.rate=0"],
            "model.rate",
        ),
        (&["run", "--headless", "--set", "train.lr=-1"], "train.lr"),
        (
            &["run", "--headless", "--set", "train.batch=0"],
            "train.batch",
        ),
        (&["run", "--headless", "--set", "data.p=2"], "data.p"),
        (&["run", "--headless", "--set", "train.lr=nan"], "train.lr"),
        (&["run", "--headless", "--set", "nope=1"], "nope"),
        (&["run", "no-such-preset", "--headless"], "no-such-preset"),
        (
            &[
                "run",
                "--headless",
                "--record",
                "/no/such/dir/r.jsonl",
                "--steps",
                "5",
            ],
            "/no/such/dir/r.jsonl",
        ),
        (&["theory", "--act", "softplus"], "softplus"),
        (&["theory", "--rates", "0.5,-1"], "-1"),
    ];
    for (args, needle) in cases {
        let o = aescope(args);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: stderr '{err}' lacks '{needle}'"
        );
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
}

#[test]
fn divergence_exits_with_3_and_names_the_learning_rate() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("s.csv").display().to_string();
    let diverging = [
        "--set",
        "train.optimizer=sgd",
        "--set",
        "train.lr=1e30",
        "--set",
        "train.lr_final=1e30",
        "--set",
        "data.d=16",
    ];
    let run = [
        &["run", "sign-r0.5", "--headless", "--steps", "100"][..],
        &diverging,
    ]
    .concat();
    let sweep = [
        &[
            "sweep",
            "sweep-sign",
            "--rates",
            "1",
            "--steps",
            "50",
            "--no-plot",
            "--out",
            &out,
        ][..],
        &diverging,
    ]
    .concat();
    for args in [run, sweep] {
        let o = aescope(&args);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {err}");
        assert!(
            err.contains("diverged") && err.contains("train.lr"),
            "{err}"
        );
    }
}

#[test]
fn headless_run_json_summary_and_record() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = dir.path().join("r.jsonl");
    let rec_s = rec.to_string_lossy().to_string();
    let o = aescope(&[
        "run",
        "presets/sign-r0.5.toml",
        "--headless",
        "--steps",
        "300",
        "--set",
        "data.d=64",
        "--record",
        &rec_s,
        "--json",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_default();
    for key in ["steps", "wall_s", "val_risk", "limit", "gap"] {
        assert!(v.get(key).is_some(), "summary lacks {key}: {out}");
    }
    assert_eq!(v["steps"], 300);
    let lines = std::fs::read_to_string(&rec).unwrap_or_default();
    assert!(lines.lines().count() >= 3);
    // Not a terminal: plain progress lines, at most a few per second.
    assert!(!err.contains('\r'));
}

#[test]
fn interrupt_finishes_the_record() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = dir.path().join("r.jsonl");
    for signal in ["-INT", "-HUP", "-TERM"] {
        let child = Command::new(env!("CARGO_BIN_EXE_aescope"))
            .args([
                "run",
                "--headless",
                "--steps",
                "100000000",
                "--force",
                "--record",
            ])
            .arg(&rec)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(Duration::from_millis(1500));
        let _ = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status();
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(&rec).unwrap_or_default();
        let last: serde_json::Value =
            serde_json::from_str(text.lines().last().unwrap_or("")).unwrap_or_default();
        assert_eq!(last["type"], "summary", "{signal}: record ends with {last}");
        assert_eq!(last["reason"], "interrupted");
        assert_eq!(out.status.code(), Some(130), "{signal}");
    }
}
