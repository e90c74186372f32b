//! The settings a user chooses (in a preset, with `--set`, or with a key while training) and
//! the kind of number a reported risk is.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of number a reported risk is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RiskKind {
    /// Closed form of THEORY §3 (Gaussian data).
    Exact,
    /// Mean over a fixed held-out set.
    Validation { samples: usize },
}

impl RiskKind {
    /// "exact" or "validation": the tag written to records and sweep tables.
    pub fn name(&self) -> &'static str {
        match self {
            RiskKind::Exact => "exact",
            RiskKind::Validation { .. } => "validation",
        }
    }

    /// "exact" or "val", where a panel has no room for more.
    pub fn short(&self) -> &'static str {
        match self {
            RiskKind::Exact => "exact",
            RiskKind::Validation { .. } => "val",
        }
    }
}

/// "exact" or "validation, 8192 samples".
impl fmt::Display for RiskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RiskKind::Exact => f.write_str("exact"),
            RiskKind::Validation { samples } => write!(f, "validation, {samples} samples"),
        }
    }
}

/// How sign is trained through (`train.sign_grad`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignGrad {
    /// Straight-through estimator 1{|u| ≤ 1}.
    Ste,
    /// tanh(βu) relaxation, β annealed from `beta_start` to `beta_end`.
    Tanh,
}

/// The preset value: "ste" or "tanh".
impl fmt::Display for SignGrad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignGrad::Ste => "ste",
            SignGrad::Tanh => "tanh",
        })
    }
}

/// Where the decoder comes from (`train.decoder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecoderMode {
    /// A is trained by the optimizer.
    Learned,
    /// A = A*(B) is refitted in closed form; only B trains.
    Optimal,
}

impl DecoderMode {
    pub const ALL: [DecoderMode; 2] = [DecoderMode::Learned, DecoderMode::Optimal];
}

/// The preset value: "learned" or "optimal".
impl fmt::Display for DecoderMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecoderMode::Learned => "learned",
            DecoderMode::Optimal => "optimal",
        })
    }
}

/// Training by samples or on the exact population risk (`train.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainMode {
    /// Minibatches of fresh samples every step.
    Sample,
    /// Full-batch gradient descent on the exact risk (Gaussian data).
    Population,
}

/// The preset value: "sample" or "population".
impl fmt::Display for TrainMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrainMode::Sample => "sample",
            TrainMode::Population => "population",
        })
    }
}

/// The update rule (`train.optimizer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptKind {
    Sgd,
    Momentum,
    Adam,
}

impl OptKind {
    pub const ALL: [OptKind; 3] = [OptKind::Sgd, OptKind::Momentum, OptKind::Adam];

    /// The preset value: "sgd", "momentum" or "adam".
    pub fn name(self) -> &'static str {
        match self {
            OptKind::Sgd => "sgd",
            OptKind::Momentum => "momentum",
            OptKind::Adam => "adam",
        }
    }
}

impl fmt::Display for OptKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The optimizer's hyper-parameters other than the learning rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptParams {
    pub kind: OptKind,
    /// Heavy-ball coefficient (momentum).
    pub momentum: f64,
    /// Adam's first- and second-moment decay rates.
    pub beta1: f64,
    pub beta2: f64,
    /// Adam's denominator floor.
    pub eps: f64,
}

/// The learning rate as a preset writes it (`train.lr`): a number > 0, or `"auto"` (population
/// mode: the step follows the exact risk's largest curvature, see `train::curvature`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LearningRate {
    /// A fixed initial rate, for the risk R = (1/d) E‖x − x̂‖²; the schedule decays it.
    Fixed(f64),
    /// 1/λmax of the exact risk's Hessian (times the optimizer's factor), re-estimated as
    /// training goes; the schedule and `lr_final` do not apply.
    Auto,
}

impl LearningRate {
    /// The fixed rate, or None for `auto`.
    pub fn fixed(self) -> Option<f64> {
        match self {
            LearningRate::Fixed(v) => Some(v),
            LearningRate::Auto => None,
        }
    }
}

/// The preset value: the number, or "auto".
impl fmt::Display for LearningRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LearningRate::Fixed(v) => write!(f, "{v}"),
            LearningRate::Auto => f.write_str("auto"),
        }
    }
}

