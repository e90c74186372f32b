//! The Gaussian twin of a data file (THEORY §6): N(0, Σ̂) with Σ̂ the second-moment matrix of
//! the preprocessed training split. Its exact risk for the current weights, beside the
//! validation risk on the real data, shows the universality error live.

use crate::model::Autoencoder;
use crate::theory::gaussian::{self, Covariance, GaussianError};
use crate::train::population::has_closed_form;
use ndarray::{Array2, ArrayView2};
use std::time::{Duration, Instant};

/// Most of the wall time the twin's evaluations may take: after an evaluation that took `c`,
/// the next waits until `c / SHARE` has passed (3 %: at d = 784 one evaluation is O(n d²)).
pub const SHARE: f64 = 0.03;

/// Σ̂ and the pacing of its evaluations.
#[derive(Debug, Clone)]
pub struct Twin {
    cov: Covariance,
    /// When the last evaluation started and how long it took.
    last: Option<(Instant, Duration)>,
}

impl Twin {
    /// The twin of a training split `x` (samples × d, preprocessed): Σ̂ = xᵀx / samples (the
    /// second moments, so its risk is normalized as the data's: Tr Σ̂ = d after scaling).
    pub fn of(x: ArrayView2<'_, f32>) -> Twin {
        Twin {
            cov: Covariance::Full(second_moment(x)),
            last: None,
        }
    }

    pub fn covariance(&self) -> &Covariance {
        &self.cov
    }

    /// The exact risk of `model` on N(0, Σ̂), normalized by (1/d) Tr Σ̂; None where no closed
    /// form exists (tanh) or the weights are not finite.
    pub fn risk(&self, model: &Autoencoder) -> Result<Option<f64>, GaussianError> {
        if !has_closed_form(model.act) {
            return Ok(None);
        }
        let a = model.a.mapv(f64::from);
        let b = model.b.mapv(f64::from);
        let Ok(m) = gaussian::moments(model.act, b.view(), &self.cov) else {
            return Ok(None);
        };
        let Ok(risk) = gaussian::risk(a.view(), &m, &self.cov) else {
            return Ok(None);
        };
        let norm = self.cov.trace() / self.cov.d() as f64;
        Ok(Some(risk / norm))
    }

    /// [`Twin::risk`] when it is due (the first time, then when its share of the wall time
    /// allows, see [`SHARE`]); None when not due.
    pub fn risk_when_due(&mut self, model: &Autoencoder) -> Option<f64> {
        let now = Instant::now();
        if let Some((at, took)) = self.last
            && now.duration_since(at).as_secs_f64() * SHARE < took.as_secs_f64()
        {
            return None;
        }
        let risk = self.risk(model).ok().flatten();
        self.last = Some((now, now.elapsed()));
        risk
    }
}

/// xᵀx / rows in f64, exactly symmetric.
fn second_moment(x: ArrayView2<'_, f32>) -> Array2<f64> {
    crate::data::preprocess::covariance(x, &vec![0.0; x.ncols()])
}
