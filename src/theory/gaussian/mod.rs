//! Exact population risk of `x̂ = A σ(Bx)` for Gaussian data `x ~ N(0, Σ)` (THEORY §3).
//!
//! Shapes throughout: encoder `B` n×d, decoder `A` d×n, `C = E[σ(Bx) xᵀ]` n×d,
//! `K = E[σ(Bx) σ(Bx)ᵀ]` n×n, and
//! `R(A, B) = (1/d) [Tr Σ − 2 Tr(A C) + Tr(Aᵀ A K)]`.
//!
//! Closed forms exist for sign, relu, erf and linear; tanh is refused with
//! [`GaussianError::UnsupportedActivation`]. Dense products run on faer (see [`Parallelism`]).
//! The population gradient-descent hot path is [`PopulationWorkspace::risk_and_grad_into`].

mod covariance;
mod decoder;
mod error;
mod grad;
mod kernels;

pub use crate::linalg::{Parallelism, clear_upper_simd_state};
pub use covariance::Covariance;
pub use decoder::{optimal_decoder, ridge_least_squares_decoder};
pub use error::GaussianError;
pub use grad::{PopulationWorkspace, risk_and_grad};

use crate::linalg as bridge;
pub(crate) use crate::linalg::{gemm, gemm_symmetric, mat_ref};

use crate::model::Activation;
use faer::Accum;
use kernels::{ErfK, Kernel, LinearK, ReluK, Row, SignK};
use ndarray::{Array2, ArrayView2, Zip};

/// Second moments of the code `h = σ(Bx)` under `x ~ N(0, Σ)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    /// `C = E[σ(Bx) xᵀ]`, n×d.
    pub c: Array2<f64>,
    /// `K = E[σ(Bx) σ(Bx)ᵀ]`, n×n, symmetric.
    pub k: Array2<f64>,
}

/// Runs `$body` with `$k` bound to the kernel type of `$act`; tanh returns the error.
macro_rules! with_kernel {
    ($act:expr, $k:ident => $body:expr) => {
        match $act {
            Activation::Sign => {
                type $k = SignK;
                $body
            }
            Activation::Relu => {
                type $k = ReluK;
                $body
            }
            Activation::Erf => {
                type $k = ErfK;
                $body
            }
            Activation::Linear => {
                type $k = LinearK;
                $body
            }
            Activation::Tanh => {
                return Err(GaussianError::UnsupportedActivation(Activation::Tanh));
            }
        }
    };
}
pub(crate) use with_kernel;

/// `C` and `K` of THEORY §3 for the encoder `b` (n×d), data covariance `cov` (d×d).
///
/// ρ is clamped to [−1, 1] and the diagonal of K uses its exact value (1 for sign, s²/2 for
/// relu, Q_ii for linear, the erf formula at ρ = 1). A zero row of B gives no NaN: for sign it
/// is the constant unit +1 (`sign(0) = +1`: `C_i = 0`, `K_ii = 1`, `K_ij = 1` against another
/// zero row, 0 otherwise), for relu the dead unit 0, for erf and linear the limit.
pub fn moments(
    act: Activation,
    b: ArrayView2<'_, f64>,
    cov: &Covariance,
) -> Result<Moments, GaussianError> {
    cov.validate()?;
    let d = cov.d();
    let n = b.nrows();
    check_shape("encoder B", b, (n, d))?;
    check_finite("encoder B", b)?;
    with_kernel!(act, K => Ok(moments_with::<K>(b, cov, Parallelism::default())))
}

fn moments_with<K: Kernel>(b: ArrayView2<'_, f64>, cov: &Covariance, par: Parallelism) -> Moments {
    let (n, d) = b.dim();
    let mut c = Array2::zeros((n, d));
    cov.apply_rows_into(b, c.view_mut(), par);
    let mut k = Array2::zeros((n, n));
    gemm_symmetric(k.view_mut(), c.view(), b.t(), 1.0, par);
    let rows: Vec<Row> = k.diag().iter().map(|&q| K::row(q)).collect();
    bridge::par_rows(k.view_mut(), par, |i0, mut kb| {
        for (di, mut krow) in kb.rows_mut().into_iter().enumerate() {
            let i = i0 + di;
            let ri = &rows[i];
            for (j, kij) in krow.iter_mut().enumerate() {
                *kij = if i == j {
                    K::diag(ri).0
                } else {
                    K::off(*kij, ri, &rows[j]).0
                };
            }
        }
        0.0
    });
    Zip::from(c.rows_mut())
        .and(&rows[..])
        .for_each(|mut row, r| row *= K::c_scale(r).0);
    Moments { c, k }
}

/// `R(A, B) = (1/d) [Tr Σ − 2 Tr(A C) + Tr(Aᵀ A K)]` for a decoder `a` (d×n) and the moments of
/// an encoder.
pub fn risk(a: ArrayView2<'_, f64>, m: &Moments, cov: &Covariance) -> Result<f64, GaussianError> {
    cov.validate()?;
    let d = cov.d();
    let n = m.k.nrows();
    check_shape("moment K", m.k.view(), (n, n))?;
    check_shape("moment C", m.c.view(), (n, d))?;
    check_shape("decoder A", a, (d, n))?;
    check_finite("decoder A", a)?;
    let mut ak = Array2::zeros((d, n));
    gemm(
        ak.view_mut(),
        Accum::Replace,
        a,
        m.k.view(),
        1.0,
        Parallelism::default(),
    );
    Ok(risk_from_parts(a, m.c.view(), ak.view(), cov.trace(), d))
}

/// `(1/d)[Tr Σ − 2 Tr(A C) + Tr(Aᵀ (A K))]` given `AK` (d×n).
pub(crate) fn risk_from_parts(
    a: ArrayView2<'_, f64>,
    c: ArrayView2<'_, f64>,
    ak: ArrayView2<'_, f64>,
    trace: f64,
    d: usize,
) -> f64 {
    let tr_ac = Zip::from(a).and(c.t()).fold(0.0, |s, x, y| s + x * y);
    let tr_aak = Zip::from(a).and(ak).fold(0.0, |s, x, y| s + x * y);
    (trace - 2.0 * tr_ac + tr_aak) / d as f64
}

pub(crate) fn check_shape(
    what: &'static str,
    a: ArrayView2<'_, f64>,
    expected: (usize, usize),
) -> Result<(), GaussianError> {
    if a.dim() == expected {
        Ok(())
    } else {
        Err(GaussianError::Shape {
            what,
            expected,
            got: a.dim(),
        })
    }
}

pub(crate) fn check_finite(
    what: &'static str,
    a: ArrayView2<'_, f64>,
) -> Result<(), GaussianError> {
    if a.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(GaussianError::NonFinite { what })
    }
}
