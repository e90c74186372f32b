//! Learning-rate and relaxation-temperature schedules over a step budget.

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        for s in [Schedule::Exp, Schedule::Cosine] {
            assert!((s.at(0, 100, 1.0, 0.01) - 1.0).abs() < 1e-12);
            assert!((s.at(100, 100, 1.0, 0.01) - 0.01).abs() < 1e-12);
            assert!((s.at(1000, 100, 1.0, 0.01) - 0.01).abs() < 1e-12);
        }
        assert_eq!(Schedule::Constant.at(50, 100, 0.3, 0.01), 0.3);
        assert!((Schedule::Exp.at(50, 100, 1.0, 0.01) - 0.1).abs() < 1e-12);
        assert!((Schedule::Cosine.at(50, 100, 1.0, 0.0) - 0.5).abs() < 1e-12);
    }
}
