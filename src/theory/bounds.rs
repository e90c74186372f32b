//! Fundamental limits and reference curves (THEORY §4).
//!
//! Every risk returned here is the *normalized* per-coordinate mean squared error: 1.0 means
//! "reconstructs nothing", 0.0 perfect reconstruction. Rates `r = n/d` are code units per
//! input coordinate (bits per coordinate for sign).
//!
//! Functions of a scalar rate are total: `r ≤ 0` means no code (risk 1), NaN propagates.
//! Functions of a covariance spectrum validate it and return [`TheoryError`].

use crate::model::Activation;
use crate::theory::hermite::activation_constants;
use std::f64::consts::{FRAC_2_PI, FRAC_PI_2};
use thiserror::Error;

/// Invalid input to a spectrum-based bound.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum TheoryError {
    /// The covariance spectrum has no eigenvalues (d = 0).
    #[error("empty covariance spectrum")]
    EmptySpectrum,
    /// An eigenvalue is NaN, infinite, or clearly negative (beyond rounding).
    #[error("invalid covariance eigenvalue {value} at index {index}")]
    InvalidEigenvalue {
        /// Position in the spectrum as given.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// All eigenvalues are zero: the data has no variance, so the normalized risk is 0/0.
    #[error("covariance spectrum has zero trace")]
    ZeroTrace,
    /// The number of code units is negative, NaN or infinite.
    #[error("invalid code size n = {0} (must be finite and ≥ 0)")]
    InvalidCodeSize(f64),
    /// The effective noise constant c is negative or NaN.
    #[error("invalid noise constant c = {0} (must be ≥ 0)")]
    InvalidConstant(f64),
}

/// `c_sign = π/2 − 1 ≈ 0.5708`: the effective noise-to-signal ratio of a one-bit code.
pub const C_SIGN: f64 = FRAC_PI_2 - 1.0;

/// `c_relu = 1 − 2/π ≈ 0.3634`.
pub const C_RELU: f64 = 1.0 - FRAC_2_PI;

/// Clamps a rate to `r ≥ 0` while letting NaN through (`f64::max` would swallow it).
fn rate(r: f64) -> f64 {
    if r < 0.0 { 0.0 } else { r }
}

/// The sign autoencoder's limit on isotropic Gaussian data (the paper's headline result):
/// `1 − 2r/π` for `r ≤ 1`, `c/(r + c)` with `c = π/2 − 1` for `r ≥ 1`. The branches meet
/// at `r = 1` (value `1 − 2/π`). `r ≤ 0` gives 1.
pub fn r_sign(r: f64) -> f64 {
    gaussian_equivalent(C_SIGN, r)
}

/// Gaussian-equivalent prediction for an activation with noise constant `c`:
/// `1 − r/(1 + c)` for `r ≤ 1`, `c/(r + c)` for `r ≥ 1` (continuous at 1).
///
/// `c = 0` is the linear autoencoder (PCA bound), `c = +∞` a code with no linear
/// information (risk 1). Negative `c` is not a noise ratio and is treated as 0.
pub fn gaussian_equivalent(c: f64, r: f64) -> f64 {
    let r = rate(r);
    let c = if c < 0.0 { 0.0 } else { c };
    if c.is_infinite() {
        return 1.0;
    }
    if r <= 1.0 {
        1.0 - r / (1.0 + c)
    } else if r.is_infinite() {
        0.0
    } else {
        c / (r + c)
    }
}

/// The linear autoencoder (PCA) on isotropic data: `max(0, 1 − r)`, clamped to `[0, 1]`.
pub fn pca_bound(r: f64) -> f64 {
    let r = rate(r);
    if r >= 1.0 { 0.0 } else { 1.0 - r }
}

