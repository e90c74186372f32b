//! Closed-form Gaussian risk, gradients, decoders and diagnostics (THEORY §3–5) against Monte
//! Carlo, finite differences and the exact values of the paper's constructions.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic as the failure report

use aescope::data::random_orthogonal;
use aescope::model::Activation;
use aescope::theory::diagnostics::{alignment, normalized_gram, symmetric_eigenvalues};
use aescope::theory::gaussian::{
    Covariance, GaussianError, Parallelism, PopulationWorkspace, moments, optimal_decoder,
    ridge_least_squares_decoder, risk, risk_and_grad,
};
use ndarray::{Array1, Array2, ArrayView2, Axis, s};
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::f64::consts::PI;

const CLOSED_FORM: [Activation; 4] = [
    Activation::Sign,
    Activation::Relu,
    Activation::Erf,
    Activation::Linear,
];

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

fn gaussian(rng: &mut Xoshiro256PlusPlus, rows: usize, cols: usize, scale: f64) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || {
        scale * rng.sample::<f64, _>(StandardNormal)
    })
}

/// `rows` orthonormal rows in R^cols: the first rows of a Haar-random rotation.
fn orthonormal_rows(rng: &mut Xoshiro256PlusPlus, rows: usize, cols: usize) -> Array2<f64> {
    random_orthogonal(cols, rng)
        .slice(s![..rows, ..])
        .to_owned()
}

/// Σ = Q diag(λ) Qᵀ with a power-law spectrum λ_k ∝ (k+1)^−1.2, scaled to Tr Σ = d; also
/// returns the sampling factor `L = Q diag(√λ)` (x = L z).
fn power_law_covariance(rng: &mut Xoshiro256PlusPlus, d: usize) -> (Covariance, Array2<f64>) {
    let q = random_orthogonal(d, rng);
    let raw: Vec<f64> = (0..d).map(|k| ((k + 1) as f64).powf(-1.2)).collect();
    let total: f64 = raw.iter().sum();
    let lambda: Vec<f64> = raw.iter().map(|x| x * d as f64 / total).collect();
    let mut l = q.t().to_owned();
    for (mut col, lam) in l.columns_mut().into_iter().zip(&lambda) {
        col *= lam.sqrt();
    }
    let mut sigma = l.dot(&l.t());
    let sym = (&sigma + &sigma.t()) / 2.0;
    sigma.assign(&sym);
    (Covariance::Full(sigma), l)
}

fn normalize_rows(b: &mut Array2<f64>) {
    for mut row in b.rows_mut() {
        let norm = row.dot(&row).sqrt();
        row /= norm;
    }
}

/// Monte Carlo means and standard errors of every entry of C, K, and of the per-sample loss.
struct McEstimate {
    c: Array2<f64>,
    c_se: Array2<f64>,
    k: Array2<f64>,
    k_se: Array2<f64>,
    risk: f64,
    risk_se: f64,
}

fn monte_carlo(
    act: Activation,
    a: ArrayView2<f64>,
    b: ArrayView2<f64>,
    factor: ArrayView2<f64>,
    samples: usize,
    seed: u64,
) -> McEstimate {
    let (n, d) = b.dim();
    let mut rng = rng(seed);
    let (mut c1, mut c2) = (Array2::<f64>::zeros((n, d)), Array2::<f64>::zeros((n, d)));
    let (mut k1, mut k2) = (Array2::<f64>::zeros((n, n)), Array2::<f64>::zeros((n, n)));
    let (mut r1, mut r2) = (0.0, 0.0);
    let mut z = Array1::<f64>::zeros(factor.ncols());
    for _ in 0..samples {
        z.mapv_inplace(|_| rng.sample(StandardNormal));
        let x = factor.dot(&z);
        let h = b.dot(&x).mapv(|u| act.eval_f64(u));
        for i in 0..n {
            for j in 0..d {
                let y = h[i] * x[j];
                c1[[i, j]] += y;
                c2[[i, j]] += y * y;
            }
            for j in 0..n {
                let y = h[i] * h[j];
                k1[[i, j]] += y;
                k2[[i, j]] += y * y;
            }
        }
        let e = &x - &a.dot(&h);
        let loss = e.dot(&e) / d as f64;
        r1 += loss;
        r2 += loss * loss;
    }
    let m = samples as f64;
    let se = |s1: f64, s2: f64| ((s2 / m - (s1 / m).powi(2)).max(0.0) / m).sqrt();
    McEstimate {
        c_se: ndarray::Zip::from(&c1)
            .and(&c2)
            .map_collect(|&s1, &s2| se(s1, s2)),
        c: c1 / m,
        k_se: ndarray::Zip::from(&k1)
            .and(&k2)
            .map_collect(|&s1, &s2| se(s1, s2)),
        k: k1 / m,
        risk: r1 / m,
        risk_se: se(r1, r2),
    }
}

