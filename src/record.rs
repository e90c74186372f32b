//! JSONL run records: the resolved config first, then one line per report and per change the
//! user made, and the summary last. Buffered, flushed at least once a second and on finish.

use crate::config::Config;
use crate::protocol::{Report, Summary};
use serde::Serialize;
use serde_json::json;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thiserror::Error;

#[derive(Debug, Error)]
#[error("run record {}", path.display())]
pub struct RecordError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Version of the record's format and of what a seed draws, in the header's `format`; bumped
/// when either changes. 2: a random basis (`data.basis = "random"`) comes from a Householder QR
/// (faer) instead of Gram–Schmidt; the same matrix up to rounding, so a run reproduces a
/// format-1 record closely but not bit for bit.
pub const FORMAT_VERSION: u32 = 2;

/// Longest time a written line may sit in the buffer.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// An open run record.
pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
    last_flush: Instant,
}

impl Recorder {
    /// Create (truncate) the file and write the header line.
    pub fn create(path: &Path, cfg: &Config) -> Result<Self, RecordError> {
        let file = File::create(path).map_err(|source| RecordError {
            path: path.to_path_buf(),
            source,
        })?;
        let mut rec = Recorder {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            last_flush: Instant::now(),
        };
        rec.line(&json!({
            "type": "config",
            "version": env!("CARGO_PKG_VERSION"),
            "format": FORMAT_VERSION,
            "seed": cfg.seed,
            "config": cfg,
        }))?;
        if let Some(data) = &cfg.data.loaded.0 {
            let mut line = data.record();
            line["type"] = json!("data");
            rec.line(&line)?;
        }
        rec.flush()?;
        Ok(rec)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn report(&mut self, r: &Report) -> Result<(), RecordError> {
        self.tagged("report", r)
    }

    /// A change made while training (rate, learning rate, activation, reset, ...).
    pub fn event(
        &mut self,
        step: u64,
        what: &str,
        detail: &serde_json::Value,
    ) -> Result<(), RecordError> {
        self.line(&json!({ "type": "event", "step": step, "what": what, "detail": detail }))
    }

    /// The summary line; flushes.
    pub fn summary(&mut self, s: &Summary) -> Result<(), RecordError> {
        self.tagged("summary", s)?;
        self.flush()
    }

    /// Flush if the buffer is older than a second.
    pub fn tick(&mut self) -> Result<(), RecordError> {
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), RecordError> {
        self.last_flush = Instant::now();
        self.out.flush().map_err(|source| self.err(source))
    }

    fn tagged<T: Serialize>(&mut self, kind: &str, v: &T) -> Result<(), RecordError> {
        let mut value = serde_json::to_value(v).map_err(|e| self.err(e.into()))?;
        if let serde_json::Value::Object(map) = &mut value {
            map.insert("type".into(), kind.into());
        }
        self.line(&value)
    }

    fn line(&mut self, v: &serde_json::Value) -> Result<(), RecordError> {
        serde_json::to_writer(&mut self.out, v).map_err(|e| self.err(e.into()))?;
        self.out.write_all(b"\n").map_err(|e| self.err(e))
    }

    fn err(&self, source: std::io::Error) -> RecordError {
        RecordError {
            path: self.path.clone(),
            source,
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.out.flush();
    }
}

/// A checkpoint: the resolved config, the step, and the weights (row-major, f32).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub version: String,
    pub config: Config,
    pub step: u64,
    pub activation: crate::model::Activation,
    /// Hidden width n and input dimension d.
    pub n: usize,
    pub d: usize,
    /// Decoder A, d×n, row-major.
    pub a: Vec<f32>,
    /// Encoder B, n×d, row-major.
    pub b: Vec<f32>,
}

impl Checkpoint {
    /// The weights as an autoencoder; errors if the stored shapes disagree with the data.
    pub fn model(&self) -> Result<crate::model::Autoencoder, String> {
        let a = ndarray::Array2::from_shape_vec((self.d, self.n), self.a.clone())
            .map_err(|e| format!("decoder A: expected {}×{} values: {e}", self.d, self.n))?;
        let b = ndarray::Array2::from_shape_vec((self.n, self.d), self.b.clone())
            .map_err(|e| format!("encoder B: expected {}×{} values: {e}", self.n, self.d))?;
        Ok(crate::model::Autoencoder {
            a,
            b,
            act: self.activation,
        })
    }
}

/// Write weights as a JSON checkpoint, with the config that trained them and the step.
pub fn save_checkpoint(
    path: &Path,
    cfg: &Config,
    step: u64,
    m: &crate::model::Autoencoder,
) -> Result<(), RecordError> {
    let ck = Checkpoint {
        version: env!("CARGO_PKG_VERSION").into(),
        config: cfg.clone(),
        step,
        activation: m.act,
        n: m.n(),
        d: m.d(),
        a: m.a.iter().copied().collect(),
        b: m.b.iter().copied().collect(),
    };
    let err = |source| RecordError {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(err)?;
    let mut out = BufWriter::new(file);
    serde_json::to_writer(&mut out, &ck).map_err(|e| err(e.into()))?;
    out.flush().map_err(err)
}

/// Read a checkpoint written by [`save_checkpoint`].
pub fn load_checkpoint(path: &Path) -> Result<Checkpoint, RecordError> {
    let err = |source| RecordError {
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(err)?;
    serde_json::from_str(&text).map_err(|e| err(e.into()))
}