/// The PCA bound for a covariance with eigenvalues `spectrum` and `n` code units:
/// the `d − n` smallest eigenvalues over the trace (0 when `n ≥ d`).
///
/// Total: eigenvalues below 0 are treated as 0 (rounding in an empirical covariance),
/// a NaN eigenvalue gives NaN, and an empty or zero-trace spectrum gives 0 (nothing to lose).
pub fn pca_bound_spectrum(spectrum: &[f64], n: usize) -> f64 {
    if spectrum.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    let mut s: Vec<f64> = spectrum.iter().map(|&x| x.max(0.0)).collect();
    s.sort_by(|a, b| b.total_cmp(a));
    pca_sorted(&s, n as f64)
}

/// PCA bound on a validated, descending spectrum, for a possibly fractional `n`: the
/// fractional part removes that fraction of the next eigen-direction, so the bound is the
/// piecewise-linear interpolation between integer code sizes.
fn pca_sorted(s: &[f64], n: f64) -> f64 {
    let trace: f64 = s.iter().sum();
    if trace.is_nan() || trace <= 0.0 || n >= s.len() as f64 {
        return 0.0;
    }
    let whole = n.floor() as usize;
    let frac = n - n.floor();
    let rest: f64 = s[whole..].iter().sum();
    ((rest - frac * s[whole]) / trace).max(0.0)
}

/// Shannon's distortion-rate function of a unit Gaussian source at `r` bits per coordinate,
/// `D(r) = 2^(−2r)`: no `n`-bit compressor can do better. `r ≤ 0` gives 1.
pub fn shannon(r: f64) -> f64 {
    (-2.0 * rate(r)).exp2()
}

/// The relu reference line (THEORY §4, correction to the Gaussian-equivalent formula):
/// `1 − r/(1 + c)` for `r ≤ 1` (`c = 1 − 2/π`), then the *pairing construction*
/// `(2 − r) c/(1 + c)` for `1 ≤ r ≤ 2` and 0 for `r ≥ 2`: opposite rows `b, −b` give
/// `relu(u) − relu(−u) = u`, an exact linear measurement, which gradient descent finds.
/// For `r > 1` this is an achievable value, not a proven limit.
pub fn relu_pairing(r: f64) -> f64 {
    let r = rate(r);
    let c = C_RELU;
    if r <= 1.0 {
        1.0 - r / (1.0 + c)
    } else if r <= 2.0 {
        (2.0 - r) * c / (1.0 + c)
    } else {
        0.0
    }
}

/// Risk of relu rows forming a regular simplex at finite `d` (what GD finds for `r ≤ 1`):
/// `1 − n(n−1) / (d (n + c(n−1)))`, `c = 1 − 2/π`. Tends to `1 − r/(1+c)` as d grows.
///
/// Meaningful for `1 ≤ n ≤ d + 1` (a regular simplex of n points needs n − 1 dimensions);
/// `n = 0` or `d = 0` gives 1.
pub fn relu_simplex_finite_d(n: usize, d: usize) -> f64 {
    if n == 0 || d == 0 {
        return 1.0;
    }
    let (n, d) = (n as f64, d as f64);
    1.0 - n * (n - 1.0) / (d * (n + C_RELU * (n - 1.0)))
}

/// A sign autoencoder's tight frame at finite `d` (THEORY §4, "Finite d"): for `r > 1` a unit
/// tight frame from a random rotation sits above [`r_sign`] by about
/// `(r − 1)² / (2 (r + c)² d)`, `c = π/2 − 1` (d = 200, r = 2: +0.0004). For `r ≤ 1`
/// orthonormal rows reach the limit exactly at every d, so this is [`r_sign`]. An
/// approximation (first order in 1/d), not a bound; `d = 0` gives the limit.
pub fn sign_tight_frame_finite_d(r: f64, d: usize) -> f64 {
    let limit = r_sign(r);
    if r.is_nan() || r <= 1.0 || d == 0 || r.is_infinite() {
        return limit;
    }
    let s = r + C_SIGN;
    limit + (r - 1.0) * (r - 1.0) / (2.0 * s * s * d as f64)
}

