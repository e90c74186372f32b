//! Low-rank-plus-noise data with a planted spectrum: the transform must whiten exactly, keep the
//! planted top directions, and invert.

use super::*;
use crate::data::random_orthogonal;
use ndarray::s;
use rand::Rng;
use rand_distr::StandardNormal;

const D: usize = 12;
/// Planted variances of the signal directions; every direction also gets noise 0.5.
const PLANTED: [f64; 4] = [40.0, 20.0, 10.0, 5.0];
const NOISE: f64 = 0.5;

/// `n` samples `x = m + Q (√a ∘ g)`, `a = PLANTED ++ [NOISE; …]` plus a constant pixel
/// (feature D, value 7): a zero-variance feature the whitening must survive.
fn planted(n: usize, seed: u64) -> (Array2<f32>, Array2<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let q = random_orthogonal(D, &mut rng);
    let mut x = Array2::<f32>::zeros((n, D + 1));
    for mut row in x.rows_mut() {
        let z: Vec<f64> = (0..D)
            .map(|j| {
                let a = PLANTED.get(j).copied().unwrap_or(0.0) + NOISE;
                a.sqrt() * rng.sample::<f64, _>(StandardNormal)
            })
            .collect();
        for i in 0..D {
            let v: f64 = (0..D).map(|j| q[[i, j]] * z[j]).sum();
            row[i] = (v + 3.0 + i as f64) as f32;
        }
        row[D] = 7.0;
    }
    (x, q)
}

