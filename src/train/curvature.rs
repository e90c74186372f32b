//! The largest curvature of a smooth function from its gradient alone: Lanczos iteration on
//! Hessian-vector products taken as forward differences of the gradient. Population mode's
//! `lr = "auto"` steps by a multiple of 1/λmax of the exact risk's Hessian (THEORY §7:
//! gradient descent is stable while the step stays below 2/λmax). Lanczos rather than power
//! iteration: near a tight frame the top of the Hessian's spectrum is a cluster, where power
//! iteration stalls 10–15 % below λmax after 30 gradients and Lanczos does not.

/// Most Lanczos iterations per estimate (each costs one gradient).
pub const MAX_ITERATIONS: usize = 30;

/// Relative change of the estimate between iterations below which the iteration stops.
pub const TOLERANCE: f64 = 1e-4;

/// Relative size of the finite-difference displacement, against max(1, ‖w‖).
const RELATIVE_STEP: f64 = 1e-6;

/// The largest |eigenvalue| of the Hessian at `w` of a function whose gradient `grad(x, out)`
/// writes into `out` (same length as `x`); `g0` is the gradient at `w` (already computed by
/// the caller). The iteration starts from a fixed pseudo-random direction (not the gradient:
/// near a minimum the gradient can be all but orthogonal to the top eigenvector), so the
/// estimate is a function of `w` alone. The estimate is the largest |Ritz value|: from below, converging fast to λmax
/// even when the top eigenvalues cluster. None when a gradient is not finite or the
/// curvature is zero.
pub fn largest_curvature<E>(
    w: &[f64],
    g0: &[f64],
    mut grad: impl FnMut(&[f64], &mut [f64]) -> Result<(), E>,
) -> Result<Option<f64>, E> {
    let m = w.len();
    let mut q = start_vector(m);
    if !normalize(&mut q) {
        return Ok(None);
    }
    let h = RELATIVE_STEP * norm(w).max(1.0);
    let mut q_prev = vec![0.0; m];
    let mut x = vec![0.0; m];
    let mut u = vec![0.0; m];
    // The tridiagonal matrix: diagonal α, off-diagonal β.
    let mut alpha: Vec<f64> = Vec::new();
    let mut beta: Vec<f64> = Vec::new();
    let mut estimate: Option<f64> = None;
    for _ in 0..m.min(MAX_ITERATIONS) {
        for ((xi, wi), qi) in x.iter_mut().zip(w).zip(&q) {
            *xi = wi + h * qi;
        }
        grad(&x, &mut u)?;
        // u = H q ≈ (∇f(w + h q) − ∇f(w)) / h.
        for (ui, g0i) in u.iter_mut().zip(g0) {
            *ui = (*ui - g0i) / h;
        }
        let a = dot(&u, &q);
        let b_prev = beta.last().copied().unwrap_or(0.0);
        for ((ui, qi), pi) in u.iter_mut().zip(&q).zip(&q_prev) {
            *ui -= a * qi + b_prev * pi;
        }
        alpha.push(a);
        let lambda = largest_magnitude(&alpha, &beta);
        if !lambda.is_finite() {
            return Ok(None);
        }
        let done = estimate.is_some_and(|prev| (lambda - prev).abs() <= TOLERANCE * lambda);
        estimate = Some(lambda);
        let b = norm(&u);
        // An invariant subspace (b = 0) holds the extreme Ritz values exactly.
        if done || b.is_nan() || b <= 1e-12 * lambda.max(f64::MIN_POSITIVE) {
            break;
        }
        beta.push(b);
        std::mem::swap(&mut q_prev, &mut q);
        for (qi, ui) in q.iter_mut().zip(&u) {
            *qi = ui / b;
        }
    }
    Ok(estimate.filter(|l| *l > 0.0))
}

/// A pseudo-random vector of length m with entries in [−1, 1), the same on every call.
fn start_vector(m: usize) -> Vec<f64> {
    use rand_xoshiro::Xoshiro256PlusPlus;
    use rand_xoshiro::rand_core::{RngCore, SeedableRng};
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x1a9c_2b05);
    (0..m)
        .map(|_| (rng.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0)
        .collect()
}

