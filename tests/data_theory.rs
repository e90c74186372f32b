//! The water-filling prediction aescope computes for a data set against an independent
//! computation on the same data: the built-in digits parsed here by hand, the covariance summed
//! naively, its eigenvalues by cyclic Jacobi rotations (not faer), the water-filling solved in
//! closed form per active set (not by bisection).

use aescope::data::files::{builtin, load_bytes};
use aescope::data::preprocess::{PreprocessSpec, Whiten, prepare};
use aescope::model::Activation;
use aescope::theory::bounds::C_SIGN;
use aescope::theory::data::data_limits;
use std::io::Read;
use std::path::Path;

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

fn covariance(rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let (n, d) = (rows.len() as f64, rows[0].len());
    let mean: Vec<f64> = (0..d)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let mut c = vec![vec![0.0; d]; d];
    for r in rows {
        for i in 0..d {
            for j in 0..d {
                c[i][j] += (r[i] - mean[i]) * (r[j] - mean[j]) / n;
            }
        }
    }
    c
}

/// Eigenvalues of a symmetric matrix by cyclic Jacobi rotations, descending.
fn jacobi_eigenvalues(mut a: Vec<Vec<f64>>) -> Vec<f64> {
    let d = a.len();
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let (c, s) = (1.0 / (t * t + 1.0).sqrt(), t / (t * t + 1.0).sqrt());
                for row in &mut a {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (rp, rq) = (a[p].clone(), a[q].clone());
                a[p] = rp.iter().zip(&rq).map(|(x, y)| c * x - s * y).collect();
                a[q] = rp.iter().zip(&rq).map(|(x, y)| s * x + c * y).collect();
            }
        }
    }
    let mut e: Vec<f64> = (0..d).map(|i| a[i][i].max(0.0)).collect();
    e.sort_by(|x, y| y.total_cmp(x));
    e
}

/// THEORY §4 by its KKT conditions: with p active directions, √ν = √c Σ√s_j / (n + p c); the
/// right p is the largest whose smallest active m_j is positive.
fn water_filling_kkt(s: &[f64], n: usize, c: f64) -> f64 {
    let k = n.min(s.len());
    let trace: f64 = s.iter().sum();
    let active = (1..=k)
        .rev()
        .find(|&p| {
            let root_nu =
                c.sqrt() * s[..p].iter().map(|v| v.sqrt()).sum::<f64>() / (n as f64 + p as f64 * c);
            (c * s[p - 1]).sqrt() / root_nu > c
        })
        .unwrap_or(1);
    let root_nu = c.sqrt() * s[..active].iter().map(|v| v.sqrt()).sum::<f64>()
        / (n as f64 + active as f64 * c);
    let head: f64 = s[..active].iter().map(|v| (c * v).sqrt() * root_nu).sum();
    (head + s[active..].iter().sum::<f64>()) / trace
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
