//! The exact population layer in training: the covariance of a Gaussian source, the exact risk
//! and R*(B) of the current weights, and full-batch gradient descent on the exact risk.

use crate::data::{DataSource, SourceKind};
use crate::model::{Activation, Autoencoder, NeuronMap};
use crate::protocol::{DecoderMode, OptParams};
use crate::theory::gaussian::{self, Covariance, GaussianError, Parallelism, PopulationWorkspace};
use crate::train::StopFlag;
use crate::train::curvature;
use crate::train::optim::{Optimizer, remap_axis};
use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

/// The automatic step is this over λmax: gradient descent is stable below 2/λmax (heavy ball
/// below 2(1 + μ)/λmax). Measured against the hand-tuned rates of the population presets,
/// 1/λmax took about twice their steps, 1.8/λmax fewer (see `presets/`).
pub const AUTO_SCALE: f64 = 1.8;

/// Steps between two estimates of the curvature under `lr = "auto"`: the interval starts at
/// the first and doubles while the estimate holds still (within [`STILL`]), up to the second;
/// it falls back to the first when the estimate moved. Each estimate costs up to
/// [`curvature::MAX_ITERATIONS`] gradients; the step also re-estimates at once when the
/// risk rose by more than [`RISE`].
pub const AUTO_REFRESH: (u64, u64) = (10, 640);

/// A relative change of the curvature estimate that counts as holding still.
const STILL: f64 = 0.05;

/// A rise of the risk over one step, relative, that makes the automatic step re-estimate the
/// curvature at once (smaller rises are rounding at convergence, or heavy ball's overshoot).
const RISE: f64 = 1e-2;

/// How large a step is: a given rate, or the automatic one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepSize {
    Fixed(f64),
    /// `mult` × [`AUTO_SCALE`] / λmax, λmax re-estimated every so often (see
    /// [`AUTO_REFRESH`]); `step` is the trainer's step count.
    Auto {
        mult: f64,
        step: u64,
    },
}

/// The automatic step's state: the last curvature estimate, where it was made, and the risk
/// before the last step (part of a checkpoint, so a resumed run steps the same).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoStep {
    /// λmax of the exact risk's Hessian in the trained weights, in units of R per weight².
    pub curvature: f64,
    /// The step count at which it was estimated.
    pub at_step: u64,
    /// Steps from `at_step` to the next estimate.
    pub interval: u64,
    /// The exact risk before the last step.
    pub last_risk: Option<f64>,
}

