//! Spectra of the encoder Gram matrix `G = B̃ B̃ᵀ` (rows of B normalized, n×n) to draw
//! (THEORY §5): the target spectrum of the minimizer and the Marchenko–Pastur law of a
//! random Gaussian initialization, with ratio `y = r = n/d`.

/// Support `[λ₋, λ₊] = [(1 − √y)², (1 + √y)²]` of the Marchenko–Pastur density.
/// Negative `y` is treated as 0 (support `[1, 1]`); NaN propagates.
pub fn marchenko_pastur_support(y: f64) -> (f64, f64) {
    let q = if y < 0.0 { 0.0 } else { y }.sqrt();
    ((1.0 - q) * (1.0 - q), (1.0 + q) * (1.0 + q))
}

/// Continuous part of the Marchenko–Pastur density at `lambda` for ratio `y > 0`:
/// `√((λ₊ − λ)(λ − λ₋)) / (2π y λ)` inside the support, 0 outside. It integrates to
/// `min(1, 1/y)`; the rest is the atom at 0 ([`marchenko_pastur_atom`]).
/// `y ≤ 0` (a point mass at 1, no density) and NaN give 0.
pub fn marchenko_pastur_density(lambda: f64, y: f64) -> f64 {
    if y.is_nan() || lambda.is_nan() || y <= 0.0 || lambda <= 0.0 {
        return 0.0;
    }
    let (lo, hi) = marchenko_pastur_support(y);
    if !(lambda > lo && lambda < hi) {
        return 0.0;
    }
    ((hi - lambda) * (lambda - lo)).sqrt() / (2.0 * std::f64::consts::PI * y * lambda)
}

/// Mass of the Marchenko–Pastur law at 0: `max(0, 1 − 1/y)` (for n > d, n − d eigenvalues
/// of the n×n Gram matrix vanish). 0 for `y ≤ 1` and NaN.
pub fn marchenko_pastur_atom(y: f64) -> f64 {
    if y > 1.0 { 1.0 - 1.0 / y } else { 0.0 }
}

/// The Gram spectrum of the minimizer, descending: `n ≤ d`: n ones (orthonormal rows);
/// `n > d`: d eigenvalues `n/d` (a tight frame) followed by `n − d` zeros.
pub fn target_spectrum(n: usize, d: usize) -> Vec<f64> {
    if n <= d {
        return vec![1.0; n];
    }
    let r = if d == 0 { 0.0 } else { n as f64 / d as f64 };
    let mut t = vec![r; d];
    t.resize(n, 0.0);
    t
}

/// Largest deviation `max_i |λ_(i) − t_(i)|` between two spectra, both sorted descending.
///
/// If the lengths differ, only the first `min(len)` sorted values (the largest of each) are
/// compared. Empty input gives 0; any NaN gives NaN.
pub fn spectrum_distance(eigs: &[f64], target: &[f64]) -> f64 {
    let sorted = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(|a, b| b.total_cmp(a));
        v
    };
    let (a, b) = (sorted(eigs), sorted(target));
    let mut worst = 0.0f64;
    for (x, t) in a.iter().zip(&b) {
        let d = (x - t).abs();
        if d.is_nan() {
            return f64::NAN;
        }
        worst = worst.max(d);
    }
    worst
}

/// Index of the bin of `[lo, hi]` (split into `bins` equal parts) that holds `x`, with values
/// outside the range clamped into the first or last bin.
fn bin_of(x: f64, lo: f64, hi: f64, bins: usize) -> usize {
    let t = (x - lo) / (hi - lo) * bins as f64;
    if t <= 0.0 {
        0
    } else {
        (t as usize).min(bins - 1)
    }
}

/// Fraction of `values` in each of `bins` equal bins of `[lo, hi]`; values outside the range
/// are counted in the first or last bin, so the result sums to 1. NaN values are ignored.
/// Returns all zeros if there are no values or the range is empty or not finite
/// (`bins = 0` gives an empty vector).
pub fn histogram(values: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let mut h = vec![0.0; bins];
    if bins == 0 || !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return h;
    }
    let mut count = 0usize;
    for &x in values.iter().filter(|x| !x.is_nan()) {
        h[bin_of(x, lo, hi, bins)] += 1.0;
        count += 1;
    }
    if count > 0 {
        for v in &mut h {
            *v /= count as f64;
        }
    }
    h
}

