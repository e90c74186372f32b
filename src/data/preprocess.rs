//! Preprocessing of a real data set (THEORY §6), fitted on the training split only:
//! centering, an optional projection on the top k principal components, a global scale so that
//! `(1/d) Tr Σ̂ = 1` (risk 1.0 = reconstructs nothing), optional PCA or ZCA whitening with an
//! eigenvalue floor. The result is one affine map `z = T (x − μ)` with a known inverse, and the
//! exact spectrum of the preprocessed training covariance (what the water-filling prediction
//! of THEORY §4 is computed from).

use crate::linalg::{Parallelism, clear_upper_simd_state, gemm, mat_ref};
use faer::{Accum, Side};
use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Whitening (preset key `data.whiten`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Whiten {
    /// Keep the spectrum (the water-filling prediction applies).
    #[default]
    None,
    /// Rotate to the principal axes and rescale each to unit variance; directions whose
    /// variance is at most the floor are dropped (d shrinks).
    Pca,
    /// PCA whitening rotated back to pixel space (`Q D^{-1/2} Qᵀ`); variances below the floor
    /// are raised to it, so those directions come out shrunk, never divided by zero.
    Zca,
}

/// What to do to the data (validated by `config`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreprocessSpec {
    /// Subtract the training mean of each feature.
    pub center: bool,
    /// Keep the top `project` principal components (0: keep every feature, in pixel space).
    pub project: usize,
    pub whiten: Whiten,
    /// Eigenvalue floor for whitening, relative to the mean eigenvalue (i.e. in units where
    /// `(1/d) Tr Σ̂ = 1` before whitening), > 0.
    pub floor: f64,
}

impl Default for PreprocessSpec {
    fn default() -> Self {
        PreprocessSpec {
            center: true,
            project: 0,
            whiten: Whiten::None,
            floor: 1e-2,
        }
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum PreprocessError {
    #[error("{got} training samples: at least 2 are needed to estimate a covariance")]
    TooFewSamples { got: usize },
    #[error("the training split has no variance (constant data), there is nothing to compress")]
    ZeroVariance,
    #[error("project = {k}: the data has only {d} features")]
    ProjectTooLarge { k: usize, d: usize },
    #[error(
        "whitening with floor {floor} keeps no direction (every variance is at most the floor)"
    )]
    NothingAboveFloor { floor: f64 },
    #[error("validation data has {got} features, the training data {expected}")]
    FeatureMismatch { expected: usize, got: usize },
    #[error(
        "val_fraction = {fraction} of {samples} samples leaves {train} for training (at least 2 needed)"
    )]
    BadSplit {
        fraction: f64,
        samples: usize,
        train: usize,
    },
    #[error("the covariance eigendecomposition did not converge (non-finite data?)")]
    Eigen,
}

/// The fitted affine map `z = T (x − μ)` and its inverse `x = μ + T⁺ z`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transform {
    /// Training mean μ (zeros when not centering), length `d_in`.
    pub mean: Vec<f64>,
    pub map: Map,
}

/// The linear part of a [`Transform`].
#[derive(Debug, Clone, PartialEq)]
pub enum Map {
    /// `T = c · I` (no projection, no whitening: features stay pixels).
    Scale(f64),
    /// `T` (`d_out × d_in`) and its pseudo-inverse `T⁺` (`d_in × d_out`).
    Matrix {
        forward: Array2<f64>,
        inverse: Array2<f64>,
    },
}

impl Transform {
    pub fn d_in(&self) -> usize {
        self.mean.len()
    }

    pub fn d_out(&self) -> usize {
        match &self.map {
            Map::Scale(_) => self.mean.len(),
            Map::Matrix { forward, .. } => forward.nrows(),
        }
    }

