//! Training on a data file end to end: presets with `data.source = "file"`, the relative path,
//! epochs, validation and training-subset risks, the water-filling line, the record.

use aescope::config::Config;
use aescope::data::files::{builtin, load_bytes};
use aescope::theory::bounds::r_sign;
use aescope::train::trainer::Trainer;
use std::io::Write;
use std::path::Path;
use std::process::Command;

fn load(preset: &str, sets: &[&str]) -> Config {
    let o: Vec<String> = sets.iter().map(ToString::to_string).collect();
    Config::load(preset, &o).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn digits_train_to_the_water_filling_line() {
    let cfg = load("digits-sign", &["train.steps=3000"]);
    assert_eq!(cfg.data.d, 64);
    let mut t = Trainer::new(&cfg);
    assert!(t.data_error().is_none());
    let limit = t.limit();
    assert_eq!(limit.label, "water-filling (sign)");
    // The training split's spectrum (1 617 of the 1 797 images; all of them give 0.291386).
    assert!((limit.value - 0.290981).abs() < 1e-6, "{}", limit.value);
    for _ in 0..3000 {
        t.step();
    }
    let e = t.evaluate();
    // 1 617 training images, batch 64: 3000 steps are about 119 epochs.
    let epochs = t.epochs().unwrap_or_default();
    assert!((epochs - 3000.0 * 64.0 / 1617.0).abs() < 1e-9, "{epochs}");
    let train = e.train_risk.unwrap_or(f64::NAN);
    assert!(
        e.val_risk <= limit.value + 0.02,
        "validation {} vs {}",
        e.val_risk,
        limit.value
    );
    assert!(
        train > 0.05 && train < e.val_risk + 0.05,
        "train {train}, val {}",
        e.val_risk
    );
}

#[test]
fn whitened_digits_sit_on_the_isotropic_limit() {
    let cfg = load("digits-sign", &["data.project=32", "data.whiten=pca"]);
    let t = Trainer::new(&cfg);
    assert_eq!(t.model().d(), 32);
    assert!((t.limit().value - r_sign(0.5)).abs() < 1e-12);
}

/// The built-in digits as an uncompressed IDX file (1 797 images of 8×8 bytes).
fn digits_idx() -> Vec<u8> {
    let (bytes, opts) = builtin::get("digits").unwrap_or_else(|| panic!("no digits"));
    let ds = load_bytes(Path::new("d"), bytes, &opts).unwrap_or_else(|e| panic!("{e}"));
    let mut idx = vec![0u8, 0, 8, 3];
    for d in [1797u32, 8, 8] {
        idx.extend(d.to_be_bytes());
    }
    idx.extend(ds.x.iter().map(|&v| v as u8));
    idx
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap_or_else(|e| panic!("{e}"));
    gz.finish().unwrap_or_else(|e| panic!("{e}"))
}

/// The digits written as a gzip IDX file next to a preset that names it relatively: the preset
/// is found from another directory, and the prediction is the built-in digits' own.
#[test]
fn relative_path_next_to_the_preset() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(dir.path().join("data")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("data/digits-idx3-ubyte.gz"),
        gzip(&digits_idx()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let preset = dir.path().join("p.toml");
    std::fs::write(
        &preset,
        "[data]\nsource = \"file\"\npath = \"data/digits-idx3-ubyte.gz\"\n[model]\nrate = 0.5\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cfg = load(&preset.to_string_lossy(), &[]);
    assert_eq!(cfg.data.d, 64);
    let builtin_cfg = load("digits-sign", &[]);
    let (a, b) = (Trainer::new(&cfg), Trainer::new(&builtin_cfg));
    assert!((a.limit().value - b.limit().value).abs() < 1e-12);
}

/// MNIST is published gzipped (the presets name `….gz`) but often sits unpacked on disk, and
/// the other way round: a preset that names one form finds the other, next to the preset or in
/// the working directory, and reads the same images.
#[test]
fn the_other_compression_form_is_found() {
    let idx = digits_idx();
    for (on_disk, named, bytes) in [
        ("digits-idx3-ubyte", "digits-idx3-ubyte.gz", idx.clone()),
        ("digits-idx3-ubyte.gz", "digits-idx3-ubyte", gzip(&idx)),
    ] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(dir.path().join("data")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("data").join(on_disk), &bytes)
            .unwrap_or_else(|e| panic!("{e}"));
        let preset = dir.path().join("p.toml");
        std::fs::write(
            &preset,
            format!(
                "[data]\nsource = \"file\"\npath = \"data/{named}\"\nval_path = \"data/{named}\"\n[model]\nrate = 0.5\n"
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let cfg = load(&preset.to_string_lossy(), &[]);
        assert!(cfg.data.path.ends_with(on_disk), "{}", cfg.data.path);
        assert!(
            cfg.data.val_path.ends_with(on_disk),
            "{}",
            cfg.data.val_path
        );
        assert_eq!(cfg.data.d, 64);
        // From the working directory, with a preset elsewhere (here: a built-in one).
        let (code, out, err) = aescope(
            &[
                "run",
                "digits-sign",
                "--headless",
                "--steps",
                "1",
                "--set",
                &format!("data.path=data/{named}"),
            ],
            dir.path(),
        );
        assert_eq!(code, 0, "{named}: {err}");
        assert!(out.contains("water-filling (sign)"), "{out}");
    }
    // Neither form: the message names the path as written and the other form.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = aescope(
        &[
            "run",
            "digits-sign",
            "--headless",
            "--set",
            "data.path=data/none-idx3-ubyte.gz",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("data/none-idx3-ubyte.gz: no such file")
            && err.contains("or unpacked, without the .gz"),
        "{err}"
    );
}

/// A bad validation file is reported under `data.val_path`, a bad training file under
/// `data.path`, each naming the file and the problem.
#[test]
fn a_bad_validation_file_names_its_key() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let idx = digits_idx();
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.path().join(name), bytes).unwrap_or_else(|e| panic!("{e}"));
    };
    write("train-idx3-ubyte", &idx);
    write("cut-idx3-ubyte", &idx[..idx.len() - 10]);
    // 4×17 images: a feature count other than the training file's 8×8.
    let mut wide = vec![0u8, 0, 8, 3];
    for d in [1797u32, 4, 17] {
        wide.extend(d.to_be_bytes());
    }
    wide.extend((0..1797 * 68).map(|i| (i % 251) as u8));
    write("wide-idx3-ubyte", &wide);
    for (train, val, key, want) in [
        (
            "train-idx3-ubyte",
            "cut-idx3-ubyte",
            "data.val_path",
            "truncated",
        ),
        (
            "train-idx3-ubyte",
            "wide-idx3-ubyte",
            "data.val_path",
            "features",
        ),
        (
            "cut-idx3-ubyte",
            "train-idx3-ubyte",
            "data.path",
            "truncated",
        ),
    ] {
        let (code, _, err) = aescope(
            &[
                "run",
                "digits-sign",
                "--headless",
                "--set",
                &format!("data.path={train}"),
                "--set",
                &format!("data.val_path={val}"),
            ],
            dir.path(),
        );
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(&format!("{key}: ")) && err.contains(want) && !err.contains("panicked"),
            "{train} {val}: {err}"
        );
        let at_fault = if key == "data.path" { train } else { val };
        assert!(err.contains(at_fault), "{err}");
    }
}