impl Serialize for LearningRate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LearningRate::Fixed(v) => s.serialize_f64(*v),
            LearningRate::Auto => s.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for LearningRate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = LearningRate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number > 0 or \"auto\"")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<LearningRate, E> {
                Ok(LearningRate::Fixed(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<LearningRate, E> {
                Ok(LearningRate::Fixed(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<LearningRate, E> {
                Ok(LearningRate::Fixed(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LearningRate, E> {
                if v == "auto" {
                    Ok(LearningRate::Auto)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Shape of the learning-rate schedule (preset key `train.schedule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// lr(t) = lr.
    Constant,
    /// Geometric decay from lr to lr_final over the budget: lr (lr_final/lr)^(t/T).
    Exp,
    /// Half-cosine from lr to lr_final over the budget.
    Cosine,
}

impl Schedule {
    /// Value at step `t` of `total`, from `start` to `end`. Past the budget the end value holds.
    pub fn at(self, t: u64, total: u64, start: f64, end: f64) -> f64 {
        let frac = if total == 0 {
            1.0
        } else {
            (t as f64 / total as f64).min(1.0)
        };
        match self {
            Schedule::Constant => start,
            Schedule::Exp => start * (end / start).powf(frac),
            Schedule::Cosine => {
                end + 0.5 * (start - end) * (1.0 + (std::f64::consts::PI * frac).cos())
            }
        }
    }
}

/// The preset value: "constant", "exp" or "cosine".
impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Schedule::Constant => "constant",
            Schedule::Exp => "exp",
            Schedule::Cosine => "cosine",
        })
    }
}

/// The convergence stop of `aescope sweep --until-converged` (`[sweep]` tol and window): a
/// run has converged at step t when a risk at some step s ≤ t − `window` exists and the latest
/// such value R_s satisfies |R_t − R_s| ≤ `tol` · |R_t|. Applied by
/// `train::convergence::ConvergenceTracker`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// Relative tolerance, > 0 (e.g. 1e-5).
    pub tol: f64,
    /// Window, in training steps ≥ 1.
    pub window: u64,
}

impl Default for Convergence {
    fn default() -> Self {
        Convergence {
            tol: 1e-5,
            window: 100,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_endpoints() {
        for s in [Schedule::Exp, Schedule::Cosine] {
            assert!((s.at(0, 100, 1.0, 0.01) - 1.0).abs() < 1e-12);
            assert!((s.at(100, 100, 1.0, 0.01) - 0.01).abs() < 1e-12);
            assert!((s.at(1000, 100, 1.0, 0.01) - 0.01).abs() < 1e-12);
        }
        assert_eq!(Schedule::Constant.at(50, 100, 0.3, 0.01), 0.3);
        assert!((Schedule::Exp.at(50, 100, 1.0, 0.01) - 0.1).abs() < 1e-12);
        assert!((Schedule::Cosine.at(50, 100, 1.0, 0.0) - 0.5).abs() < 1e-12);
    }

    /// The Display of every choice is the value a preset accepts for it.
    #[test]
    fn display_is_the_preset_value() {
        fn check<T>(values: &[T])
        where
            T: fmt::Display + Serialize + PartialEq + fmt::Debug + for<'de> Deserialize<'de>,
        {
            for v in values {
                let shown = v.to_string();
                assert_eq!(serde_json::to_value(v).ok(), Some(shown.clone().into()));
                let back: Option<T> = serde_json::from_value(shown.into()).ok();
                assert_eq!(back.as_ref(), Some(v));
            }
        }
        check(&[SignGrad::Ste, SignGrad::Tanh]);
        check(&DecoderMode::ALL);
        check(&[TrainMode::Sample, TrainMode::Population]);
        check(&OptKind::ALL);
        check(&[Schedule::Constant, Schedule::Exp, Schedule::Cosine]);
    }

    /// A learning rate is a number or "auto"; another string is refused with both named.
    #[test]
    fn learning_rate_is_a_number_or_auto() {
        let read = |v: serde_json::Value| {
            serde_json::from_value::<LearningRate>(v).map_err(|e| e.to_string())
        };
        assert_eq!(read(0.5.into()), Ok(LearningRate::Fixed(0.5)));
        assert_eq!(read(40.into()), Ok(LearningRate::Fixed(40.0)));
        assert_eq!(read("auto".into()), Ok(LearningRate::Auto));
        let err = read("fast".into()).err().unwrap_or_default();
        assert!(
            err.contains("\"fast\"") && err.contains("\"auto\""),
            "{err}"
        );
        assert_eq!(
            serde_json::to_value(LearningRate::Auto).ok(),
            Some("auto".into())
        );
        assert_eq!(
            serde_json::to_value(LearningRate::Fixed(0.25)).ok(),
            Some(0.25.into())
        );
    }
}
