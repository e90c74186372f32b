//! Gauss–Hermite quadrature for Gaussian expectations, and the Gaussian constants
//! `μ0, μ1, v, c_σ` of an activation (THEORY §2).
//!
//! The quadrature is for the *probabilists'* weight: `E f(z) ≈ Σ w_i f(x_i)` with
//! `z ~ N(0, 1)` and `Σ w_i = 1`, so callers never carry a `1/√(2π)` or a `√2` around.

use crate::model::Activation;
use faer::{Mat, Side};
use std::f64::consts::{FRAC_2_PI, FRAC_2_SQRT_PI, PI};

/// The symmetric eigensolver did not converge (it does for every finite Jacobi matrix; kept
/// as an error rather than a panic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Gauss–Hermite rule of {m} nodes: the eigenvalues of its Jacobi matrix did not converge")]
pub struct QuadratureError {
    /// The number of nodes asked for.
    pub m: usize,
}

/// Nodes `x_i` (ascending) and weights `w_i` such that `E f(z) ≈ Σ w_i f(x_i)` for
/// `z ~ N(0, 1)`; exact when `f` is a polynomial of degree `< 2m`. The weights sum to 1.
///
/// `m = 0` returns two empty vectors. Nodes are the eigenvalues of the m×m Jacobi matrix
/// (Golub–Welsch, faer's self-adjoint eigensolver), each polished by Newton steps on the
/// orthonormal Hermite recurrence; weights come from the Christoffel–Darboux identity
/// `w_i = 1 / (m p_{m-1}(x_i)²)`, which keeps full *relative* accuracy even for the tiny weights
/// at the extreme nodes (an eigenvector component would only have absolute accuracy). Accurate
/// for m in the hundreds (tested up to 500); weights of extreme nodes underflow to 0 for very
/// large m, which is harmless for the sums. The dense solve costs O(m³): milliseconds at m = 500.
pub fn gauss_hermite(m: usize) -> Result<(Vec<f64>, Vec<f64>), QuadratureError> {
    if m == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    // Jacobi matrix of the probabilists' Hermite polynomials: zero diagonal, off-diagonal √k
    // between k-1 and k (k = 1..m-1). Only the lower triangle is read.
    let sub_diagonal = |i: usize, j: usize| if i == j + 1 { (i as f64).sqrt() } else { 0.0 };
    let jacobi = Mat::<f64>::from_fn(m, m, sub_diagonal);
    let mut nodes = jacobi
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|_| QuadratureError { m })?;
    nodes.sort_by(f64::total_cmp);

    let mut weights = vec![0.0; m];
    for (x, w) in nodes.iter_mut().zip(weights.iter_mut()) {
        // Newton on p_m, with p_m' = √m p_{m-1}; the eigenvalue is already accurate to a
        // few ulps of the spectral radius, so two or three steps reach machine precision.
        for _ in 0..4 {
            let (pm, pm1, _) = orthonormal_hermite(m, *x);
            if pm1 == 0.0 {
                break;
            }
            let step = pm / ((m as f64).sqrt() * pm1);
            *x -= step;
            if step.abs() <= 1e-16 * x.abs().max(1.0) {
                break;
            }
        }
        let (_, pm1, log_scale) = orthonormal_hermite(m, *x);
        // w = 1 / (m p_{m-1}²), with p_{m-1} = pm1 · e^{log_scale}.
        let log_w = -(m as f64).ln() - 2.0 * (pm1.abs().ln() + log_scale);
        *w = log_w.exp();
    }

    // The rule is symmetric: enforce it exactly, so odd moments vanish to rounding.
    for i in 0..m / 2 {
        let j = m - 1 - i;
        let x = 0.5 * (nodes[j] - nodes[i]);
        let w = 0.5 * (weights[i] + weights[j]);
        nodes[i] = -x;
        nodes[j] = x;
        weights[i] = w;
        weights[j] = w;
    }
    if m % 2 == 1 {
        nodes[m / 2] = 0.0;
    }
    Ok((nodes, weights))
}

/// Orthonormal (w.r.t. N(0,1)) Hermite polynomials at `x`: returns `(p_m, p_{m-1}, log_scale)`
/// where the true values are the returned ones times `e^{log_scale}`. Rescaling keeps the
/// recurrence finite for large `m` and `|x|` (p_k grows like `x^k/√k!`).
fn orthonormal_hermite(m: usize, x: f64) -> (f64, f64, f64) {
    const BIG: f64 = 1e150;
    let mut prev = 0.0; // p_{-1}
    let mut cur = 1.0; // p_0
    let mut log_scale = 0.0;
    for k in 0..m {
        // x p_k = √(k+1) p_{k+1} + √k p_{k-1}
        let next = (x * cur - (k as f64).sqrt() * prev) / ((k + 1) as f64).sqrt();
        prev = cur;
        cur = next;
        if cur.abs() > BIG {
            cur /= BIG;
            prev /= BIG;
            log_scale += BIG.ln();
        }
    }
    (cur, prev, log_scale)
}

