//! Checks of the closed forms and limits of THEORY.md §2, §4 and §5: exact values, quadrature
//! against closed forms, and seeded Monte Carlo within 4 standard errors.

use aescope::model::Activation;
use aescope::theory::bounds::{
    C_RELU, C_SIGN, TheoryError, finite_d, gaussian_equivalent, limit, limit_for_spectrum,
    pca_bound, pca_bound_spectrum, r_sign, relu_pairing, relu_simplex_finite_d, shannon,
    sign_tight_frame_finite_d, sparse_sign_finite_d, water_filling,
};
use aescope::theory::hermite::{activation_constants, constants_of, gauss_hermite};
use aescope::theory::spectrum::{
    histogram, marchenko_pastur_atom, marchenko_pastur_bin_masses, marchenko_pastur_density,
    marchenko_pastur_support, spectrum_distance, target_spectrum,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use std::f64::consts::{FRAC_2_PI, FRAC_PI_2, PI};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn r_sign_reference_values() {
    assert!(close(r_sign(0.5), 0.681_690, 1e-6), "{}", r_sign(0.5));
    assert!(close(r_sign(1.0), 0.363_380, 1e-6), "{}", r_sign(1.0));
    assert!(close(r_sign(2.0), 0.222_031, 1e-6), "{}", r_sign(2.0));
}

#[test]
fn r_sign_branches_meet_at_one() {
    let left = 1.0 - 2.0 / PI;
    let right = C_SIGN / (1.0 + C_SIGN);
    assert!(close(left, right, 1e-15));
    assert!(close(r_sign(1.0 - 1e-9), r_sign(1.0 + 1e-9), 1e-8));
    assert!(close(r_sign(1.0), left, 1e-15));
    // Gaussian-equivalent curves are continuous at 1 for every c.
    for c in [0.0, 0.1, C_RELU, C_SIGN, 3.0] {
        let a = gaussian_equivalent(c, 1.0 - 1e-12);
        let b = gaussian_equivalent(c, 1.0 + 1e-12);
        assert!(close(a, b, 1e-10), "c={c}");
    }
    assert!(close(C_SIGN, FRAC_PI_2 - 1.0, 0.0));
}

#[test]
fn water_filling_isotropic_reproduces_r_sign() {
    let d = 1000;
    let identity = vec![1.0; d];
    for n in [
        1.0, 100.0, 500.0, 999.0, 1000.0, 1001.0, 1500.0, 2000.0, 4000.0,
    ] {
        let r = n / d as f64;
        let wf = water_filling(&identity, n, C_SIGN).unwrap();
        assert!(close(wf, r_sign(r), 1e-9), "n={n}: {wf} vs {}", r_sign(r));
    }
    let half = water_filling(&identity, 500.0, C_SIGN).unwrap();
    assert!(close(half, 0.681_690, 1e-6));
    let two = water_filling(&identity, 2000.0, C_SIGN).unwrap();
    assert!(close(two, 0.222_031, 1e-6));
    // The trap: spreading n < d code units over all d directions would give c/(r + c).
    let trap = C_SIGN / (0.5 + C_SIGN);
    assert!(
        (half - trap).abs() > 0.1,
        "{half} is the rank-unlimited value {trap}"
    );
    // Fractional n (r·d not an integer) still lands on the curve.
    let n = 123.4;
    let wf = water_filling(&identity, n, C_SIGN).unwrap();
    assert!(close(wf, r_sign(n / 1000.0), 1e-12));
    // Scale of Σ does not matter after normalization.
    let scaled = vec![7.5; d];
    let wf = water_filling(&scaled, 500.0, C_SIGN).unwrap();
    assert!(close(wf, r_sign(0.5), 1e-9));
    // Other c: the Gaussian-equivalent formula.
    for (c, n) in [(C_RELU, 300.0), (C_RELU, 3000.0), (2.0, 700.0)] {
        let wf = water_filling(&identity, n, c).unwrap();
        assert!(close(wf, gaussian_equivalent(c, n / 1000.0), 1e-9));
    }
}

#[test]
fn water_filling_beats_isotropic_on_anisotropic_data() {
    // Concentrated variance is easier to compress; the PCA bound stays below it only
    // for the linear activation (c = 0).
    let spectrum: Vec<f64> = (1..=100).map(|j| 1.0 / f64::from(j)).collect();
    let wf = water_filling(&spectrum, 50.0, C_SIGN).unwrap();
    assert!(wf < r_sign(0.5));
    assert!(wf > pca_bound_spectrum(&spectrum, 50));
    let lim = limit_for_spectrum(Activation::Sign, &spectrum, 50.0).unwrap();
    assert_eq!(lim.value, wf);
    let lin = limit_for_spectrum(Activation::Linear, &spectrum, 50.0).unwrap();
    assert!(close(lin.value, pca_bound_spectrum(&spectrum, 50), 1e-15));
    assert_eq!(lin.label, "PCA bound");
    assert_eq!(
        limit_for_spectrum(Activation::Sign, &[], 1.0),
        Err(TheoryError::EmptySpectrum)
    );
}

#[test]
fn c_table_closed_forms() {
    for s in [0.3, 1.0, 2.5] {
        let sign = activation_constants(Activation::Sign, s);
        assert_eq!(sign.mu0, 0.0);
        assert!(close(sign.mu1, FRAC_2_PI.sqrt(), 1e-15));
        assert_eq!(sign.v, 1.0);
        assert!(close(sign.c, FRAC_PI_2 - 1.0, 1e-15));

        let relu = activation_constants(Activation::Relu, s);
        assert!(close(relu.mu0, s / (2.0 * PI).sqrt(), 1e-15));
        assert!(close(relu.mu1, s / 2.0, 1e-15));
        assert!(close(relu.v, s * s / 2.0, 1e-15));
        assert!(close(relu.c, 1.0 - 2.0 / PI, 1e-15));

        let lin = activation_constants(Activation::Linear, s);
        assert_eq!((lin.mu0, lin.mu1), (0.0, s));
        assert!(close(lin.v, s * s, 1e-15));
        assert!(close(lin.c, 0.0, 1e-15));
    }
    assert!(close(C_RELU, 1.0 - 2.0 / PI, 0.0));
}

#[test]
fn c_table_by_quadrature_of_raw_functions() {
    // The kink (relu) and jump (sign) make Gauss–Hermite converge only algebraically.
    let sign = constants_of(|z| if z >= 0.0 { 1.0 } else { -1.0 }, 400).unwrap();
    assert!(close(sign.mu1, FRAC_2_PI.sqrt(), 2e-3), "{sign:?}");
    assert!(close(sign.c, FRAC_PI_2 - 1.0, 5e-3), "{sign:?}");
    let relu = constants_of(|z: f64| z.max(0.0), 400).unwrap();
    assert!(close(relu.mu0, 1.0 / (2.0 * PI).sqrt(), 2e-3), "{relu:?}");
    assert!(close(relu.mu1, 0.5, 1e-10), "{relu:?}");
    assert!(close(relu.c, 1.0 - 2.0 / PI, 5e-3), "{relu:?}");
    let lin = constants_of(|z| z, 64).unwrap();
    assert!(close(lin.c, 0.0, 1e-14) && close(lin.mu1, 1.0, 1e-14));
}

#[test]
fn erf_closed_form_matches_quadrature() {
    for s in [0.1, 0.5, 1.0, 2.0] {
        let closed = activation_constants(Activation::Erf, s);
        let quad = constants_of(|z| libm::erf(s * z), 200).unwrap();
        assert!(close(closed.mu0, quad.mu0, 1e-10), "s={s}");
        assert!(close(closed.mu1, quad.mu1, 1e-10), "s={s}");
        assert!(close(closed.v, quad.v, 1e-10), "s={s}");
        assert!(close(closed.c, quad.c, 1e-10), "s={s}");
    }
}

#[test]
fn erf_theory_formula_for_c() {
    for a in [0.05f64, 0.3, 1.0, 1.7, 5.0] {
        let t = 2.0 * a * a / (1.0 + 2.0 * a * a);
        let theory = t.asin() / t - 1.0;
        let c = activation_constants(Activation::Erf, a).c;
        assert!(close(c, theory, 1e-12), "a={a}: {c} vs {theory}");
    }
}

#[test]
fn tanh_and_erf_against_monte_carlo() {
    let mut rng = StdRng::seed_from_u64(20230417);
    let samples = 200_000;
    let z: Vec<f64> = (0..samples).map(|_| rng.sample(StandardNormal)).collect();
    for (act, s) in [
        (Activation::Tanh, 1.0),
        (Activation::Tanh, 2.5),
        (Activation::Erf, 0.7),
    ] {
        let k = activation_constants(act, s);
        let f: Vec<f64> = z.iter().map(|&z| act.eval_f64(s * z)).collect();
        let check = |name: &str, values: &[f64], expect: f64| {
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let se = (var / n).sqrt();
            assert!(
                (mean - expect).abs() < 4.0 * se,
                "{act} s={s} {name}: MC {mean} ± {se}, theory {expect}"
            );
        };
        let zf: Vec<f64> = z.iter().zip(&f).map(|(z, f)| z * f).collect();
        let ff: Vec<f64> = f.iter().map(|f| f * f).collect();
        check("mu0", &f, k.mu0);
        check("mu1", &zf, k.mu1);
        check("v", &ff, k.v);
    }
}

#[test]
fn gauss_hermite_moments_large_m() {
    let (x, w) = gauss_hermite(200).unwrap();
    let m = |p: i32| x.iter().zip(&w).map(|(x, w)| w * x.powi(p)).sum::<f64>();
    assert!(close(m(0), 1.0, 1e-12));
    assert!(close(m(2), 1.0, 1e-12));
    assert!(close(m(4), 3.0, 1e-12));
    assert!(close(m(6), 15.0, 1e-12));
}

#[test]
fn reference_lines() {
    assert_eq!(shannon(1.0), 0.25);
    assert!(close(shannon(0.5), 0.5, 1e-15));
    assert!(close(relu_simplex_finite_d(100, 200), 0.63596, 5e-5));
    // THEORY: 0.6333 is the d → ∞ value at r = 0.5.
    assert!(close(relu_pairing(0.5), 0.6333, 1e-4));
    // The pairing formula at r = 1.5 is 0.5 c/(1 + c) = 0.13327; THEORY's GD run at d = 200
    // reached 0.1356, slightly above (finite d), never below.
    let p = relu_pairing(1.5);
    assert!(close(p, 0.5 * C_RELU / (1.0 + C_RELU), 1e-15));
    assert!(close(p, 0.13327, 1e-5), "{p}");
    assert!(p < 0.1356);
    assert_eq!(relu_pairing(2.0), 0.0);
    assert_eq!(relu_pairing(3.0), 0.0);
    assert!(close(
        relu_pairing(1.0 - 1e-12),
        relu_pairing(1.0 + 1e-12),
        1e-10
    ));
    assert_eq!(pca_bound(0.25), 0.75);
    assert_eq!(pca_bound(2.0), 0.0);
    // Shannon is below every shallow limit.
    for r in [0.1, 0.5, 1.0, 2.0, 4.0] {
        assert!(shannon(r) < r_sign(r));
    }
}

#[test]
fn limit_per_activation() {
    let s = limit(Activation::Sign, 0.5);
    assert_eq!((s.value, s.label), (r_sign(0.5), "sign limit"));
    assert_eq!(limit(Activation::Relu, 0.5).label, "relu limit");
    let p = limit(Activation::Relu, 1.5);
    assert_eq!(
        (p.value, p.label),
        (relu_pairing(1.5), "relu pairing construction")
    );
    assert_eq!(limit(Activation::Linear, 0.3).label, "PCA bound");
    for act in [Activation::Erf, Activation::Tanh] {
        let l = limit(act, 2.0);
        assert_eq!(l.label, "Gaussian-equivalent (‖b‖=1)");
        let c = activation_constants(act, 1.0).c;
        assert_eq!(l.value, gaussian_equivalent(c, 2.0));
    }
    for act in Activation::ALL {
        for r in [0.0, 0.5, 1.0, 3.0] {
            let v = limit(act, r).value;
            assert!((0.0..=1.0).contains(&v), "{act} r={r}: {v}");
        }
    }
}

#[test]
fn marchenko_pastur_density_integrates_to_min_one_inverse_y() {
    for y in [0.2, 0.5, 1.0, 2.0, 4.0] {
        let (lo, hi) = marchenko_pastur_support(y);
        // Midpoint rule in θ, λ = (lo+hi)/2 − (hi−lo)/2 cos θ, removes the edge singularities.
        let steps = 20_000;
        let h = PI / f64::from(steps);
        let total: f64 = (0..steps)
            .map(|i| {
                let t = (f64::from(i) + 0.5) * h;
                let lambda = 0.5 * (lo + hi) - 0.5 * (hi - lo) * t.cos();
                marchenko_pastur_density(lambda, y) * 0.5 * (hi - lo) * t.sin() * h
            })
            .sum();
        let expect = 1.0f64.min(1.0 / y);
        assert!(close(total, expect, 1e-6), "y={y}: {total}");
        assert!(close(total + marchenko_pastur_atom(y), 1.0, 1e-6));
        // Bin masses agree with the density.
        let bins = marchenko_pastur_bin_masses(y, 0.0, hi, 30);
        let width = hi / 30.0;
        let mid = 0.5 * (lo + hi);
        let k = ((mid / width) as usize).min(29);
        let a = k as f64 * width;
        let fine = 2000;
        let by_midpoint: f64 = (0..fine)
            .map(|i| {
                let l = a + (f64::from(i) + 0.5) * width / f64::from(fine);
                marchenko_pastur_density(l, y) * width / f64::from(fine)
            })
            .sum();
        let atom_here = if k == 0 {
            marchenko_pastur_atom(y)
        } else {
            0.0
        };
        assert!(close(bins[k] - atom_here, by_midpoint, 1e-7), "y={y}");
    }
    assert_eq!(marchenko_pastur_atom(0.5), 0.0);
    assert!(close(marchenko_pastur_atom(2.0), 0.5, 1e-15));
}

/// Eigenvalues of the Gram matrix of `n` random Gaussian rows in R^d, rows normalized.
fn random_gram_eigenvalues(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut b: Vec<Vec<f64>> = (0..n)
        .map(|_| (0..d).map(|_| rng.sample(StandardNormal)).collect())
        .collect();
    for row in &mut b {
        let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
        for x in row.iter_mut() {
            *x /= norm;
        }
    }
    let g = faer::Mat::<f64>::from_fn(n, n, |i, j| {
        b[i].iter().zip(&b[j]).map(|(x, y)| x * y).sum::<f64>()
    });
    g.self_adjoint_eigenvalues(faer::Side::Lower)
        .unwrap_or_else(|e| panic!("eigenvalues of a {n}×{n} Gram matrix: {e:?}"))
}

#[test]
fn random_gram_spectrum_follows_marchenko_pastur() {
    for (n, d, seed) in [(200, 400, 7), (400, 200, 11)] {
        let y = n as f64 / d as f64;
        let eigs = random_gram_eigenvalues(n, d, seed);
        assert_eq!(eigs.len(), n);
        let (lo, hi) = marchenko_pastur_support(y);
        let atom = marchenko_pastur_atom(y);
        let zeros = eigs.iter().filter(|&&e| e.abs() < 1e-8).count();
        assert_eq!(zeros, (atom * n as f64).round() as usize, "y={y}");
        for &e in eigs.iter().filter(|e| e.abs() >= 1e-8) {
            assert!(e > lo - 0.1 && e < hi + 0.1, "y={y}: eigenvalue {e}");
        }
        let bins = 20;
        let h = histogram(&eigs, 0.0, hi + 0.1, bins);
        let mp = marchenko_pastur_bin_masses(y, 0.0, hi + 0.1, bins);
        let tv: f64 = 0.5 * h.iter().zip(&mp).map(|(a, b)| (a - b).abs()).sum::<f64>();
        assert!(tv < 0.15, "y={y}: total variation {tv}");
        // Far from the target spectrum at initialization.
        assert!(spectrum_distance(&eigs, &target_spectrum(n, d)) > 0.5);
    }
}

#[test]
fn target_spectrum_shapes() {
    assert_eq!(target_spectrum(3, 6), vec![1.0; 3]);
    let t = target_spectrum(6, 3);
    assert_eq!(t, vec![2.0, 2.0, 2.0, 0.0, 0.0, 0.0]);
    assert!(close(t.iter().sum::<f64>(), 6.0, 0.0));
}

#[test]
fn finite_d_corrections_match_theory() {
    // Tight frame, d = 200, r = 2: THEORY's +0.0004 above the limit; (1/(2·(2+c)²·200)).
    let excess = sign_tight_frame_finite_d(2.0, 200) - r_sign(2.0);
    assert!(close(excess, 0.0004, 5e-5), "{excess}");
    assert!(close(
        excess,
        1.0 / (2.0 * (2.0 + C_SIGN).powi(2) * 200.0),
        1e-15
    ));
    // r ≤ 1: orthonormal rows reach the limit at every d.
    assert_eq!(sign_tight_frame_finite_d(0.5, 200), r_sign(0.5));
    // Shrinks like 1/d.
    let e4 = sign_tight_frame_finite_d(2.0, 800) - r_sign(2.0);
    assert!(close(e4 * 4.0, excess, 1e-12));
    // Sparse source, p = 0.1, d = 200, r = 0.5: the formula 3r(1−p)/(2πpd) gives 0.6924;
    // THEORY's example quotes "0.688" (a measurement, "about"): within 0.005 of it.
    let sparse = sparse_sign_finite_d(0.5, 0.1, 200);
    assert!(
        close(sparse, r_sign(0.5) + 1.35 / (40.0 * PI), 1e-12),
        "{sparse}"
    );
    assert!(close(sparse, 0.688, 5e-3), "{sparse}");
    assert_eq!(sparse_sign_finite_d(0.5, 1.0, 200), r_sign(0.5));
    // relu simplex, d = 200, r = 0.5.
    let relu = finite_d(Activation::Relu, 100, 200, None).map(|l| l.value);
    assert!(relu.is_some_and(|v| close(v, 0.63596, 5e-5)), "{relu:?}");
    // Which applies where.
    assert!(finite_d(Activation::Sign, 100, 200, None).is_none());
    assert!(finite_d(Activation::Sign, 400, 200, None).is_some());
    assert!(finite_d(Activation::Relu, 400, 200, None).is_none());
    assert!(finite_d(Activation::Linear, 100, 200, Some(0.1)).is_none());
    let l = finite_d(Activation::Sign, 100, 200, Some(0.1));
    assert!(l.is_some_and(|l| l.label.contains('≈') && l.value == sparse));
}