/// A sample-trained sign autoencoder on the sparse (Bernoulli–Gaussian, density `p`) source
/// at finite `d` (THEORY §5): it learns the dense Gaussian solution and pays about
/// `3 r (1 − p) / (2π p d)` above [`r_sign`]. An approximation from measurements; `p ≤ 0`,
/// `p > 1` or `d = 0` give the Gaussian limit unchanged.
pub fn sparse_sign_finite_d(r: f64, p: f64, d: usize) -> f64 {
    let limit = r_sign(r);
    if p.is_nan() || p <= 0.0 || p > 1.0 || d == 0 {
        return limit;
    }
    let r = rate(r);
    limit + 3.0 * r * (1.0 - p) / (2.0 * std::f64::consts::PI * p * d as f64)
}

/// Checks a covariance spectrum and returns a descending copy. Negative values within
/// rounding of the largest eigenvalue (`≥ −1e-12 · max|λ|`) are set to 0, because eigenvalues
/// of an empirical covariance of rank < d come out as ±1e-17; anything more negative is
/// rejected.
fn validated_descending(spectrum: &[f64]) -> Result<Vec<f64>, TheoryError> {
    if spectrum.is_empty() {
        return Err(TheoryError::EmptySpectrum);
    }
    let mut scale = 0.0f64;
    for (index, &value) in spectrum.iter().enumerate() {
        if !value.is_finite() {
            return Err(TheoryError::InvalidEigenvalue { index, value });
        }
        scale = scale.max(value.abs());
    }
    let tol = 1e-12 * scale;
    let mut s = Vec::with_capacity(spectrum.len());
    for (index, &value) in spectrum.iter().enumerate() {
        if value < -tol {
            return Err(TheoryError::InvalidEigenvalue { index, value });
        }
        s.push(value.max(0.0));
    }
    s.sort_by(|a, b| b.total_cmp(a));
    if s[0] <= 0.0 {
        return Err(TheoryError::ZeroTrace);
    }
    Ok(s)
}

/// Reverse water-filling prediction for Gaussian data with covariance eigenvalues
/// `spectrum` (any order), `n` code units and noise constant `c` (THEORY §4), normalized by
/// `(1/d) Tr Σ`:
///
/// `R = [ Σ_{j ≤ k} s_j c/(m_j + c) + Σ_{j > k} s_j ] / Tr Σ`, `m_j = max(0, √(c s_j/ν) − c)`,
/// `Σ_{j≤k} m_j = n`, over the `k = min(n, d)` largest eigenvalues `s_j`.
///
/// `n` is a real number (pass `r · d`) so that the curve is continuous in `r`. The rank limit
/// `k` must be an integer: for integer `n` (and for every `n ≥ d`, where `k = d`) the formula
/// is used as is; for fractional `n < d` the result is the linear interpolation between
/// `⌊n⌋` and `⌈n⌉`. For `Σ = I` this is exactly `r_sign`-type on both branches
/// (`1 − r/(1+c)` and `c/(r+c)`). `n = 0` gives 1, `c = 0` the PCA bound, `c = +∞` gives 1.
///
/// ν is found by bisection on `log ν` (the constraint is monotone in ν), to relative
/// precision ~1e-15.
pub fn water_filling(spectrum: &[f64], n: f64, c: f64) -> Result<f64, TheoryError> {
    let s = validated_descending(spectrum)?;
    if !(n.is_finite() && n >= 0.0) {
        return Err(TheoryError::InvalidCodeSize(n));
    }
    if c.is_nan() || c < 0.0 {
        return Err(TheoryError::InvalidConstant(c));
    }
    if c == 0.0 {
        return Ok(pca_sorted(&s, n));
    }
    if c.is_infinite() {
        return Ok(1.0);
    }
    let d = s.len() as f64;
    if n >= d || n == n.floor() {
        let k = if n >= d { s.len() } else { n as usize };
        return Ok(water_filling_k(&s, n, k, c));
    }
    let lo = n.floor();
    let hi = lo + 1.0;
    let r_lo = water_filling_k(&s, lo, lo as usize, c);
    let r_hi = water_filling_k(&s, hi, hi as usize, c);
    Ok(r_lo + (n - lo) * (r_hi - r_lo))
}

