//! Data sets on disk: IDX (MNIST, Fashion-MNIST, EMNIST), NPY, numeric CSV and CIFAR-10 binary
//! batches, each optionally gzip-compressed, read into a samples × features matrix.
//!
//! Files are read once, front to back: the SHA-256 of the raw file is computed on the way, a
//! gzip stream is decompressed as it is read and stops at a size cap, and nothing is allocated
//! from a size a header claims before that claim is checked against the file's length (or the
//! cap, for a compressed file). Every error names the file and the problem.

mod body;
mod cifar;
mod csv;
mod error;
mod idx;
mod npy;

pub use error::{DataFileError, Location};

use body::{Body, HashingReader};
use flate2::bufread::MultiGzDecoder;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A data file's format (preset key `data.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// LeCun's IDX (MNIST, Fashion-MNIST, EMNIST): magic `00 00 type ndim`, big-endian dims.
    Idx,
    /// NumPy `.npy`, dtype u1, f4 or f8, C or Fortran order.
    Npy,
    /// Numeric CSV, optional header row, optional label column.
    Csv,
    /// CIFAR-10 binary batches: records of one label byte and 3 072 pixel bytes (3×32×32).
    Cifar,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Idx => "idx",
            Format::Npy => "npy",
            Format::Csv => "csv",
            Format::Cifar => "cifar",
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "idx" => Ok(Format::Idx),
            "npy" => Ok(Format::Npy),
            "csv" => Ok(Format::Csv),
            "cifar" => Ok(Format::Cifar),
            _ => Err(format!(
                "unknown format '{s}' (expected idx, npy, csv or cifar)"
            )),
        }
    }
}

/// A CSV column holding labels, dropped from the features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelColumn {
    First,
    Last,
    /// 0-based column index.
    Index(usize),
}

impl FromStr for LabelColumn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "first" => Ok(LabelColumn::First),
            "last" => Ok(LabelColumn::Last),
            _ => s.parse().map(LabelColumn::Index).map_err(|_| {
                format!("label column '{s}': expected first, last or a 0-based column index")
            }),
        }
    }
}

/// Default size cap: at most this many payload bytes are read (after decompression).
pub const DEFAULT_MAX_BYTES: u64 = 4 << 30;

/// How to read a file; every field has a default that suits image files.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// The format; `None` detects it from the magic number, then the extension.
    pub format: Option<Format>,
    /// Shape of one sample (e.g. `[28, 28]`, `[3, 32, 32]`); must multiply to the feature
    /// count. `None` takes it from the file (IDX, NPY, CIFAR) or uses `[features]`.
    pub shape: Option<Vec<usize>>,
    /// Keep only the first this many samples (the rest are still read and checked).
    pub max_samples: Option<usize>,
    /// CSV: whether the first row is a header; `None` means "if it is not all numbers".
    pub csv_header: Option<bool>,
    /// CSV: a label column to drop.
    pub label_column: Option<LabelColumn>,
    /// Size cap on the payload in bytes (decompressed).
    pub max_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            format: None,
            shape: None,
            max_samples: None,
            csv_header: None,
            label_column: None,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// A data set in memory: one sample per row.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// samples × features, as stored in the file (u8 pixels become 0..=255).
    pub x: Array2<f32>,
    /// Shape of one sample, product = features (e.g. `[28, 28]`, `[3, 32, 32]`, `[64]`).
    pub shape: Vec<usize>,
    pub format: Format,
    /// Element type in the file: `u8`, `i8`, `i16`, `i32`, `f32`, `f64` (CSV: `text`).
    pub dtype: &'static str,
    /// Whether the file was gzip-compressed.
    pub gzip: bool,
    /// Samples in the file (`x` may hold fewer, by `max_samples`).
    pub samples_in_file: usize,
    /// Lowercase hex SHA-256 of the raw file.
    pub sha256: String,
    /// Where it came from (a path, or `builtin:NAME`).
    pub source: PathBuf,
}

impl Dataset {
    pub fn samples(&self) -> usize {
        self.x.nrows()
    }

