//! A real data set ready to train on: the file read (`files`), split and preprocessed
//! (`preprocess`), with what the record needs to identify it. Shared read-only between the
//! trainer, its resets and the runs of a sweep (`Arc`).

use super::files::{self, DataFileError, Dataset, Format, LabelColumn, LoadOptions};
use super::preprocess::{Prepared, PreprocessError, PreprocessSpec, Whiten, prepare, split};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// The data set a file source was read into (filled by `Config::load`, not a preset key).
#[derive(Clone, Default)]
pub struct LoadedData(pub Option<Arc<RealData>>);

impl std::fmt::Debug for LoadedData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(d) => write!(f, "LoadedData({})", d.summary()),
            None => f.write_str("LoadedData(none)"),
        }
    }
}

/// Two specs are the same run when their keys agree; the loaded copy is a cache.
impl PartialEq for LoadedData {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl super::SourceSpec {
    /// The file source's specification, with the split seeded by `split_seed`.
    pub fn file_spec(&self, split_seed: u64) -> Result<FileSpec, String> {
        let format = match self.format.as_str() {
            "auto" => None,
            f => Some(f.parse::<Format>()?),
        };
        Ok(FileSpec {
            path: self.path.clone(),
            val_path: (!self.val_path.is_empty()).then(|| self.val_path.clone()),
            load: LoadOptions {
                format,
                shape: (!self.shape.is_empty()).then(|| self.shape.clone()),
                max_samples: (self.max_samples > 0).then_some(self.max_samples),
                csv_header: None,
                label_column: label_column(&self.label_column)?,
                ..LoadOptions::default()
            },
            val_fraction: self.val_fraction,
            preprocess: PreprocessSpec {
                center: self.center,
                project: self.project,
                whiten: self.whiten,
                floor: self.floor,
            },
            split_seed,
        })
    }
}

/// Everything that decides which data a file source trains on (from the `[data]` section).
#[derive(Debug, Clone, PartialEq)]
pub struct FileSpec {
    /// A path (already resolved) or `builtin:NAME`.
    pub path: String,
    /// A separate validation file (same format); `None` splits off `val_fraction`.
    pub val_path: Option<String>,
    pub load: LoadOptions,
    /// Fraction of the samples held out for validation when there is no `val_path`.
    pub val_fraction: f64,
    pub preprocess: PreprocessSpec,
    /// Seed of the train/validation split.
    pub split_seed: u64,
}

#[derive(Debug, Error)]
pub enum RealDataError {
    #[error(transparent)]
    File(#[from] DataFileError),
    #[error("{path}: {source}")]
    Preprocess {
        path: String,
        source: PreprocessError,
    },
    #[error(
        "{val}: validation samples have {got} features, the training file {train} has {expected}"
    )]
    ValFeatures {
        train: String,
        val: String,
        expected: usize,
        got: usize,
    },
}

impl RealDataError {
    /// The `[data]` key naming the file at fault: `data.val_path` when the validation file is
    /// the one that cannot be used, else `data.path`.
    pub fn key(&self, spec: &FileSpec) -> &'static str {
        let Some(val) = spec.val_path.as_deref().filter(|v| *v != spec.path) else {
            return "data.path";
        };
        match self {
            RealDataError::File(e) if e.path() == Path::new(val) => "data.val_path",
            RealDataError::ValFeatures { .. } => "data.val_path",
            _ => "data.path",
        }
    }
}

/// Identity of the file a run trained on, for records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileInfo {
    pub path: String,
    pub format: Format,
    pub sha256: String,
    /// Shape of one sample.
    pub shape: Vec<usize>,
    pub samples: usize,
}

/// A loaded, preprocessed data set.
#[derive(Debug)]
pub struct RealData {
    pub spec: FileSpec,
    pub train_file: FileInfo,
    pub val_file: Option<FileInfo>,
    pub prepared: Prepared,
    /// Input features whose training variance is at most [`DEAD_VARIANCE`] of the mean
    /// feature variance (blank image borders): drawn neutral in feature images.
    pub dead_features: Vec<bool>,
}

/// Relative variance at or below which an input feature counts as constant for feature
/// images (the default whitening floor).
pub const DEAD_VARIANCE: f64 = 1e-2;

/// Which features have at most `rel` times the mean variance.
pub fn dead_features(variance: &[f64], rel: f64) -> Vec<bool> {
    let mean = variance.iter().sum::<f64>() / variance.len().max(1) as f64;
    variance.iter().map(|&v| v <= rel * mean).collect()
}

