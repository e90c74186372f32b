//! The data a watched run trained on, for its feature images: a data file's features are drawn
//! in pixels through its preprocessing, which the record describes but does not hold. The
//! file is read again (as `--resume` does) the first time the feature view asks, and used only
//! when its SHA-256 is the one the record names.

use crate::config::Config;
use crate::data::SourceKind;
use crate::data::real::RealData;
use crate::train::features::PixelSpace;
use std::sync::Arc;

/// Synthetic data (pixels are the model's own coordinates) or a data file, loaded on demand.
#[derive(Debug)]
pub enum RunData {
    Synthetic,
    File {
        cfg: Box<Config>,
        /// The training file's SHA-256 from the record's `data` line.
        sha256: Option<String>,
        /// Once tried: the data, or why it is unavailable (reported once).
        loaded: Option<Result<Arc<RealData>, String>>,
    },
}

impl RunData {
    /// From the record's header: its config and its `data` line.
    pub fn of(cfg: &Config, data_line: Option<&serde_json::Value>) -> RunData {
        if cfg.data.kind != SourceKind::File {
            return RunData::Synthetic;
        }
        let sha256 = data_line
            .and_then(|v| v.pointer("/train_file/sha256"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string);
        RunData::File {
            cfg: Box::new(cfg.clone()),
            sha256,
            loaded: None,
        }
    }

    /// Load the file if not tried yet. `Err` (the first time only) says why the feature images
    /// cannot be drawn.
    pub fn prepare(&mut self) -> Result<(), String> {
        let RunData::File {
            cfg,
            sha256,
            loaded,
        } = self
        else {
            return Ok(());
        };
        if loaded.is_some() {
            return Ok(());
        }
        let result = load(cfg, sha256.as_deref());
        let report = result.as_ref().err().cloned();
        *loaded = Some(result);
        report.map_or(Ok(()), Err)
    }

    /// The pixel space, once the data is loaded (None for a file that could not be used).
    pub fn space(&self, d: usize) -> Option<PixelSpace<'_>> {
        match self {
            RunData::Synthetic => Some(PixelSpace::identity(d)),
            RunData::File {
                loaded: Some(Ok(data)),
                ..
            } if data.prepared.transform.d_out() == d => Some(PixelSpace::of_data(data)),
            RunData::File { .. } => None,
        }
    }
}

fn load(cfg: &Config, sha256: Option<&str>) -> Result<Arc<RealData>, String> {
    let why = |e: String| format!("feature images need the run's data file: {e}");
    let spec = cfg.data.file_spec(cfg.seed).map_err(why)?;
    // Read afresh, not from the process's cache: the file may have changed since.
    let data = RealData::load(&spec).map_err(|e| why(e.to_string()))?;
    match sha256 {
        Some(want) if data.train_file.sha256 != want => Err(why(format!(
            "{} has changed since the run (SHA-256 {}, the record names {want})",
            data.train_file.path, data.train_file.sha256
        ))),
        _ => Ok(Arc::new(data)),
    }
}