/// Marchenko–Pastur mass per bin, comparable with [`histogram`] of the Gram eigenvalues:
/// the continuous part integrated over each bin, mass outside `[lo, hi]` put in the first or
/// last bin (as [`histogram`] clamps), and the atom `1 − 1/y` added to the bin holding 0.
/// Sums to 1 for `y > 0`. `y = 0` puts all mass in the bin of 1 (the law's limit); negative or
/// NaN `y`, an empty or non-finite range give zeros.
///
/// Bins are integrated exactly: in the angle θ of `λ = (1 + y) − 2√y cos θ` the square-root
/// edges disappear and the density `(2/π) sin²θ / λ(θ)` has an elementary antiderivative.
pub fn marchenko_pastur_bin_masses(y: f64, lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let mut m = vec![0.0; bins];
    if bins == 0 || !(lo.is_finite() && hi.is_finite() && hi > lo) || y.is_nan() || y < 0.0 {
        return m;
    }
    if y == 0.0 || y.is_infinite() {
        if y == 0.0 {
            m[bin_of(1.0, lo, hi, bins)] = 1.0;
        } else {
            m[bin_of(0.0, lo, hi, bins)] = 1.0;
        }
        return m;
    }
    let (l_lo, l_hi) = marchenko_pastur_support(y);
    let mid = 1.0 + y;
    let half = 2.0 * y.sqrt();
    // θ(λ) ∈ [0, π], inverse of λ = mid − half cos θ.
    let theta = |lambda: f64| {
        ((mid - lambda.clamp(l_lo, l_hi)) / half)
            .clamp(-1.0, 1.0)
            .acos()
    };
    let sy = y.sqrt();
    let gap = (1.0 - y).abs();
    let steep = if gap > 0.0 {
        (1.0 + sy) / (1.0 - sy).abs()
    } else {
        0.0
    };
    // Exact antiderivative of the density in θ (dλ = 2√y sin θ dθ):
    // (2/π) [ sin θ/(2√y) + (1+y)θ/(4y) − |1−y|/(2y) · atan(steep · tan(θ/2)) ].
    let antiderivative = |t: f64| {
        let edge = if gap > 0.0 {
            gap / (2.0 * y) * (steep * (0.5 * t).tan()).atan()
        } else {
            0.0
        };
        std::f64::consts::FRAC_2_PI * (t.sin() / (2.0 * sy) + mid * t / (4.0 * y) - edge)
    };
    let mass_between = |a: f64, b: f64| {
        let (ta, tb) = (theta(a), theta(b));
        if tb <= ta {
            0.0
        } else {
            (antiderivative(tb) - antiderivative(ta)).max(0.0)
        }
    };
    let width = (hi - lo) / bins as f64;
    for (i, mi) in m.iter_mut().enumerate() {
        let a = if i == 0 {
            f64::NEG_INFINITY
        } else {
            lo + i as f64 * width
        };
        let b = if i + 1 == bins {
            f64::INFINITY
        } else {
            lo + (i + 1) as f64 * width
        };
        *mi = mass_between(a, b);
    }
    let atom = marchenko_pastur_atom(y);
    if atom > 0.0 {
        m[bin_of(0.0, lo, hi, bins)] += atom;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_masses_sum_to_one() {
        for y in [0.1, 0.5, 0.999, 1.0, 1.001, 2.0, 5.0] {
            let m = marchenko_pastur_bin_masses(y, 0.0, 4.0, 37);
            let total: f64 = m.iter().sum();
            assert!((total - 1.0).abs() < 1e-10, "y={y}: {total}");
            assert!(m.iter().all(|&x| x >= 0.0));
        }
        // Clamping: a narrow window still holds all the mass.
        let m = marchenko_pastur_bin_masses(0.5, 1.0, 1.5, 5);
        assert!((m.iter().sum::<f64>() - 1.0).abs() < 1e-10);
    }

    #[test]
    fn histogram_basics() {
        let h = histogram(&[0.1, 0.2, 0.9, 5.0, -1.0, f64::NAN], 0.0, 1.0, 2);
        assert_eq!(h, vec![0.6, 0.4]);
        assert_eq!(histogram(&[1.0], 1.0, 1.0, 3), vec![0.0; 3]);
        assert!(histogram(&[1.0], 0.0, 1.0, 0).is_empty());
    }

    #[test]
    fn targets_and_distance() {
        assert_eq!(target_spectrum(2, 4), vec![1.0, 1.0]);
        assert_eq!(target_spectrum(4, 2), vec![2.0, 2.0, 0.0, 0.0]);
        assert_eq!(spectrum_distance(&[0.0, 2.5], &[2.0, 0.0]), 0.5);
        assert_eq!(spectrum_distance(&[3.0, 1.0, 9.0], &[3.0, 9.0]), 0.0);
        assert!(spectrum_distance(&[f64::NAN], &[1.0]).is_nan());
        assert_eq!(spectrum_distance(&[], &[1.0]), 0.0);
    }
}
