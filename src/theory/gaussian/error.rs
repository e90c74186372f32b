//! The error type of the Gaussian closed forms.

use crate::model::Activation;

/// Why a closed-form computation refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GaussianError {
    /// An array does not have the shape the others imply.
    #[error("{what}: expected shape {expected:?}, got {got:?}")]
    Shape {
        /// Which argument.
        what: &'static str,
        /// (rows, cols) implied by the other arguments.
        expected: (usize, usize),
        /// (rows, cols) received.
        got: (usize, usize),
    },
    /// An input contains NaN or ±∞.
    #[error("{what} contains a non-finite value")]
    NonFinite {
        /// Which argument.
        what: &'static str,
    },
    /// The activation has no closed-form Gaussian kernel (tanh): use quadrature or sampling.
    #[error("activation {0} has no closed-form Gaussian kernel")]
    UnsupportedActivation(Activation),
    /// The covariance is not a valid one (not square, not symmetric, negative variance, d = 0).
    #[error("invalid covariance: {0}")]
    InvalidCovariance(String),
    /// A scalar argument is out of range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Cholesky failed even after the largest ridge of the retry ladder.
    #[error("{what}: Cholesky factorization failed even with ridge {ridge:e}")]
    Factorization {
        /// Which matrix.
        what: &'static str,
        /// The last ridge tried.
        ridge: f64,
    },
    /// The symmetric eigensolver did not converge.
    #[error("symmetric eigenvalue decomposition did not converge")]
    Eigen,
    /// The caller raised the workspace's stop flag (a signal): the pass was abandoned between
    /// two of its products and its outputs are incomplete.
    #[error("stopped before the computation finished")]
    Stopped,
}
