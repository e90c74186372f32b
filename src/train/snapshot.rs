//! Matrix snapshots and exports of the current weights: the Gram matrix and its spectrum, the
//! matrix the UI shows (downsampled), the alignment of A with Bᵀ.

use crate::linalg::Parallelism;
use crate::model::Autoencoder;
use crate::protocol::{Features, MatrixView, Snapshot, SnapshotRequest};
use crate::theory::diagnostics;
use crate::theory::spectrum;
use ndarray::{Array1, Array2, ArrayView2};
use ndarray_npy::WriteNpyExt;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Diagnostics of the current weights, in f64.
pub struct Diagnostics {
    /// G = B̃B̃ᵀ, n×n.
    pub gram: Array2<f64>,
    /// Eigenvalues of G, descending.
    pub eigenvalues: Vec<f64>,
    /// Least-squares β and ‖A − βBᵀ‖/‖A‖.
    pub beta: f64,
    pub alignment_rel: f64,
    pub a: Array2<f64>,
    pub b: Array2<f64>,
}

/// Largest n whose snapshot (the Gram product and its eigendecomposition) runs on the worker
/// thread alone. Waking faer's thread pool for it disturbed the step's own threads more than it
/// saved: on a 2-core AMD Zen 3 machine sign-r2 (n = 512) with the interface ran at a median
/// 91 % of headless with the eigendecomposition on the pool (15 pairs), 96 % without (16 pairs;
/// single pairs scatter by ±10 % there). Larger problems (a second at n = 2000) still use the
/// pool.
const SEQUENTIAL_MAX_N: usize = 1024;

impl Diagnostics {
    /// Gram, eigendecomposition (O(n³): n = 2000 takes about a second) and alignment.
    pub fn of(model: &Autoencoder) -> Self {
        let a = model.a.mapv(f64::from);
        let b = model.b.mapv(f64::from);
        let par = if model.n() <= SEQUENTIAL_MAX_N {
            Parallelism::Sequential
        } else {
            Parallelism::Auto
        };
        let gram = diagnostics::normalized_gram_with(b.view(), par);
        // A failed eigensolve (non-finite weights) shows an empty spectrum, not a crash.
        let eigenvalues =
            diagnostics::symmetric_eigenvalues_with(gram.view(), par).unwrap_or_default();
        let (beta, alignment_rel) =
            diagnostics::alignment(a.view(), b.view()).unwrap_or((f64::NAN, f64::NAN));
        Diagnostics {
            gram,
            eigenvalues,
            beta,
            alignment_rel,
            a,
            b,
        }
    }

    /// The summary that goes into reports and the run record.
    pub fn features(&self, n: usize, d: usize) -> Features {
        let target = spectrum::target_spectrum(n, d);
        Features {
            spectrum_distance: spectrum::spectrum_distance(&self.eigenvalues, &target),
            eig_min: self.eigenvalues.last().copied().unwrap_or(f64::NAN),
            eig_max: self.eigenvalues.first().copied().unwrap_or(f64::NAN),
            alignment_beta: self.beta,
            alignment_rel: self.alignment_rel,
        }
    }

    /// The matrix a view shows.
    pub fn matrix(&self, view: MatrixView) -> Array2<f64> {
        match view {
            MatrixView::Gram => self.gram.clone(),
            MatrixView::DecoderGram => self.a.t().dot(&self.a),
            MatrixView::EncoderDecoder => self.b.dot(&self.a),
            MatrixView::Alignment => &self.a - &(self.b.t().mapv(|v| v * self.beta)),
        }
    }
}