    pub fn features(&self) -> usize {
        self.x.ncols()
    }

    /// Smallest and largest value.
    pub fn range(&self) -> (f32, f32) {
        self.x
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            })
    }
}

/// What a parser hands back.
pub(crate) struct Parsed {
    /// Row-major, `kept × features`.
    pub data: Vec<f32>,
    pub kept: usize,
    pub features: usize,
    pub samples_in_file: usize,
    pub shape: Vec<usize>,
    pub dtype: &'static str,
    /// Whether non-finite values were already checked with better locations (CSV).
    pub finite_checked: bool,
}

/// Read a data file.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Dataset, DataFileError> {
    let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => DataFileError::Missing { path: path.into() },
        _ => DataFileError::Io {
            path: path.into(),
            source,
        },
    })?;
    if meta.is_dir() {
        return Err(DataFileError::Directory { path: path.into() });
    }
    if meta.len() == 0 {
        return Err(DataFileError::Empty { path: path.into() });
    }
    let file = File::open(path).map_err(|source| DataFileError::Io {
        path: path.into(),
        source,
    })?;
    load_from(path, file, meta.len(), opts)
}

/// Read `name`: a path, or `builtin:NAME` for a data set compiled into the binary (whose own
/// reading options apply where `opts` leaves a field unset).
pub fn load_named(name: &str, opts: &LoadOptions) -> Result<Dataset, DataFileError> {
    let Some(builtin_name) = name.strip_prefix(builtin::PREFIX) else {
        return load(Path::new(name), opts);
    };
    let Some((bytes, own)) = builtin::get(builtin_name) else {
        return Err(DataFileError::Missing {
            path: PathBuf::from(format!(
                "{name} (built-in data sets: {})",
                builtin::NAMES.join(", ")
            )),
        });
    };
    let merged = LoadOptions {
        format: opts.format.or(own.format),
        shape: opts.shape.clone().or(own.shape),
        max_samples: opts.max_samples.or(own.max_samples),
        csv_header: opts.csv_header.or(own.csv_header),
        label_column: opts.label_column.or(own.label_column),
        max_bytes: opts.max_bytes,
    };
    load_bytes(Path::new(name), bytes, &merged)
}

/// Read a data set held in memory (a compiled-in file); `name` stands for the path in errors
/// and for format detection by extension.
pub fn load_bytes(name: &Path, bytes: &[u8], opts: &LoadOptions) -> Result<Dataset, DataFileError> {
    if bytes.is_empty() {
        return Err(DataFileError::Empty { path: name.into() });
    }
    load_from(name, bytes, bytes.len() as u64, opts)
}

fn load_from<R: Read>(
    path: &Path,
    raw: R,
    raw_len: u64,
    opts: &LoadOptions,
) -> Result<Dataset, DataFileError> {
    let io_err = |source| DataFileError::Io {
        path: path.into(),
        source,
    };
    let mut src = BufReader::with_capacity(1 << 16, HashingReader::new(raw));
    let gzip = src.fill_buf().map_err(io_err)?.starts_with(&[0x1f, 0x8b]);
    let (parsed, format) = {
        let (inner, known_len): (Box<dyn Read + '_>, _) = if gzip {
            (Box::new(MultiGzDecoder::new(&mut src)), None)
        } else {
            (Box::new(&mut src), Some(raw_len))
        };
        let mut body = Body::new(path, inner, known_len, opts.max_bytes, gzip)?;
        let format = match opts.format {
            Some(f) => f,
            None => detect(path, body.head())?,
        };
        let parsed = match format {
            Format::Idx => idx::parse(&mut body, opts)?,
            Format::Npy => npy::parse(&mut body, opts)?,
            Format::Csv => csv::parse(&mut body, opts)?,
            Format::Cifar => cifar::parse(&mut body, opts)?,
        };
        (parsed, format)
    };
    // Whatever follows the gzip stream still belongs to the file's hash.
    io::copy(&mut src, &mut io::sink()).map_err(io_err)?;
    let sha256 = src.into_inner().finish_hex();
    finish(path, parsed, format, gzip, sha256, opts)
}

