//! The trainer's complete state, out and back in: what a checkpoint holds, so that a resumed
//! run continues bit for bit (same weights, optimizer moments, RNG and data-stream positions).

use super::{Ema, Mode, STREAM_TRAIN, Trainer};
use crate::config::Config;
use crate::data::{Batches, DataSource};
use crate::train::optim::OptState;
use ndarray::Array2;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The f64 masters of population mode.
#[derive(Debug, Clone)]
pub struct PopulationState {
    pub a: Array2<f64>,
    pub b: Array2<f64>,
    pub opt: OptState<f64>,
    /// `lr = "auto"`: the last curvature estimate.
    pub auto: Option<crate::train::population::AutoStep>,
}

/// Sample mode's evolving state besides the weights.
#[derive(Debug, Clone)]
pub struct SampleState {
    pub opt: OptState<f32>,
    /// The training stream just after the last batch consumed.
    pub data_rng: Xoshiro256PlusPlus,
}

/// Everything that evolves while training. The rest (validation set, covariance, spectrum)
/// follows from `cfg`.
#[derive(Debug, Clone)]
pub struct TrainerState {
    /// The settings as they are now: n, activation, optimizer and decoder after key presses.
    pub cfg: Config,
    pub step: u64,
    pub samples: u64,
    /// The user's learning-rate multiplier.
    pub lr_mult: f64,
    /// The loss EMA's accumulator and weight.
    pub ema_acc: f64,
    pub ema_weight: f64,
    /// Draws encoder rows for growth.
    pub init_rng: Xoshiro256PlusPlus,
    /// Decoder d×n and encoder n×d.
    pub a: Array2<f32>,
    pub b: Array2<f32>,
    /// Sample mode's optimizer and stream, or population mode's f64 masters.
    pub sample: Option<SampleState>,
    pub pop: Option<PopulationState>,
}

impl Trainer {
    /// A copy of the state (for a checkpoint).
    pub fn state(&self) -> TrainerState {
        let (sample, pop) = match &self.mode {
            Mode::Sample(s) => (
                Some(SampleState {
                    opt: s.opt.state(),
                    data_rng: s.batches.stream_position(),
                }),
                None,
            ),
            Mode::Population { engine, .. } => {
                let (a, b, opt) = engine.state();
                let auto = engine.auto_step();
                (None, Some(PopulationState { a, b, opt, auto }))
            }
        };
        TrainerState {
            cfg: self.cfg.clone(),
            step: self.step,
            samples: self.samples,
            lr_mult: self.lr_mult,
            ema_acc: self.ema.acc,
            ema_weight: self.ema.weight,
            init_rng: self.init_rng.clone(),
            a: self.model.a.clone(),
            b: self.model.b.clone(),
            sample,
            pop,
        }
    }

    /// A trainer continuing from `s` (shapes checked by the checkpoint reader; checked again
    /// here, so a mismatch is an error, not a panic).
    pub fn from_state(s: TrainerState) -> Result<Trainer, String> {
        let mut t = Trainer::new(&s.cfg);
        let (d, n) = (t.model.d(), t.model.n());
        if s.a.dim() != (d, n) || s.b.dim() != (n, d) {
            return Err(format!(
                "weights of shape A {:?}, B {:?} where the settings give d = {d}, n = {n}",
                s.a.dim(),
                s.b.dim()
            ));
        }
        t.model.a = s.a;
        t.model.b = s.b;
        match (&mut t.mode, s.sample, s.pop) {
            (Mode::Sample(m), Some(st), None) => {
                m.opt.set_state(st.opt)?;
                // The stream continues where it stopped: a new source at the saved position.
                let seed = s.cfg.seed;
                let mut data = DataSource::new(&s.cfg.data, seed).fork(seed ^ STREAM_TRAIN);
                data.set_position(st.data_rng);
                m.batches = Batches::new(data, s.cfg.train.batch);
            }
            (Mode::Population { engine, .. }, None, Some(p)) => {
                engine.set_state(p.a, p.b, p.opt, p.auto)?;
            }
            _ => return Err("the saved state is of another train.mode than its settings".into()),
        }
        t.step = s.step;
        t.samples = s.samples;
        t.lr_mult = s.lr_mult;
        t.ema = Ema {
            beta: t.ema.beta,
            acc: s.ema_acc,
            weight: s.ema_weight,
        };
        t.init_rng = s.init_rng;
        t.set_parallelism(t.parallelism);
        Ok(t)
    }
}