/// Empirical covariance of the rows (centered), computed naively.
fn naive_cov(z: &Array2<f32>) -> Array2<f64> {
    let (n, d) = z.dim();
    let mean: Vec<f64> = (0..d)
        .map(|j| z.column(j).iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64)
        .collect();
    let mut c = Array2::<f64>::zeros((d, d));
    for row in z.rows() {
        for i in 0..d {
            for j in 0..d {
                c[[i, j]] += (f64::from(row[i]) - mean[i]) * (f64::from(row[j]) - mean[j]);
            }
        }
    }
    c / n as f64
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn spec(project: usize, whiten: Whiten) -> PreprocessSpec {
    PreprocessSpec {
        project,
        whiten,
        ..PreprocessSpec::default()
    }
}

#[test]
fn scaling_gives_unit_mean_variance_and_the_spectrum_is_exact() {
    let (x, _) = planted(3000, 1);
    let p = prepare(x.view(), x.view(), &spec(0, Whiten::None)).unwrap();
    assert_eq!(p.d(), D + 1);
    assert!(matches!(p.transform.map, Map::Scale(_)));
    let cov = naive_cov(&p.train);
    let tr: f64 = cov.diag().sum();
    assert!(
        (tr / (D + 1) as f64 - 1.0).abs() < 1e-5,
        "mean variance {}",
        tr / (D + 1) as f64
    );
    // The reported spectrum is the eigenvalues of that covariance.
    let (eig, _) = eigh_descending(&cov).unwrap();
    for (a, b) in eig.iter().zip(&p.spectrum) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
    // Planted: 40:20:10:5 (+ noise) on top, the scale applies to all.
    let ratio = p.spectrum[0] / p.spectrum[1];
    assert!((ratio - 40.5 / 20.5).abs() < 0.15, "ratio {ratio}");
    assert_eq!(*p.spectrum.last().unwrap(), 0.0);
}

#[test]
fn whitening_gives_identity_covariance() {
    let (x, _) = planted(3000, 2);
    // PCA: the constant pixel is dropped, everything else has unit variance.
    let p = prepare(x.view(), x.view(), &spec(0, Whiten::Pca)).unwrap();
    assert_eq!((p.d(), p.dropped), (D, 1));
    let cov = naive_cov(&p.train);
    assert!(max_abs_diff(&cov, &Array2::eye(D)) < 1e-4, "{cov:?}");
    assert!(p.spectrum.iter().all(|&s| (s - 1.0).abs() < 1e-12));
    assert!(p.train.iter().all(|v| v.is_finite()));
    // ZCA: pixel space, the floored constant pixel comes out 0, the rest is white.
    let p = prepare(x.view(), x.view(), &spec(0, Whiten::Zca)).unwrap();
    assert_eq!(p.d(), D + 1);
    assert!(p.train.iter().all(|v| v.is_finite()));
    let cov = naive_cov(&p.train);
    let (eig, _) = eigh_descending(&cov).unwrap();
    // D unit eigenvalues up to the global rescale, one 0.
    let top = eig[0];
    assert!(
        eig[..D].iter().all(|&e| (e / top - 1.0).abs() < 1e-4),
        "{eig:?}"
    );
    assert!(eig[D].abs() < 1e-6);
    assert!((eig.iter().sum::<f64>() - (D + 1) as f64).abs() < 1e-4);
    for (a, b) in eig.iter().zip(&p.spectrum) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
}

#[test]
fn projection_keeps_the_top_components() {
    let (x, q) = planted(5000, 3);
    let p = prepare(x.view(), x.view(), &spec(4, Whiten::None)).unwrap();
    assert_eq!(p.d(), 4);
    let Map::Matrix { forward, .. } = &p.transform.map else {
        panic!("projection must be a matrix")
    };
    // The 4 kept axes span the planted signal directions: each planted direction (padded with
    // the constant pixel's 0) lies in the row space of T up to sampling error.
    let rows: Vec<Vec<f64>> = forward
        .rows()
        .into_iter()
        .map(|r| {
            let n = r.dot(&r).sqrt();
            r.iter().map(|v| v / n).collect()
        })
        .collect();
    for j in 0..4 {
        let u: Vec<f64> = (0..=D)
            .map(|i| if i < D { q[[i, j]] } else { 0.0 })
            .collect();
        let captured: f64 = rows
            .iter()
            .map(|r| r.iter().zip(&u).map(|(a, b)| a * b).sum::<f64>().powi(2))
            .sum();
        assert!(captured > 0.99, "planted direction {j}: {captured}");
    }
    // Its spectrum is the top 4 of the input spectrum, rescaled to mean 1.
    let top: f64 = p.input_spectrum[..4].iter().sum();
    for j in 0..4 {
        let want = p.input_spectrum[j] * 4.0 / top;
        assert!((p.spectrum[j] - want).abs() < 1e-12);
    }
    let cov = naive_cov(&p.train);
    let diag: Vec<f64> = cov.diag().to_vec();
    for j in 0..4 {
        assert!((diag[j] - p.spectrum[j]).abs() < 1e-4, "{diag:?}");
    }
    // Projection then whitening: white in 4 dimensions.
    let p = prepare(x.view(), x.view(), &spec(4, Whiten::Pca)).unwrap();
    assert!(max_abs_diff(&naive_cov(&p.train), &Array2::eye(4)) < 1e-4);
}

#[test]
fn inverse_round_trips() {
    let (x, _) = planted(500, 4);
    for (project, whiten) in [
        (0, Whiten::None),
        (0, Whiten::Zca),
        (0, Whiten::Pca),
        (D, Whiten::None),
    ] {
        let p = prepare(x.view(), x.view(), &spec(project, whiten)).unwrap();
        let back = p.transform.invert(p.train.view());
        let err = back
            .iter()
            .zip(x.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 1e-3, "project {project}, {whiten:?}: {err}");
    }
    // With a projection on 4 axes: exact for points in the kept subspace (μ + top axes).
    let p = prepare(x.view(), x.view(), &spec(4, Whiten::None)).unwrap();
    let z = Array2::from_shape_fn((3, 4), |(i, j)| (i as f32 - 1.0) * (j as f32 + 0.5));
    let again = p.transform.apply(p.transform.invert(z.view()).view());
    let err = again
        .iter()
        .zip(z.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(err < 1e-4, "{err}");
}

#[test]
fn validation_is_transformed_with_the_training_fit() {
    let (x, _) = planted(1000, 5);
    let (train, val) = split(x.view(), 0.2, 9).unwrap();
    assert_eq!((train.nrows(), val.nrows()), (800, 200));
    let (train2, val2) = split(x.view(), 0.2, 9).unwrap();
    assert_eq!((&train, &val), (&train2, &val2));
    let (train3, _) = split(x.view(), 0.2, 10).unwrap();
    assert_ne!(train, train3);
    let p = prepare(train.view(), val.view(), &spec(0, Whiten::Pca)).unwrap();
    // Held-out data is white only approximately: it was not used for the fit.
    let cov = naive_cov(&p.val);
    let off = max_abs_diff(&cov, &Array2::eye(D));
    assert!(off > 1e-3 && off < 0.5, "{off}");
    assert!(split(x.slice(s![..3, ..]), 0.5, 1).is_err());
    assert_eq!(split(x.view(), 0.0, 1).unwrap().1.nrows(), 0);
}

#[test]
fn degenerate_inputs() {
    let x = Array2::<f32>::from_elem((5, 3), 2.0);
    assert_eq!(
        prepare(x.view(), x.view(), &PreprocessSpec::default()).unwrap_err(),
        PreprocessError::ZeroVariance
    );
    let (x, _) = planted(50, 6);
    assert!(matches!(
        prepare(x.view(), x.view(), &spec(D + 5, Whiten::None)),
        Err(PreprocessError::ProjectTooLarge { .. })
    ));
    assert!(matches!(
        prepare(x.slice(s![..1, ..]), x.view(), &PreprocessSpec::default()),
        Err(PreprocessError::TooFewSamples { got: 1 })
    ));
    assert_eq!(effective_rank(&[1.0, 1.0, 0.0]), 2.0);
}

/// Features map back to pixels consistently with the forward map: an encoder row `b` reads
/// `b·T(x − μ) = (Tᵀb)·(x − μ)`, and a decoder column `a` adds `T⁺a` to the reconstruction
/// (`invert(z + a) − invert(z)`), for every kind of transform.
#[test]
fn features_pull_back_and_push_forward() {
    let (x, _) = planted(400, 11);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    for (project, whiten) in [
        (0, Whiten::None),
        (6, Whiten::None),
        (0, Whiten::Pca),
        (5, Whiten::Pca),
        (0, Whiten::Zca),
    ] {
        let p = prepare(x.view(), x.view(), &spec(project, whiten)).unwrap();
        let t = &p.transform;
        let b: Vec<f32> = (0..t.d_out())
            .map(|_| rng.sample::<f32, _>(StandardNormal))
            .collect();
        let tb = t.pull_back(&b);
        assert_eq!(tb.len(), t.d_in());
        for i in [0, 17, 399] {
            let lhs: f64 = b
                .iter()
                .zip(p.train.row(i))
                .map(|(&u, &v)| f64::from(u) * f64::from(v))
                .sum();
            let rhs: f64 = tb
                .iter()
                .zip(x.row(i))
                .zip(&t.mean)
                .map(|((&u, &v), m)| f64::from(u) * (f64::from(v) - m))
                .sum();
            assert!(
                (lhs - rhs).abs() < 1e-3 * (1.0 + lhs.abs()),
                "{whiten:?} {project}: {lhs} {rhs}"
            );
        }
        let a = Array2::from_shape_vec((1, b.len()), b.clone()).unwrap();
        let zero = Array2::<f32>::zeros((1, b.len()));
        let diff = &t.invert(a.view()) - &t.invert(zero.view());
        let pushed = t.push_forward(&b);
        for (u, v) in diff.iter().zip(&pushed) {
            assert!(
                (u - v).abs() < 1e-3 * (1.0 + v.abs()),
                "{whiten:?} {project}: {u} {v}"
            );
        }
    }
}

/// A file sorted by class (rows 0..1000 in ten blocks of 100, one label each): the fixed
/// subset must spread over the file, not be its first block, and repeat with its seed.
#[test]
fn subset_rows_spreads_over_an_ordered_file() {
    let x = Array2::from_shape_fn(
        (1000, 2),
        |(i, j)| if j == 0 { (i / 100) as f32 } else { i as f32 },
    );
    let s = subset_rows(&x, 200, 7);
    assert_eq!(s.dim(), (200, 2));
    let mut classes = [0usize; 10];
    for row in s.rows() {
        classes[row[0] as usize] += 1;
    }
    // Each class holds 20 of the 200 on average; a head would hold only classes 0 and 1.
    assert!(
        classes.iter().all(|&c| (8..=32).contains(&c)),
        "{classes:?}"
    );
    let ids: Vec<f32> = s.column(1).to_vec();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "rows in file order, no repeats"
    );
    assert_eq!(subset_rows(&x, 200, 7), s);
    assert_ne!(subset_rows(&x, 200, 8), s);
    // Asking for all rows or more gives the file as it is.
    assert_eq!(subset_rows(&x, 1000, 7), x);
    assert_eq!(subset_rows(&x, 5000, 7), x);
}