/// Water-filling of budget `n` over the `k` largest entries of the descending, validated
/// spectrum `s` (`s[0] > 0`), normalized by the trace.
fn water_filling_k(s: &[f64], n: f64, k: usize, c: f64) -> f64 {
    let trace: f64 = s.iter().sum();
    let tail: f64 = s[k..].iter().sum();
    if k == 0 || n <= 0.0 {
        return 1.0;
    }
    let top = &s[..k];
    let budget = |log_nu: f64| -> f64 {
        let nu = log_nu.exp();
        top.iter()
            .map(|&sj| ((c * sj / nu).sqrt() - c).max(0.0))
            .sum::<f64>()
    };
    // At ν = s_1/c every m_j is 0 (< n); at ν = c s_1/(n+c)² already m_1 = n.
    let s1 = top[0];
    let mut hi = (s1 / c).ln();
    let mut lo = (c * s1 / ((n + c) * (n + c))).ln();
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if budget(mid) > n {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * (1.0 + hi.abs().max(lo.abs())) {
            break;
        }
    }
    let nu = (0.5 * (lo + hi)).exp();
    // Active direction: s_j c/(m_j + c) = s_j c/√(c s_j/ν) = √(c s_j ν).
    let head: f64 = top
        .iter()
        .map(|&sj| {
            if (c * sj / nu).sqrt() > c {
                (c * sj * nu).sqrt()
            } else {
                sj
            }
        })
        .sum();
    ((head + tail) / trace).clamp(0.0, 1.0)
}

/// A reference line to draw beside a risk curve: its value (normalized risk) and what it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Normalized risk of the reference.
    pub value: f64,
    /// Legend text, saying whether this is a theorem, a prediction or a construction.
    pub label: &'static str,
}

/// The reference line for isotropic Gaussian data at rate `r`:
/// sign → [`r_sign`] ("sign limit"); relu → [`relu_pairing`] ("relu limit" for `r ≤ 1`,
/// "relu pairing construction" beyond); linear → [`pca_bound`] ("PCA bound"); erf, tanh →
/// [`gaussian_equivalent`] with their constant at row norm 1 (their constants depend on the
/// norm, and free norms drift toward the linear optimum, so this is only a prediction).
pub fn limit(act: Activation, r: f64) -> Limit {
    match act {
        Activation::Sign => Limit {
            value: r_sign(r),
            label: "sign limit",
        },
        Activation::Relu => Limit {
            value: relu_pairing(r),
            label: if r > 1.0 {
                "relu pairing construction"
            } else {
                "relu limit"
            },
        },
        Activation::Linear => Limit {
            value: pca_bound(r),
            label: "PCA bound",
        },
        Activation::Erf | Activation::Tanh => Limit {
            value: gaussian_equivalent(activation_constants(act, 1.0).c, r),
            label: "Gaussian-equivalent (‖b‖=1)",
        },
    }
}

/// [`limit`] drawn for data with identity covariance that is not Gaussian (the sparse
/// Bernoulli–Gaussian source): the same value, labelled "Gaussian limit", since it is the limit
/// of Gaussian data, a reference here and not the limit of this data (sparse data can go
/// below it). The PCA bound (linear) holds for every identity covariance and keeps its name.
pub fn gaussian_reference(act: Activation, r: f64) -> Limit {
    let l = limit(act, r);
    if act == Activation::Linear {
        l
    } else {
        Limit {
            label: "Gaussian limit",
            ..l
        }
    }
}

