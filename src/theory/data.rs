//! Reference lines for a real data set (THEORY §4, §6): the rank-limited reverse water-filling
//! prediction from the empirical covariance spectrum, the PCA bound of that spectrum, and the
//! isotropic limit (where whitened data should land).

use crate::model::Activation;
use crate::theory::bounds::{Limit, TheoryError, limit, limit_for_spectrum, pca_bound_spectrum};

/// The lines to draw for a data set with covariance eigenvalues `spectrum` (the preprocessed
/// training covariance, any order) and `n` code units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataLimits {
    /// Water-filling over the `min(n, d)` top eigenvalues with the activation's constant
    /// (normalized risk). For whitened data (all eigenvalues equal) this is the isotropic value.
    pub prediction: Limit,
    /// The best linear code of `n` units: the `d − n` smallest eigenvalues over the trace.
    pub pca: f64,
    /// The activation's limit on isotropic Gaussian data at `r = n/d`.
    pub isotropic: Limit,
}

/// The reference lines for `spectrum` (length d) at `n` code units.
pub fn data_limits(act: Activation, spectrum: &[f64], n: usize) -> Result<DataLimits, TheoryError> {
    let prediction = limit_for_spectrum(act, spectrum, n as f64)?;
    let r = n as f64 / spectrum.len() as f64;
    Ok(DataLimits {
        prediction,
        pca: pca_bound_spectrum(spectrum, n),
        isotropic: limit(act, r),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::bounds::r_sign;

    #[test]
    fn white_spectrum_is_the_isotropic_limit() {
        for n in [5u32, 10, 20, 40] {
            let l = data_limits(Activation::Sign, &[1.0; 20], n as usize).unwrap();
            let want = r_sign(f64::from(n) / 20.0);
            assert!((l.prediction.value - want).abs() < 1e-12, "n={n}");
            assert!((l.isotropic.value - want).abs() < 1e-15);
            assert!((l.pca - (1.0 - (f64::from(n) / 20.0)).max(0.0)).abs() < 1e-15);
        }
        // A skewed spectrum predicts less than white data at the same rate.
        let s: Vec<f64> = (1..=20).map(|j| 1.0 / f64::from(j)).collect();
        let l = data_limits(Activation::Sign, &s, 10).unwrap();
        assert!(l.prediction.value < l.isotropic.value);
        assert!(l.pca < l.prediction.value);
    }
}
