//! Closed-form Gaussian kernels of THEORY §3 and their derivatives, one type per activation.
//!
//! Everything is expressed in the entries of `Q = B Σ Bᵀ`: `K_ij = κ(Q_ij, Q_ii, Q_jj)` and row i
//! of `C` is `g(s_i) (Σ b_i)ᵀ` with `s_i = √Q_ii`. The gradient code only needs `∂κ/∂Q_ij`,
//! `∂κ/∂Q_ii` (the `Q_jj` one follows by symmetry), `dK_ii/dQ_ii`, and `g'(s)/s`.

use std::f64::consts::{FRAC_2_PI, FRAC_2_SQRT_PI, PI};

/// Floor on `1 − ρ²` inside `1/√(1 − ρ²)`: arcsin has an infinite slope at ±1 (duplicated or
/// opposite rows), and capping the slope at 1e6 keeps the gradient finite there.
const MIN_ONE_MINUS_RHO2: f64 = 1e-12;

/// Quantities of one row, computed once from `q = Q_ii`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Row {
    /// `Q_ii`, clamped at 0 (a PSD Σ can still give −1e-17 by rounding).
    pub q: f64,
    /// Activation-specific: `s_i` (sign, relu) or `1/√(1+2s²)` (erf).
    pub u: f64,
    /// Activation-specific: `1/s_i`, or 0 for a zero row (sign, relu), or `1/(1+2s²)` (erf).
    pub v: f64,
}

/// One activation's kernel. All methods are pure functions of their arguments.
pub(crate) trait Kernel: Sync {
    fn row(q_ii: f64) -> Row;
    /// `(g(s), g'(s)/s)`: row i of C is `g(s_i) (Σ b_i)ᵀ`.
    fn c_scale(r: &Row) -> (f64, f64);
    /// Off-diagonal `(K_ij, ∂K_ij/∂Q_ij, ∂K_ij/∂Q_ii)`.
    fn off(q_ij: f64, ri: &Row, rj: &Row) -> (f64, f64, f64);
    /// `(K_ii, dK_ii/dQ_ii)`, exact rather than the off-diagonal formula at ρ = 1.
    fn diag(r: &Row) -> (f64, f64);
}

/// Row of a positively homogeneous activation: `s` and `1/s`, with `1/s := 0` for a zero row.
#[inline(always)]
fn norm_row(q_ii: f64) -> Row {
    let q = q_ii.max(0.0);
    let s = q.sqrt();
    Row {
        q,
        u: s,
        v: if s > 0.0 { 1.0 / s } else { 0.0 },
    }
}

#[inline(always)]
fn inv_sqrt_one_minus_sq(x: f64) -> f64 {
    1.0 / (1.0 - x * x).max(MIN_ONE_MINUS_RHO2).sqrt()
}

/// `sign`, with `sign(0) = +1`.
///
/// Zero row (`s_i = 0`): the unit outputs the constant +1, so exactly `C_i = 0`, `K_ii = 1`,
/// `K_ij = 0` against a non-zero row and `K_ij = 1` against another zero row. The kernel jumps
/// there, so the derivatives through a zero row are set to 0.
pub(crate) struct SignK;
impl Kernel for SignK {
    #[inline(always)]
    fn row(q_ii: f64) -> Row {
        norm_row(q_ii)
    }
    #[inline(always)]
    fn c_scale(r: &Row) -> (f64, f64) {
        let c = FRAC_2_PI.sqrt();
        (c * r.v, -c * r.v * r.v * r.v)
    }
    #[inline(always)]
    fn off(q_ij: f64, ri: &Row, rj: &Row) -> (f64, f64, f64) {
        if ri.v == 0.0 || rj.v == 0.0 {
            let k = if ri.v == 0.0 && rj.v == 0.0 { 1.0 } else { 0.0 };
            return (k, 0.0, 0.0);
        }
        let rho = (q_ij * ri.v * rj.v).clamp(-1.0, 1.0);
        let slope = FRAC_2_PI * inv_sqrt_one_minus_sq(rho);
        (
            FRAC_2_PI * rho.asin(),
            slope * ri.v * rj.v,
            -0.5 * slope * rho * ri.v * ri.v,
        )
    }
    #[inline(always)]
    fn diag(_r: &Row) -> (f64, f64) {
        (1.0, 0.0)
    }
}

