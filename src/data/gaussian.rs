//! Gaussian sampling: isotropic, and the power-law covariance.

use faer::Mat;
use ndarray::{Array2, ArrayViewMut2};
use rand::Rng;
use rand_distr::StandardNormal;

/// Fill with i.i.d. N(0, 1) (ziggurat, f32 directly: no f64 round trip).
pub(super) fn fill_standard(rng: &mut impl Rng, x: &mut ArrayViewMut2<f32>) {
    match x.as_slice_memory_order_mut() {
        Some(s) => s.iter_mut().for_each(|v| *v = rng.sample(StandardNormal)),
        None => x.iter_mut().for_each(|v| *v = rng.sample(StandardNormal)),
    }
}

/// [`fill_standard`] for a batch the caller reads once, later, from memory: on x86-64 the values
/// bypass the caches (non-temporal stores), in the same order, so the same bits. The sampler
/// thread shares cores with the step's GEMM threads; its plain stores (800 KB a batch at
/// d = 784, batch 256) evicted the packed blocks those threads keep in the core's L2.
pub(super) fn fill_standard_streamed(rng: &mut impl Rng, x: &mut ArrayViewMut2<f32>) {
    #[cfg(target_arch = "x86_64")]
    if let Some(s) = x.as_slice_memory_order_mut() {
        stream_normals(rng, s);
        return;
    }
    fill_standard(rng, x);
}

#[cfg(target_arch = "x86_64")]
fn stream_normals(rng: &mut impl Rng, s: &mut [f32]) {
    use std::arch::x86_64::{_mm_loadu_ps, _mm_sfence, _mm_stream_ps};
    // Up to the first 16-byte boundary with plain stores; then four at a time.
    let head = s.as_ptr().align_offset(16).min(s.len());
    let (first, rest) = s.split_at_mut(head);
    for v in first {
        *v = rng.sample(StandardNormal);
    }
    let mut quads = rest.chunks_exact_mut(4);
    for q in &mut quads {
        let v: [f32; 4] = std::array::from_fn(|_| rng.sample(StandardNormal));
        // SAFETY: `q` is four floats at a 16-byte aligned address (the head was split off);
        // SSE is part of x86-64.
        unsafe { _mm_stream_ps(q.as_mut_ptr(), _mm_loadu_ps(v.as_ptr())) };
    }
    for v in quads.into_remainder() {
        *v = rng.sample(StandardNormal);
    }
    // Streamed stores are weakly ordered: fence them before the batch is handed to another
    // thread. SAFETY: SSE is part of x86-64.
    unsafe { _mm_sfence() };
}

/// Multiply column k by `scale[k]`.
pub(super) fn scale_columns(x: &mut ArrayViewMut2<f32>, scale: &[f32]) {
    for mut row in x.rows_mut() {
        row.iter_mut().zip(scale).for_each(|(v, s)| *v *= s);
    }
}

/// Eigenvalues s_k ∝ k^(−α), k = 1..d, normalized so that Σ s_k = d (descending).
pub fn power_law_spectrum(d: usize, alpha: f64) -> Vec<f64> {
    let raw: Vec<f64> = (1..=d).map(|k| (k as f64).powf(-alpha)).collect();
    let total: f64 = raw.iter().sum();
    raw.iter().map(|s| s * d as f64 / total).collect()
}

