//! Presets parse; bad values fail with a message naming the key, the value and what is allowed.

use aescope::config::{BUILTIN_PRESETS, Config, known_keys};

/// The preset file every case edits; its absence is a failure, not an empty preset.
fn base() -> String {
    let path = "presets/sign-r0.5.toml";
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The error of a preset text that must be refused, as the user reads it.
fn toml_err(text: &str, file: &str) -> String {
    match Config::from_toml(text, file, &[]) {
        Ok(_) => panic!("{file} was accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn err_with(overrides: &[&str]) -> String {
    let o: Vec<String> = overrides.iter().map(ToString::to_string).collect();
    match Config::from_toml(&base(), "presets/sign-r0.5.toml", &o) {
        Ok(_) => panic!("{overrides:?} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_preset_parses_from_disk_and_builtin() {
    for (name, text) in BUILTIN_PRESETS {
        let path = format!("presets/{name}.toml");
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(&on_disk, text, "{path} differs from the built-in copy");
        let cfg = Config::from_toml(text, name, &[]).map_err(|e| e.to_string());
        assert!(cfg.is_ok(), "{name}: {cfg:?}");
        // Without reading data files (the MNIST presets name files a fresh clone lacks).
        assert!(Config::load_spec(name, &[]).is_ok());
        assert!(Config::load_spec(&path, &[]).is_ok());
    }
}

#[test]
fn every_preset_field_is_commented() {
    for (name, text) in BUILTIN_PRESETS {
        for line in text.lines() {
            let l = line.trim();
            if l.is_empty()
                || l.starts_with('#')
                || l.starts_with('[')
                || l.starts_with("name")
                || l.starts_with("description")
            {
                continue;
            }
            assert!(l.contains('#'), "{name}: field without a comment: {l}");
        }
    }
}

#[test]
fn every_schema_key_is_in_the_default_preset() {
    let text = base();
    for key in known_keys() {
        let leaf = key.rsplit('.').next().unwrap_or(&key);
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{leaf} "))),
            "sign-r0.5.toml does not show the key {key}"
        );
    }
}

#[test]
fn bad_values_name_key_value_and_range() {
    let cases: &[(&str, &[&str])] = &[
        ("data.d=0", &["data.d", "0", "≥ 1"]),
        ("model.rate=0", &["model.rate", "0", "> 0"]),
        ("model.rate=-1", &["model.rate", "-1", "> 0"]),
        ("train.lr=0", &["train.lr", "0", "> 0"]),
        ("train.lr=-0.1", &["train.lr", "-0.1", "> 0"]),
        ("train.batch=0", &["train.batch", "0", "≥ 1"]),
        ("data.p=0", &["data.p", "0", "(0, 1]"]),
        ("data.p=1.5", &["data.p", "1.5", "(0, 1]"]),
        ("train.lr=nan", &["train.lr", "NaN", "finite"]),
        ("model.rate=inf", &["model.rate", "inf", "finite"]),
    ];
    for (set, needles) in cases {
        let msg = err_with(&[set]);
        for needle in *needles {
            assert!(
                msg.contains(needle),
                "--set {set}: message '{msg}' lacks '{needle}'"
            );
        }
    }
}

#[test]
fn bad_values_in_a_file_name_the_file() {
    let text = base().replace("d = 256", "d = 0");
    let msg = toml_err(&text, "my.toml");
    assert!(msg.contains("my.toml") && msg.contains("data.d"), "{msg}");

    let text = base().replace("lr = 0.003", "lr = nan");
    let msg = toml_err(&text, "my.toml");
    assert!(msg.contains("train.lr") && msg.contains("NaN"), "{msg}");
}

#[test]
fn unknown_keys_are_named() {
    let text = base().replace("[model]", "[model]\nwidth = 3");
    let msg = toml_err(&text, "my.toml");
    assert!(
        msg.contains("unknown key 'model.width'") && msg.contains("my.toml"),
        "{msg}"
    );

    let msg = err_with(&["train.lrr=0.1"]);
    assert!(
        msg.contains("unknown key 'train.lrr'") && msg.contains("--set"),
        "{msg}"
    );

    let text = format!("{}\n[extra]\nx = 1\n", base());
    let msg = toml_err(&text, "my.toml");
    assert!(msg.contains("extra"), "{msg}");
}

#[test]
fn wrong_types_and_enum_values_are_errors() {
    let msg = err_with(&["model.activation=softplus"]);
    assert!(msg.contains("softplus"), "{msg}");
    let msg = err_with(&["data.d=many"]);
    assert!(msg.contains("many") || msg.contains("integer"), "{msg}");
    let msg = err_with(&["train.lr"]);
    assert!(msg.contains("key=value"), "{msg}");
    let bad_toml = "name = \n";
    let msg = toml_err(bad_toml, "broken.toml");
    assert!(msg.contains("broken.toml"), "{msg}");
}

#[test]
fn overrides_apply_and_validate() {
    let o = vec![
        "model.rate=2".to_string(),
        "train.optimizer=sgd".to_string(),
        "seed=9".to_string(),
    ];
    let cfg = Config::from_toml(&base(), "x", &o).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.model.rate, 2.0);
    assert_eq!(cfg.n(), 512);
    assert_eq!(cfg.seed, 9);
    assert_eq!(cfg.train.opt.kind.name(), "sgd");
}

#[test]
fn unknown_preset_lists_the_builtin_ones() {
    let msg = match Config::load("no-such-preset", &[]) {
        Ok(_) => panic!("an unknown preset was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        msg.contains("no-such-preset") && msg.contains("sign-r0.5"),
        "{msg}"
    );
}
