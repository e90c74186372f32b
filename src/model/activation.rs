//! Elementwise activations σ and their derivatives.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The activation σ of the hidden layer, applied elementwise to the pre-activation `u = Bx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `sign(u)`, with `sign(0) = +1` so that the code is exactly one bit per neuron.
    Sign,
    /// `max(0, u)`.
    Relu,
    /// `tanh(u)`.
    Tanh,
    /// `erf(u)`.
    Erf,
    /// `u` (the linear autoencoder, PCA).
    Linear,
}

/// σ(u), written once for both float widths (the f64 theory and the f32 hot path); only the
/// name of libm's erf differs between them. `sign(0) = +1`, and so is `sign(−0)`.
macro_rules! sigma {
    ($act:expr, $u:expr, $erf:path) => {{
        let u = $u;
        match $act {
            Activation::Sign => {
                if u >= 0.0 {
                    1.0
                } else {
                    -1.0
                }
            }
            Activation::Relu => u.max(0.0),
            Activation::Tanh => u.tanh(),
            Activation::Erf => $erf(u),
            Activation::Linear => u,
        }
    }};
}

impl Activation {
    /// Every activation, in the order the UI cycles through them.
    pub const ALL: [Activation; 5] = [
        Activation::Sign,
        Activation::Relu,
        Activation::Tanh,
        Activation::Erf,
        Activation::Linear,
    ];

    /// Lower-case name used in presets, records and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sign => "sign",
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Erf => "erf",
            Activation::Linear => "linear",
        }
    }

    /// σ(u) in f64 (theory, quadrature).
    #[inline]
    pub fn eval_f64(self, u: f64) -> f64 {
        sigma!(self, u, libm::erf)
    }

    /// σ(u) in f32 (the training hot path).
    #[inline(always)]
    pub fn eval(self, u: f32) -> f32 {
        sigma!(self, u, libm::erff)
    }

    /// σ'(u) in f32. For sign this is the true derivative (zero); training replaces it by a
    /// surrogate (see `model::autoencoder::SignGrad`).
    #[inline(always)]
    pub fn deriv(self, u: f32) -> f32 {
        match self {
            Activation::Sign => 0.0,
            Activation::Relu => {
                if u > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Tanh => {
                let t = u.tanh();
                1.0 - t * t
            }
            Activation::Erf => std::f32::consts::FRAC_2_SQRT_PI * (-u * u).exp(),
            Activation::Linear => 1.0,
        }
    }

    /// Whether σ(su) = s σ(u) for s > 0, so that the row norms of B carry no information
    /// (sign: rows are kept at unit norm; relu, linear: norms trade against the decoder).
    pub fn is_scale_invariant(self) -> bool {
        matches!(self, Activation::Sign)
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Activation::ALL
            .iter()
            .copied()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                format!("unknown activation '{s}' (expected sign, relu, tanh, erf or linear)")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_of_zero_is_plus_one() {
        assert_eq!(Activation::Sign.eval(0.0), 1.0);
        assert_eq!(Activation::Sign.eval_f64(0.0), 1.0);
        assert_eq!(Activation::Sign.eval(-0.0), 1.0);
    }

    #[test]
    fn names_round_trip() {
        for a in Activation::ALL {
            assert_eq!(a.name().parse::<Activation>(), Ok(a));
        }
        assert!("softplus".parse::<Activation>().is_err());
    }
}
