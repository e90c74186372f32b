//! What can be wrong with a data file, each message naming the file and the problem.

use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// Where in a file a bad value sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A CSV cell: 1-based line of the file and 1-based column.
    Cell { line: u64, column: usize },
    /// An array element: 0-based sample (first axis) and 0-based flattened feature, as numpy
    /// would index them.
    Element { sample: usize, feature: usize },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Cell { line, column } => write!(f, "line {line}, column {column}"),
            Location::Element { sample, feature } => {
                write!(f, "sample {sample}, feature {feature} (0-based)")
            }
        }
    }
}

/// A data file that cannot be used. Every variant names the file.
#[derive(Debug, Error)]
pub enum DataFileError {
    #[error("{path}: no such file")]
    Missing { path: PathBuf },
    #[error("{path}: is a directory, expected a data file")]
    Directory { path: PathBuf },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a valid gzip stream: {message}")]
    Gzip { path: PathBuf, message: String },
    #[error(
        "{path}: cannot tell the format (not NPY or IDX by its first bytes, and the name does not end in .csv, .npy or .bin); set it explicitly (format = \"idx\" | \"npy\" | \"csv\" | \"cifar\")"
    )]
    UnknownFormat { path: PathBuf },
    #[error("{path}: wrong magic number for {format}: expected {expected}, found {found}")]
    BadMagic {
        path: PathBuf,
        format: &'static str,
        expected: &'static str,
        found: String,
    },
    #[error("{path}: unsupported {format} file: {what}")]
    Unsupported {
        path: PathBuf,
        format: &'static str,
        what: String,
    },
    #[error("{path}: malformed {format} header: {what}")]
    BadHeader {
        path: PathBuf,
        format: &'static str,
        what: String,
    },
    #[error("{path}: absurd dimensions {dims:?}: {why}")]
    AbsurdDims {
        path: PathBuf,
        dims: Vec<u64>,
        why: String,
    },
    #[error(
        "{path}: the header says {dims:?} ({expected} bytes of data), but the file holds {actual} bytes of data"
    )]
    LengthMismatch {
        path: PathBuf,
        dims: Vec<u64>,
        expected: u64,
        actual: u64,
    },
    #[error("{path}: truncated: expected {expected} bytes of data, the data ends after {actual}")]
    Truncated {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    #[error(
        "{path}: more than {cap} bytes after decompression (the size cap); is this the right file?"
    )]
    TooLarge { path: PathBuf, cap: u64 },
    #[error("{path}: line {line} has {got} columns, the first data row has {expected}")]
    Ragged {
        path: PathBuf,
        line: u64,
        expected: usize,
        got: usize,
    },
    #[error("{path}: line {line}, column {column}: '{cell}' is not a number")]
    NonNumeric {
        path: PathBuf,
        line: u64,
        column: usize,
        cell: String,
    },
    #[error("{path}: {at}: value {value} is not finite (NaN or infinite)")]
    NonFinite {
        path: PathBuf,
        at: Location,
        value: f64,
    },
    #[error("{path}: label_column {column} is out of range: rows have {width} columns")]
    LabelColumn {
        path: PathBuf,
        column: usize,
        width: usize,
    },
    #[error(
        "{path}: shape {shape:?} has {product} values, but each sample has {features} features"
    )]
    ShapeMismatch {
        path: PathBuf,
        shape: Vec<usize>,
        product: usize,
        features: usize,
    },
    #[error("{path}: no samples in the file")]
    NoSamples { path: PathBuf },
    #[error(
        "{path}: constant data: all {samples} samples are identical, there is nothing to compress"
    )]
    Constant { path: PathBuf, samples: usize },
}

impl DataFileError {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            DataFileError::Missing { path, .. }
            | DataFileError::Directory { path, .. }
            | DataFileError::Empty { path, .. }
            | DataFileError::Io { path, .. }
            | DataFileError::Gzip { path, .. }
            | DataFileError::UnknownFormat { path, .. }
            | DataFileError::BadMagic { path, .. }
            | DataFileError::Unsupported { path, .. }
            | DataFileError::BadHeader { path, .. }
            | DataFileError::AbsurdDims { path, .. }
            | DataFileError::LengthMismatch { path, .. }
            | DataFileError::Truncated { path, .. }
            | DataFileError::TooLarge { path, .. }
            | DataFileError::Ragged { path, .. }
            | DataFileError::NonNumeric { path, .. }
            | DataFileError::NonFinite { path, .. }
            | DataFileError::LabelColumn { path, .. }
            | DataFileError::ShapeMismatch { path, .. }
            | DataFileError::NoSamples { path, .. }
            | DataFileError::Constant { path, .. } => path,
        }
    }
}
