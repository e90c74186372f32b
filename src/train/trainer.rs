//! The trainer: owns the model, the optimizer, the data streams and the validation set, and
//! advances training one step at a time. The worker thread drives it; tests drive it directly.

use crate::config::{Config, n_for_rate};
use crate::data::preprocess::subset_rows;
use crate::data::real::{self, RealData};
use crate::data::{Batches, DataSource, SourceKind};
use crate::linalg::Parallelism;
use crate::model::{
    Activation, Autoencoder, Grads, Surrogate, Workspace, normalize_row, sum_sq_par,
};
use crate::protocol::{
    DecoderMode, LearningRate, OptKind, RiskKind, Schedule, SignGrad, TrainMode,
};
use crate::theory::bounds::{self, Limit};
use crate::theory::gaussian::{self, Covariance};
use crate::train::StopFlag;
use crate::train::features::PixelSpace;
use crate::train::optim::Optimizer;
use crate::train::population::{self, PopulationEngine, StepSize};
use crate::train::twin::Twin;
use ndarray::{Array2, ArrayViewMut1, Axis};
use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;
use serde::Serialize;
use std::sync::Arc;

/// Rows per chunk when evaluating the validation set (bounds scratch memory).
const EVAL_CHUNK: usize = 1024;

/// Work allowed for [`Trainer::evaluate_promptly`]: 2·10¹⁰ flops, about 0.2 s on two cores.
const QUICK_EVAL_FLOPS: f64 = 2e10;

/// Stream offsets, so init, training data and validation data never share a stream.
mod state;

pub use state::{PopulationState, SampleState, TrainerState};

const STREAM_TRAIN: u64 = 0x5eed_0001;
const STREAM_VAL: u64 = 0x5eed_0002;
/// Picks the fixed training rows whose risk is reported beside the validation risk (with the
/// config's seed, through [`crate::data::preprocess::subset_rows`]; public so that tests can
/// recompute that risk by hand on the same rows).
pub const STREAM_TRAIN_SUBSET: u64 = 0x5eed_0003;

/// Outcome of one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepOutcome {
    /// The step was applied; minibatch loss (true activation) before the update.
    Applied { loss: f64, grad_norm: f64 },
    /// Loss or gradient was NaN/Inf: the update was *not* applied, weights are unchanged.
    Diverged { loss: f64, grad_norm: f64 },
    /// The stop flag was raised during a population step: it was abandoned between two of
    /// its products, the weights are unchanged.
    Stopped,
}

/// A risk evaluation of the current weights. All risks are per coordinate and normalized by
/// (1/d) E‖x‖² of the source, or of a data file's training split (1.0 = reconstructs nothing).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The best estimate of the population risk: exact where THEORY §3 applies.
    pub risk: f64,
    pub kind: RiskKind,
    /// Mean over the held-out validation set (always computed).
    pub val_risk: f64,
    /// R*(B): the best risk of any decoder for the current encoder (exact for Gaussian data,
    /// ridge least squares on the validation set otherwise).
    pub best_risk: Option<f64>,
    /// Mean over a fixed subset of the training split of a finite data set (file sources), as
    /// large as the validation set: beside `val_risk` it shows overfitting.
    pub train_risk: Option<f64>,
    /// Exact risk on the data's Gaussian twin N(0, Σ̂) (file sources; only at the
    /// evaluations its share of the wall time allows, see [`crate::train::twin::SHARE`]).
    pub twin_risk: Option<f64>,
}

/// (1/(N d)) Σ ‖x − x̂‖² over the N rows of `x` (N×d), None once `stop` is raised (checked per
/// chunk: at d = 4096 the validation set costs about a second).
fn mean_sq_error(
    model: &Autoencoder,
    ws: &mut Workspace,
    x: ndarray::ArrayView2<'_, f32>,
    stop: &StopFlag,
) -> Option<f64> {
    let mut sse = 0.0;
    for xc in x.axis_chunks_iter(Axis(0), EVAL_CHUNK) {
        if stop.is_raised() {
            return None;
        }
        sse += model.sum_sq_error(xc, EVAL_CHUNK, ws);
    }
    Some(sse / (x.nrows() * x.ncols()).max(1) as f64)
}

/// Debiased exponential moving average (as TensorBoard smooths).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ema {
    pub beta: f64,
    acc: f64,
    weight: f64,
}

