//! What a consumer asks the worker to do: `Command`s, applied between steps, in order.

use super::choices::{DecoderMode, OptKind};
use super::features::FeatureRequest;
use crate::model::Activation;
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// What a consumer asks the worker to do. Applied between steps, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Pause,
    Resume,
    TogglePause,
    /// Run this many steps, then pause again (only while paused).
    Step(u32),
    /// Resize the hidden layer to n = round(r·d).
    SetRate(f64),
    /// Resize the hidden layer to exactly n neurons.
    SetN(usize),
    /// Multiply the learning rate by this factor (on top of the schedule).
    ScaleLr(f64),
    SetActivation(Activation),
    SetOptimizer(OptKind),
    SetDecoder(DecoderMode),
    /// Restart from step 0; `None` draws a new seed.
    Reset {
        seed: Option<u64>,
    },
    /// Ask for matrix snapshots of this view (the UI sends it when the shown view changes);
    /// `None` stops them.
    WantSnapshots(Option<SnapshotRequest>),
    /// Ask for learned features as images with the snapshots (the UI sends it when the
    /// feature view opens or its panel changes size); `None` stops them.
    WantFeatures(Option<FeatureRequest>),
    /// Write a checkpoint (see [`crate::train::checkpoint`]): beside the run record when there is
    /// one, else at a new name starting with this path.
    Save(PathBuf),
    /// Export the current matrices (A, B, B̃B̃ᵀ, its eigenvalues) as .npy and .csv files, and
    /// every neuron's encoder and decoder feature as a PNG grid, into this directory (created
    /// if missing).
    Export(PathBuf),
    /// Finish the record and stop the thread.
    Quit,
}

/// Which matrix the heatmap shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatrixView {
    /// G = B̃B̃ᵀ (n×n, rows of B normalized): → I for r ≤ 1.
    Gram,
    /// AᵀA (n×n).
    DecoderGram,
    /// BA (n×n).
    EncoderDecoder,
    /// A − βBᵀ (d×n), β the least-squares scale: → 0 when A aligns with Bᵀ.
    Alignment,
}

impl MatrixView {
    pub const ALL: [MatrixView; 4] = [
        MatrixView::Gram,
        MatrixView::DecoderGram,
        MatrixView::EncoderDecoder,
        MatrixView::Alignment,
    ];

    /// Panel title.
    pub fn title(self) -> &'static str {
        match self {
            MatrixView::Gram => "Gram B̃B̃ᵀ",
            MatrixView::DecoderGram => "AᵀA",
            MatrixView::EncoderDecoder => "BA",
            MatrixView::Alignment => "A − βBᵀ",
        }
    }
}

/// The panel title.
impl fmt::Display for MatrixView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// What snapshots to compute and how large a matrix to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotRequest {
    pub view: MatrixView,
    /// Downsample (block mean and block max-abs) to at most this many rows and columns.
    pub max_side: usize,
}