/// The finite-d value THEORY gives beside the asymptotic [`limit`], where it gives one: sign
/// on isotropic Gaussian data at `r > 1` ([`sign_tight_frame_finite_d`]), sign on the sparse
/// source of density `p` ([`sparse_sign_finite_d`], `sparse = Some(p)`), relu at `r ≤ 1`
/// ([`relu_simplex_finite_d`]); `None` elsewhere. `n` code units, `d` input coordinates;
/// labels say these are approximations.
pub fn finite_d(act: Activation, n: usize, d: usize, sparse: Option<f64>) -> Option<Limit> {
    if d == 0 {
        return None;
    }
    let r = n as f64 / d as f64;
    match (act, sparse) {
        (Activation::Sign, Some(p)) => Some(Limit {
            value: sparse_sign_finite_d(r, p, d),
            label: "≈ finite-d",
        }),
        (Activation::Sign, None) if r > 1.0 => Some(Limit {
            value: sign_tight_frame_finite_d(r, d),
            label: "≈ finite-d",
        }),
        (Activation::Relu, None) if n >= 1 && r <= 1.0 => Some(Limit {
            value: relu_simplex_finite_d(n, d),
            label: "≈ finite-d",
        }),
        _ => None,
    }
}

/// The reference line for Gaussian data with covariance eigenvalues `spectrum` and `n` code
/// units (`n = r · d`, may be fractional): reverse [`water_filling`] with the activation's
/// constant (sign `π/2 − 1`, relu `1 − 2/π`, erf and tanh at row norm 1), and the spectral
/// PCA bound for linear. For relu with `n > d` this is the Gaussian-equivalent prediction,
/// which opposite-row pairs can beat (see [`relu_pairing`]).
pub fn limit_for_spectrum(act: Activation, spectrum: &[f64], n: f64) -> Result<Limit, TheoryError> {
    let c = match act {
        Activation::Sign => C_SIGN,
        Activation::Relu => C_RELU,
        Activation::Erf | Activation::Tanh => activation_constants(act, 1.0).c,
        Activation::Linear => 0.0,
    };
    Ok(Limit {
        value: water_filling(spectrum, n, c)?,
        label: spectrum_limit_label(act),
    })
}

