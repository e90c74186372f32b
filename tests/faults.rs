//! Faults a hostile user (or a cluster) inflicts, through the binary: each gives a clear
//! message and the documented exit code, never a panic, a hang or a lost record.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aescope"))
}

fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running aescope: {e}"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into()
}

/// Exit code `code` and a message containing every needle, no panic.
fn expect(o: &Output, code: i32, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks '{n}': {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn rate_ranges_count_in_f64() {
    let o = run(&["theory", "--rates", "0.5:1:1e-300"]);
    expect(&o, 2, &["--rates", "0.5:1:1e-300", "at most 100000"]);
    assert!(o.stdout.is_empty());
    let o = run(&["sweep", "sweep-sign", "--rates", "1:1e300:1e-300"]);
    expect(&o, 2, &["sweep.rates"]);
}

#[test]
fn a_closed_stdout_stops_output_quietly() {
    let mut child = bin()
        .args(["theory", "--rates", "0.01:400:0.01"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut first = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut first);
    } // dropped: the pipe is closed, as `| head -1` does
    let o = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(first.starts_with("activation"), "{first}");
    expect(&o, 0, &[]);
}

#[test]
fn a_headless_run_whose_log_readers_are_gone_still_finishes_its_record() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = dir.path().join("r.jsonl");
    let child = bin()
        .args(["run", "--headless", "--steps", "3000", "--set", "data.d=32"])
        .args(["--set", "eval.every=100", "--record"])
        .arg(&rec)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let (pid, status) = {
        let mut c = child;
        drop(c.stdout.take());
        drop(c.stderr.take());
        (c.id(), c.wait().unwrap_or_else(|e| panic!("{e}")))
    };
    assert_eq!(status.code(), Some(0), "pid {pid}");
    let text = std::fs::read_to_string(&rec).unwrap_or_default();
    assert!(
        text.lines().last().unwrap_or("").contains("\"summary\""),
        "{text}"
    );
}

#[test]
fn presets_must_be_small_regular_text_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fifo = dir.path().join("fifo.toml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|st| st.success()) {
        let t0 = Instant::now();
        let o = run(&["presets", &s(&fifo)]);
        expect(&o, 2, &["fifo.toml", "a FIFO"]);
        assert!(t0.elapsed() < Duration::from_secs(20), "hung on the FIFO");
    }
    let o = run(&["run", "/dev/zero", "--headless"]);
    expect(&o, 2, &["/dev/zero", "character device"]);
    let big = dir.path().join("big.toml");
    std::fs::write(&big, vec![b'#'; 3 << 20]).unwrap_or_else(|e| panic!("{e}"));
    expect(&run(&["presets", &s(&big)]), 2, &["too large"]);
    // A megabyte of NULs: a short, escaped excerpt, not the whole file.
    let nul = dir.path().join("nul.toml");
    std::fs::write(&nul, vec![0u8; 1 << 20]).unwrap_or_else(|e| panic!("{e}"));
    let o = run(&["presets", &s(&nul)]);
    expect(&o, 2, &["nul.toml"]);
    assert!(o.stderr.len() < 4000, "{} bytes of message", o.stderr.len());
    assert!(!o.stderr.contains(&0u8));
}

#[test]
fn escape_characters_from_a_preset_are_never_printed_raw() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (file, text) in [
        ("name.toml", "name = \"\\u001b[2J\\u001b]0;pwned\\u0007\"\n"),
        ("key.toml", "\"\\u001b[31m\" = 1\n"),
        ("raw.toml", "name = \"x\"\nseed = \u{1b}[31m\n"),
    ] {
        let p = dir.path().join(file);
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
        for args in [
            vec!["presets", &*s(&p)],
            vec!["run", &*s(&p), "--headless", "--steps", "1"],
        ] {
            let args: Vec<&str> = args.iter().map(|a| &**a).collect();
            let o = run(&args);
            expect(&o, 2, &[file]);
            assert!(
                !o.stderr.contains(&0x1b) && !o.stdout.contains(&0x1b),
                "{file}: raw ESC"
            );
        }
    }
}