/// A snapshot for the UI.
pub fn snapshot(model: &Autoencoder, step: u64, req: SnapshotRequest) -> Snapshot {
    let diag = Diagnostics::of(model);
    let m = diag.matrix(req.view);
    let (mean, max_abs) = downsample(m.view(), req.max_side.max(1));
    let range = m
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (n, d) = (model.n(), model.d());
    let target = spectrum::target_spectrum(n, d);
    Snapshot {
        step,
        view: req.view,
        full_shape: m.dim(),
        mean,
        max_abs,
        range: (range.0 as f32, range.1 as f32),
        spectrum_distance: spectrum::spectrum_distance(&diag.eigenvalues, &target),
        eigenvalues: diag.eigenvalues,
        target,
        alignment_beta: diag.beta,
        alignment_rel: diag.alignment_rel,
        n,
        d,
    }
}

/// Block means and block max-abs entries (sign kept) of `m` on a grid of at most
/// `max_side` × `max_side` blocks; blocks split the rows (columns) as evenly as possible.
pub fn downsample(m: ArrayView2<f64>, max_side: usize) -> (Array2<f32>, Array2<f32>) {
    let (rows, cols) = m.dim();
    let (br, bc) = (rows.min(max_side), cols.min(max_side));
    let mut mean = Array2::zeros((br, bc));
    let mut peak = Array2::zeros((br, bc));
    for i in 0..br {
        let (r0, r1) = (i * rows / br, (i + 1) * rows / br);
        for j in 0..bc {
            let (c0, c1) = (j * cols / bc, (j + 1) * cols / bc);
            let block = m.slice(ndarray::s![r0..r1, c0..c1]);
            let sum: f64 = block.iter().sum();
            let top = block
                .iter()
                .fold(0.0f64, |acc, &v| if v.abs() > acc.abs() { v } else { acc });
            mean[[i, j]] = (sum / block.len().max(1) as f64) as f32;
            peak[[i, j]] = top as f32;
        }
    }
    (mean, peak)
}

/// Write A, B, G = B̃B̃ᵀ and its eigenvalues as .npy and .csv into `dir` (created if missing).
/// Returns the files written.
pub fn export(model: &Autoencoder, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let diag = Diagnostics::of(model);
    let eig = Array1::from(diag.eigenvalues.clone());
    let mut written = Vec::new();
    for (name, m) in [("A", &diag.a), ("B", &diag.b), ("gram", &diag.gram)] {
        written.push(write_npy(&dir.join(format!("{name}.npy")), |w| {
            m.write_npy(w)
        })?);
        written.push(write_csv(&dir.join(format!("{name}.csv")), m.view())?);
    }
    written.push(write_npy(&dir.join("eigenvalues.npy"), |w| {
        eig.write_npy(w)
    })?);
    let col = eig.view().insert_axis(ndarray::Axis(1));
    written.push(write_csv(&dir.join("eigenvalues.csv"), col)?);
    Ok(written)
}

fn write_npy(
    path: &Path,
    f: impl FnOnce(BufWriter<File>) -> Result<(), ndarray_npy::WriteNpyError>,
) -> std::io::Result<PathBuf> {
    let w = BufWriter::new(File::create(path)?);
    f(w).map_err(std::io::Error::other)?;
    Ok(path.to_path_buf())
}

/// One CSV line per row, no header; numbers as Rust prints them (shortest round-trip).
fn write_csv(path: &Path, m: ArrayView2<f64>) -> std::io::Result<PathBuf> {
    let mut w = csv::Writer::from_path(path)?;
    for row in m.rows() {
        w.write_record(row.iter().map(ToString::to_string))?;
    }
    w.flush()?;
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn downsample_block_mean_and_peak() {
        let m = array![
            [1.0, 3.0, 0.0, 0.0],
            [1.0, 3.0, 0.0, -5.0],
            [0.0, 0.0, 2.0, 2.0],
            [0.0, 0.0, 2.0, 2.0]
        ];
        let (mean, peak) = downsample(m.view(), 2);
        assert_eq!(mean, array![[2.0f32, -1.25], [0.0, 2.0]]);
        assert_eq!(peak, array![[3.0f32, -5.0], [0.0, 2.0]]);
        let (same, _) = downsample(m.view(), 10);
        assert_eq!(same, m.mapv(|v| v as f32));
    }
}