impl Ema {
    pub fn new(beta: f64) -> Self {
        Ema {
            beta,
            acc: 0.0,
            weight: 0.0,
        }
    }

    pub fn push(&mut self, v: f64) {
        self.acc = self.beta * self.acc + (1.0 - self.beta) * v;
        self.weight = self.beta * self.weight + (1.0 - self.beta);
    }

    /// The debiased value; NaN before the first push.
    pub fn value(&self) -> f64 {
        if self.weight > 0.0 {
            self.acc / self.weight
        } else {
            f64::NAN
        }
    }
}

/// The training state: the model, the validation set, the schedule's position, and the mode.
pub struct Trainer {
    cfg: Config,
    model: Autoencoder,
    /// How steps are taken, with what only that mode needs.
    mode: Mode,
    val: Array2<f32>,
    eval_ws: Workspace,
    /// Draws encoder rows for init and growth.
    init_rng: Xoshiro256PlusPlus,
    step: u64,
    samples: u64,
    /// User multiplier on the scheduled learning rate (the +/− keys).
    lr_mult: f64,
    ema: Ema,
    /// Eigenvalues of Σ when the data is not isotropic (for the water-filling limit).
    spectrum: Option<Vec<f64>>,
    /// Threading of the matrix products, kept across resets.
    parallelism: Parallelism,
    /// A fixed subset of the training split (file sources).
    train_subset: Option<Array2<f32>>,
    /// Training samples per epoch (file sources).
    epoch_len: Option<usize>,
    /// Why a file source could not be read (the trainer then holds a placeholder source and
    /// must not be run; the worker reports this and ends the run).
    data_error: Option<String>,
    /// The data set of a file source (its preprocessing and image shape).
    real: Option<Arc<RealData>>,
    /// The Gaussian twin of a file source's training split.
    twin: Option<Twin>,
    /// Raised to abandon a long step or evaluation (a signal at large d). Survives `reset`.
    stop: StopFlag,
}

/// The data of a file source: attached to the config, or read now (shared cache).
fn file_data(cfg: &Config) -> (Option<Arc<RealData>>, Option<String>) {
    if cfg.data.kind != SourceKind::File {
        return (None, None);
    }
    if let Some(d) = &cfg.data.loaded.0 {
        return (Some(Arc::clone(d)), None);
    }
    match cfg.data.file_spec(cfg.seed) {
        Ok(spec) => match real::load_shared(&spec) {
            Ok(d) => (Some(d), None),
            Err(e) => (None, Some(e.to_string())),
        },
        Err(e) => (None, Some(e)),
    }
}

/// How the trainer steps. Each variant holds what only it needs, so the mode and its state
/// cannot disagree.
enum Mode {
    /// Minibatches of fresh samples (`train.mode = "sample"`).
    Sample(SampleMode),
    /// Full-batch gradient descent on the exact risk (`train.mode = "population"`): needs Σ.
    Population {
        cov: Covariance,
        engine: PopulationEngine,
    },
}

/// Sample mode's state: the minibatch stream, the optimizer of the f32 weights, the buffers of
/// the forward/backward pass.
struct SampleMode {
    /// Drawn ahead on a sampler thread.
    batches: Batches,
    opt: Optimizer<f32>,
    ws: Workspace,
    /// Gradients of the stored-gradient optimizers, sized at their first step (plain SGD
    /// never stores one: no n×d buffers it would not use).
    grads: Grads,
    /// Σ when the data is Gaussian (exact risk, optimal decoder).
    cov: Option<Covariance>,
}

impl Mode {
    /// Σ, when the data is Gaussian.
    fn cov(&self) -> Option<&Covariance> {
        match self {
            Mode::Sample(s) => s.cov.as_ref(),
            Mode::Population { cov, .. } => Some(cov),
        }
    }
}

