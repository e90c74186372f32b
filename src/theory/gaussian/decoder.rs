//! Closed-form decoders: the Gaussian optimum `A* = Cᵀ K⁻¹` and ridge least squares on samples.

use super::{Covariance, GaussianError, Moments, check_finite, check_shape};
use crate::linalg::{self as bridge, Parallelism, mat_mut, mat_ref};
use faer::linalg::solvers::{Llt, Solve};
use faer::{Accum, Mat, Side};
use ndarray::{Array2, ArrayView2, Zip};

/// First ridge of the retry ladder, relative to the mean diagonal `tr(M)/n`.
const RIDGE_START: f64 = 1e-10;
/// Each retry multiplies the ridge by this.
const RIDGE_GROWTH: f64 = 100.0;
/// Largest ridge tried, relative to `tr(M)/n` (five ridged attempts: 1e-10 … 1e-2).
const RIDGE_CAP: f64 = 1e-2;
/// A Cholesky pivot `L_kk²` below this fraction of the largest diagonal entry means the matrix
/// is numerically singular: the plain solve would amplify rounding by more than ~1e12.
const MIN_RELATIVE_PIVOT: f64 = 1e-12;

/// Solves `(M + λ I) X = rhs` for symmetric PSD `m` (n×n) and `rhs` (n×m), returning X and λ.
///
/// λ = 0 is tried first; if Cholesky fails, a pivot is below [`MIN_RELATIVE_PIVOT`] or the
/// solution is not finite, λ = 1e-10 · tr(M)/n is added and multiplied by 100 on each retry up to
/// 1e-2 · tr(M)/n (tr(M)/n := 1 for a zero matrix). Only the lower triangle of `m` is read.
fn spd_solve(
    m: ArrayView2<'_, f64>,
    rhs: ArrayView2<'_, f64>,
    what: &'static str,
) -> Result<(Array2<f64>, f64), GaussianError> {
    let n = m.nrows();
    let mean_diag = if n == 0 {
        1.0
    } else {
        m.diag().sum() / n as f64
    };
    let scale = if mean_diag > 0.0 { mean_diag } else { 1.0 };
    let max_diag = m.diag().iter().fold(0.0f64, |a, &x| a.max(x));
    let mut ridge = 0.0;
    loop {
        let shifted = Mat::from_fn(n, n, |i, j| m[[i, j]] + if i == j { ridge } else { 0.0 });
        let factor = Llt::new(shifted.as_ref(), Side::Lower);
        bridge::clear_upper_simd_state();
        if let Ok(llt) = factor {
            let l = llt.L();
            let min_pivot = (0..n)
                .map(|k| l[(k, k)] * l[(k, k)])
                .fold(f64::INFINITY, f64::min);
            if min_pivot >= MIN_RELATIVE_PIVOT * (max_diag + ridge) {
                let mut x = rhs.as_standard_layout().into_owned();
                llt.solve_in_place(mat_mut(x.view_mut()));
                bridge::clear_upper_simd_state();
                if x.iter().all(|v| v.is_finite()) {
                    return Ok((x, ridge));
                }
            }
        }
        ridge = if ridge == 0.0 {
            RIDGE_START * scale
        } else {
            ridge * RIDGE_GROWTH
        };
        if ridge > RIDGE_CAP * scale * (1.0 + 1e-9) {
            return Err(GaussianError::Factorization {
                what,
                ridge: ridge / RIDGE_GROWTH,
            });
        }
    }
}

