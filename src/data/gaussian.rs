//! Gaussian sampling: isotropic, and the power-law covariance.

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

/// A Haar-random d×d orthogonal matrix: Gram–Schmidt (twice, for orthogonality to machine
/// precision) on the columns of a Gaussian matrix.
pub fn random_orthogonal(d: usize, rng: &mut impl Rng) -> Array2<f64> {
    let mut q = Array2::<f64>::zeros((d, d));
    q.mapv_inplace(|_| rng.sample(StandardNormal));
    for j in 0..d {
        for _pass in 0..2 {
            for i in 0..j {
                let proj = q.column(i).dot(&q.column(j));
                let qi = q.column(i).to_owned();
                q.column_mut(j).scaled_add(-proj, &qi);
            }
        }
        let norm = q.column(j).dot(&q.column(j)).sqrt();
        q.column_mut(j).mapv_inplace(|v| v / norm);
    }
    q
}