/// A Haar-random d×d orthogonal matrix: the Q of a Householder QR (faer) of a d×d matrix of
/// i.i.d. N(0, 1), with column j multiplied by sign(R_jj).
///
/// The sign correction makes the factorization the unique one with a positive diagonal in R,
/// whose Q is Haar-distributed (Mezzadri 2007); without it Q inherits the Householder sign
/// convention and is not. It is also what Gram–Schmidt on the columns computes, so a seed draws
/// the same matrix as the former Gram–Schmidt sampler, up to rounding (not bit for bit).
pub fn random_orthogonal(d: usize, rng: &mut impl Rng) -> Array2<f64> {
    // Drawn row by row, in the order the former sampler drew them.
    let g = Array2::<f64>::from_shape_simple_fn((d, d), || rng.sample(StandardNormal));
    let qr = Mat::<f64>::from_fn(d, d, |i, j| g[[i, j]]).qr();
    let q = qr.compute_Q();
    let r = qr.R();
    // R_jj = 0 has probability 0 for a Gaussian matrix; the column is kept as it is then.
    let sign = |j: usize| if r[(j, j)] < 0.0 { -1.0 } else { 1.0 };
    Array2::from_shape_fn((d, d), |(i, j)| q[(i, j)] * sign(j))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// The streamed fill writes the same values in the same places as the plain one, whatever
    /// the buffer's length and alignment (head, four-at-a-time body, tail).
    #[test]
    fn streamed_fill_draws_the_same_bits() {
        for offset in 0..4 {
            for len in [0usize, 1, 3, 4, 5, 7, 8, 9, 31, 64, 257] {
                let mut plain = vec![0.0f32; offset + len];
                let mut streamed = plain.clone();
                let mut rng_a = Xoshiro256PlusPlus::seed_from_u64(len as u64);
                let mut rng_b = rng_a.clone();
                fn view(v: &mut [f32], offset: usize) -> ArrayViewMut2<'_, f32> {
                    let len = v.len() - offset;
                    ArrayViewMut2::from_shape((1, len), &mut v[offset..]).unwrap()
                }
                fill_standard(&mut rng_a, &mut view(&mut plain, offset));
                fill_standard_streamed(&mut rng_b, &mut view(&mut streamed, offset));
                assert_eq!(
                    plain.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    streamed.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "offset {offset}, len {len}"
                );
                assert_eq!(rng_a, rng_b, "offset {offset}, len {len}: draws consumed");
            }
        }
    }

    /// Mean and standard error of `samples`.
    fn mean_se(samples: &[f64]) -> (f64, f64) {
        let n = samples.len() as f64;
        let mean = samples.iter().sum::<f64>() / n;
        let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, (var / n).sqrt())
    }

    #[test]
    fn orthonormal_to_rounding() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for d in [1, 2, 3, 17, 64, 200] {
            let q = random_orthogonal(d, &mut rng);
            let off = (q.t().dot(&q) - Array2::<f64>::eye(d))
                .iter()
                .fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(off < 1e-12, "d={d}: max |QᵀQ − I| = {off:e}");
        }
    }

    /// Q is the Q of the QR of the Gaussian draw with a positive diagonal in R (what
    /// Gram–Schmidt gives): Qᵀ G is upper triangular with a positive diagonal.
    #[test]
    fn q_is_the_positive_diagonal_factor_of_the_draw() {
        let d = 40;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let mut replay = rng.clone();
        let q = random_orthogonal(d, &mut rng);
        let g = Array2::<f64>::from_shape_simple_fn((d, d), || replay.sample(StandardNormal));
        let r = q.t().dot(&g);
        for i in 0..d {
            assert!(r[[i, i]] > 0.0, "R[{i},{i}] = {}", r[[i, i]]);
            for j in 0..i {
                assert!(r[[i, j]].abs() < 1e-12, "R[{i},{j}] = {:e}", r[[i, j]]);
            }
        }
    }

    /// Moments against the Haar measure on O(d), seeded Monte Carlo within 4 standard errors:
    /// Q₁₁² ~ Beta(1/2, (d−1)/2), so E Q₁₁² = 1/d and E Q₁₁⁴ = 3/(d(d+2)); and
    /// (Diaconis–Shahshahani) E tr Q = 0, E (tr Q)² = 1, E (tr Q)⁴ = 3 (the N(0, 1) moments, for
    /// d ≥ 8), E tr Q² = 1. The trace moments catch a missing sign correction: Householder's
    /// sign convention biases the diagonal of Q (for d = 1, Q would always be −1).
    #[test]
    fn moments_match_the_haar_measure() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2023);
        let samples = 6000;
        for d in [1usize, 2, 8] {
            let mut q11_2 = Vec::with_capacity(samples);
            let mut q11_4 = Vec::with_capacity(samples);
            let mut tr = Vec::with_capacity(samples);
            let mut tr2 = Vec::with_capacity(samples);
            let mut tr4 = Vec::with_capacity(samples);
            let mut tr_sq = Vec::with_capacity(samples);
            for _ in 0..samples {
                let q = random_orthogonal(d, &mut rng);
                let t = q.diag().sum();
                q11_2.push(q[[0, 0]].powi(2));
                q11_4.push(q[[0, 0]].powi(4));
                tr.push(t);
                tr2.push(t * t);
                tr4.push(t.powi(4));
                tr_sq.push(q.dot(&q).diag().sum());
            }
            let df = d as f64;
            let mut checks = vec![
                ("E Q11²", &q11_2, 1.0 / df),
                ("E Q11⁴", &q11_4, 3.0 / (df * (df + 2.0))),
                ("E tr Q", &tr, 0.0),
            ];
            if d >= 2 {
                checks.push(("E (tr Q)²", &tr2, 1.0));
                checks.push(("E tr Q²", &tr_sq, 1.0));
            }
            if d >= 8 {
                checks.push(("E (tr Q)⁴", &tr4, 3.0));
            }
            for (what, xs, want) in checks {
                let (mean, se) = mean_se(xs);
                // d = 1: Q₁₁² = 1 exactly, a zero standard error.
                let tol = 4.0 * se + 1e-12;
                assert!(
                    (mean - want).abs() <= tol,
                    "d={d}: {what} = {mean} ± {se}, Haar gives {want}"
                );
            }
        }
    }
}
