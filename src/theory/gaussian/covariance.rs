//! The covariance Σ of the Gaussian data `x ~ N(0, Σ)`.

use super::GaussianError;
use crate::linalg::{self as bridge, Parallelism};
use faer::Accum;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, Zip};

/// Covariance Σ (d×d, symmetric positive semi-definite) of the data `x ~ N(0, Σ)`.
///
/// The structured variants keep the products with Σ at O(nd) instead of O(nd²).
/// Positive semi-definiteness of `Full` is assumed, not checked (it would cost a factorization);
/// quadratic forms `bᵀΣb` that come out negative by rounding are treated as 0.
#[derive(Debug, Clone, PartialEq)]
pub enum Covariance {
    /// Σ = I_d; the payload is d.
    Identity(usize),
    /// Σ = diag(v), v of length d, every entry ≥ 0.
    Diagonal(Vec<f64>),
    /// A dense symmetric d×d matrix.
    Full(Array2<f64>),
}

impl Covariance {
    /// Input dimension d.
    pub fn d(&self) -> usize {
        match self {
            Covariance::Identity(d) => *d,
            Covariance::Diagonal(v) => v.len(),
            Covariance::Full(m) => m.nrows(),
        }
    }

    /// Tr Σ = E‖x‖².
    pub fn trace(&self) -> f64 {
        match self {
            Covariance::Identity(d) => *d as f64,
            Covariance::Diagonal(v) => v.iter().sum(),
            Covariance::Full(m) => m.diag().sum(),
        }
    }

    /// Σ as a dense d×d matrix.
    pub fn to_dense(&self) -> Array2<f64> {
        match self {
            Covariance::Identity(d) => Array2::eye(*d),
            Covariance::Diagonal(v) => Array2::from_diag(&ndarray::ArrayView1::from(v.as_slice())),
            Covariance::Full(m) => m.clone(),
        }
    }

    /// Checks d > 0, finiteness, non-negative variances, squareness and symmetry (to a relative
    /// 1e-10 of the largest entry) of a `Full` matrix.
    pub fn validate(&self) -> Result<(), GaussianError> {
        if self.d() == 0 {
            return Err(GaussianError::InvalidCovariance("d = 0".into()));
        }
        match self {
            Covariance::Identity(_) => Ok(()),
            Covariance::Diagonal(v) => {
                if let Some(x) = v.iter().find(|x| !x.is_finite() || **x < 0.0) {
                    return Err(GaussianError::InvalidCovariance(format!(
                        "diagonal entry {x} is not a finite non-negative variance"
                    )));
                }
                Ok(())
            }
            Covariance::Full(m) => {
                if !m.is_square() {
                    return Err(GaussianError::InvalidCovariance(format!(
                        "not square: {:?}",
                        m.dim()
                    )));
                }
                if m.iter().any(|x| !x.is_finite()) {
                    return Err(GaussianError::NonFinite { what: "covariance" });
                }
                let scale = m.iter().fold(0.0f64, |a, x| a.max(x.abs()));
                let tol = 1e-10 * scale;
                let asym = Zip::from(m)
                    .and(m.t())
                    .fold(0.0f64, |a, x, y| a.max((x - y).abs()));
                if asym > tol {
                    return Err(GaussianError::InvalidCovariance(format!(
                        "not symmetric (max |Σ − Σᵀ| = {asym:e})"
                    )));
                }
                if let Some(x) = m.diag().iter().find(|x| **x < 0.0) {
                    return Err(GaussianError::InvalidCovariance(format!(
                        "negative variance {x} on the diagonal"
                    )));
                }
                Ok(())
            }
        }
    }

    /// `B Σ` (n×d) for an encoder `b` (n×d): row i is `(Σ b_i)ᵀ`.
    pub fn apply_rows(&self, b: ArrayView2<'_, f64>) -> Result<Array2<f64>, GaussianError> {
        self.validate()?;
        let d = self.d();
        if b.ncols() != d {
            return Err(GaussianError::Shape {
                what: "encoder B",
                expected: (b.nrows(), d),
                got: b.dim(),
            });
        }
        let mut out = Array2::zeros(b.dim());
        self.apply_rows_into(b, out.view_mut(), Parallelism::default());
        Ok(out)
    }

    /// `out = M Σ` for any `m` with d columns (shapes already checked by the caller).
    pub(crate) fn apply_rows_into(
        &self,
        m: ArrayView2<'_, f64>,
        mut out: ArrayViewMut2<'_, f64>,
        par: Parallelism,
    ) {
        match self {
            Covariance::Identity(_) => out.assign(&m),
            Covariance::Diagonal(v) => {
                let v = ndarray::ArrayView1::from(v.as_slice());
                Zip::from(out.rows_mut())
                    .and(m.rows())
                    .for_each(|mut o, r| {
                        Zip::from(&mut o)
                            .and(r)
                            .and(&v)
                            .for_each(|o, x, s| *o = x * s);
                    });
            }
            Covariance::Full(s) => bridge::gemm(out, Accum::Replace, m, s.view(), 1.0, par),
        }
    }
}