/// The Gaussian constants of an activation σ (THEORY §2), for `z ~ N(0, 1)`.
///
/// They are what the Gaussian-equivalent theory needs: σ acts on a Gaussian pre-activation
/// like `μ0 + μ1 z + (independent noise of variance v − μ0² − μ1²)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianConstants {
    /// `μ0 = E σ(z)`, the mean of the code (a bias the decoder cannot use).
    pub mu0: f64,
    /// `μ1 = E z σ(z)`, the linear part of σ.
    pub mu1: f64,
    /// `v = E σ(z)²`, the second moment.
    pub v: f64,
    /// Effective noise-to-signal ratio `c_σ = (v − μ0² − μ1²) / μ1²` (dimensionless);
    /// `+∞` when `μ1 = 0` (the code carries no linear information).
    pub c: f64,
}

impl GaussianConstants {
    /// Builds the constants from the three moments, computing `c`.
    ///
    /// The numerator `v − μ0² − μ1²` is a variance (the part of σ(z) orthogonal to 1 and z),
    /// so a negative value can only be rounding: it is clamped to 0 so that the linear
    /// activation gets exactly `c = 0` rather than `−1e-16`. NaN moments give NaN `c`.
    pub fn from_moments(mu0: f64, mu1: f64, v: f64) -> Self {
        let residual = v - mu0 * mu0 - mu1 * mu1;
        let residual = if residual < 0.0 { 0.0 } else { residual };
        let c = if mu1 == 0.0 {
            f64::INFINITY
        } else {
            residual / (mu1 * mu1)
        };
        GaussianConstants { mu0, mu1, v, c }
    }
}

/// Constants of an arbitrary σ, by `nodes`-point Gauss–Hermite quadrature.
///
/// Converges fast for analytic σ; for σ with a kink or jump (relu, sign) the error decays
/// only algebraically in `nodes`, so prefer [`activation_constants`] for those.
/// `nodes = 0` gives all-zero moments and `c = +∞`.
pub fn constants_of(
    f: impl Fn(f64) -> f64,
    nodes: usize,
) -> Result<GaussianConstants, QuadratureError> {
    let (x, w) = gauss_hermite(nodes)?;
    let (mut mu0, mut mu1, mut v) = (0.0, 0.0, 0.0);
    for (&xi, &wi) in x.iter().zip(&w) {
        let fx = f(xi);
        mu0 += wi * fx;
        mu1 += wi * xi * fx;
        v += wi * fx * fx;
    }
    Ok(GaussianConstants::from_moments(mu0, mu1, v))
}

/// Constants of `σ_s(z) = σ(s z)`, where `s` is the row norm `‖b‖` seen by a unit-variance
/// input (THEORY §2: the constants of a non-homogeneous σ depend on it).
///
/// Closed forms for sign `(0, √(2/π), 1)`, relu `(s/√(2π), s/2, s²/2)`, linear `(0, s, s²)`
/// and erf (`μ1 = (2/√π) s/√(1+2s²)`, `v = (2/π) arcsin(2s²/(1+2s²))`, `μ0 = 0`); `c` does
/// not depend on `s` for the positively homogeneous sign, relu and linear, and does for erf
/// and tanh. tanh is integrated numerically
/// (trapezoidal rule in the variable that resolves the sharper of tanh and the Gaussian;
/// accurate to ~1e-14 for every `s`, where Gauss–Hermite would degrade as tanh(sz) → sign(z)).
///
/// Total: negative `s` mirrors σ (`μ1` changes sign, `c` is unchanged); `s = 0` gives the
/// constant function `σ(0)` (for sign that is `+1`, since `sign(0) = +1`) and `c = +∞`;
/// NaN `s` gives NaN moments.
pub fn activation_constants(act: Activation, scale: f64) -> GaussianConstants {
    let s = scale;
    if s.is_nan() {
        return GaussianConstants {
            mu0: f64::NAN,
            mu1: f64::NAN,
            v: f64::NAN,
            c: f64::NAN,
        };
    }
    match act {
        Activation::Sign => {
            if s == 0.0 {
                GaussianConstants::from_moments(1.0, 0.0, 1.0)
            } else {
                // The exact moments give c = π/2 − 1; building c from rounded moments
                // would cost a few ulps, so set it from its closed form.
                let mut k = GaussianConstants::from_moments(0.0, FRAC_2_PI.sqrt().copysign(s), 1.0);
                k.c = std::f64::consts::FRAC_PI_2 - 1.0;
                k
            }
        }
        Activation::Relu => {
            // relu(s z) = |s| relu(±z): the mean and second moment only see |s|.
            let a = s.abs();
            let mut k =
                GaussianConstants::from_moments(a / (2.0 * PI).sqrt(), 0.5 * s, 0.5 * s * s);
            if s != 0.0 {
                k.c = 1.0 - FRAC_2_PI;
            }
            k
        }
        Activation::Linear => GaussianConstants::from_moments(0.0, s, s * s),
        Activation::Erf => {
            let two_s2 = 2.0 * s * s;
            let t = two_s2 / (1.0 + two_s2);
            let mu1 = FRAC_2_SQRT_PI * s / (1.0 + two_s2).sqrt();
            let v = FRAC_2_PI * t.asin();
            let mut k = GaussianConstants::from_moments(0.0, mu1, v);
            if s != 0.0 {
                // v − μ1² = (2/π)(arcsin t − t): use the ratio form, which does not
                // lose relative accuracy to cancellation when s is small.
                k.c = erf_c_of_t(t);
            }
            k
        }
        Activation::Tanh => tanh_constants(s),
    }
}