/// Format from the first bytes (NPY and IDX carry magic numbers), then the file name.
fn detect(path: &Path, head: &[u8]) -> Result<Format, DataFileError> {
    if head.starts_with(npy::MAGIC) {
        return Ok(Format::Npy);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = Path::new(name.strip_suffix(".gz").unwrap_or(&name));
    let ext = name.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "csv" => return Ok(Format::Csv),
        "npy" => return Ok(Format::Npy),
        "bin" => return Ok(Format::Cifar),
        _ => {}
    }
    if idx::looks_like(head) || name.to_string_lossy().contains("ubyte") || ext == "idx" {
        return Ok(Format::Idx);
    }
    Err(DataFileError::UnknownFormat { path: path.into() })
}

/// Checks shared by every format: samples present, values finite, the requested shape fits,
/// the data not constant.
fn finish(
    path: &Path,
    p: Parsed,
    format: Format,
    gzip: bool,
    sha256: String,
    opts: &LoadOptions,
) -> Result<Dataset, DataFileError> {
    if p.kept == 0 || p.features == 0 {
        return Err(DataFileError::NoSamples { path: path.into() });
    }
    if !p.finite_checked
        && let Some(i) = p.data.iter().position(|v| !v.is_finite())
    {
        return Err(DataFileError::NonFinite {
            path: path.into(),
            at: Location::Element {
                sample: i / p.features,
                feature: i % p.features,
            },
            value: f64::from(p.data[i]),
        });
    }
    let shape = match &opts.shape {
        Some(shape) => {
            let product = shape.iter().try_fold(1usize, |a, &s| a.checked_mul(s));
            if product != Some(p.features) || shape.is_empty() {
                return Err(DataFileError::ShapeMismatch {
                    path: path.into(),
                    shape: shape.clone(),
                    product: product.unwrap_or(usize::MAX),
                    features: p.features,
                });
            }
            shape.clone()
        }
        None => p.shape,
    };
    let first = &p.data[..p.features];
    if p.data.chunks_exact(p.features).all(|row| row == first) {
        return Err(DataFileError::Constant {
            path: path.into(),
            samples: p.kept,
        });
    }
    let x =
        Array2::from_shape_vec((p.kept, p.features), p.data).map_err(|e| DataFileError::Io {
            path: path.into(),
            source: io::Error::other(e.to_string()),
        })?;
    Ok(Dataset {
        x,
        shape,
        format,
        dtype: p.dtype,
        gzip,
        samples_in_file: p.samples_in_file,
        sha256,
        source: path.into(),
    })
}

/// How many samples to keep of `total`.
pub(crate) fn keep(total: usize, opts: &LoadOptions) -> usize {
    opts.max_samples.map_or(total, |m| m.min(total))
}

/// The data sets compiled into the binary: `builtin:NAME`.
pub mod builtin {
    use super::{Format, LabelColumn, LoadOptions};

    /// The UCI "Optical Recognition of Handwritten Digits" test set as shipped by scikit-learn:
    /// 1 797 images of 8×8 pixels in 0..=16, one per line, label in the last column (CC BY 4.0;
    /// see data/digits/README.md).
    pub const DIGITS: &[u8] = include_bytes!("../../../data/digits/digits.csv.gz");

    /// The prefix that names a built-in data set in `data.path`.
    pub const PREFIX: &str = "builtin:";

    /// Names of the built-in data sets.
    pub const NAMES: &[&str] = &["digits"];

    /// The bytes of a built-in data set and how to read them.
    pub fn get(name: &str) -> Option<(&'static [u8], LoadOptions)> {
        match name {
            "digits" => Some((
                DIGITS,
                LoadOptions {
                    format: Some(Format::Csv),
                    shape: Some(vec![8, 8]),
                    csv_header: Some(false),
                    label_column: Some(LabelColumn::Last),
                    ..LoadOptions::default()
                },
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
