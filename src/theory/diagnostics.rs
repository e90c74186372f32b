//! Feature diagnostics of a learned autoencoder (THEORY §4–5): the normalized Gram matrix of the
//! encoder, its spectrum, and how well the decoder aligns with the encoder's transpose.

use crate::theory::gaussian::{
    GaussianError, Parallelism, check_finite, check_shape, clear_upper_simd_state, gemm_symmetric,
    mat_ref,
};
use faer::Spec;
use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self, ComputeEigenvectors};
use ndarray::{Array2, ArrayView2, Zip};

/// `G = B̃ B̃ᵀ` (n×n) for an encoder `b` (n×d), where `B̃` is B with rows scaled to unit Euclidean
/// norm. A zero row stays zero (its row and column of G are 0). The diagonal is set to exactly 1
/// for non-zero rows.
pub fn normalized_gram(b: ArrayView2<'_, f64>) -> Array2<f64> {
    normalized_gram_with(b, Parallelism::default())
}

/// [`normalized_gram`] with the product's threads given: `Parallelism::Sequential` keeps it
/// on the calling thread.
pub fn normalized_gram_with(b: ArrayView2<'_, f64>, par: Parallelism) -> Array2<f64> {
    let mut unit = b.as_standard_layout().into_owned();
    let mut nonzero = Vec::with_capacity(unit.nrows());
    for mut row in unit.rows_mut() {
        let norm = row.dot(&row).sqrt();
        let ok = norm > 0.0 && norm.is_finite();
        if ok {
            row /= norm;
        } else {
            row.fill(0.0);
        }
        nonzero.push(ok);
    }
    let n = unit.nrows();
    let mut g = Array2::zeros((n, n));
    gemm_symmetric(g.view_mut(), unit.view(), unit.t(), 1.0, par);
    for (i, ok) in nonzero.into_iter().enumerate() {
        if ok {
            g[[i, i]] = 1.0;
        }
    }
    g
}

/// Eigenvalues of the symmetric matrix `g` (n×n), sorted in descending order. Only the lower
/// triangle is read. Uses faer's self-adjoint eigensolver on its global thread pool.
pub fn symmetric_eigenvalues(g: ArrayView2<'_, f64>) -> Result<Vec<f64>, GaussianError> {
    symmetric_eigenvalues_with(g, Parallelism::default())
}

/// [`symmetric_eigenvalues`] with the solver's threads given: `Parallelism::Sequential` keeps
/// it on the calling thread.
pub fn symmetric_eigenvalues_with(
    g: ArrayView2<'_, f64>,
    par: Parallelism,
) -> Result<Vec<f64>, GaussianError> {
    let par = par.faer();
    let n = g.nrows();
    check_shape("symmetric matrix", g, (n, n))?;
    check_finite("symmetric matrix", g)?;
    let mut s = Diag::<f64>::zeros(n);
    let scratch =
        evd::self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::No, par, Spec::default());
    let solved = evd::self_adjoint_evd(
        mat_ref(g),
        s.as_mut(),
        None,
        par,
        MemStack::new(&mut MemBuffer::new(scratch)),
        Spec::default(),
    );
    clear_upper_simd_state();
    solved.map_err(|_| GaussianError::Eigen)?;
    let mut values: Vec<f64> = (0..n).map(|i| s[i]).collect();
    values.sort_by(|x, y| y.total_cmp(x));
    Ok(values)
}

/// Least-squares alignment of the decoder `a` (d×n) with the encoder transpose `bᵀ` (`b` n×d):
/// returns `β = ⟨A, Bᵀ⟩_F / ‖B‖²_F` and the relative residual `‖A − β Bᵀ‖_F / ‖A‖_F`.
///
/// Conventions: β = 0 when B = 0; the residual is 0 when A = 0.
pub fn alignment(
    a: ArrayView2<'_, f64>,
    b: ArrayView2<'_, f64>,
) -> Result<(f64, f64), GaussianError> {
    let (n, d) = b.dim();
    check_shape("decoder A", a, (d, n))?;
    check_finite("decoder A", a)?;
    check_finite("encoder B", b)?;
    let (ab, bb, aa) = Zip::from(a)
        .and(b.t())
        .fold((0.0, 0.0, 0.0), |(ab, bb, aa), &x, &y| {
            (ab + x * y, bb + y * y, aa + x * x)
        });
    if aa == 0.0 {
        return Ok((0.0, 0.0));
    }
    let beta = if bb > 0.0 { ab / bb } else { 0.0 };
    // ‖A − βBᵀ‖² = ‖A‖² − 2β⟨A,Bᵀ⟩ + β²‖B‖² = ‖A‖² − β⟨A,Bᵀ⟩ for the optimal β; clamp the
    // rounding of a perfect fit to 0.
    let resid2 = (aa - beta * ab).max(0.0);
    Ok((beta, (resid2 / aa).sqrt()))
}