/// Largest |exact − mc| / se over the entries (an exact zero-variance entry must match to 1e-9).
fn max_z(exact: &Array2<f64>, mc: &Array2<f64>, se: &Array2<f64>) -> f64 {
    let mut worst = 0.0f64;
    for ((e, m), s) in exact.iter().zip(mc).zip(se) {
        let dev = (e - m).abs();
        let z = if *s > 0.0 {
            dev / s
        } else if dev < 1e-9 {
            0.0
        } else {
            f64::INFINITY
        };
        worst = worst.max(z);
    }
    worst
}

#[test]
fn moments_and_risk_match_monte_carlo() {
    let (n, d) = (10, 20);
    let samples = 200_000;
    let mut r = rng(1);
    let (full, factor) = power_law_covariance(&mut r, d);
    let covariances = [(Covariance::Identity(d), Array2::eye(d)), (full, factor)];
    for (ci, (cov, factor)) in covariances.iter().enumerate() {
        for (ai, &act) in CLOSED_FORM.iter().enumerate() {
            // Rows of norm ~1 in the data metric, so that erf is in its nonlinear range.
            let b = gaussian(&mut r, n, d, 1.0 / (d as f64).sqrt());
            let a = gaussian(&mut r, d, n, 0.3);
            let m = moments(act, b.view(), cov).unwrap();
            let exact_risk = risk(a.view(), &m, cov).unwrap();
            let mc = monte_carlo(
                act,
                a.view(),
                b.view(),
                factor.view(),
                samples,
                100 + 10 * ci as u64 + ai as u64,
            );
            let zc = max_z(&m.c, &mc.c, &mc.c_se);
            let zk = max_z(&m.k, &mc.k, &mc.k_se);
            let zr = (exact_risk - mc.risk).abs() / mc.risk_se;
            println!(
                "{act} cov#{ci}: max z C {zc:.2}, K {zk:.2}, risk {zr:.2} (R = {exact_risk:.5})"
            );
            // 200 entries of C and 100 of K per case: 4.5 standard errors keeps the family-wise
            // false-alarm rate of the 300 correlated comparisons below 1 %; the risk gets 4.
            assert!(zc < 4.5, "{act} cov#{ci}: C off by {zc} standard errors");
            assert!(zk < 4.5, "{act} cov#{ci}: K off by {zk} standard errors");
            assert!(zr < 4.0, "{act} cov#{ci}: risk off by {zr} standard errors");
        }
    }
}

fn risk_of(act: Activation, a: &Array2<f64>, b: &Array2<f64>, cov: &Covariance) -> f64 {
    risk_and_grad(act, a.view(), b.view(), cov).unwrap().0
}

/// max |finite difference − analytic| / max |analytic| over all entries of A and B.
fn gradient_error(
    act: Activation,
    a: &Array2<f64>,
    b: &Array2<f64>,
    cov: &Covariance,
) -> (f64, f64) {
    let (_, ga, gb) = risk_and_grad(act, a.view(), b.view(), cov).unwrap();
    let h = 1e-5;
    let mut worst = [0.0f64; 2];
    for (which, (param, grad)) in [(a, &ga), (b, &gb)].into_iter().enumerate() {
        let scale = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        for idx in ndarray::indices(param.dim()) {
            let (mut plus, mut minus) = (a.clone(), a.clone());
            let (mut plus_b, mut minus_b) = (b.clone(), b.clone());
            let fd = if which == 0 {
                plus[idx] += h;
                minus[idx] -= h;
                (risk_of(act, &plus, b, cov) - risk_of(act, &minus, b, cov)) / (2.0 * h)
            } else {
                plus_b[idx] += h;
                minus_b[idx] -= h;
                (risk_of(act, a, &plus_b, cov) - risk_of(act, a, &minus_b, cov)) / (2.0 * h)
            };
            worst[which] = worst[which].max((fd - grad[idx]).abs() / scale);
        }
    }
    (worst[0], worst[1])
}

