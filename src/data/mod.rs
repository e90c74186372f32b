//! Seeded, reproducible data sources. Every source draws from its own RNG stream, so the same
//! seed gives bit-identical batches whatever else the run does.

pub mod files;
mod gaussian;
mod prefetch;
pub mod preprocess;
pub mod real;
mod sparse;

pub use gaussian::{power_law_spectrum, random_orthogonal};
pub use prefetch::{Batches, Prefetcher};

use ndarray::{Array2, ArrayViewMut2};
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Which distribution x is drawn from (preset key `data.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Isotropic Gaussian N(0, I_d).
    Gaussian,
    /// Gaussian N(0, Σ) with eigenvalues s_k ∝ k^(−α), normalized to Tr Σ = d.
    Powerlaw,
    /// Bernoulli–Gaussian: x_i = z_i g_i / √p, z_i ~ Bernoulli(p), g_i ~ N(0, 1).
    Sparse,
    /// A data file (`data.path`), preprocessed; minibatches are drawn in shuffled epochs.
    File,
}

/// Eigenbasis of the power-law covariance (preset key `data.basis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// A uniformly random rotation Q: Σ = Q diag(s) Qᵀ.
    Random,
    /// Σ = diag(s).
    Axis,
}

/// Everything that defines a source: the `[data]` section of a preset, as written there
/// (`config` checks its ranges).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceSpec {
    /// gaussian | powerlaw | sparse | file (preset key `data.source`).
    #[serde(rename = "source")]
    pub kind: SourceKind,
    /// Input dimension d ≥ 1.
    pub d: usize,
    /// Power-law exponent α ≥ 0 (powerlaw only).
    pub alpha: f64,
    /// random | axis: eigenbasis (powerlaw only).
    pub basis: Basis,
    /// Sparsity level p ∈ (0, 1] (sparse only).
    pub p: f64,
    /// Data file (file): a path relative to the preset file, then the working directory, or
    /// `builtin:digits`.
    pub path: String,
    /// Validation file (file), e.g. MNIST's t10k set; "" holds out `val_fraction` instead.
    pub val_path: String,
    /// auto | idx | npy | csv | cifar (file).
    pub format: String,
    /// Shape of one sample, e.g. [28, 28] (file); [] takes it from the file.
    pub shape: Vec<usize>,
    /// Read at most this many samples per file (file); 0 reads all.
    pub max_samples: usize,
    /// CSV label column to drop: none | first | last | 0-based index (file).
    pub label_column: String,
    /// Fraction held out for validation when there is no val_path, in (0, 1) (file).
    pub val_fraction: f64,
    /// Subtract the training mean (file).
    pub center: bool,
    /// Project on the top k principal components, 0 = no projection (file).
    pub project: usize,
    /// none | pca | zca (file).
    pub whiten: preprocess::Whiten,
    /// Whitening eigenvalue floor, relative to the mean variance, > 0 (file).
    pub floor: f64,
    /// The data a file source was read into (not a preset key: see `Config::load`).
    #[serde(skip)]
    pub loaded: real::LoadedData,
}

/// The defaults a preset starts from.
impl Default for SourceSpec {
    fn default() -> Self {
        let pre = preprocess::PreprocessSpec::default();
        SourceSpec {
            kind: SourceKind::Gaussian,
            d: 256,
            alpha: 1.0,
            basis: Basis::Random,
            p: 0.1,
            path: String::new(),
            val_path: String::new(),
            format: "auto".into(),
            shape: Vec::new(),
            max_samples: 0,
            label_column: "none".into(),
            val_fraction: 0.1,
            center: pre.center,
            project: pre.project,
            whiten: pre.whiten,
            floor: pre.floor,
            loaded: real::LoadedData::default(),
        }
    }
}

/// The covariance of a source: its eigenvalues, descending, and eigenbasis when not the axes.
#[derive(Debug, Clone)]
pub struct CovarianceInfo {
    /// Eigenvalues of Σ, descending, Tr = d.
    pub spectrum: Vec<f64>,
    /// Orthogonal d×d eigenbasis Q (columns), None when Σ is diagonal in the axes.
    pub basis: Option<Array2<f64>>,
}

/// A seeded stream of samples.
pub struct DataSource {
    spec: SourceSpec,
    rng: Xoshiro256PlusPlus,
    /// √s_k per coordinate (powerlaw).
    scale: Vec<f32>,
    /// Qᵀ as f32 (powerlaw, random basis): rows of a batch are x = Q (√s ∘ z).
    qt: Option<Array2<f32>>,
    /// Q in f64, kept for the exact population layer.
    q: Option<Array2<f64>>,
    /// Scratch for the latent z of the random-basis source (batch×d).
    z: Array2<f32>,
    /// The finite data set of a file source and where the epoch stands.
    file: Option<Epochs>,
}

/// Shuffled passes over a finite training set.
#[derive(Clone)]
struct Epochs {
    data: Arc<real::RealData>,
    order: Vec<usize>,
    pos: usize,
}

impl Epochs {
    fn new(data: Arc<real::RealData>) -> Self {
        let rows = data.prepared.train.nrows();
        Epochs {
            data,
            order: (0..rows).collect(),
            // Shuffled before the first row is drawn.
            pos: rows,
        }
    }

