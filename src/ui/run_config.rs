//! The run's configuration as the config panel (`i`) shows it: the command line that
//! reproduces the run as it started, and the settings as they are now.

use crate::config::{BUILTIN_PRESETS, Config, DEFAULT_PRESET, parse_literal};
use crate::data::SourceKind;
use crate::protocol::{LearningRate, Metrics};

/// `aescope run PRESET --set key=value ... --seed S`: the built-in preset named like the run
/// (else the default one) and every key of `cfg` that differs from it, so the command gives
/// exactly `cfg` (a data file's `data.d` follows from the file and is left out).
pub fn command_line(cfg: &Config) -> String {
    let base = if BUILTIN_PRESETS.iter().any(|(n, _)| *n == cfg.name) {
        cfg.name.as_str()
    } else {
        DEFAULT_PRESET
    };
    let mut args = vec!["aescope".to_string(), "run".into(), base.to_string()];
    let tables = Config::load_spec(base, &[]).ok().and_then(|b| {
        Some((
            toml::Value::try_from(cfg).ok()?,
            toml::Value::try_from(b).ok()?,
        ))
    });
    if let Some((toml::Value::Table(now), toml::Value::Table(was))) = tables {
        let mut diffs = Vec::new();
        differing(&now, &was, "", &mut diffs);
        for (key, v) in diffs {
            if key == "seed" || (key == "data.d" && cfg.data.kind == SourceKind::File) {
                continue;
            }
            args.push("--set".into());
            args.push(shell_word(&format!("{key}={}", literal(&v))));
        }
    }
    args.push("--seed".into());
    args.push(cfg.seed.to_string());
    args.join(" ")
}

/// The dotted keys whose values differ between `now` and `was`, with the value in `now`.
fn differing(
    now: &toml::Table,
    was: &toml::Table,
    prefix: &str,
    out: &mut Vec<(String, toml::Value)>,
) {
    for (k, v) in now {
        let key = format!("{prefix}{k}");
        match (v, was.get(k)) {
            (toml::Value::Table(a), Some(toml::Value::Table(b))) => {
                differing(a, b, &format!("{key}."), out);
            }
            (toml::Value::Table(a), _) => {
                differing(a, &toml::Table::new(), &format!("{key}."), out);
            }
            (v, Some(w)) if v == w => {}
            (v, _) => out.push((key, v.clone())),
        }
    }
}

/// A value as `--set` reads it back: bare where that reads as the same value, else TOML.
fn literal(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) if parse_literal(s) == *v => s.clone(),
        other => other.to_string(),
    }
}

/// `word`, single-quoted for a POSIX shell when it holds anything but safe characters.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_.,:/=+@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `initial` with what the latest metrics say changed by keys since: r, activation,
/// optimizer, decoder, and a fixed learning rate scaled by `+`/`-` (`train.lr` and
/// `lr_final` times the factor between the rate in force and the schedule's own).
pub fn current(initial: &Config, m: Option<&Metrics>) -> Config {
    let mut cfg = initial.clone();
    if let Some(m) = m {
        cfg.model.rate = m.r;
        cfg.model.activation = m.activation;
        cfg.train.opt.kind = m.optimizer;
        cfg.train.decoder = m.decoder;
        if let (LearningRate::Fixed(lr), Some(factor)) = (cfg.train.lr, lr_factor(initial, m)) {
            let t = &mut cfg.train;
            if factor != 1.0 {
                t.lr = LearningRate::Fixed(round_sig(lr * factor));
                t.lr_final = round_sig(t.lr_final * factor);
            }
        }
    }
    cfg
}

/// The factor `+`/`-` have put on a fixed learning rate by the time of `m`: the rate in force
/// over the schedule's own at that step (None under `lr = "auto"`, which has no schedule).
pub fn lr_factor(cfg: &Config, m: &Metrics) -> Option<f64> {
    let t = &cfg.train;
    let lr = t.lr.fixed()?;
    let factor = round_sig(m.lr / t.schedule.at(m.step, t.steps, lr, t.lr_final));
    (factor.is_finite() && factor > 0.0).then_some(factor)
}

/// `x` to 9 significant digits: the key's factors are short decimals, and the panel should
/// not show the round-off of recovering them from the rate in force.
fn round_sig(x: f64) -> f64 {
    format!("{x:.8e}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("train.lr=0.01"), "train.lr=0.01");
        assert_eq!(shell_word("description=a b"), "'description=a b'");
        assert_eq!(shell_word("name=it's"), r"'name=it'\''s'");
    }

    #[test]
    fn the_default_preset_needs_only_its_seed() -> Result<(), Box<dyn std::error::Error>> {
        let cfg = Config::load("sign-r0.5", &[])?;
        assert_eq!(
            command_line(&cfg),
            format!("aescope run sign-r0.5 --seed {}", cfg.seed)
        );
        let cfg = Config::load(
            "sign-r0.5",
            &["model.activation=relu".into(), "train.lr=0.0123".into()],
        )?;
        let line = command_line(&cfg);
        assert!(line.contains("--set model.activation=relu"), "{line}");
        assert!(line.contains("--set train.lr=0.0123"), "{line}");
        Ok(())
    }
}