#[test]
fn gradients_match_finite_differences() {
    let (n, d) = (6, 9);
    let mut r = rng(2);
    let (full, _) = power_law_covariance(&mut r, d);
    let diag = Covariance::Diagonal((0..d).map(|k| 2.0 / (1.0 + k as f64)).collect());
    for (name, cov) in [
        ("identity", Covariance::Identity(d)),
        ("diagonal", diag),
        ("full", full),
    ] {
        for act in CLOSED_FORM {
            let b = gaussian(&mut r, n, d, 0.5);
            let a = gaussian(&mut r, d, n, 0.5);
            let (ea, eb) = gradient_error(act, &a, &b, &cov);
            println!("{act} Σ {name}: rel err A {ea:.2e}, B {eb:.2e}");
            assert!(ea < 1e-7, "{act}: gradient in A off by {ea:e}");
            assert!(eb < 1e-6, "{act}: gradient in B off by {eb:e}");
        }
    }
}

#[test]
fn sign_gradient_is_orthogonal_to_rows() {
    let (n, d) = (12, 30);
    let mut r = rng(3);
    let (cov, _) = power_law_covariance(&mut r, d);
    let b = gaussian(&mut r, n, d, 2.0);
    let a = gaussian(&mut r, d, n, 0.3);
    let (_, _, gb) = risk_and_grad(Activation::Sign, a.view(), b.view(), &cov).unwrap();
    for (g, row) in gb.rows().into_iter().zip(b.rows()) {
        let cos = g.dot(&row) / (g.dot(&g).sqrt() * row.dot(&row).sqrt());
        assert!(cos.abs() < 1e-10, "cosine {cos}");
    }
}

#[test]
fn zero_rows_give_finite_values() {
    let (n, d) = (5, 8);
    let mut r = rng(4);
    let mut b = gaussian(&mut r, n, d, 0.4);
    b.row_mut(1).fill(0.0);
    b.row_mut(3).fill(0.0);
    let a = gaussian(&mut r, d, n, 0.4);
    for act in CLOSED_FORM {
        let m = moments(act, b.view(), &Covariance::Identity(d)).unwrap();
        assert!(m.c.iter().chain(m.k.iter()).all(|x| x.is_finite()), "{act}");
        let (rk, ga, gb) =
            risk_and_grad(act, a.view(), b.view(), &Covariance::Identity(d)).unwrap();
        assert!(
            rk.is_finite() && ga.iter().chain(gb.iter()).all(|x| x.is_finite()),
            "{act}"
        );
    }
    // sign(0) = +1: two constant units are perfectly correlated, and uncorrelated with the rest.
    let m = moments(Activation::Sign, b.view(), &Covariance::Identity(d)).unwrap();
    assert_eq!(m.k[[1, 3]], 1.0);
    assert_eq!(m.k[[1, 0]], 0.0);
    assert_eq!(m.c.row(1).iter().map(|x| x.abs()).sum::<f64>(), 0.0);
}

#[test]
fn inputs_are_validated() {
    let b = Array2::<f64>::zeros((3, 4));
    let a = Array2::<f64>::zeros((4, 3));
    let cov = Covariance::Identity(4);
    assert!(matches!(
        risk_and_grad(Activation::Tanh, a.view(), b.view(), &cov),
        Err(GaussianError::UnsupportedActivation(Activation::Tanh))
    ));
    assert!(matches!(
        risk_and_grad(Activation::Sign, a.t(), b.view(), &cov),
        Err(GaussianError::Shape { .. })
    ));
    let mut bad = b.clone();
    bad[[0, 0]] = f64::NAN;
    assert!(matches!(
        moments(Activation::Relu, bad.view(), &cov),
        Err(GaussianError::NonFinite { .. })
    ));
    let asym = Covariance::Full(ndarray::array![[1.0, 0.5], [0.0, 1.0]]);
    assert!(matches!(
        asym.validate(),
        Err(GaussianError::InvalidCovariance(_))
    ));
    assert!(matches!(
        Covariance::Diagonal(vec![1.0, -1.0]).validate(),
        Err(GaussianError::InvalidCovariance(_))
    ));
}

