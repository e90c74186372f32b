//! The exact population layer in training: the covariance of a Gaussian source, the exact risk
//! and R*(B) of the current weights, and full-batch gradient descent on the exact risk.

use crate::data::{DataSource, SourceKind};
use crate::model::{Activation, Autoencoder, NeuronMap};
use crate::protocol::{DecoderMode, OptParams};
use crate::theory::gaussian::{self, Covariance, GaussianError, Parallelism, PopulationWorkspace};
use crate::train::StopFlag;
use crate::train::optim::{Optimizer, remap_axis};
use ndarray::{Array2, Axis};

/// Σ of a Gaussian source (None for sparse data: no closed form applies).
pub fn covariance_of(data: &DataSource) -> Option<Covariance> {
    let spec = data.spec();
    match spec.kind {
        SourceKind::Sparse | SourceKind::File => None,
        SourceKind::Gaussian => Some(Covariance::Identity(spec.d)),
        SourceKind::Powerlaw => {
            let info = data.covariance();
            Some(match info.basis {
                None => Covariance::Diagonal(info.spectrum),
                Some(q) => {
                    // Σ = Q diag(s) Qᵀ.
                    let scaled = &q
                        * &ndarray::Array1::from(info.spectrum)
                            .view()
                            .insert_axis(Axis(0));
                    Covariance::Full(scaled.dot(&q.t()))
                }
            })
        }
    }
}

/// Whether THEORY §3 has a closed form for this activation.
pub fn has_closed_form(act: Activation) -> bool {
    act != Activation::Tanh
}

/// Exact risk R(A, B) and R*(B) of an f32 model under x ~ N(0, Σ); `Ok(None)` where no closed
/// form exists (tanh) or the weights are not finite, `Err(Stopped)` once `stop` is raised (it
/// is checked between the three O(n²d) parts).
pub fn exact_risks(
    model: &Autoencoder,
    cov: &Covariance,
    stop: &StopFlag,
) -> Result<Option<(f64, f64)>, GaussianError> {
    let go_on = || {
        if stop.is_raised() {
            Err(GaussianError::Stopped)
        } else {
            Ok(())
        }
    };
    if !has_closed_form(model.act) {
        return Ok(None);
    }
    let a = model.a.mapv(f64::from);
    let b = model.b.mapv(f64::from);
    go_on()?;
    let Ok(m) = gaussian::moments(model.act, b.view(), cov) else {
        return Ok(None);
    };
    go_on()?;
    let Ok(risk) = gaussian::risk(a.view(), &m, cov) else {
        return Ok(None);
    };
    go_on()?;
    let Ok((_, best)) = gaussian::optimal_decoder(&m, cov) else {
        return Ok(None);
    };
    let norm = cov.trace() / cov.d() as f64;
    Ok(Some((risk / norm, best / norm)))
}

/// A*(B) for an f32 model (written into `model.a`).
pub fn refit_decoder(model: &mut Autoencoder, cov: &Covariance) -> Result<(), GaussianError> {
    let b = model.b.mapv(f64::from);
    let m = gaussian::moments(model.act, b.view(), cov)?;
    let (a, _) = gaussian::optimal_decoder(&m, cov)?;
    model.a = a.mapv(|v| v as f32);
    Ok(())
}

/// Full-batch gradient descent on the exact risk, in f64. The f32 model is a mirror written
/// after every step (for snapshots, checkpoints and the validation estimate).
pub struct PopulationEngine {
    /// Decoder d×n and encoder n×d, f64 masters.
    a: Array2<f64>,
    b: Array2<f64>,
    opt: Optimizer<f64>,
    ws: PopulationWorkspace,
    ga: Array2<f64>,
    gb: Array2<f64>,
    stop: StopFlag,
}

impl PopulationEngine {
    pub fn new(model: &Autoencoder, params: OptParams) -> Self {
        let (n, d) = (model.n(), model.d());
        PopulationEngine {
            a: model.a.mapv(f64::from),
            b: model.b.mapv(f64::from),
            opt: Optimizer::new(params, &[(d, n), (n, d)]),
            ws: PopulationWorkspace::new(n, d),
            ga: Array2::zeros((d, n)),
            gb: Array2::zeros((n, d)),
            stop: StopFlag::default(),
        }
    }