    fn fill(&mut self, rng: &mut Xoshiro256PlusPlus, x: &mut ArrayViewMut2<f32>) {
        let train = &self.data.prepared.train;
        for mut row in x.rows_mut() {
            if self.pos >= self.order.len() {
                self.order.shuffle(rng);
                self.pos = 0;
            }
            row.assign(&train.row(self.order[self.pos]));
            self.pos += 1;
        }
    }
}

impl DataSource {
    /// Build a source. The basis (if any) is drawn from `seed` too, so a preset and a seed fix
    /// the distribution as well as the stream.
    pub fn new(spec: &SourceSpec, seed: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let (scale, q) = match spec.kind {
            SourceKind::Powerlaw => {
                let s = power_law_spectrum(spec.d, spec.alpha);
                let scale = s.iter().map(|v| v.sqrt() as f32).collect();
                let q = (spec.basis == Basis::Random).then(|| random_orthogonal(spec.d, &mut rng));
                (scale, q)
            }
            _ => (Vec::new(), None),
        };
        let qt = q.as_ref().map(|q| q.t().mapv(|v| v as f32));
        DataSource {
            spec: spec.clone(),
            rng,
            scale,
            qt,
            q,
            z: Array2::zeros((0, 0)),
            file: None,
        }
    }

    /// Minibatches from a loaded data set: shuffled epochs over its training split, the order
    /// drawn from `seed`.
    pub fn from_file(data: Arc<real::RealData>, seed: u64) -> Self {
        let spec = SourceSpec {
            kind: SourceKind::File,
            d: data.d(),
            basis: Basis::Axis,
            ..SourceSpec::default()
        };
        let mut s = DataSource::new(&spec, seed);
        s.file = Some(Epochs::new(data));
        s
    }

    /// The data set of a file source.
    pub fn file_data(&self) -> Option<&Arc<real::RealData>> {
        self.file.as_ref().map(|f| &f.data)
    }

    /// The same distribution (same basis) with an independent stream seeded by `seed`: the
    /// validation set is drawn from a fork so that it never overlaps the training stream.
    #[must_use]
    pub fn fork(&self, seed: u64) -> Self {
        DataSource {
            spec: self.spec.clone(),
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            scale: self.scale.clone(),
            qt: self.qt.clone(),
            q: self.q.clone(),
            z: Array2::zeros((0, 0)),
            file: self.file.as_ref().map(|f| Epochs::new(Arc::clone(&f.data))),
        }
    }

    /// The stream's position (its RNG state): [`DataSource::set_position`] with it continues
    /// the stream exactly from here.
    pub fn position(&self) -> Xoshiro256PlusPlus {
        self.rng.clone()
    }

    /// Continue the stream from a saved [`DataSource::position`].
    pub fn set_position(&mut self, position: Xoshiro256PlusPlus) {
        self.rng = position;
    }

    /// Input dimension d.
    pub fn d(&self) -> usize {
        self.spec.d
    }

    pub fn spec(&self) -> &SourceSpec {
        &self.spec
    }

    /// Whether x is Gaussian (so the exact population risk of THEORY §3 applies).
    pub fn is_gaussian(&self) -> bool {
        matches!(self.spec.kind, SourceKind::Gaussian | SourceKind::Powerlaw)
    }

    /// Σ of the source (all sources here have E x = 0).
    pub fn covariance(&self) -> CovarianceInfo {
        let spectrum = match self.spec.kind {
            SourceKind::Powerlaw => power_law_spectrum(self.spec.d, self.spec.alpha),
            SourceKind::File => self.file.as_ref().map_or_else(
                || vec![1.0; self.spec.d],
                |f| f.data.prepared.spectrum.clone(),
            ),
            _ => vec![1.0; self.spec.d],
        };
        CovarianceInfo {
            spectrum,
            basis: self.q.clone(),
        }
    }

    /// Fill `x` (batch×d) with fresh samples.
    pub fn fill(&mut self, mut x: ArrayViewMut2<f32>) {
        if let Some(file) = &mut self.file {
            file.fill(&mut self.rng, &mut x);
            return;
        }
        match self.spec.kind {
            SourceKind::Gaussian | SourceKind::File => {
                gaussian::fill_standard_streamed(&mut self.rng, &mut x);
            }
            SourceKind::Sparse => sparse::fill(&mut self.rng, &mut x, self.spec.p),
            SourceKind::Powerlaw => match &self.qt {
                None => {
                    gaussian::fill_standard(&mut self.rng, &mut x);
                    gaussian::scale_columns(&mut x, &self.scale);
                }
                Some(qt) => {
                    if self.z.dim() != x.dim() {
                        self.z = Array2::zeros(x.dim());
                    }
                    gaussian::fill_standard(&mut self.rng, &mut self.z.view_mut());
                    gaussian::scale_columns(&mut self.z.view_mut(), &self.scale);
                    // One thread: this runs on the sampler thread, beside the step's GEMMs.
                    crate::linalg::sgemm(x, false, self.z.view(), qt.view(), 1.0, 1);
                }
            },
        }
    }

    /// A fresh owned batch of `rows` samples.
    pub fn sample(&mut self, rows: usize) -> Array2<f32> {
        let mut x = Array2::zeros((rows, self.spec.d));
        self.fill(x.view_mut());
        x
    }
}