/// Optimal decoder for a fixed encoder: `A* = Cᵀ K⁻¹` (d×n) and its risk
/// `R*(B) = (1/d) [Tr Σ − Tr(C Cᵀ K⁻¹)]`, from the moments (C n×d, K n×n) of the encoder.
///
/// K is factorized by Cholesky. When K is singular or numerically so (duplicated rows, dead relu
/// units), a ridge `λ = 1e-10 · tr(K)/n` is added and multiplied by 100 per retry up to
/// `1e-2 · tr(K)/n`; the returned risk is then the exact risk of the returned (ridged) decoder,
/// `(1/d)[Tr Σ − 2 Tr(A* C) + Tr(A*ᵀ A* K)]`, so it never undercuts what the decoder achieves.
pub fn optimal_decoder(m: &Moments, cov: &Covariance) -> Result<(Array2<f64>, f64), GaussianError> {
    cov.validate()?;
    let d = cov.d();
    let n = m.k.nrows();
    check_shape("moment K", m.k.view(), (n, n))?;
    check_shape("moment C", m.c.view(), (n, d))?;
    check_finite("moment K", m.k.view())?;
    check_finite("moment C", m.c.view())?;
    let (x, ridge) = spd_solve(m.k.view(), m.c.view(), "kernel K")?;
    let tr_cx = Zip::from(&m.c).and(&x).fold(0.0, |s, c, x| s + c * x);
    let risk = if ridge == 0.0 {
        (cov.trace() - tr_cx) / d as f64
    } else {
        let mut kx = Array2::zeros((n, d));
        bridge::gemm(
            kx.view_mut(),
            Accum::Replace,
            m.k.view(),
            x.view(),
            1.0,
            Parallelism::default(),
        );
        let tr_xkx = Zip::from(&x).and(&kx).fold(0.0, |s, x, y| s + x * y);
        (cov.trace() - 2.0 * tr_cx + tr_xkx) / d as f64
    };
    Ok((x.t().as_standard_layout().into_owned(), risk))
}

/// Least-squares decoder on samples, for data that is not Gaussian: solves
/// `(HᵀH + λ I) Aᵀ = Hᵀ X` for codes `h` (N×n) and data `x` (N×d), `λ = ridge ≥ 0`.
/// Returns A (d×n) and the mean per-coordinate squared error `‖X − H Aᵀ‖²_F / (N d)` on those
/// samples. If `HᵀH + λI` is (numerically) singular, the extra ridge ladder of
/// [`optimal_decoder`] is added on top of `ridge`.
pub fn ridge_least_squares_decoder(
    h: ArrayView2<'_, f64>,
    x: ArrayView2<'_, f64>,
    ridge: f64,
) -> Result<(Array2<f64>, f64), GaussianError> {
    let (samples, n) = h.dim();
    let d = x.ncols();
    check_shape("data X", x, (samples, d))?;
    if samples == 0 || d == 0 {
        return Err(GaussianError::InvalidArgument(
            "least squares needs at least one sample and one coordinate".into(),
        ));
    }
    if !(ridge.is_finite() && ridge >= 0.0) {
        return Err(GaussianError::InvalidArgument(format!(
            "ridge must be finite and ≥ 0, got {ridge}"
        )));
    }
    check_finite("codes H", h)?;
    check_finite("data X", x)?;
    let par = Parallelism::default();
    let mut gram = Array2::zeros((n, n));
    bridge::gemm_symmetric(gram.view_mut(), h.t(), h, 1.0, par);
    gram.diag_mut().map_inplace(|g| *g += ridge);
    let mut htx = Array2::zeros((n, d));
    bridge::gemm(htx.view_mut(), Accum::Replace, h.t(), x, 1.0, par);
    let (at, _) = spd_solve(gram.view(), htx.view(), "code Gram HᵀH + λI")?;
    let mut resid = x.as_standard_layout().into_owned();
    faer::linalg::matmul::matmul(
        mat_mut(resid.view_mut()),
        Accum::Add,
        mat_ref(h),
        mat_ref(at.view()),
        -1.0,
        par.faer(),
    );
    bridge::clear_upper_simd_state();
    let mse = resid.iter().map(|r| r * r).sum::<f64>() / (samples * d) as f64;
    Ok((at.t().as_standard_layout().into_owned(), mse))
}