    /// `z = T (x − μ)` for every row of `x` (`rows × d_in` → `rows × d_out`).
    pub fn apply(&self, x: ArrayView2<'_, f32>) -> Array2<f32> {
        let mut out = Array2::<f32>::zeros((x.nrows(), self.d_out()));
        const CHUNK: usize = 2048;
        for (xc, mut oc) in x
            .axis_chunks_iter(Axis(0), CHUNK)
            .zip(out.axis_chunks_iter_mut(Axis(0), CHUNK))
        {
            let mut centered = xc.mapv(f64::from);
            for mut row in centered.rows_mut() {
                row.iter_mut().zip(&self.mean).for_each(|(v, m)| *v -= m);
            }
            match &self.map {
                Map::Scale(c) => oc.zip_mut_with(&centered, |o, &v| *o = (c * v) as f32),
                Map::Matrix { forward, .. } => {
                    let mut z = Array2::<f64>::zeros((xc.nrows(), forward.nrows()));
                    gemm(
                        z.view_mut(),
                        Accum::Replace,
                        centered.view(),
                        forward.t(),
                        1.0,
                        Parallelism::Auto,
                    );
                    oc.zip_mut_with(&z, |o, &v| *o = v as f32);
                }
            }
        }
        out
    }

    /// `x = μ + T⁺ z` for every row of `z` (`rows × d_out` → `rows × d_in`): back to the
    /// file's feature space (exact for data in the kept subspace).
    pub fn invert(&self, z: ArrayView2<'_, f32>) -> Array2<f32> {
        let zf = z.mapv(f64::from);
        let mut x = match &self.map {
            Map::Scale(c) => zf.mapv(|v| v / c),
            Map::Matrix { inverse, .. } => {
                let mut x = Array2::<f64>::zeros((z.nrows(), inverse.nrows()));
                gemm(
                    x.view_mut(),
                    Accum::Replace,
                    zf.view(),
                    inverse.t(),
                    1.0,
                    Parallelism::Auto,
                );
                x
            }
        };
        for mut row in x.rows_mut() {
            row.iter_mut().zip(&self.mean).for_each(|(v, m)| *v += m);
        }
        x.mapv(|v| v as f32)
    }

    /// `Tᵀ b`: the pattern in the file's feature space that a linear read-out `b` of the
    /// preprocessed data responds to, since `b·z = (Tᵀb)·(x − μ)` (`d_out` → `d_in`).
    pub fn pull_back(&self, b: &[f32]) -> Vec<f32> {
        match &self.map {
            Map::Scale(c) => b.iter().map(|&v| (c * f64::from(v)) as f32).collect(),
            Map::Matrix { forward, .. } => forward
                .rows()
                .into_iter()
                .zip(b)
                .fold(vec![0.0f64; forward.ncols()], |mut acc, (row, &v)| {
                    acc.iter_mut()
                        .zip(row)
                        .for_each(|(a, t)| *a += t * f64::from(v));
                    acc
                })
                .into_iter()
                .map(|v| v as f32)
                .collect(),
        }
    }

    /// `T⁺ a`: a direction of the preprocessed data as a change of the file's features (the
    /// inverse map without the mean, `d_out` → `d_in`).
    pub fn push_forward(&self, a: &[f32]) -> Vec<f32> {
        match &self.map {
            Map::Scale(c) => a.iter().map(|&v| (f64::from(v) / c) as f32).collect(),
            Map::Matrix { inverse, .. } => inverse
                .rows()
                .into_iter()
                .map(|row| {
                    row.iter()
                        .zip(a)
                        .map(|(t, &v)| t * f64::from(v))
                        .sum::<f64>() as f32
                })
                .collect(),
        }
    }
}

/// A preprocessed data set.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Training split after the transform, `n_train × d`.
    pub train: Array2<f32>,
    /// Validation split after the same transform, `n_val × d`.
    pub val: Array2<f32>,
    pub transform: Transform,
    /// Eigenvalues of the covariance of `train` (descending, length d, mean 1): exact, from the
    /// eigendecomposition, not re-estimated.
    pub spectrum: Vec<f64>,
    /// Eigenvalues of the (centered) training covariance in the file's units (descending,
    /// length d_in).
    pub input_spectrum: Vec<f64>,
    /// Directions dropped by PCA whitening (variance at most the floor).
    pub dropped: usize,
    /// Variance of each input feature over the training split, in the file's units (the
    /// covariance's diagonal, length d_in).
    pub input_variance: Vec<f64>,
}

impl Prepared {
    /// Input dimension the model sees.
    pub fn d(&self) -> usize {
        self.spectrum.len()
    }
}