impl SampleMode {
    /// One minibatch step of `model`: (loss, gradient norm, applied).
    fn step(
        &mut self,
        model: &mut Autoencoder,
        surrogate: Surrogate,
        lr: f64,
        decoder: DecoderMode,
    ) -> (f64, f64, bool) {
        if self.opt.params().kind == OptKind::Sgd {
            return self.sgd_step(model, surrogate, lr, decoder);
        }
        if self.grads.b.dim() != model.b.dim() {
            self.grads = Grads::zeros(model.n(), model.d());
        }
        let (ws, grads) = (&mut self.ws, &mut self.grads);
        let loss = self
            .batches
            .with_next(|x| model.loss_and_grad(x.view(), surrogate, ws, grads));
        let par = self.ws.par;
        let grad_norm = (sum_sq_par(&self.grads.a, par) + sum_sq_par(&self.grads.b, par)).sqrt();
        if !loss.is_finite() || !grad_norm.is_finite() {
            return (loss, grad_norm, false);
        }
        let Autoencoder { a, b, act } = model;
        self.opt.begin_step();
        if decoder == DecoderMode::Learned {
            let threads = par.threads_for(a.len());
            let no_finish = None::<&fn(ArrayViewMut1<'_, f32>)>;
            self.opt
                .update_split(0, a, &self.grads.a, lr, threads, no_finish);
        }
        // Sign keeps B's rows at unit norm: each row is rescaled right after its update.
        let finish = act.is_scale_invariant().then_some(&normalize_row);
        let threads = par.threads_for(b.len());
        self.opt
            .update_split(1, b, &self.grads.b, lr, threads, finish);
        (loss, grad_norm, !self.refit_failed(model, decoder))
    }

    /// With the optimal decoder, refit A to the new encoder in closed form; true when that
    /// failed (the step then counts as diverged).
    fn refit_failed(&self, model: &mut Autoencoder, decoder: DecoderMode) -> bool {
        if decoder == DecoderMode::Optimal
            && let Some(cov) = &self.cov
        {
            return population::refit_decoder(model, cov).is_err();
        }
        false
    }

    /// [`SampleMode::step`] for plain SGD: the update is added inside the products
    /// ([`Autoencoder::sgd_step`]), so no gradient is stored and its norm is not known (NaN).
    fn sgd_step(
        &mut self,
        model: &mut Autoencoder,
        surrogate: Surrogate,
        lr: f64,
        decoder: DecoderMode,
    ) -> (f64, f64, bool) {
        let ws = &mut self.ws;
        let learn_decoder = decoder == DecoderMode::Learned;
        let (loss, applied) = self
            .batches
            .with_next(|x| model.sgd_step(x.view(), surrogate, ws, lr as f32, learn_decoder));
        if !applied {
            return (loss, f64::NAN, false);
        }
        self.opt.begin_step();
        (loss, f64::NAN, !self.refit_failed(model, decoder))
    }
}

impl Trainer {
    /// Everything from the config's seed; the config must be validated. A file source
    /// uses the data [`Config::load`] attached, or reads it now; when that fails the trainer
    /// holds an isotropic placeholder and [`Trainer::data_error`] says why (never train it).
    pub fn new(cfg: &Config) -> Self {
        let seed = cfg.seed;
        let mut init_rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let (real, data_error) = file_data(cfg);
        let d = real.as_ref().map_or(cfg.data.d, |r| r.d());
        let n = real
            .as_ref()
            .map_or(cfg.n(), |r| n_for_rate(cfg.model.rate, r.d()));
        let mut model = Autoencoder::new(n, d, cfg.model.activation, &mut init_rng);
        let proto = match &real {
            Some(r) => DataSource::from_file(Arc::clone(r), seed),
            None => DataSource::new(&cfg.data, seed),
        };
        let data = proto.fork(seed ^ STREAM_TRAIN);
        let (val, train_subset, epoch_len) = match &real {
            Some(r) => {
                let p = &r.prepared;
                // No held-out rows (val_fraction rounds to 0): validate on training rows.
                let held = if p.val.nrows() > 0 { &p.val } else { &p.train };
                let val = subset_rows(held, cfg.eval.val_size, seed ^ STREAM_VAL);
                let subset = subset_rows(&p.train, val.nrows(), seed ^ STREAM_TRAIN_SUBSET);
                (val, Some(subset), Some(p.train.nrows()))
            }
            None => (
                proto.fork(seed ^ STREAM_VAL).sample(cfg.eval.val_size),
                None,
                None,
            ),
        };
        let spectrum = matches!(cfg.data.kind, SourceKind::Powerlaw | SourceKind::File)
            .then(|| data.covariance().spectrum);
        let twin = real.as_ref().map(|r| Twin::of(r.prepared.train.view()));
        // Population mode on a data file descends the exact risk of its Gaussian twin.
        let cov = population::covariance_of(&proto).or_else(|| match (&twin, cfg.train.mode) {
            (Some(t), TrainMode::Population) => Some(t.covariance().clone()),
            _ => None,
        });
        if cfg.train.decoder == DecoderMode::Optimal
            && let Some(cov) = &cov
        {
            // Validation guarantees a closed form here; a failure leaves A = 0 to learn from.
            let _ = population::refit_decoder(&mut model, cov);
        }
        let mode = match (cfg.train.mode, cov) {
            // Population mode draws no samples: no sampler thread.
            (TrainMode::Population, Some(cov)) => Mode::Population {
                engine: PopulationEngine::new(&model, cfg.train.opt),
                cov,
            },
            // Validation admits population mode only for Gaussian data and data files (the
            // twin), which have a Σ.
            (TrainMode::Sample | TrainMode::Population, cov) => Mode::Sample(SampleMode {
                batches: Batches::new(data, cfg.train.batch),
                opt: Optimizer::new(cfg.train.opt, &[(d, n), (n, d)]),
                ws: Workspace::default(),
                grads: Grads::zeros(0, 0),
                cov,
            }),
        };
        let mut t = Trainer {
            cfg: cfg.clone(),
            model,
            mode,
            val,
            eval_ws: Workspace::default(),
            init_rng,
            step: 0,
            samples: 0,
            lr_mult: 1.0,
            ema: Ema::new(cfg.eval.ema),
            spectrum,
            parallelism: Parallelism::default(),
            train_subset,
            epoch_len,
            data_error,
            twin,
            real,
            stop: StopFlag::default(),
        };
        t.set_parallelism(Parallelism::from_threads(cfg.train.threads));
        t.estimate_auto_step();
        t
    }

