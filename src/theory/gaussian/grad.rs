//! Risk and its analytic gradient in (A, B): the hot path of population gradient descent.
//!
//! With `P = B Σ`, `Q = P Bᵀ`, `W = ∂R/∂K = AᵀA/d` and `∂R/∂C = −(2/d) Aᵀ`, the chain rule
//! through `K_ij = κ(Q_ij, Q_ii, Q_jj)` and `C_i = g(s_i) p_i` gives
//!
//! ```text
//! ∂R/∂A = (2/d) (A K − Cᵀ)
//! ∂R/∂B = N P − (2/d) diag(g) Aᵀ Σ
//! N_ij  = 2 W_ij ∂κ/∂Q_ij                                    (i ≠ j)
//! N_ii  = 2 [2 Σ_{j≠i} W_ij ∂κ_ij/∂Q_ii + W_ii dK_ii/dQ_ii] − (2/d) (g'(s_i)/s_i) a_iᵀ Σ b_i
//! ```
//!
//! (`a_i` is column i of A). That is five dense products (two of them symmetric, computed as
//! half products) and one elementwise pass over n×n entries; Σ adds two more products when Full.

use super::kernels::{ErfK, Kernel, LinearK, ReluK, Row, SignK};
use super::{Covariance, GaussianError, check_finite, check_shape, with_kernel};
use crate::linalg::{self as bridge, Parallelism};
use crate::model::Activation;
use faer::Accum;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, Zip};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Buffers for [`PopulationWorkspace::risk_and_grad_into`], reused across steps so that a
/// gradient step allocates nothing. They resize themselves when (n, d) changes.
#[derive(Debug, Clone, Default)]
pub struct PopulationWorkspace {
    par: Parallelism,
    /// `B Σ`, n×d (unused for Σ = I, where it is B itself).
    p: Array2<f64>,
    /// `B Σ Bᵀ`, n×n; overwritten by N during the pass.
    q: Array2<f64>,
    /// K, n×n.
    k: Array2<f64>,
    /// AᵀA / d, n×n.
    w: Array2<f64>,
    rows: Vec<Row>,
    /// `a_iᵀ Σ b_i`.
    t: Vec<f64>,
    /// Raised from another thread to abandon a pass between its products: at large d one pass
    /// takes seconds, and a signal must end the run promptly.
    stop: Option<Arc<AtomicBool>>,
}

impl PopulationWorkspace {
    /// Workspace for encoders n×d using all cores ([`Parallelism::Auto`]).
    pub fn new(n: usize, d: usize) -> Self {
        Self::with_parallelism(n, d, Parallelism::default())
    }

    /// Workspace for encoders n×d with an explicit threading policy.
    pub fn with_parallelism(n: usize, d: usize, par: Parallelism) -> Self {
        let mut ws = Self {
            par,
            ..Self::default()
        };
        ws.resize(n, d);
        ws
    }

    /// The threading policy in use.
    pub fn parallelism(&self) -> Parallelism {
        self.par
    }

    /// Changes the threading policy.
    pub fn set_parallelism(&mut self, par: Parallelism) {
        self.par = par;
    }

    /// A flag that, once raised, makes the pass in progress (and every later one) return
    /// [`GaussianError::Stopped`] at its next product boundary.
    pub fn set_stop_flag(&mut self, stop: Arc<AtomicBool>) {
        self.stop = Some(stop);
    }

