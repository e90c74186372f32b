//! The Bernoulli–Gaussian sparse source of the follow-up paper (THEORY §6).

use ndarray::ArrayViewMut2;
use rand::Rng;
use rand_distr::StandardNormal;

/// x_i = z_i g_i / √p with z_i ~ Bernoulli(p): unit variance per coordinate at any p.
pub(super) fn fill(rng: &mut impl Rng, x: &mut ArrayViewMut2<f32>, p: f64) {
    let inv = (1.0 / p.sqrt()) as f32;
    // Compare raw u64 draws against a threshold: exactly Bernoulli(p) up to 2⁻⁶⁴.
    let threshold = if p >= 1.0 {
        u64::MAX
    } else {
        (p * u64::MAX as f64) as u64
    };
    x.iter_mut().for_each(|v| {
        let keep = rng.random::<u64>() <= threshold;
        let g: f32 = rng.sample(StandardNormal);
        *v = if keep { g * inv } else { 0.0 };
    });
}