    /// Under `lr = "auto"`, estimate the curvature now so that the rate is known before the
    /// next step (at the start, and after a change of the weights' shape or activation).
    fn estimate_auto_step(&mut self) {
        if self.cfg.train.lr != LearningRate::Auto {
            return;
        }
        let (act, decoder, step) = (self.model.act, self.cfg.train.decoder, self.step);
        if let Mode::Population { cov, engine } = &mut self.mode {
            // A failure leaves no estimate: the next step estimates again.
            let _ = engine.estimate_curvature(act, cov, decoder, step);
        }
    }

    /// Why the file source could not be read, if it could not (see [`Trainer::new`]).
    pub fn data_error(&self) -> Option<&str> {
        self.data_error.as_deref()
    }

    /// Passes over the training split so far (file sources in sample mode: population mode
    /// trains on the Gaussian twin and draws no rows).
    pub fn epochs(&self) -> Option<f64> {
        match self.mode {
            Mode::Sample(_) => self
                .epoch_len
                .map(|len| self.samples as f64 / len.max(1) as f64),
            Mode::Population { .. } => None,
        }
    }

    /// Where the model's input coordinates come from, for drawing features as images.
    pub fn pixel_space(&self) -> PixelSpace<'_> {
        match &self.real {
            Some(r) => PixelSpace::of_data(r),
            None => PixelSpace::identity(self.model.d()),
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn model(&self) -> &Autoencoder {
        &self.model
    }

    /// Sample or population: what the steps train on.
    pub fn mode(&self) -> TrainMode {
        match self.mode {
            Mode::Sample(_) => TrainMode::Sample,
            Mode::Population { .. } => TrainMode::Population,
        }
    }

    /// Steps applied so far.
    pub fn steps_done(&self) -> u64 {
        self.step
    }

    /// Samples consumed so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Debiased EMA of the minibatch loss.
    pub fn loss_ema(&self) -> f64 {
        self.ema.value()
    }

    /// Current rate r = n/d.
    pub fn rate(&self) -> f64 {
        self.model.rate()
    }

    /// The learning rate the next step uses: the schedule times the user multiplier, or
    /// under `lr = "auto"` the multiplier over the last curvature estimate (NaN before one).
    pub fn lr(&self) -> f64 {
        let t = &self.cfg.train;
        match (t.lr, &self.mode) {
            (LearningRate::Fixed(lr), _) => {
                t.schedule.at(self.step, t.steps, lr, t.lr_final) * self.lr_mult
            }
            (LearningRate::Auto, Mode::Population { engine, .. }) => {
                engine.auto_lr(self.lr_mult).unwrap_or(f64::NAN)
            }
            // Validation admits auto only in population mode.
            (LearningRate::Auto, Mode::Sample(_)) => f64::NAN,
        }
    }

    /// Multiply the learning rate (on top of the schedule) by `factor`.
    pub fn scale_lr(&mut self, factor: f64) {
        if factor.is_finite() && factor > 0.0 {
            self.lr_mult *= factor;
        }
    }

    /// Relaxation temperature β at the current step (tanh surrogate).
    pub fn beta(&self) -> f64 {
        let t = &self.cfg.train;
        Schedule::Exp.at(self.step, t.steps, t.beta_start, t.beta_end)
    }

    fn surrogate(&self) -> Surrogate {
        match (self.model.act, self.cfg.train.sign_grad) {
            (Activation::Sign, SignGrad::Ste) => Surrogate::Ste,
            (Activation::Sign, SignGrad::Tanh) => Surrogate::Tanh {
                beta: self.beta() as f32,
            },
            _ => Surrogate::Exact,
        }
    }

    /// The reference limit at the current rate, for the current activation and data: the
    /// isotropic limit, or reverse water-filling over the covariance spectrum (THEORY §4).
    pub fn limit(&self) -> Limit {
        match &self.spectrum {
            Some(s) => bounds::limit_for_spectrum(self.model.act, s, self.model.n() as f64)
                .unwrap_or_else(|_| bounds::limit(self.model.act, self.rate())),
            None if self.cfg.data.kind == SourceKind::Sparse => {
                bounds::gaussian_reference(self.model.act, self.rate())
            }
            None => bounds::limit(self.model.act, self.rate()),
        }
    }

    /// One step: a fresh minibatch (sample mode) or full-batch GD on the exact risk
    /// (population mode). A non-finite loss or gradient leaves the weights as they were, so
    /// the run can be resumed with a smaller learning rate.
    pub fn step(&mut self) -> StepOutcome {
        let lr = self.lr();
        let decoder = self.cfg.train.decoder;
        let surrogate = self.surrogate();
        let size = match self.cfg.train.lr {
            LearningRate::Fixed(_) => StepSize::Fixed(lr),
            LearningRate::Auto => StepSize::Auto {
                mult: self.lr_mult,
                step: self.step,
            },
        };
        let (loss, grad_norm, applied) = match &mut self.mode {
            Mode::Population { cov, engine } => {
                match engine.step(self.model.act, cov, size, decoder) {
                    Ok(s) => {
                        if s.applied {
                            engine.write_to(&mut self.model);
                        }
                        (s.risk, s.grad_norm, s.applied)
                    }
                    Err(gaussian::GaussianError::Stopped) => return StepOutcome::Stopped,
                    Err(_) => (f64::NAN, f64::NAN, false),
                }
            }
            Mode::Sample(s) => s.step(&mut self.model, surrogate, lr, decoder),
        };
        if !applied {
            return StepOutcome::Diverged { loss, grad_norm };
        }
        self.step += 1;
        if let Mode::Sample(_) = self.mode {
            self.samples += self.cfg.train.batch as u64;
        }
        self.ema.push(loss);
        StepOutcome::Applied { loss, grad_norm }
    }

    /// The risk of the current weights: exact where a closed form exists (Gaussian data, not
    /// tanh), else the validation estimate; with the validation risk and R*(B) beside it.
    pub fn evaluate(&mut self) -> Evaluation {
        match self.evaluate_parts(&StopFlag::default()) {
            Some(e) => e,
            None => unreachable!("a flag nobody else holds is never raised"),
        }
    }

    /// [`Trainer::evaluate`], abandoned (None) once the trainer's stop flag is raised: it is
    /// checked between chunks of the validation set and between the O(n²d) exact parts.
    pub fn evaluate_unless_stopped(&mut self) -> Option<Evaluation> {
        let stop = self.stop.clone();
        self.evaluate_parts(&stop)
    }

    /// The evaluation a stopping run can afford in about [`QUICK_EVAL_FLOPS`]: the full one
    /// when it fits, else the validation risk on as many validation rows as fit (at least 64),
    /// labelled with that sample count, without the exact risk and R*(B) (seconds at large d).
    pub fn evaluate_promptly(&mut self) -> Evaluation {
        let (n, d) = (self.model.n() as f64, self.model.d() as f64);
        let val_rows = self.val.nrows();
        let per_row = 4.0 * n * d;
        let sampled = (val_rows + self.train_subset.as_ref().map_or(0, Array2::nrows)) as f64;
        // Exact risk and R*(B): a few n²d products and a Cholesky; else the ridge decoder.
        let exact = 6.0 * n * n * d + n * n * n;
        let ridge = 2.0 * val_rows as f64 * n * (n + d) + n * n * n;
        let closed = match (self.mode.cov(), &self.real) {
            (Some(_), None) => exact,
            // The twin's exact risk (a dense Σ̂: n d² more) beside the ridge decoder.
            (Some(_), Some(_)) => exact + n * d * d + ridge,
            (None, _) => ridge,
        };
        if per_row * sampled + closed <= QUICK_EVAL_FLOPS {
            return self.evaluate();
        }
        let rows = ((QUICK_EVAL_FLOPS / per_row) as usize).clamp(64.min(val_rows), val_rows);
        let x = self.val.slice(ndarray::s![..rows, ..]);
        let val_risk = mean_sq_error(&self.model, &mut self.eval_ws, x, &StopFlag::default())
            .unwrap_or(f64::NAN);
        Evaluation {
            risk: val_risk,
            kind: RiskKind::Validation { samples: rows },
            val_risk,
            best_risk: None,
            train_risk: None,
            twin_risk: None,
        }
    }

    fn evaluate_parts(&mut self, stop: &StopFlag) -> Option<Evaluation> {
        let rows = self.val.nrows();
        let (model, ws) = (&self.model, &mut self.eval_ws);
        // Synthetic sources have (1/d) E‖x‖² = 1 and a data file is scaled so that its
        // training split has: the raw risk is normalized as the predictions are. A held-out
        // set keeps its own energy under the training split's map (0.982 for MNIST's test
        // file, whitened), and is not rescaled to 1 so that both sets share one yardstick.
        let val_risk = mean_sq_error(model, ws, self.val.view(), stop)?;
        let train_risk = match &self.train_subset {
            Some(x) => Some(mean_sq_error(model, ws, x.view(), stop)?),
            None => None,
        };
        let twin_risk = match (&mut self.twin, &self.mode) {
            _ if stop.is_raised() => None,
            // Population GD on the twin: the risk it descends, at every report, deterministic
            // (a resumed run reports the same).
            (Some(t), Mode::Population { .. }) => t.risk(&self.model).ok().flatten(),
            (Some(t), Mode::Sample(_)) => t.risk_when_due(&self.model),
            (None, _) => None,
        };
        // The closed forms are the data's own risk only for Gaussian data; for a data file
        // they are its twin's (above), and the risk is the validation risk.
        let exact = match (self.mode.cov(), &self.real) {
            (Some(cov), None) => population::exact_risks(&self.model, cov, stop).ok()?,
            _ => None,
        };
        Some(match exact {
            Some((risk, best)) => Evaluation {
                risk,
                kind: RiskKind::Exact,
                val_risk,
                best_risk: Some(best),
                train_risk,
                twin_risk,
            },
            None => Evaluation {
                risk: val_risk,
                kind: RiskKind::Validation { samples: rows },
                val_risk,
                best_risk: if stop.is_raised() {
                    return None;
                } else {
                    self.best_risk_on_validation()
                },
                train_risk,
                twin_risk,
            },
        })
    }

    /// R*(B) estimated by the ridge least-squares decoder on the validation set.
    fn best_risk_on_validation(&self) -> Option<f64> {
        let x = self.val.mapv(f64::from);
        let act = self.model.act;
        let h = x
            .dot(&self.model.b.mapv(f64::from).t())
            .mapv(|u| act.eval_f64(u));
        gaussian::ridge_least_squares_decoder(h.view(), x.view(), 1e-6 * x.nrows() as f64)
            .ok()
            .map(|(_, mse)| mse)
    }

    /// The flag that abandons a long step or evaluation (see [`StopFlag`]). Survives `reset`.
    pub fn set_stop_flag(&mut self, stop: StopFlag) {
        if let Mode::Population { engine, .. } = &mut self.mode {
            engine.set_stop_flag(&stop);
        }
        self.stop = stop;
    }

    /// Threading of the matrix products (all cores for large products by default):
    /// `Sequential` when several trainers share the cores. Survives `reset`.
    pub fn set_parallelism(&mut self, par: Parallelism) {
        self.parallelism = par;
        self.eval_ws.par = par;
        match &mut self.mode {
            Mode::Sample(s) => s.ws.par = par,
            Mode::Population { engine, .. } => engine.set_parallelism(par),
        }
    }

    /// Resize the hidden layer to `n` neurons (see [`Autoencoder::resize`]); optimizer state
    /// of kept neurons survives. Returns false when n is out of range (0 or > 65536).
    pub fn set_n(&mut self, n: usize) -> bool {
        if n == 0 || n > 65_536 {
            return false;
        }
        if n == self.model.n() {
            return true;
        }
        let map = self.model.resize(n, &mut self.init_rng);
        match &mut self.mode {
            Mode::Sample(s) => {
                s.opt.remap(0, Axis(1), &map);
                s.opt.remap(1, Axis(0), &map);
                s.grads = Grads::zeros(0, 0);
            }
            Mode::Population { engine, .. } => engine.remap(&map, &self.model),
        }
        self.cfg.model.rate = self.model.rate();
        self.estimate_auto_step();
        true
    }

    /// Resize to n = round(r·d).
    pub fn set_rate(&mut self, r: f64) -> bool {
        r.is_finite() && r > 0.0 && self.set_n(n_for_rate(r, self.model.d()))
    }

    /// Switch the activation. Weights are kept (rows renormalized for sign). Refused when the
    /// mode needs a closed form the activation lacks.
    pub fn set_activation(&mut self, act: Activation) -> Result<(), String> {
        let needs_closed_form =
            self.mode() == TrainMode::Population || self.cfg.train.decoder == DecoderMode::Optimal;
        if needs_closed_form && !population::has_closed_form(act) {
            return Err(format!(
                "{act} has no closed-form risk: population mode and the optimal decoder need sign, relu, erf or linear"
            ));
        }
        self.model.act = act;
        self.cfg.model.activation = act;
        if act.is_scale_invariant() {
            self.model.normalize_rows();
        }
        if let Mode::Population { engine, .. } = &mut self.mode {
            engine.reload(&self.model);
        }
        self.estimate_auto_step();
        Ok(())
    }

    /// Switch the optimizer (its state restarts). Refused for Adam under `lr = "auto"`
    /// (Adam's step does not follow the curvature).
    pub fn set_optimizer(&mut self, kind: OptKind) -> Result<(), String> {
        if kind == OptKind::Adam && self.cfg.train.lr == LearningRate::Auto {
            return Err(
                "adam with lr = \"auto\": the automatic step is for sgd and momentum".into(),
            );
        }
        match &mut self.mode {
            Mode::Sample(s) => s.opt.set_kind(kind),
            Mode::Population { engine, .. } => engine.optimizer_mut().set_kind(kind),
        }
        self.cfg.train.opt.kind = kind;
        Ok(())
    }

    /// Learned decoder, or A = A*(B) refitted after every step (Gaussian data only).
    pub fn set_decoder(&mut self, mode: DecoderMode) -> Result<(), String> {
        if mode == DecoderMode::Optimal {
            let Some(cov) = self.mode.cov() else {
                return Err(
                    "the optimal decoder needs Gaussian data (source gaussian or powerlaw), or population mode on a data file".into(),
                );
            };
            if !population::has_closed_form(self.model.act) {
                return Err(format!(
                    "the optimal decoder needs a closed form; {} has none",
                    self.model.act
                ));
            }
            population::refit_decoder(&mut self.model, cov).map_err(|e| e.to_string())?;
            if let Mode::Population { engine, .. } = &mut self.mode {
                engine.reload(&self.model);
            }
        }
        self.cfg.train.decoder = mode;
        self.estimate_auto_step();
        Ok(())
    }

    /// Start over from step 0 with a new seed (same config otherwise, current n kept).
    pub fn reset(&mut self, seed: u64) {
        let mut cfg = self.cfg.clone();
        cfg.seed = seed;
        let par = self.parallelism;
        let stop = self.stop.clone();
        *self = Trainer::new(&cfg);
        self.set_parallelism(par);
        self.set_stop_flag(stop);
    }
}
