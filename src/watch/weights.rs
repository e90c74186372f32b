//! The weights of a watched run: its newest checkpoint, loaded again when a newer one appears,
//! from which the heatmap and spectrum are computed as the worker computes them.

use super::pixels::RunData;
use crate::model::Autoencoder;
use crate::protocol::{FeatureImages, FeatureRequest, Snapshot, SnapshotRequest};
use crate::train::{checkpoint, snapshot};
use crate::train::{feature_png, features};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The newest checkpoint beside a record, and the model it holds.
#[derive(Debug)]
pub struct Weights {
    /// The record the checkpoints are named after.
    record: PathBuf,
    /// Largest checkpoint read (the memory budget).
    max_bytes: u64,
    /// The file loaded and its modification time.
    loaded: Option<(PathBuf, SystemTime)>,
    /// Step and model of the loaded checkpoint.
    pub model: Option<(u64, Autoencoder)>,
}

impl Weights {
    pub fn new(record: &Path, max_bytes: u64) -> Weights {
        Weights {
            record: record.to_path_buf(),
            max_bytes,
            loaded: None,
            model: None,
        }
    }

    /// Load the newest checkpoint if it is not the one loaded. `Ok(true)` when the model
    /// changed; an error names the checkpoint (the previous model stays).
    pub fn refresh(&mut self) -> Result<bool, String> {
        let Some(newest) = checkpoint::beside(&self.record).pop() else {
            return Ok(false);
        };
        let modified = std::fs::metadata(&newest)
            .and_then(|m| m.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let current = Some((newest.clone(), modified));
        if self.loaded == current {
            return Ok(false);
        }
        // Tried once per file, even when it fails: a corrupt checkpoint is reported once.
        self.loaded = current;
        let ck = checkpoint::load(&newest, self.max_bytes).map_err(|e| e.to_string())?;
        let st = ck.state;
        self.model = Some((
            st.step,
            Autoencoder {
                b: st.b,
                a: st.a,
                act: st.cfg.model.activation,
            },
        ));
        Ok(true)
    }

    /// The matrices and spectrum of the loaded weights, as `req` asks.
    pub fn snapshot(&self, req: SnapshotRequest) -> Option<Snapshot> {
        self.model
            .as_ref()
            .map(|(step, m)| snapshot::snapshot(m, *step, req))
    }

    /// The learned features as images, as `req` asks, in the pixels of `space` (the data's
    /// preprocessing undone; see [`super::pixels`]), with the strip of validation images and
    /// their reconstructions by the checkpoint's weights. None before a checkpoint is loaded or
    /// without a pixel space for the model's d.
    pub fn features(&self, req: FeatureRequest, data: &RunData) -> Option<FeatureImages> {
        let (step, m) = self.model.as_ref()?;
        let space = data.space(m.d())?;
        Some(features::images(m, &space, req, *step))
    }

    /// Write the loaded weights' matrices into `dir`, and their features as images when the
    /// run's pixel space is known (`data` prepared), as the live run's export does.
    pub fn export(&self, dir: &Path, data: &RunData) -> Result<Vec<PathBuf>, String> {
        let Some((step, m)) = &self.model else {
            return Err("no checkpoint beside the record yet: nothing to export".into());
        };
        let failed = |e: std::io::Error| format!("cannot export into {}: {e}", dir.display());
        let mut files = snapshot::export(m, dir).map_err(failed)?;
        if let Some(space) = data.space(m.d()) {
            files.extend(feature_png::export(m, &space, *step, dir).map_err(failed)?);
        }
        Ok(files)
    }
}