#[test]
fn records_are_never_written_over_what_they_must_not_be() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = dir.path().join("r.jsonl");
    std::fs::write(&rec, "precious\n").unwrap_or_else(|e| panic!("{e}"));
    let base = ["run", "--headless", "--steps", "5", "--set", "data.d=16"];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend(extra);
        run(&a)
    };
    expect(
        &with(&["--record", &s(&rec)]),
        2,
        &["r.jsonl", "already exists", "--force"],
    );
    assert_eq!(
        std::fs::read_to_string(&rec).ok().as_deref(),
        Some("precious\n")
    );
    let preset = dir.path().join("p.toml");
    std::fs::copy("presets/sign-r0.5.toml", &preset).unwrap_or_else(|e| panic!("{e}"));
    let o = run(&[
        "run",
        &s(&preset),
        "--headless",
        "--steps",
        "5",
        "--force",
        "--record",
        &s(&preset),
    ]);
    expect(&o, 2, &["p.toml", "preset itself"]);
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&rec, &link).unwrap_or_else(|e| panic!("{e}"));
    expect(
        &with(&["--force", "--record", &s(&link)]),
        2,
        &["symbolic link"],
    );
    expect(
        &with(&["--force", "--record", "/dev/null"]),
        2,
        &["character device"],
    );
    expect(
        &with(&["--force", "--record", &s(dir.path())]),
        2,
        &["directory"],
    );
    expect(&with(&["--force", "--record", &s(&rec)]), 0, &[]);
}

#[test]
fn a_record_held_by_a_running_aescope_is_refused_until_it_dies() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = dir.path().join("held.jsonl");
    let mut holder = bin()
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
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&rec).map_or(true, |m| m.len() == 0) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = [
        "run",
        "--headless",
        "--steps",
        "5",
        "--set",
        "data.d=16",
        "--force",
        "--record",
        &s(&rec),
    ];
    expect(&run(&second), 2, &["held.jsonl", "another running aescope"]);
    // SIGKILL: the kernel drops the lock with the process.
    let _ = holder.kill();
    let _ = holder.wait();
    expect(&run(&second), 0, &[]);
}

#[test]
fn sizes_over_the_memory_budget_are_refused_with_what_they_need() {
    for sets in [
        ["data.d=65536", "eval.val_size=16"],
        ["data.d=256", "model.rate=256"],
    ] {
        let o = run(&[
            "run",
            "--headless",
            "--set",
            sets[0],
            "--set",
            sets[1],
            "--max-memory",
            "8G",
        ]);
        expect(&o, 2, &["needs about", "GiB", "--max-memory"]);
    }
    let o = run(&[
        "run",
        "--headless",
        "--steps",
        "5",
        "--set",
        "data.d=16",
        "--max-memory",
        "lots",
    ]);
    expect(&o, 2, &["--max-memory", "lots"]);
}

#[test]
fn population_divergence_ends_the_run_with_exit_3_and_no_nan() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = dir.path().join("div.jsonl");
    let o = run(&[
        "run",
        "sign-population-r0.5",
        "--headless",
        "--json",
        "--set",
        "data.d=32",
        "--set",
        "train.lr=1000",
        "--set",
        "train.lr_final=1000",
        "--record",
        &s(&rec),
    ]);
    expect(&o, 3, &["diverged"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(v["reason"], "diverged");
    let text = std::fs::read_to_string(&rec).unwrap_or_default();
    let last: serde_json::Value =
        serde_json::from_str(text.lines().last().unwrap_or("")).unwrap_or_default();
    assert_eq!(last["reason"], "diverged");
    for line in text.lines() {
        assert!(
            !line.contains("NaN") && !line.contains("null,\"risk_kind"),
            "{line}"
        );
    }
}

/// A full disk under the record: the message names the file and the OS error, the exit code
/// is non-zero and the record holds whole lines only. Needs a tmpfs, mounted here when the
/// tests run as root; elsewhere the injected-writer unit test in `record` covers it.
#[test]
fn a_full_disk_names_the_file_and_keeps_whole_lines() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=12k", "tmpfs"])
        .arg(dir.path())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|st| st.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (not root)");
        return;
    }
    let rec = dir.path().join("full.jsonl");
    let o = run(&[
        "run",
        "--headless",
        "--steps",
        "2000",
        "--set",
        "data.d=16",
        "--set",
        "eval.every=1",
        "--record",
        &s(&rec),
    ]);
    let text = std::fs::read_to_string(&rec).unwrap_or_default();
    let _ = Command::new("umount").arg(dir.path()).status();
    expect(&o, 1, &["full.jsonl", "No space left on device"]);
    assert!(text.ends_with('\n'));
    for l in text.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(l).is_ok(),
            "torn line {l}"
        );
    }
}