/// `arcsin(t)/t − 1` (THEORY §4, erf with row norm a, `t = 2a²/(1+2a²)`), with a series
/// for small `t` where the direct formula cancels.
fn erf_c_of_t(t: f64) -> f64 {
    if t < 1e-3 {
        // arcsin(t)/t − 1 = t²/6 + 3t⁴/40 + 5t⁶/112 + …
        let t2 = t * t;
        t2 * (1.0 / 6.0 + t2 * (3.0 / 40.0 + t2 * (5.0 / 112.0)))
    } else {
        t.asin() / t - 1.0
    }
}

/// Constants of `tanh(s z)` by the trapezoidal rule on the real line, which converges
/// geometrically for integrands analytic in a strip (tanh has its poles at `±iπ/(2s)`).
///
/// Gauss–Hermite would need ever more nodes as `s` grows (tanh(sz) tends to sign(z)), so the
/// integration variable follows the scale of the sharpest feature: `z` for `|s| ≤ 1`, `u = s z`
/// for `|s| > 1` (then the Gaussian factor is the wide one). Stein's lemma gives
/// `μ1 = s E sech²(sz)`, and `v = 1 − E sech²(sz)` for large `s`.
fn tanh_constants(s: f64) -> GaussianConstants {
    if s == 0.0 {
        return GaussianConstants::from_moments(0.0, 0.0, 0.0);
    }
    let a = s.abs();
    let phi = |z: f64| (-0.5 * z * z).exp() / (2.0 * PI).sqrt();
    let sech2 = |u: f64| {
        let c = u.cosh();
        if c.is_finite() { 1.0 / (c * c) } else { 0.0 }
    };
    let h = 0.05;
    let (e_sech2, v) = if a <= 1.0 {
        // Integrand width ≥ 1 in z; |z| ≤ 13 leaves < 1e-37 of Gaussian mass out.
        let n = (13.0 / h) as i64;
        let (mut es, mut et) = (0.0, 0.0);
        for i in -n..=n {
            let z = i as f64 * h;
            let w = h * phi(z);
            es += w * sech2(a * z);
            let t = (a * z).tanh();
            et += w * t * t;
        }
        (es, et)
    } else {
        // E sech²(sz) = (1/s) ∫ sech²(u) φ(u/s) du; sech²(u) < 1e-37 beyond |u| = 43.
        let n = (43.0 / h) as i64;
        let mut es = 0.0;
        for i in -n..=n {
            let u = i as f64 * h;
            es += h * sech2(u) * phi(u / a);
        }
        es /= a;
        (es, 1.0 - es)
    };
    GaussianConstants::from_moments(0.0, s * e_sech2, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment(x: &[f64], w: &[f64], p: i32) -> f64 {
        x.iter().zip(w).map(|(x, w)| w * x.powi(p)).sum()
    }

    #[test]
    fn small_rules_are_exact() {
        let (x, w) = gauss_hermite(1).unwrap();
        assert_eq!((x, w), (vec![0.0], vec![1.0]));
        let (x, w) = gauss_hermite(2).unwrap();
        assert!((x[1] - 1.0).abs() < 1e-15 && (x[0] + 1.0).abs() < 1e-15);
        assert!((w[0] - 0.5).abs() < 1e-15);
        let (x, w) = gauss_hermite(3).unwrap();
        assert!((x[2] - 3f64.sqrt()).abs() < 1e-14);
        assert!((w[1] - 2.0 / 3.0).abs() < 1e-14);
        assert!(gauss_hermite(0).unwrap().0.is_empty());
    }

    #[test]
    fn moments_for_many_sizes() {
        for m in [4, 10, 33, 64, 128, 200, 257, 500] {
            let (x, w) = gauss_hermite(m).unwrap();
            assert_eq!(x.len(), m);
            assert!(
                x.windows(2).all(|p| p[0] < p[1]),
                "m={m}: nodes not increasing"
            );
            assert!(w.iter().all(|&w| (0.0..1.0).contains(&w)));
            assert!((moment(&x, &w, 0) - 1.0).abs() < 1e-12, "m={m}");
            assert!((moment(&x, &w, 2) - 1.0).abs() < 1e-12, "m={m}");
            assert!((moment(&x, &w, 4) - 3.0).abs() < 1e-12, "m={m}");
            assert!((moment(&x, &w, 6) - 15.0).abs() < 1e-12, "m={m}");
            assert!(moment(&x, &w, 3).abs() < 1e-12);
            // E cos(z) = e^{-1/2}: a non-polynomial check (needs enough nodes).
            if m < 20 {
                continue;
            }
            let ec: f64 = x.iter().zip(&w).map(|(x, w)| w * x.cos()).sum();
            assert!((ec - (-0.5f64).exp()).abs() < 1e-13, "m={m}");
        }
    }

    #[test]
    fn high_degree_polynomial_exactness() {
        // E z^20 = 19!! = 654729075, exact for m ≥ 11.
        let (x, w) = gauss_hermite(40).unwrap();
        let m20 = moment(&x, &w, 20);
        assert!((m20 / 654_729_075.0 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn tanh_trapezoid_matches_gauss_hermite() {
        for s in [0.01, 0.3, 1.0] {
            let q = constants_of(|z| (s * z).tanh(), 200).unwrap();
            let t = activation_constants(Activation::Tanh, s);
            assert!((q.mu1 - t.mu1).abs() < 1e-12, "s={s}: {} {}", q.mu1, t.mu1);
            assert!((q.v - t.v).abs() < 1e-12, "s={s}: {} {}", q.v, t.v);
            assert!(t.mu0 == 0.0);
        }
        // Reference values from 30-digit adaptive quadrature (mpmath); at s = 1.5 a 200-node
        // Gauss–Hermite rule is already off by 1e-11 while the trapezoid is not.
        let t = activation_constants(Activation::Tanh, 1.5);
        assert!((t.mu1 - 0.689_027_428_643_463_3).abs() < 1e-14);
        assert!((t.v - 0.540_648_380_904_357_8).abs() < 1e-14);
        let t = activation_constants(Activation::Tanh, 1.0);
        assert!((t.mu1 - 0.605_705_509_602_158_8).abs() < 1e-14);
        assert!((t.v - 0.394_294_490_397_841_2).abs() < 1e-14);
        for (s, mu1, v) in [
            (1e-3, 9.999_990_000_02e-4, 9.999_980_000_056_666e-7),
            (4.0, 0.778_402_882_145_097_3, 0.805_399_279_463_725_7),
            (25.0, 0.797_360_297_697_087_3, 0.968_105_588_092_116_5),
        ] {
            let t = activation_constants(Activation::Tanh, s);
            assert!((t.mu1 / mu1 - 1.0).abs() < 1e-13, "s={s}");
            assert!((t.v / v - 1.0).abs() < 1e-13, "s={s}");
        }
        // Large s: tends to sign.
        let t = activation_constants(Activation::Tanh, 1e6);
        assert!((t.mu1 - FRAC_2_PI.sqrt()).abs() < 1e-5);
        assert!((t.c - (std::f64::consts::FRAC_PI_2 - 1.0)).abs() < 1e-4);
        // Negative s mirrors.
        let n = activation_constants(Activation::Tanh, -2.0);
        let p = activation_constants(Activation::Tanh, 2.0);
        assert_eq!(n.mu1, -p.mu1);
        assert_eq!(n.c, p.c);
    }

    #[test]
    fn erf_small_scale_is_near_linear() {
        let k = activation_constants(Activation::Erf, 1e-6);
        assert!(k.c >= 0.0 && k.c < 1e-10);
        assert!(activation_constants(Activation::Erf, 0.0).c.is_infinite());
        // Series and direct formula agree where they meet.
        let t = 1e-3;
        assert!((erf_c_of_t(t * (1.0 - 1e-12)) - (t.asin() / t - 1.0)).abs() < 1e-15);
    }

    #[test]
    fn degenerate_scales() {
        let k = activation_constants(Activation::Sign, 0.0);
        assert_eq!((k.mu0, k.mu1, k.v), (1.0, 0.0, 1.0));
        assert!(k.c.is_infinite());
        assert!(activation_constants(Activation::Relu, f64::NAN).c.is_nan());
        let k = activation_constants(Activation::Relu, -2.0);
        assert_eq!((k.mu0 > 0.0, k.mu1, k.v), (true, -1.0, 2.0));
        assert!((k.c - (1.0 - FRAC_2_PI)).abs() < 1e-15);
    }
}