    /// Abandon a step in progress between its products once `stop` is raised
    /// ([`GaussianError::Stopped`]; nothing is updated).
    pub fn set_stop_flag(&mut self, stop: &StopFlag) {
        self.ws.set_stop_flag(stop.shared());
        self.stop = stop.clone();
    }

    /// Threading of the risk-and-gradient kernels (all cores by default).
    pub fn set_parallelism(&mut self, par: Parallelism) {
        self.ws.set_parallelism(par);
    }

    pub fn optimizer_mut(&mut self) -> &mut Optimizer<f64> {
        &mut self.opt
    }

    /// One step. Returns the exact risk *before* the step and the gradient norm; on a
    /// non-finite risk or gradient nothing changes and the values are returned as they are.
    pub fn step(
        &mut self,
        act: Activation,
        cov: &Covariance,
        lr: f64,
        decoder: DecoderMode,
    ) -> Result<(f64, f64, bool), GaussianError> {
        if self.stop.is_raised() {
            return Err(GaussianError::Stopped);
        }
        if decoder == DecoderMode::Optimal {
            let m = gaussian::moments(act, self.b.view(), cov)?;
            self.a = gaussian::optimal_decoder(&m, cov)?.0;
        }
        let risk = self.ws.risk_and_grad_into(
            act,
            self.a.view(),
            self.b.view(),
            cov,
            self.ga.view_mut(),
            self.gb.view_mut(),
        )?;
        let gnorm = (self
            .ga
            .iter()
            .chain(self.gb.iter())
            .map(|g| g * g)
            .sum::<f64>())
        .sqrt();
        if !risk.is_finite() || !gnorm.is_finite() {
            return Ok((risk, gnorm, false));
        }
        match decoder {
            DecoderMode::Learned => {
                self.opt
                    .step(&mut [&mut self.a, &mut self.b], &[&self.ga, &self.gb], lr);
            }
            // At A = A*(B), ∂R*/∂B = ∂R/∂B (envelope theorem): step B only.
            DecoderMode::Optimal => {
                self.opt.begin_step();
                self.opt.update(1, &mut self.b, &self.gb, lr);
            }
        }
        if act.is_scale_invariant() {
            for mut row in self.b.rows_mut() {
                let norm = row.dot(&row).sqrt();
                if norm > 0.0 {
                    row /= norm;
                }
            }
        }
        Ok((risk, gnorm, true))
    }

    /// The f64 masters and optimizer state (for a checkpoint).
    pub fn state(&self) -> (Array2<f64>, Array2<f64>, crate::train::optim::OptState<f64>) {
        (self.a.clone(), self.b.clone(), self.opt.state())
    }

    /// Take saved masters and optimizer state; shapes must match.
    pub fn set_state(
        &mut self,
        a: Array2<f64>,
        b: Array2<f64>,
        opt: crate::train::optim::OptState<f64>,
    ) -> Result<(), String> {
        if a.dim() != self.a.dim() || b.dim() != self.b.dim() {
            return Err("population weights of other shapes than the model".into());
        }
        self.opt.set_state(opt)?;
        self.a = a;
        self.b = b;
        Ok(())
    }

    /// Copy the f64 weights into the f32 model.
    pub fn write_to(&self, model: &mut Autoencoder) {
        model.a = self.a.mapv(|v| v as f32);
        model.b = self.b.mapv(|v| v as f32);
    }

    /// Follow a resize of the f32 model: kept neurons keep their f64 weights and optimizer
    /// state, new ones take the model's freshly drawn rows (and zero decoder columns).
    pub fn remap(&mut self, map: &NeuronMap, model: &Autoencoder) {
        self.a = remap_axis(&self.a, Axis(1), map);
        self.b = remap_axis(&self.b, Axis(0), map);
        for (j, old) in map.iter().enumerate() {
            if old.is_none() {
                self.b.row_mut(j).assign(&model.b.row(j).mapv(f64::from));
            }
        }
        self.opt.remap(0, Axis(1), map);
        self.opt.remap(1, Axis(0), map);
        let (n, d) = (model.n(), model.d());
        self.ga = Array2::zeros((d, n));
        self.gb = Array2::zeros((n, d));
    }

    /// Take the f32 model's weights (after a change of activation that renormalized rows).
    pub fn reload(&mut self, model: &Autoencoder) {
        self.a = model.a.mapv(f64::from);
        self.b = model.b.mapv(f64::from);
    }
}