impl RealData {
    /// Read, split and preprocess.
    pub fn load(spec: &FileSpec) -> Result<RealData, RealDataError> {
        Read::files(spec)?.prepare(spec)
    }

    /// The data of `spec` once per split seed, the files read once: what the runs of a sweep
    /// train on when each seed holds out its own validation rows.
    pub fn load_splits(spec: &FileSpec, seeds: &[u64]) -> Result<Vec<RealData>, RealDataError> {
        let read = Read::files(spec)?;
        seeds
            .iter()
            .map(|&split_seed| {
                read.prepare(&FileSpec {
                    split_seed,
                    ..spec.clone()
                })
            })
            .collect()
    }

    /// Input dimension after preprocessing.
    pub fn d(&self) -> usize {
        self.prepared.d()
    }

    /// What the record holds about the data: files, shapes, preprocessing, spectra.
    pub fn record(&self) -> serde_json::Value {
        let p = &self.prepared;
        serde_json::json!({
            "train_file": self.train_file,
            "val_file": self.val_file,
            "train_samples": p.train.nrows(),
            "val_samples": p.val.nrows(),
            "d": p.d(),
            "preprocess": {
                "center": self.spec.preprocess.center,
                "project": self.spec.preprocess.project,
                "whiten": self.spec.preprocess.whiten,
                "floor": self.spec.preprocess.floor,
                "dropped": p.dropped,
                "val_fraction": self.spec.val_fraction,
            },
            "spectrum": p.spectrum,
            "input_spectrum": p.input_spectrum,
            "mean": p.transform.mean,
        })
    }

    /// One line for headers: "digits 8×8 · 1617 train / 180 val · d=64".
    pub fn summary(&self) -> String {
        let name = Path::new(&self.train_file.path).file_name().map_or_else(
            || self.train_file.path.clone(),
            |n| n.to_string_lossy().into_owned(),
        );
        let shape: Vec<String> = self
            .train_file
            .shape
            .iter()
            .map(ToString::to_string)
            .collect();
        let white = match self.spec.preprocess.whiten {
            Whiten::None => "",
            Whiten::Pca => " PCA-whitened",
            Whiten::Zca => " ZCA-whitened",
        };
        format!(
            "{name} {} · {} train / {} val · d={}{white}",
            shape.join("×"),
            self.prepared.train.nrows(),
            self.prepared.val.nrows(),
            self.d()
        )
    }
}

/// The files of a spec as read, before the split.
struct Read {
    train: Dataset,
    train_file: FileInfo,
    /// A separate validation file and its identity.
    val: Option<(Dataset, FileInfo)>,
}

impl Read {
    fn files(spec: &FileSpec) -> Result<Read, RealDataError> {
        let train = files::load_named(&spec.path, &spec.load)?;
        let train_file = info(&spec.path, &train);
        let val = match &spec.val_path {
            Some(vp) => {
                let v = files::load_named(vp, &spec.load)?;
                if v.features() != train.features() {
                    return Err(RealDataError::ValFeatures {
                        train: spec.path.clone(),
                        val: vp.clone(),
                        expected: train.features(),
                        got: v.features(),
                    });
                }
                let vi = info(vp, &v);
                Some((v, vi))
            }
            None => None,
        };
        Ok(Read {
            train,
            train_file,
            val,
        })
    }

    /// Split (by `spec.split_seed`, unless there is a validation file) and preprocess.
    fn prepare(&self, spec: &FileSpec) -> Result<RealData, RealDataError> {
        let bad = |source| RealDataError::Preprocess {
            path: spec.path.clone(),
            source,
        };
        let prepared = match &self.val {
            Some((v, _)) => prepare(self.train.x.view(), v.x.view(), &spec.preprocess),
            None => {
                let (t, v) =
                    split(self.train.x.view(), spec.val_fraction, spec.split_seed).map_err(bad)?;
                prepare(t.view(), v.view(), &spec.preprocess)
            }
        }
        .map_err(bad)?;
        Ok(RealData {
            spec: spec.clone(),
            train_file: self.train_file.clone(),
            val_file: self.val.as_ref().map(|(_, vi)| vi.clone()),
            dead_features: dead_features(&prepared.input_variance, DEAD_VARIANCE),
            prepared,
        })
    }
}