/// Splits the rows of `x` into (training, validation) by a permutation seeded by `seed`:
/// `round(val_fraction · n)` rows (at least 1 when `val_fraction > 0`) go to validation.
pub fn split(
    x: ArrayView2<'_, f32>,
    val_fraction: f64,
    seed: u64,
) -> Result<(Array2<f32>, Array2<f32>), PreprocessError> {
    let n = x.nrows();
    let mut n_val = (val_fraction * n as f64).round() as usize;
    if val_fraction > 0.0 {
        n_val = n_val.max(1);
    }
    let n_train = n.saturating_sub(n_val);
    if n_train < 2 {
        return Err(PreprocessError::BadSplit {
            fraction: val_fraction,
            samples: n,
            train: n_train,
        });
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed));
    let (val_idx, train_idx) = idx.split_at(n_val);
    Ok((x.select(Axis(0), train_idx), x.select(Axis(0), val_idx)))
}

/// Fits the preprocessing on `train` (samples × features) and applies it to `train` and `val`.
pub fn prepare(
    train: ArrayView2<'_, f32>,
    val: ArrayView2<'_, f32>,
    spec: &PreprocessSpec,
) -> Result<Prepared, PreprocessError> {
    let (n, d_in) = train.dim();
    if n < 2 {
        return Err(PreprocessError::TooFewSamples { got: n });
    }
    if val.ncols() != d_in {
        return Err(PreprocessError::FeatureMismatch {
            expected: d_in,
            got: val.ncols(),
        });
    }
    if spec.project > d_in {
        return Err(PreprocessError::ProjectTooLarge {
            k: spec.project,
            d: d_in,
        });
    }
    let mean = if spec.center {
        train
            .mapv(f64::from)
            .mean_axis(Axis(0))
            .map_or_else(|| vec![0.0; d_in], |m| m.to_vec())
    } else {
        vec![0.0; d_in]
    };
    let cov = covariance(train, &mean);
    let (lambda, q) = eigh_descending(&cov)?;
    let input_spectrum = lambda.clone();
    let input_variance = cov.diag().to_vec();

    // Directions kept: the top `project` (or all), then for PCA whitening those above the floor.
    let k = if spec.project > 0 { spec.project } else { d_in };
    let trace: f64 = lambda[..k].iter().sum();
    if trace.is_nan() || trace <= 0.0 {
        return Err(PreprocessError::ZeroVariance);
    }
    // Eigenvalues in units of the mean eigenvalue over the kept directions.
    let unit: Vec<f64> = lambda[..k].iter().map(|l| l * k as f64 / trace).collect();
    let mut sel: Vec<usize> = (0..k).collect();
    if spec.whiten == Whiten::Pca {
        sel.retain(|&j| unit[j] > spec.floor);
        if sel.is_empty() {
            return Err(PreprocessError::NothingAboveFloor { floor: spec.floor });
        }
    }
    let dropped = k - sel.len();
    // Per-direction gain before the final global scale.
    let gain: Vec<f64> = sel
        .iter()
        .map(|&j| match spec.whiten {
            Whiten::None => 1.0,
            Whiten::Pca => 1.0 / unit[j].sqrt(),
            Whiten::Zca => 1.0 / unit[j].max(spec.floor).sqrt(),
        })
        .collect();
    // Output coordinates: pixel space (no projection and no whitening, or ZCA) or the
    // principal axes (projection, PCA whitening).
    let pixel_space =
        spec.whiten == Whiten::Zca || (spec.project == 0 && spec.whiten == Whiten::None);
    let d_out = if pixel_space { d_in } else { sel.len() };
    let var: Vec<f64> = sel
        .iter()
        .zip(&gain)
        .map(|(&j, g)| g * g * unit[j])
        .collect();
    let total: f64 = var.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return Err(PreprocessError::ZeroVariance);
    }
    // Global scale c² so that the output covariance has mean eigenvalue 1 over d_out.
    let c2 = d_out as f64 / total;
    let c = (c2 * k as f64 / trace).sqrt();
    let mut spectrum: Vec<f64> = var.iter().map(|v| v * c2).collect();
    spectrum.resize(d_out, 0.0);
    spectrum.sort_by(|a, b| b.total_cmp(a));

    let map = if spec.project == 0 && spec.whiten == Whiten::None {
        Map::Scale(c)
    } else {
        // Rows of `forward` are c·g_j·q_jᵀ (principal axes), or ZCA's Q_sel diag(c g) Q_selᵀ.
        let mut axes = Array2::<f64>::zeros((sel.len(), d_in));
        let mut back = Array2::<f64>::zeros((d_in, sel.len()));
        for (r, (&j, g)) in sel.iter().zip(&gain).enumerate() {
            axes.row_mut(r).assign(&q.column(j).mapv(|v| v * c * g));
            back.column_mut(r)
                .assign(&q.column(j).mapv(|v| v / (c * g)));
        }
        if pixel_space {
            let qs = q.select(Axis(1), &sel);
            Map::Matrix {
                forward: qs.dot(&axes),
                inverse: back.dot(&qs.t()),
            }
        } else {
            Map::Matrix {
                forward: axes,
                inverse: back,
            }
        }
    };
    let transform = Transform { mean, map };
    Ok(Prepared {
        train: transform.apply(train),
        val: transform.apply(val),
        transform,
        spectrum,
        input_spectrum,
        dropped,
        input_variance,
    })
}