/// What one population step did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PopulationStep {
    /// Exact risk before the step.
    pub risk: f64,
    pub grad_norm: f64,
    /// False when the risk or the gradient was not finite (nothing changed).
    pub applied: bool,
    /// The learning rate used.
    pub lr: f64,
}

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
    /// `lr = "auto"`: the last curvature estimate (None before the first).
    auto: Option<AutoStep>,
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
            auto: None,
            stop: StopFlag::default(),
        }
    }

    /// Abandon a step in progress between its products once `stop` is raised
    /// ([`GaussianError::Stopped`]; nothing is updated).
    pub fn set_stop_flag(&mut self, stop: &StopFlag) {
        self.ws.set_stop_flag(stop.shared());
        self.stop = stop.clone();
    }

    /// The automatic step's state (None before its first estimate, or with a fixed rate).
    pub fn auto_step(&self) -> Option<AutoStep> {
        self.auto
    }

    /// The rate `lr = "auto"` takes now with multiplier `mult`: mult × [`AUTO_SCALE`]/λmax
    /// (None before an estimate). The same for gradient descent (stable below 2/λ) and heavy ball with
    /// coefficient μ (stable below 2(1 + μ)/λ; in the flat directions it then moves 1/(1 − μ)
    /// times farther, which is what makes it fast on an anisotropic Σ).
    pub fn auto_lr(&self, mult: f64) -> Option<f64> {
        self.auto.map(|a| mult * AUTO_SCALE / a.curvature)
    }

    /// Estimate the curvature at the current weights now (at step `step`), e.g. so that the
    /// rate is known before the first step. Needs the gradient: computes it.
    pub fn estimate_curvature(
        &mut self,
        act: Activation,
        cov: &Covariance,
        decoder: DecoderMode,
        step: u64,
    ) -> Result<(), GaussianError> {
        let risk = self.risk_and_gradient(act, cov, decoder)?;
        if risk.is_finite() {
            self.refresh_curvature(act, cov, decoder, step, None)?;
        }
        Ok(())
    }

    /// The exact risk at the current weights (with A = A*(B) first for the optimal decoder),
    /// its gradient left in `ga`, `gb`.
    fn risk_and_gradient(
        &mut self,
        act: Activation,
        cov: &Covariance,
        decoder: DecoderMode,
    ) -> Result<f64, GaussianError> {
        if decoder == DecoderMode::Optimal {
            let m = gaussian::moments(act, self.b.view(), cov)?;
            self.a = gaussian::optimal_decoder(&m, cov)?.0;
        }
        self.ws.risk_and_grad_into(
            act,
            self.a.view(),
            self.b.view(),
            cov,
            self.ga.view_mut(),
            self.gb.view_mut(),
        )
    }

    /// λmax at the current weights (the gradient in `ga`, `gb` is theirs), stored with `step`.
    fn refresh_curvature(
        &mut self,
        act: Activation,
        cov: &Covariance,
        decoder: DecoderMode,
        step: u64,
        last_risk: Option<f64>,
    ) -> Result<(), GaussianError> {
        let (w, g0) = match decoder {
            DecoderMode::Learned => (flat(&[&self.a, &self.b]), flat(&[&self.ga, &self.gb])),
            DecoderMode::Optimal => (flat(&[&self.b]), flat(&[&self.gb])),
        };
        let (d, n) = self.a.dim();
        let ws = &mut self.ws;
        let lambda = curvature::largest_curvature(&w, &g0, |x, out| {
            flat_gradient(ws, act, cov, decoder, (d, n), x, out)
        })?;
        if let Some(curvature) = lambda {
            let (first, most) = AUTO_REFRESH;
            let interval = match self.auto {
                Some(a) if (curvature - a.curvature).abs() <= STILL * a.curvature => {
                    (a.interval * 2).clamp(first, most)
                }
                _ => first,
            };
            self.auto = Some(AutoStep {
                curvature,
                at_step: step,
                interval,
                last_risk,
            });
        }
        Ok(())
    }

    /// Threading of the risk-and-gradient kernels (all cores by default).
    pub fn set_parallelism(&mut self, par: Parallelism) {
        self.ws.set_parallelism(par);
    }

    pub fn optimizer_mut(&mut self) -> &mut Optimizer<f64> {
        &mut self.opt
    }

    /// One step. Returns the exact risk *before* the step, the gradient norm and the rate
    /// used; on a non-finite risk or gradient nothing changes and the values are returned as
    /// they are.
    pub fn step(
        &mut self,
        act: Activation,
        cov: &Covariance,
        size: StepSize,
        decoder: DecoderMode,
    ) -> Result<PopulationStep, GaussianError> {
        if self.stop.is_raised() {
            return Err(GaussianError::Stopped);
        }
        let risk = self.risk_and_gradient(act, cov, decoder)?;
        let gnorm = (self
            .ga
            .iter()
            .chain(self.gb.iter())
            .map(|g| g * g)
            .sum::<f64>())
        .sqrt();
        let lr = match size {
            StepSize::Fixed(lr) => lr,
            StepSize::Auto { mult, step } => self.auto_rate(act, cov, decoder, risk, mult, step)?,
        };
        if !risk.is_finite() || !gnorm.is_finite() || !lr.is_finite() {
            return Ok(PopulationStep {
                risk,
                grad_norm: gnorm,
                applied: false,
                lr,
            });
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
        Ok(PopulationStep {
            risk,
            grad_norm: gnorm,
            applied: true,
            lr,
        })
    }

    /// The automatic rate at the current weights (gradient in `ga`, `gb`): the stored
    /// curvature, re-estimated when due (see [`AUTO_REFRESH`]) and whenever the last step
    /// raised the risk.
    fn auto_rate(
        &mut self,
        act: Activation,
        cov: &Covariance,
        decoder: DecoderMode,
        risk: f64,
        mult: f64,
        step: u64,
    ) -> Result<f64, GaussianError> {
        if !risk.is_finite() {
            return Ok(f64::NAN);
        }
        let stale = match self.auto {
            None => true,
            Some(a) => {
                step >= a.at_step.saturating_add(a.interval)
                    || (a.at_step != step
                        && a.last_risk.is_some_and(|prev| risk > prev * (1.0 + RISE)))
            }
        };
        if stale {
            self.refresh_curvature(act, cov, decoder, step, None)?;
        }
        if let Some(a) = &mut self.auto {
            a.last_risk = Some(risk);
        }
        Ok(self.auto_lr(mult).unwrap_or(f64::NAN))
    }

    /// The f64 masters and optimizer state (for a checkpoint).
    pub fn state(&self) -> (Array2<f64>, Array2<f64>, crate::train::optim::OptState<f64>) {
        (self.a.clone(), self.b.clone(), self.opt.state())
    }

    /// Take saved masters, optimizer state and automatic-step state; shapes must match.
    pub fn set_state(
        &mut self,
        a: Array2<f64>,
        b: Array2<f64>,
        opt: crate::train::optim::OptState<f64>,
        auto: Option<AutoStep>,
    ) -> Result<(), String> {
        if a.dim() != self.a.dim() || b.dim() != self.b.dim() {
            return Err("population weights of other shapes than the model".into());
        }
        self.opt.set_state(opt)?;
        self.a = a;
        self.b = b;
        self.auto = auto;
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
        self.auto = None;
    }

    /// Take the f32 model's weights (after a change of activation that renormalized rows).
    pub fn reload(&mut self, model: &Autoencoder) {
        self.a = model.a.mapv(f64::from);
        self.b = model.b.mapv(f64::from);
        self.auto = None;
    }
}

