//! The Gaussian twin of a data file: the exact risk of the current weights on N(0, Σ̂), Σ̂ the
//! preprocessed training split's second moments. On data that *is* Gaussian the twin's exact
//! risk must be the data's own Monte Carlo risk, within its standard error.

use aescope::config::Config;
use aescope::train::trainer::Trainer;
use aescope::train::twin::Twin;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::fmt::Write as _;

/// A CSV of `rows` samples x = L z, z ~ N(0, I_8), L fixed and anisotropic, with a preset
/// naming it; returns the config of that preset.
fn gaussian_file(dir: &std::path::Path, rows: usize) -> Config {
    let d = 8;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let l = |i: usize, j: usize| -> f64 {
        if j > i {
            0.0
        } else {
            (3.0 / (1.0 + i as f64)) * if i == j { 1.0 } else { 0.4 }
        }
    };
    let mut csv = String::new();
    for _ in 0..rows {
        let z: Vec<f64> = (0..d).map(|_| StandardNormal.sample(&mut rng)).collect();
        let x: Vec<String> = (0..d)
            .map(|i| format!("{:.6}", (0..d).map(|j| l(i, j) * z[j]).sum::<f64>()))
            .collect();
        let _ = writeln!(csv, "{}", x.join(","));
    }
    let path = dir.join("gauss.csv");
    std::fs::write(&path, csv).unwrap_or_else(|e| panic!("{e}"));
    let preset = dir.join("gauss.toml");
    std::fs::write(
        &preset,
        "[data]\nsource = \"file\"\npath = \"gauss.csv\"\nval_fraction = 0.2\n\n[model]\nrate = 0.5\n\n[train]\nbatch = 64\noptimizer = \"adam\"\nlr = 0.01\n\n[eval]\nval_size = 2000\nevery = 50\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Config::load(&preset.to_string_lossy(), &[]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn twin_risk_is_the_monte_carlo_risk_of_gaussian_data() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cfg = gaussian_file(dir.path(), 20_000);
    let mut t = Trainer::new(&cfg);
    assert!(t.data_error().is_none(), "{:?}", t.data_error());
    for _ in 0..300 {
        t.step();
    }
    let eval = t.evaluate();
    let twin = eval.twin_risk.unwrap_or_else(|| panic!("no twin risk"));
    // The Monte Carlo risk on the training split Σ̂ comes from, per sample.
    let x = match &cfg.data.loaded.0 {
        Some(d) => d.prepared.train.clone(),
        None => panic!("data not attached"),
    };
    let m = t.model();
    let (a, b) = (m.a.mapv(f64::from), m.b.mapv(f64::from));
    let d = x.ncols() as f64;
    let errs: Vec<f64> = x
        .rows()
        .into_iter()
        .map(|row| {
            let xr = row.mapv(f64::from);
            let h = b.dot(&xr).mapv(|u| m.act.eval_f64(u));
            let r = &xr - &a.dot(&h);
            r.dot(&r) / d
        })
        .collect();
    let k = errs.len() as f64;
    let mean = errs.iter().sum::<f64>() / k;
    let var = errs.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (k - 1.0);
    let se = (var / k).sqrt();
    assert!(
        (twin - mean).abs() < 4.0 * se,
        "twin {twin} vs Monte Carlo {mean} ± {se}"
    );
    // It did learn something: the check is not at the trivial risk 1.
    assert!(twin < 0.9, "{twin}");
    // Σ̂ is normalized as the data: Tr Σ̂ = d.
    let tw = Twin::of(x.view());
    assert!((tw.covariance().trace() - d).abs() < 1e-3 * d);
}
