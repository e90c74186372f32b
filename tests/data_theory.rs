//! The water-filling prediction aescope computes for a data set against an independent
//! computation on the same data: the built-in digits parsed here by hand, the covariance summed
//! naively, its eigenvalues by cyclic Jacobi rotations (not faer), the water-filling solved in
//! closed form per active set (not by bisection).

use aescope::data::files::{builtin, load_bytes};
use aescope::data::preprocess::{PreprocessSpec, Whiten, prepare};
use aescope::model::Activation;
use aescope::theory::bounds::C_SIGN;
use aescope::theory::data::data_limits;
use independent::{covariance, jacobi_eigenvalues, water_filling_kkt};
use std::io::Read;
use std::path::Path;

mod independent;

/// The digits' 64 pixel columns, parsed from the gzip CSV without the library's loader.
fn digits_by_hand() -> Vec<Vec<f64>> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(builtin::DIGITS)
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{e}"));
    text.lines()
        .map(|l| {
            let v: Vec<f64> = l
                .split(',')
                .map(|c| c.trim().parse().unwrap_or_else(|e| panic!("{c}: {e}")))
                .collect();
            v[..64].to_vec()
        })
        .collect()
}

#[test]
fn digits_prediction_matches_an_independent_computation() {
    let (bytes, opts) = builtin::get("digits").unwrap();
    let ds = load_bytes(Path::new("builtin:digits"), bytes, &opts).unwrap();
    let rows = digits_by_hand();
    assert_eq!(rows.len(), ds.samples());
    let eig = jacobi_eigenvalues(covariance(&rows));
    for project in [0usize, 20] {
        let spec = PreprocessSpec {
            project,
            ..PreprocessSpec::default()
        };
        let p = prepare(ds.x.view(), ds.x.slice(ndarray::s![..0, ..]), &spec).unwrap();
        let k = if project == 0 { 64 } else { project };
        let tr: f64 = eig[..k].iter().sum();
        let unit: Vec<f64> = eig[..k].iter().map(|v| v * k as f64 / tr).collect();
        for (a, b) in p.spectrum.iter().zip(&unit) {
            assert!((a - b).abs() < 1e-8, "spectrum {a} vs {b}");
        }
        for n in [1, 5, k / 4, k / 2, k, 2 * k] {
            let ours = data_limits(Activation::Sign, &p.spectrum, n).unwrap();
            let theirs = water_filling_kkt(&unit, n, C_SIGN);
            assert!(
                (ours.prediction.value - theirs).abs() < 1e-8,
                "project {project}, n {n}: {} vs {theirs}",
                ours.prediction.value
            );
            let pca: f64 = unit[n.min(k)..].iter().sum::<f64>() / k as f64;
            assert!((ours.pca - pca).abs() < 1e-10);
        }
    }
    // Whitened after projection: every eigenvalue 1, the isotropic sign limit.
    let spec = PreprocessSpec {
        project: 20,
        whiten: Whiten::Pca,
        ..PreprocessSpec::default()
    };
    let p = prepare(ds.x.view(), ds.x.view(), &spec).unwrap();
    let l = data_limits(Activation::Sign, &p.spectrum, 10).unwrap();
    assert!((l.prediction.value - (1.0 - 1.0 / std::f64::consts::PI)).abs() < 1e-12);
}