/// The tensors one after the other, row-major.
fn flat(parts: &[&Array2<f64>]) -> Vec<f64> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

/// The exact risk's gradient at flat weights `x`: [A (d×n), B (n×d)] for a learned decoder,
/// B alone with A = A*(B) for the optimal one (∂R*/∂B = ∂R/∂B at A*(B), the envelope theorem).
fn flat_gradient(
    ws: &mut PopulationWorkspace,
    act: Activation,
    cov: &Covariance,
    decoder: DecoderMode,
    (d, n): (usize, usize),
    x: &[f64],
    out: &mut [f64],
) -> Result<(), GaussianError> {
    let shape_err = |_| GaussianError::Shape {
        what: "flat weights",
        expected: (d, n),
        got: (x.len(), 1),
    };
    let (a, b) = match decoder {
        DecoderMode::Learned => {
            let (xa, xb) = x.split_at(d * n);
            (
                Array2::from_shape_vec((d, n), xa.to_vec()).map_err(shape_err)?,
                Array2::from_shape_vec((n, d), xb.to_vec()).map_err(shape_err)?,
            )
        }
        DecoderMode::Optimal => {
            let b = Array2::from_shape_vec((n, d), x.to_vec()).map_err(shape_err)?;
            let m = gaussian::moments(act, b.view(), cov)?;
            (gaussian::optimal_decoder(&m, cov)?.0, b)
        }
    };
    let mut ga = Array2::zeros((d, n));
    let mut gb = Array2::zeros((n, d));
    ws.risk_and_grad_into(act, a.view(), b.view(), cov, ga.view_mut(), gb.view_mut())?;
    let g = match decoder {
        DecoderMode::Learned => flat(&[&ga, &gb]),
        DecoderMode::Optimal => flat(&[&gb]),
    };
    out.copy_from_slice(&g);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OptKind;
    use crate::theory::diagnostics::symmetric_eigenvalues;
    use rand::Rng;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use rand_xoshiro::rand_core::SeedableRng;

    fn params() -> OptParams {
        OptParams {
            kind: OptKind::Sgd,
            momentum: 0.9,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    /// The largest |eigenvalue| of the dense Hessian of the flat exact-risk gradient, by
    /// central differences, column by column.
    fn dense_curvature(
        act: Activation,
        cov: &Covariance,
        decoder: DecoderMode,
        (d, n): (usize, usize),
        w: &[f64],
    ) -> f64 {
        let m = w.len();
        let mut ws = PopulationWorkspace::new(n, d);
        let mut h = Array2::<f64>::zeros((m, m));
        let (mut gp, mut gm) = (vec![0.0; m], vec![0.0; m]);
        let eps = 1e-5;
        for j in 0..m {
            let mut x = w.to_vec();
            x[j] += eps;
            assert!(flat_gradient(&mut ws, act, cov, decoder, (d, n), &x, &mut gp).is_ok());
            x[j] -= 2.0 * eps;
            assert!(flat_gradient(&mut ws, act, cov, decoder, (d, n), &x, &mut gm).is_ok());
            for i in 0..m {
                h[[i, j]] = (gp[i] - gm[i]) / (2.0 * eps);
            }
        }
        let sym = (&h + &h.t()) * 0.5;
        let eig = symmetric_eigenvalues(sym.view()).unwrap_or_default();
        eig.iter().fold(0.0, |acc: f64, e| acc.max(e.abs()))
    }

    /// The automatic step's curvature (Lanczos on forward-difference Hessian-vector products)
    /// against the dense finite-difference Hessian, for sign and relu, learned and optimal
    /// decoder, on an anisotropic Σ at d = 6, n = 4.
    #[test]
    fn auto_curvature_matches_the_dense_hessian() {
        let (n, d) = (4, 6);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let l = Array2::from_shape_fn((d, d), |_| rng.random::<f64>() - 0.5);
        let cov = Covariance::Full(l.dot(&l.t()) + Array2::<f64>::eye(d) * 0.3);
        for act in [Activation::Sign, Activation::Relu] {
            for decoder in DecoderMode::ALL {
                let mut model = Autoencoder::new(n, d, act, &mut rng);
                model.a = Array2::from_shape_fn((d, n), |_| rng.random::<f32>() - 0.5);
                let mut engine = PopulationEngine::new(&model, params());
                assert!(engine.estimate_curvature(act, &cov, decoder, 0).is_ok());
                let got = engine.auto_step().map(|a| a.curvature);
                let w = match decoder {
                    DecoderMode::Learned => flat(&[&engine.a, &engine.b]),
                    DecoderMode::Optimal => flat(&[&engine.b]),
                };
                let want = dense_curvature(act, &cov, decoder, (d, n), &w);
                assert!(
                    got.is_some_and(|g| (g - want).abs() <= 1e-3 * want),
                    "{act} {decoder}: Lanczos {got:?}, dense {want}"
                );
                assert_eq!(engine.auto_lr(2.0), got.map(|g| 2.0 * AUTO_SCALE / g));
            }
        }
    }
}