/// max(|θmin|, |θmax|) over the eigenvalues θ of the symmetric tridiagonal matrix with
/// diagonal `alpha` (k) and off-diagonal `beta` (k − 1, or more: extra entries are ignored).
fn largest_magnitude(alpha: &[f64], beta: &[f64]) -> f64 {
    let k = alpha.len();
    let off = |i: usize| if i < k - 1 { beta[i].abs() } else { 0.0 };
    // Gershgorin: every eigenvalue lies in [lo, hi].
    let radius = |i: usize| off(i) + if i > 0 { off(i - 1) } else { 0.0 };
    let lo = (0..k)
        .map(|i| alpha[i] - radius(i))
        .fold(f64::INFINITY, f64::min);
    let hi = (0..k)
        .map(|i| alpha[i] + radius(i))
        .fold(f64::NEG_INFINITY, f64::max);
    let top = bisect(alpha, beta, lo, hi, k - 1);
    let bottom = bisect(alpha, beta, lo, hi, 0);
    top.abs().max(bottom.abs())
}

/// The `index`-th smallest eigenvalue (0-based) of the tridiagonal matrix, by bisection on the
/// Sturm count (eigenvalues below x = negative pivots of T − x I).
fn bisect(alpha: &[f64], beta: &[f64], mut lo: f64, mut hi: f64, index: usize) -> f64 {
    let below = |x: f64| {
        let mut count = 0;
        let mut pivot = 1.0;
        for (i, a) in alpha.iter().enumerate() {
            let b2 = if i > 0 {
                beta[i - 1] * beta[i - 1]
            } else {
                0.0
            };
            pivot = a - x - if i > 0 { b2 / pivot } else { 0.0 };
            if pivot == 0.0 {
                pivot = f64::MIN_POSITIVE;
            }
            if pivot < 0.0 {
                count += 1;
            }
        }
        count
    };
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if below(mid) > index {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Scale to unit norm; false when the norm is zero or not finite.
fn normalize(v: &mut [f64]) -> bool {
    let n = norm(v);
    if n > 0.0 && n.is_finite() {
        for x in v.iter_mut() {
            *x /= n;
        }
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f(x) = ½ xᵀ M x + ¼ Σ x⁴ for a fixed symmetric M: the estimate at x = 0 is λmax(|M|).
    #[test]
    fn quadratic_curvature_is_the_largest_eigenvalue() {
        // Eigenvalues 5, −2, 1 in a rotated basis.
        let (c, s) = (0.6_f64, 0.8_f64);
        let m = [
            [5.0 * c * c + 1.0 * s * s, (5.0 - 1.0) * c * s, 0.0],
            [(5.0 - 1.0) * c * s, 5.0 * s * s + 1.0 * c * c, 0.0],
            [0.0, 0.0, -2.0],
        ];
        let grad = |x: &[f64], out: &mut [f64]| -> Result<(), ()> {
            for i in 0..3 {
                out[i] = (0..3).map(|j| m[i][j] * x[j]).sum::<f64>() + x[i].powi(3);
            }
            Ok(())
        };
        let w = [0.0; 3];
        let mut g0 = [0.0; 3];
        grad(&w, &mut g0).ok();
        let got = largest_curvature(&w, &g0, grad).ok().flatten();
        assert!(got.is_some_and(|l| (l - 5.0).abs() < 1e-4), "{got:?}");
    }

    /// A cluster at the top (1000 eigenvalues in [0.9, 1] and one at 1.05): power iteration
    /// would stall inside the cluster; Lanczos finds 1.05 within the iteration budget.
    #[test]
    fn clustered_top_of_the_spectrum() {
        let m = 1001;
        let eig: Vec<f64> = (0..m)
            .map(|i| {
                if i == 0 {
                    1.05
                } else {
                    0.9 + 0.1 * i as f64 / m as f64
                }
            })
            .collect();
        let grad = |x: &[f64], out: &mut [f64]| -> Result<(), ()> {
            for ((o, xi), e) in out.iter_mut().zip(x).zip(&eig) {
                *o = e * xi;
            }
            Ok(())
        };
        let w = vec![0.0; m];
        let g0 = vec![0.0; m];
        let got = largest_curvature(&w, &g0, grad).ok().flatten();
        assert!(got.is_some_and(|l| (l - 1.05).abs() < 1e-3), "{got:?}");
    }

    /// The tridiagonal eigenvalue bisection against a 2×2 closed form.
    #[test]
    fn tridiagonal_extremes() {
        // [[2, 1], [1, −3]]: eigenvalues −0.5 ± √(6.25 + 1).
        let (a, b) = ([2.0, -3.0], [1.0]);
        let r = (6.25_f64 + 1.0).sqrt();
        assert!((largest_magnitude(&a, &b) - (0.5 + r)).abs() < 1e-12);
        assert!((bisect(&a, &b, -10.0, 10.0, 1) - (-0.5 + r)).abs() < 1e-12);
    }
}