#[test]
fn covariance_structured_variants_agree_with_dense() {
    let d = 7;
    let mut r = rng(5);
    let b = gaussian(&mut r, 4, d, 1.0);
    let v: Vec<f64> = (0..d).map(|k| 0.5 + k as f64).collect();
    let diag = Covariance::Diagonal(v.clone());
    let dense = Covariance::Full(diag.to_dense());
    assert!((diag.trace() - v.iter().sum::<f64>()).abs() < 1e-12);
    assert_eq!(Covariance::Identity(d).trace(), d as f64);
    let x = diag.apply_rows(b.view()).unwrap();
    let y = dense.apply_rows(b.view()).unwrap();
    assert!((&x - &y).iter().all(|e| e.abs() < 1e-12));
    let a = gaussian(&mut r, d, 4, 1.0);
    for act in CLOSED_FORM {
        let (r1, ga1, gb1) = risk_and_grad(act, a.view(), b.view(), &diag).unwrap();
        let (r2, ga2, gb2) = risk_and_grad(act, a.view(), b.view(), &dense).unwrap();
        assert!((r1 - r2).abs() < 1e-12);
        assert!(
            (&ga1 - &ga2)
                .iter()
                .chain((&gb1 - &gb2).iter())
                .all(|e| e.abs() < 1e-12)
        );
    }
}

#[test]
fn workspace_matches_free_function_and_is_reusable() {
    let mut r = rng(6);
    let mut ws = PopulationWorkspace::with_parallelism(1, 1, Parallelism::Sequential);
    // n·n large enough that Auto really splits the kernel pass across threads.
    for (n, d) in [(300, 280), (7, 11)] {
        let cov = Covariance::Identity(d);
        let b = gaussian(&mut r, n, d, 0.1);
        let a = gaussian(&mut r, d, n, 0.1);
        for act in CLOSED_FORM {
            let (r0, ga0, gb0) = risk_and_grad(act, a.view(), b.view(), &cov).unwrap();
            let mut ga = Array2::zeros((d, n));
            let mut gb = Array2::zeros((n, d));
            let r1 = ws
                .risk_and_grad_into(act, a.view(), b.view(), &cov, ga.view_mut(), gb.view_mut())
                .unwrap();
            assert!((r0 - r1).abs() < 1e-12);
            let scale = gb0.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert!(
                (&ga - &ga0)
                    .iter()
                    .chain((&gb - &gb0).iter())
                    .all(|e| e.abs() < 1e-10 * (1.0 + scale))
            );
            let m = moments(act, b.view(), &cov).unwrap();
            assert!((&m.k - &ws.kernel()).iter().all(|e| e.abs() < 1e-12));
            assert!((risk(a.view(), &m, &cov).unwrap() - r0).abs() < 1e-12);
        }
    }
}

fn sign_limit(r: f64) -> f64 {
    1.0 - 2.0 * r / PI
}

#[test]
fn sign_orthonormal_rows_attain_the_limit_exactly() {
    let (n, d) = (100, 200);
    let mut r = rng(7);
    let b = orthonormal_rows(&mut r, n, d);
    let a = b.t().to_owned() * (2.0 / PI).sqrt();
    let cov = Covariance::Identity(d);
    let expected = sign_limit(0.5);
    let (rk, ga, _) = risk_and_grad(Activation::Sign, a.view(), b.view(), &cov).unwrap();
    assert!((rk - expected).abs() < 1e-9, "{rk} vs {expected}");
    assert!(ga.iter().all(|g| g.abs() < 1e-9));
    let m = moments(Activation::Sign, b.view(), &cov).unwrap();
    assert!((risk(a.view(), &m, &cov).unwrap() - expected).abs() < 1e-9);
    let (a_star, r_star) = optimal_decoder(&m, &cov).unwrap();
    assert!((r_star - expected).abs() < 1e-9, "{r_star}");
    assert!((&a_star - &a).iter().all(|e| e.abs() < 1e-9));
}