fn info(path: &str, ds: &Dataset) -> FileInfo {
    FileInfo {
        path: path.to_string(),
        format: ds.format,
        sha256: ds.sha256.clone(),
        shape: ds.shape.clone(),
        samples: ds.samples(),
    }
}

/// A relative `path` is looked up next to the preset file first, then in the working
/// directory; `builtin:` names are kept. When no file has the name, its other compression
/// form is looked up the same way (`X.gz` for `X`, `X` for `X.gz`): MNIST and its kin are
/// published gzipped but often unpacked on disk, and the reader detects gzip by its magic.
/// Returns the path to use (the first that exists, else the path as given).
pub fn resolve(path: &str, preset_dir: Option<&Path>) -> String {
    if path.starts_with(files::builtin::PREFIX) {
        return path.to_string();
    }
    let other = other_name(path);
    for name in [path, other.as_str()] {
        if Path::new(name).is_absolute() {
            if Path::new(name).exists() {
                return name.to_string();
            }
            continue;
        }
        if let Some(dir) = preset_dir {
            let candidate = dir.join(name);
            if candidate.exists() {
                return candidate.to_string_lossy().into_owned();
            }
        }
        if Path::new(name).exists() {
            return name.to_string();
        }
    }
    path.to_string()
}

/// Where the standard data sets are published, by the file name a preset expects.
pub fn where_published(path: &str) -> Option<&'static str> {
    let p = path.to_ascii_lowercase();
    if p.contains("fashion") {
        Some(
            "Fashion-MNIST (Zalando, MIT licence): https://github.com/zalandoresearch/fashion-mnist (files train-images-idx3-ubyte.gz, t10k-images-idx3-ubyte.gz)",
        )
    } else if p.contains("idx3-ubyte") || p.contains("mnist") {
        Some(
            "MNIST (LeCun, Cortes, Burges): https://ossci-datasets.s3.amazonaws.com/mnist/ (mirror of yann.lecun.com/exdb/mnist; files train-images-idx3-ubyte.gz, t10k-images-idx3-ubyte.gz)",
        )
    } else if p.contains("cifar") || p.contains("data_batch") {
        Some(
            "CIFAR-10 binary version (Krizhevsky): https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (extract it: cifar-10-batches-bin/data_batch_1.bin … test_batch.bin)",
        )
    } else {
        None
    }
}

/// Process-wide cache: a sweep or a reset reuses the data set instead of reading it again.
pub fn load_shared(spec: &FileSpec) -> Result<Arc<RealData>, RealDataError> {
    use std::sync::Mutex;
    static CACHE: Mutex<Vec<Arc<RealData>>> = Mutex::new(Vec::new());
    if let Ok(cache) = CACHE.lock()
        && let Some(hit) = cache.iter().find(|d| d.spec == *spec)
    {
        return Ok(Arc::clone(hit));
    }
    let data = Arc::new(RealData::load(spec)?);
    if let Ok(mut cache) = CACHE.lock() {
        // Keep the last few only: data sets are large.
        if cache.len() >= 2 {
            cache.remove(0);
        }
        cache.push(Arc::clone(&data));
    }
    Ok(data)
}

/// The path a missing file was looked for at, with the directory, for messages.
pub fn describe_missing(path: &str) -> String {
    let abs = std::env::current_dir().map_or_else(|_| PathBuf::from(path), |d| d.join(path));
    match where_published(path) {
        Some(src) => format!(
            "put the file at {}{} (relative to the preset file or the working directory); it is published at {src}",
            abs.display(),
            other_form(path)
        ),
        None => format!("put the file at {}{}", abs.display(), other_form(path)),
    }
}

/// `path`'s other compression form: `X` for `X.gz`, `X.gz` for `X`.
fn other_name(path: &str) -> String {
    match path.strip_suffix(".gz") {
        Some(plain) => plain.to_string(),
        None => format!("{path}.gz"),
    }
}

/// The note that the other compression form of `path` would do too (see [`resolve`]).
fn other_form(path: &str) -> &'static str {
    if other_name(path).len() < path.len() {
        " or unpacked, without the .gz"
    } else {
        " or gzipped, with .gz added"
    }
}

/// Parse `data.label_column` ("none", "first", "last", or a 0-based index).
pub fn label_column(s: &str) -> Result<Option<LabelColumn>, String> {
    if s == "none" {
        Ok(None)
    } else {
        s.parse().map(Some)
    }
}