    /// `K` (n×n) of the encoder passed to the last successful
    /// [`risk_and_grad_into`](Self::risk_and_grad_into).
    pub fn kernel(&self) -> ArrayView2<'_, f64> {
        self.k.view()
    }

    fn resize(&mut self, n: usize, d: usize) {
        if self.q.dim() != (n, n) {
            self.q = Array2::zeros((n, n));
            self.k = Array2::zeros((n, n));
            self.w = Array2::zeros((n, n));
            self.rows = vec![Row::default(); n];
            self.t = vec![0.0; n];
        }
        if self.p.dim() != (n, d) {
            self.p = Array2::zeros((n, d));
        }
    }

    /// Risk `R(A, B)` for `x ~ N(0, Σ)`, writing `∂R/∂A` (d×n) into `grad_a` and `∂R/∂B` (n×d)
    /// into `grad_b`. `a` is the decoder d×n, `b` the encoder n×d.
    ///
    /// For sign the gradient is the full one w.r.t. the unnormalized B; the risk is invariant
    /// under positive row scaling, so row i of `grad_b` is orthogonal to `b_i`. Callers keep the
    /// rows at unit norm by projecting after each step.
    pub fn risk_and_grad_into(
        &mut self,
        act: Activation,
        a: ArrayView2<'_, f64>,
        b: ArrayView2<'_, f64>,
        cov: &Covariance,
        grad_a: ArrayViewMut2<'_, f64>,
        grad_b: ArrayViewMut2<'_, f64>,
    ) -> Result<f64, GaussianError> {
        cov.validate()?;
        let d = cov.d();
        let n = b.nrows();
        check_shape("encoder B", b, (n, d))?;
        check_shape("decoder A", a, (d, n))?;
        check_shape("gradient in A", grad_a.view(), (d, n))?;
        check_shape("gradient in B", grad_b.view(), (n, d))?;
        check_finite("encoder B", b)?;
        check_finite("decoder A", a)?;
        self.resize(n, d);
        with_kernel!(act, K => self.run::<K>(a, b, cov, grad_a, grad_b))
    }

    fn run<K: Kernel>(
        &mut self,
        a: ArrayView2<'_, f64>,
        b: ArrayView2<'_, f64>,
        cov: &Covariance,
        mut grad_a: ArrayViewMut2<'_, f64>,
        mut grad_b: ArrayViewMut2<'_, f64>,
    ) -> Result<f64, GaussianError> {
        let Self {
            par,
            p,
            q,
            k,
            w,
            rows,
            t,
            stop,
        } = self;
        let par = *par;
        // Each product is O(n²d); checking between them bounds the wait to one of them.
        let stop = stop.as_deref();
        let check = || match stop {
            Some(s) if s.load(Ordering::Relaxed) => Err(GaussianError::Stopped),
            _ => Ok(()),
        };
        check()?;
        let d = cov.d();
        let inv_d = 1.0 / d as f64;

        let p: ArrayView2<'_, f64> = match cov {
            Covariance::Identity(_) => b.view(),
            _ => {
                cov.apply_rows_into(b, p.view_mut(), par);
                p.view()
            }
        };
        bridge::gemm_symmetric(q.view_mut(), p, b.t(), 1.0, par);
        check()?;
        bridge::gemm_symmetric(w.view_mut(), a.t(), a, inv_d, par);
        check()?;

        // grad_b starts as AᵀΣ (= (ΣA)ᵀ); its row i dotted with b_i is a_iᵀ Σ b_i.
        cov.apply_rows_into(a.t(), grad_b.view_mut(), par);
        for (i, r) in rows.iter_mut().enumerate() {
            *r = K::row(q[[i, i]]);
        }
        let mut tr_ac = 0.0;
        for ((ti, r), (gb, bi)) in t
            .iter_mut()
            .zip(rows.iter())
            .zip(grad_b.axis_iter_mut(Axis(0)).zip(b.axis_iter(Axis(0))))
        {
            let mut gb = gb;
            *ti = gb.dot(&bi);
            let (g, _) = K::c_scale(r);
            tr_ac += g * *ti;
            gb *= -2.0 * inv_d * g;
        }

        let rows = &rows[..];
        let t = &t[..];
        let w = w.view();
        let tr_wk = bridge::par_rows2(q.view_mut(), k.view_mut(), par, |i0, mut nb, mut kb| {
            let mut acc = 0.0;
            for (di, (mut nrow, mut krow)) in
                nb.rows_mut().into_iter().zip(kb.rows_mut()).enumerate()
            {
                let i = i0 + di;
                let ri = &rows[i];
                let wrow = w.row(i);
                let mut dsum = 0.0;
                for (j, ((nij, kij), &wij)) in nrow
                    .iter_mut()
                    .zip(krow.iter_mut())
                    .zip(wrow.iter())
                    .enumerate()
                {
                    if j == i {
                        continue;
                    }
                    let (kv, dq, dqi) = K::off(*nij, ri, &rows[j]);
                    *kij = kv;
                    *nij = 2.0 * wij * dq;
                    dsum += wij * dqi;
                    acc += wij * kv;
                }
                let (kd, dkd) = K::diag(ri);
                let wii = wrow[i];
                krow[i] = kd;
                acc += wii * kd;
                let (_, gs) = K::c_scale(ri);
                nrow[i] = 2.0 * (2.0 * dsum + wii * dkd) - 2.0 * inv_d * gs * t[i];
            }
            acc
        });

        check()?;
        bridge::gemm(grad_b.view_mut(), Accum::Add, q.view(), p, 1.0, par);
        check()?;
        bridge::gemm(
            grad_a.view_mut(),
            Accum::Replace,
            a,
            k.view(),
            2.0 * inv_d,
            par,
        );
        // − (2/d) Cᵀ, with C_i = g_i p_i.
        for (i, (r, pi)) in rows.iter().zip(p.axis_iter(Axis(0))).enumerate() {
            let g = 2.0 * inv_d * K::c_scale(r).0;
            Zip::from(grad_a.column_mut(i))
                .and(&pi)
                .for_each(|ga, &x| *ga -= g * x);
        }

        Ok((cov.trace() - 2.0 * tr_ac) * inv_d + tr_wk)
    }
}

/// Risk `R(A, B)` (THEORY §3), `∂R/∂A` (d×n) and `∂R/∂B` (n×d) for the decoder `a` (d×n), the
/// encoder `b` (n×d) and `x ~ N(0, Σ)`. Allocates a fresh [`PopulationWorkspace`]; loops
/// should keep one and call [`PopulationWorkspace::risk_and_grad_into`].
pub fn risk_and_grad(
    act: Activation,
    a: ArrayView2<'_, f64>,
    b: ArrayView2<'_, f64>,
    cov: &Covariance,
) -> Result<(f64, Array2<f64>, Array2<f64>), GaussianError> {
    let (n, d) = (b.nrows(), cov.d());
    let mut ga = Array2::zeros((d, n));
    let mut gb = Array2::zeros((n, d));
    let mut ws = PopulationWorkspace::new(n, d);
    let r = ws.risk_and_grad_into(act, a, b, cov, ga.view_mut(), gb.view_mut())?;
    Ok((r, ga, gb))
}