#[test]
fn optimal_decoder_is_stationary_and_optimal() {
    let (n, d) = (15, 25);
    let mut r = rng(8);
    let (full, _) = power_law_covariance(&mut r, d);
    for cov in [Covariance::Identity(d), full] {
        for act in CLOSED_FORM {
            let b = gaussian(&mut r, n, d, 0.3);
            let m = moments(act, b.view(), &cov).unwrap();
            let (a_star, r_star) = optimal_decoder(&m, &cov).unwrap();
            let (rk, ga, _) = risk_and_grad(act, a_star.view(), b.view(), &cov).unwrap();
            assert!((rk - r_star).abs() < 1e-10, "{act}: {rk} vs {r_star}");
            let g = ga.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert!(g < 1e-10, "{act}: ∂R/∂A = {g} at A*");
            let a = gaussian(&mut r, d, n, 0.3);
            assert!(r_star <= risk(a.view(), &m, &cov).unwrap());
        }
    }
}

#[test]
fn optimal_decoder_survives_duplicated_rows() {
    let (n, d) = (8, 12);
    let mut r = rng(9);
    let mut b = gaussian(&mut r, n, d, 1.0);
    let row = b.row(0).to_owned();
    b.row_mut(5).assign(&row);
    let cov = Covariance::Identity(d);
    for act in CLOSED_FORM {
        let m = moments(act, b.view(), &cov).unwrap();
        let (a_star, r_star) = optimal_decoder(&m, &cov).unwrap();
        assert!(a_star.iter().all(|x| x.is_finite()) && r_star.is_finite());
        // The duplicate carries no new information: same risk as the encoder without it.
        let mut reduced = b.clone();
        reduced.row_mut(5).fill(0.0);
        let keep: Vec<usize> = (0..n).filter(|&i| i != 5).collect();
        let b7 = b.select(Axis(0), &keep);
        let (_, r7) = optimal_decoder(&moments(act, b7.view(), &cov).unwrap(), &cov).unwrap();
        assert!((r_star - r7).abs() < 1e-6, "{act}: {r_star} vs {r7}");
    }
}

#[test]
fn ridge_least_squares_recovers_a_linear_decoder() {
    let (samples, n, d) = (500, 6, 10);
    let mut r = rng(10);
    let h = gaussian(&mut r, samples, n, 1.0);
    let a_true = gaussian(&mut r, d, n, 1.0);
    let noise = gaussian(&mut r, samples, d, 0.1);
    let x = h.dot(&a_true.t()) + &noise;
    let (a, mse) = ridge_least_squares_decoder(h.view(), x.view(), 0.0).unwrap();
    assert_eq!(a.dim(), (d, n));
    assert!((&a - &a_true).iter().all(|e| e.abs() < 0.05));
    // Residual variance of least squares: σ²(1 − n/N).
    assert!(
        (mse - 0.01 * (1.0 - n as f64 / samples as f64)).abs() < 0.002,
        "{mse}"
    );
    // Duplicated code column: singular Gram, rescued by the ridge ladder.
    let mut h2 = h.clone();
    let col = h.column(0).to_owned();
    h2.column_mut(1).assign(&col);
    let (a2, mse2) = ridge_least_squares_decoder(h2.view(), x.view(), 0.0).unwrap();
    assert!(a2.iter().all(|v| v.is_finite()) && mse2.is_finite());
    assert!(ridge_least_squares_decoder(h.view(), x.slice(s![..10, ..]), 0.0).is_err());
}