fn aescope(args: &[&str], dir: &Path) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_aescope"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("running aescope: {e}"));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

#[test]
fn record_holds_the_data_and_both_risks() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (code, out, err) = aescope(
        &[
            "run",
            "digits-sign",
            "--headless",
            "--steps",
            "400",
            "--record",
            "r.jsonl",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("water-filling (sign) 0.290981"), "{out}");
    let text = std::fs::read_to_string(dir.path().join("r.jsonl")).unwrap_or_default();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_default())
        .collect();
    let data = &lines[1];
    assert_eq!(data["type"], "data");
    assert_eq!(
        data["train_file"]["sha256"],
        "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
    );
    assert_eq!(data["train_file"]["shape"], serde_json::json!([8, 8]));
    assert_eq!(data["spectrum"].as_array().map(Vec::len), Some(64));
    assert_eq!(
        (data["train_samples"].as_u64(), data["val_samples"].as_u64()),
        (Some(1617), Some(180))
    );
    let report = lines
        .iter()
        .find(|l| l["type"] == "report")
        .unwrap_or_else(|| panic!("no report in {text}"));
    assert!(report["train_risk"].as_f64().is_some() && report["epochs"].as_f64().is_some());
}

#[test]
fn missing_mnist_says_where_to_get_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = aescope(&["run", "mnist-sign", "--headless"], dir.path());
    assert_eq!(code, 2, "{err}");
    for want in [
        "data/mnist/train-images-idx3-ubyte.gz",
        "no such file",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    let (code, _, err) = aescope(
        &[
            "run",
            "digits-sign",
            "--headless",
            "--set",
            "data.path=nope.csv",
        ],
        dir.path(),
    );
    assert!(code == 2 && err.contains("nope.csv: no such file"), "{err}");
}