/// The legend text of [`limit_for_spectrum`]'s line for `act`.
pub fn spectrum_limit_label(act: Activation) -> &'static str {
    match act {
        Activation::Sign => "water-filling (sign)",
        Activation::Relu => "water-filling (relu, Gaussian-equivalent)",
        Activation::Erf | Activation::Tanh => "water-filling (Gaussian-equivalent, ‖b‖=1)",
        Activation::Linear => "PCA bound",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_edge_cases() {
        assert_eq!(r_sign(-1.0), 1.0);
        assert_eq!(r_sign(0.0), 1.0);
        assert!(r_sign(f64::NAN).is_nan());
        assert_eq!(r_sign(f64::INFINITY), 0.0);
        assert_eq!(gaussian_equivalent(f64::INFINITY, 3.0), 1.0);
        assert_eq!(gaussian_equivalent(0.0, 3.0), 0.0);
        assert_eq!(pca_bound(-0.5), 1.0);
        assert!(pca_bound(f64::NAN).is_nan());
        assert_eq!(shannon(-1.0), 1.0);
        assert_eq!(relu_simplex_finite_d(0, 10), 1.0);
    }

    #[test]
    fn water_filling_errors() {
        assert_eq!(
            water_filling(&[], 1.0, C_SIGN),
            Err(TheoryError::EmptySpectrum)
        );
        assert!(matches!(
            water_filling(&[1.0, f64::NAN], 1.0, C_SIGN),
            Err(TheoryError::InvalidEigenvalue { index: 1, .. })
        ));
        assert!(matches!(
            water_filling(&[1.0, -0.5], 1.0, C_SIGN),
            Err(TheoryError::InvalidEigenvalue { index: 1, .. })
        ));
        assert_eq!(
            water_filling(&[0.0, 0.0], 1.0, C_SIGN),
            Err(TheoryError::ZeroTrace)
        );
        assert!(matches!(
            water_filling(&[1.0], -1.0, C_SIGN),
            Err(TheoryError::InvalidCodeSize(_))
        ));
        assert!(matches!(
            water_filling(&[1.0], 1.0, -0.1),
            Err(TheoryError::InvalidConstant(_))
        ));
        // Rounding-sized negative eigenvalues are accepted.
        assert!(water_filling(&[1.0, -1e-17], 1.0, C_SIGN).is_ok());
        assert_eq!(water_filling(&[2.0, 1.0], 0.0, C_SIGN), Ok(1.0));
    }

    /// Independent solution: the exact active-set formula for ν, by trying every prefix.
    fn water_filling_exact(s: &[f64], n: f64, c: f64) -> f64 {
        let mut s = s.to_vec();
        s.sort_by(|a, b| b.total_cmp(a));
        let k = (n.min(s.len() as f64)) as usize;
        let trace: f64 = s.iter().sum();
        let mut best = f64::INFINITY;
        for p in 1..=k {
            let sum_sqrt: f64 = s[..p].iter().map(|x| x.sqrt()).sum();
            let sqrt_nu = c.sqrt() * sum_sqrt / (n + p as f64 * c);
            let m: Vec<f64> = s[..p]
                .iter()
                .map(|&x| (c * x).sqrt() / sqrt_nu - c)
                .collect();
            if m.iter().any(|&m| m < 0.0) {
                continue;
            }
            let risk: f64 = s[..p]
                .iter()
                .zip(&m)
                .map(|(&x, &m)| x * c / (m + c))
                .sum::<f64>()
                + s[p..].iter().sum::<f64>();
            best = best.min(risk / trace);
        }
        best
    }

    #[test]
    fn bisection_matches_active_set_solution() {
        let spectra: [Vec<f64>; 3] = [
            (1..=50).map(|j| 1.0 / f64::from(j).powi(2)).collect(),
            (0..40).map(|j| (-0.2 * f64::from(j)).exp()).collect(),
            vec![5.0, 5.0, 1.0, 0.5, 0.5, 0.1, 0.0, 0.0],
        ];
        for s in &spectra {
            for n in [1.0, 3.0, 7.0, 20.0, 60.0, 100.0] {
                for c in [C_SIGN, C_RELU, 2.0] {
                    let a = water_filling(s, n, c).unwrap();
                    let b = water_filling_exact(s, n, c);
                    assert!((a - b).abs() < 1e-12, "n={n} c={c}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn fractional_n_is_continuous() {
        let s: Vec<f64> = (1..=30).map(|j| 1.0 / f64::from(j)).collect();
        let mut prev = water_filling(&s, 0.0, C_SIGN).unwrap();
        let mut n = 0.0;
        while n < 45.0 {
            n += 0.01;
            let r = water_filling(&s, n, C_SIGN).unwrap();
            assert!(r <= prev + 1e-12, "not monotone at n={n}");
            assert!(prev - r < 0.02, "jump at n={n}");
            prev = r;
        }
        // Linear: spectral PCA, interpolated.
        let r = water_filling(&[3.0, 2.0, 1.0], 1.5, 0.0).unwrap();
        assert!((r - 2.0 / 6.0).abs() < 1e-15);
        assert_eq!(pca_bound_spectrum(&[3.0, 2.0, 1.0], 1), 0.5);
        assert_eq!(pca_bound_spectrum(&[3.0, 2.0, 1.0], 3), 0.0);
        assert_eq!(pca_bound_spectrum(&[], 0), 0.0);
    }

    #[test]
    fn limit_labels() {
        assert_eq!(limit(Activation::Relu, 0.5).label, "relu limit");
        assert_eq!(
            limit(Activation::Relu, 1.5).label,
            "relu pairing construction"
        );
        let t = limit(Activation::Tanh, 0.5);
        assert!(t.value > 0.5 && t.value < 0.75);
        let l = limit_for_spectrum(Activation::Linear, &[1.0; 10], 4.0).unwrap();
        assert!((l.value - 0.6).abs() < 1e-15);
        assert!(limit_for_spectrum(Activation::Sign, &[], 1.0).is_err());
    }
}