/// `relu`: the degree-1 arc-cosine kernel `s_i s_j J(ρ) / 2π`, `J(ρ) = √(1−ρ²) + (π − arccos ρ) ρ`,
/// whose derivative `J'(ρ) = π − arccos ρ` is bounded (no clamp needed).
///
/// Zero row: `C_i = 0`, `K_ij = 0` exactly. The kernel is only positively homogeneous there,
/// not differentiable; we take ρ = 0 (the value for an independent direction), i.e.
/// `∂K_ij/∂Q_ij = 1/4`, and `∂K_ij/∂Q_ii = 0`, so a dead row still receives a gradient.
pub(crate) struct ReluK;
impl Kernel for ReluK {
    #[inline(always)]
    fn row(q_ii: f64) -> Row {
        norm_row(q_ii)
    }
    #[inline(always)]
    fn c_scale(_r: &Row) -> (f64, f64) {
        (0.5, 0.0)
    }
    #[inline(always)]
    fn off(q_ij: f64, ri: &Row, rj: &Row) -> (f64, f64, f64) {
        if ri.v == 0.0 || rj.v == 0.0 {
            return (0.0, 0.25, 0.0);
        }
        let rho = (q_ij * ri.v * rj.v).clamp(-1.0, 1.0);
        let root = (1.0 - rho * rho).max(0.0).sqrt();
        let angle = PI - rho.acos();
        let j = root + angle * rho;
        (
            ri.u * rj.u * j / (2.0 * PI),
            angle / (2.0 * PI),
            rj.u * ri.v * root / (4.0 * PI),
        )
    }
    #[inline(always)]
    fn diag(r: &Row) -> (f64, f64) {
        (0.5 * r.q, 0.5)
    }
}

/// `erf`: Williams' kernel `(2/π) arcsin(2 Q_ij / √((1+2Q_ii)(1+2Q_jj)))`; smooth everywhere,
/// including zero rows (it tends to the linear kernel as the norms shrink).
pub(crate) struct ErfK;
impl Kernel for ErfK {
    #[inline(always)]
    fn row(q_ii: f64) -> Row {
        let q = q_ii.max(0.0);
        let e = 1.0 + 2.0 * q;
        Row {
            q,
            u: 1.0 / e.sqrt(),
            v: 1.0 / e,
        }
    }
    #[inline(always)]
    fn c_scale(r: &Row) -> (f64, f64) {
        (
            FRAC_2_SQRT_PI * r.u,
            -2.0 * FRAC_2_SQRT_PI * r.u * r.u * r.u,
        )
    }
    #[inline(always)]
    fn off(q_ij: f64, ri: &Row, rj: &Row) -> (f64, f64, f64) {
        let t = (2.0 * q_ij * ri.u * rj.u).clamp(-1.0, 1.0);
        let slope = FRAC_2_PI * inv_sqrt_one_minus_sq(t);
        (
            FRAC_2_PI * t.asin(),
            2.0 * slope * ri.u * rj.u,
            -slope * t * ri.v,
        )
    }
    #[inline(always)]
    fn diag(r: &Row) -> (f64, f64) {
        // 1 − t² = (1 + 4q)/(1 + 2q)² exactly, which avoids the cancellation near t = 1.
        let t = 2.0 * r.q * r.v;
        (
            FRAC_2_PI * t.asin(),
            2.0 * FRAC_2_PI * r.v / (1.0 + 4.0 * r.q).sqrt(),
        )
    }
}

/// `linear`: `K = Q`, `C = B Σ`.
pub(crate) struct LinearK;
impl Kernel for LinearK {
    #[inline(always)]
    fn row(q_ii: f64) -> Row {
        norm_row(q_ii)
    }
    #[inline(always)]
    fn c_scale(_r: &Row) -> (f64, f64) {
        (1.0, 0.0)
    }
    #[inline(always)]
    fn off(q_ij: f64, _ri: &Row, _rj: &Row) -> (f64, f64, f64) {
        (q_ij, 1.0, 0.0)
    }
    #[inline(always)]
    fn diag(r: &Row) -> (f64, f64) {
        (r.q, 1.0)
    }
}