/// `(1/n) Σ (x − μ)(x − μ)ᵀ` in f64, accumulated over row chunks (`d × d`).
pub(crate) fn covariance(x: ArrayView2<'_, f32>, mean: &[f64]) -> Array2<f64> {
    let d = x.ncols();
    let mut cov = Array2::<f64>::zeros((d, d));
    for chunk in x.axis_chunks_iter(Axis(0), 4096) {
        let mut c = chunk.mapv(f64::from);
        for mut row in c.rows_mut() {
            row.iter_mut().zip(mean).for_each(|(v, m)| *v -= m);
        }
        gemm(
            cov.view_mut(),
            Accum::Add,
            c.t(),
            c.view(),
            1.0,
            Parallelism::Auto,
        );
    }
    cov /= x.nrows() as f64;
    // Exactly symmetric, whatever the summation order did.
    for i in 0..d {
        for j in 0..i {
            let v = 0.5 * (cov[[i, j]] + cov[[j, i]]);
            cov[[i, j]] = v;
            cov[[j, i]] = v;
        }
    }
    cov
}

/// Eigenvalues (descending, rounding negatives clamped to 0) and eigenvectors (columns, same
/// order) of a symmetric matrix, by faer's self-adjoint eigensolver.
pub(crate) fn eigh_descending(m: &Array2<f64>) -> Result<(Vec<f64>, Array2<f64>), PreprocessError> {
    let d = m.nrows();
    if m.iter().any(|v| !v.is_finite()) {
        return Err(PreprocessError::Eigen);
    }
    let evd = mat_ref(m.view()).self_adjoint_eigen(Side::Lower);
    clear_upper_simd_state();
    let evd = evd.map_err(|_| PreprocessError::Eigen)?;
    let values = evd.S().column_vector();
    let u = evd.U();
    // faer returns them ascending.
    let mut lambda = Vec::with_capacity(d);
    let mut q = Array2::<f64>::zeros((d, d));
    for (out, j) in (0..d).rev().enumerate() {
        lambda.push(values[j].max(0.0));
        for i in 0..d {
            q[[i, out]] = u[(i, j)];
        }
    }
    Ok((lambda, q))
}

/// Participation ratio `(Σ λ)² / Σ λ²`: how many directions carry the variance.
pub fn effective_rank(spectrum: &[f64]) -> f64 {
    let s: f64 = spectrum.iter().sum();
    let s2: f64 = spectrum.iter().map(|v| v * v).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

/// A fixed subset of `rows` rows (for the validation risk and the training risk beside it):
/// all of them when there are no more, else rows drawn without replacement by a permutation
/// seeded by `seed`, kept in file order. Not the first rows: files are often ordered (MNIST's
/// training file drifts in style from block to block, other sets are sorted by class), and a
/// head would measure one part of the data.
pub fn subset_rows(x: &Array2<f32>, rows: usize, seed: u64) -> Array2<f32> {
    if rows >= x.nrows() {
        return x.clone();
    }
    let mut idx: Vec<usize> = (0..x.nrows()).collect();
    idx.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed));
    idx.truncate(rows);
    idx.sort_unstable();
    x.select(Axis(0), &idx)
}

#[cfg(test)]
mod tests;
