//! The trainer's complete state, out and back in: what a checkpoint holds, so that a resumed
//! run continues bit for bit (same weights, optimizer moments, RNG and data-stream positions).

use super::{Ema, STREAM_TRAIN, Trainer};
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
    /// The training stream just after the last batch consumed.
    pub data_rng: Xoshiro256PlusPlus,
    /// Decoder d×n and encoder n×d.
    pub a: Array2<f32>,
    pub b: Array2<f32>,
    pub opt: OptState<f32>,
    pub pop: Option<PopulationState>,
}

impl Trainer {
    /// A copy of the state (for a checkpoint).
    pub fn state(&self) -> TrainerState {
        TrainerState {
            cfg: self.cfg.clone(),
            step: self.step,
            samples: self.samples,
            lr_mult: self.lr_mult,
            ema_acc: self.ema.acc,
            ema_weight: self.ema.weight,
            init_rng: self.init_rng.clone(),
            data_rng: self.batches.stream_position(),
            a: self.model.a.clone(),
            b: self.model.b.clone(),
            opt: self.opt.state(),
            pop: self.pop.as_ref().map(|p| {
                let (a, b, opt) = p.state();
                PopulationState { a, b, opt }
            }),
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
        t.opt.set_state(s.opt)?;
        t.model.a = s.a;
        t.model.b = s.b;
        match (&mut t.pop, s.pop) {
            (Some(engine), Some(p)) => engine.set_state(p.a, p.b, p.opt)?,
            (None, None) => {}
            _ => return Err("population state does not match train.mode".into()),
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
        // The stream continues where it stopped: a new source at the saved position.
        let seed = s.cfg.seed;
        let mut data = DataSource::new(&s.cfg.source_spec(), seed).fork(seed ^ STREAM_TRAIN);
        data.set_position(s.data_rng);
        t.batches = if t.pop.is_some() {
            Batches::inline(data, s.cfg.train.batch)
        } else {
            Batches::new(data, s.cfg.train.batch)
        };
        t.set_parallelism(t.parallelism);
        Ok(t)
    }
}