/// Plain population GD on (A, B) for sign, rows of B projected back to the unit sphere.
#[test]
fn population_gradient_descent_reaches_the_sign_limit() {
    let (n, d) = (30, 60);
    let ratio = n as f64 / d as f64;
    let mut r = rng(11);
    let mut b = gaussian(&mut r, n, d, 1.0);
    normalize_rows(&mut b);
    let mut a = gaussian(&mut r, d, n, 1.0 / (d as f64).sqrt());
    let cov = Covariance::Identity(d);
    // Stability limit of THEORY §7 in units of R; run at half of it.
    let eta_max = d as f64 * PI / (2.0 * ((1.0 + ratio.sqrt()).powi(2) + PI / 2.0 - 1.0));
    let eta = 0.5 * eta_max;
    let mut ws = PopulationWorkspace::new(n, d);
    let mut ga = Array2::zeros((d, n));
    let mut gb = Array2::zeros((n, d));
    let mut last = f64::NAN;
    let steps = 300;
    for step in 0..steps {
        last = ws
            .risk_and_grad_into(
                Activation::Sign,
                a.view(),
                b.view(),
                &cov,
                ga.view_mut(),
                gb.view_mut(),
            )
            .unwrap();
        if step % 50 == 0 || (step < 50 && step % 10 == 0) {
            println!("step {step}: R = {last:.6}");
        }
        a.scaled_add(-eta, &ga);
        b.scaled_add(-eta, &gb);
        normalize_rows(&mut b);
    }
    let limit = sign_limit(ratio);
    let g = normalized_gram(b.view());
    let eig = symmetric_eigenvalues(g.view()).unwrap();
    let (beta, rel) = alignment(a.view(), b.view()).unwrap();
    println!(
        "GD: R = {last:.10} after {steps} steps (limit {limit:.10}, gap {:.1e}); Gram eigenvalues in [{:.3}, {:.3}]; β = {beta:.4} (√(2/π) = {:.4}), rel = {rel:.2e}",
        last - limit,
        eig[n - 1],
        eig[0],
        (2.0 / PI).sqrt()
    );
    assert!(last < limit * 1.01, "GD stalled at {last} (limit {limit})");
    // r ≤ 1: the orthonormal construction attains the limit exactly at every d, so there is no
    // finite-d allowance to grant, and GD cannot beat it either.
    assert!(last > limit - 1e-6, "GD went below the limit: {last}");
    // The minimizer of THEORY §4: G → I and A → √(2/π) Bᵀ.
    assert!(eig[0] < 1.01 && eig[n - 1] > 0.99, "{eig:?}");
    assert!(
        (beta - (2.0 / PI).sqrt()).abs() < 1e-3 && rel < 1e-2,
        "{beta} {rel}"
    );
}

#[test]
fn alignment_of_a_multiple_of_the_transpose() {
    let mut r = rng(12);
    let b = gaussian(&mut r, 5, 9, 1.0);
    let a = b.t().to_owned() * 3.0;
    let (beta, rel) = alignment(a.view(), b.view()).unwrap();
    assert!((beta - 3.0).abs() < 1e-12 && rel < 1e-7, "{beta} {rel}");
    let other = gaussian(&mut r, 9, 5, 1.0);
    let (_, rel) = alignment(other.view(), b.view()).unwrap();
    assert!(rel > 0.5);
    assert!(alignment(b.view(), b.view()).is_err());
}

#[test]
fn gram_and_eigenvalues() {
    let g = ndarray::array![[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 5.0]];
    let eig = symmetric_eigenvalues(g.view()).unwrap();
    for (x, y) in eig.iter().zip([5.0, 3.0, 1.0]) {
        assert!((x - y).abs() < 1e-12, "{eig:?}");
    }
    let mut r = rng(13);
    let q = orthonormal_rows(&mut r, 4, 10);
    let scaled = &q * &ndarray::array![[2.0], [0.5], [3.0], [1.0]];
    let mut with_zero = Array2::zeros((5, 10));
    with_zero.slice_mut(s![..4, ..]).assign(&scaled);
    let gram = normalized_gram(with_zero.view());
    let mut expected = Array2::<f64>::eye(5);
    expected[[4, 4]] = 0.0;
    assert!(
        (&gram - &expected).iter().all(|e| e.abs() < 1e-12),
        "{gram}"
    );
    // Marchenko–Pastur support edges for a random Gram at ratio 1/2.
    let b = gaussian(&mut r, 200, 400, 1.0);
    let eig = symmetric_eigenvalues(normalized_gram(b.view()).view()).unwrap();
    let y: f64 = 0.5;
    assert!(eig[0] < (1.0 + y.sqrt()).powi(2) + 0.15 && eig[199] > (1.0 - y.sqrt()).powi(2) - 0.05);
    assert!((eig.iter().sum::<f64>() - 200.0).abs() < 1e-9);
}
