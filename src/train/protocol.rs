//! The worker's channel protocol: `Command`s in, `Event`s out. The UI and the headless runner
//! only ever talk to training through these types.

use crate::config::DecoderMode;
use crate::model::Activation;
use crate::train::optim::OptKind;
use crate::train::trainer::RiskKind;
use serde::Serialize;
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
    /// Write a checkpoint of the weights (JSON) to this path.
    Save(PathBuf),
    /// Export the current matrices (A, B, B̃B̃ᵀ, its eigenvalues) as .npy and .csv files into
    /// this directory (created if missing).
    Export(PathBuf),
    /// Finish the record and stop the thread.
    Quit,
}

/// Why the worker paused.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "lowercase")]
pub enum PauseReason {
    /// The user asked.
    User,
    /// The loss or a gradient became NaN/Inf; the offending update was not applied.
    Diverged { step: u64, loss: f64 },
}

/// Metrics aggregated over the steps since the previous `Metrics` (about every 50 ms).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub step: u64,
    pub samples: u64,
    /// Mean minibatch loss over the steps since the previous Metrics (true activation).
    pub loss: f64,
    /// Debiased EMA of the minibatch loss.
    pub loss_ema: f64,
    /// Last evaluated risk (None before the first evaluation).
    pub risk: Option<f64>,
    pub risk_kind: Option<RiskKind>,
    /// The activation's limit at the current r.
    pub limit: f64,
    pub limit_label: String,
    pub lr: f64,
    pub r: f64,
    pub n: usize,
    pub d: usize,
    pub grad_norm: f64,
    pub steps_per_sec: f64,
    pub activation: Activation,
    pub optimizer: OptKind,
    pub decoder: DecoderMode,
    pub paused: bool,
    pub elapsed_s: f64,
    /// R*(B): the best risk any decoder achieves with the current encoder (exact for
    /// Gaussian data, least squares on the validation set otherwise), when computed.
    pub best_risk: Option<f64>,
    /// The configured step budget.
    pub budget: u64,
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

/// What snapshots to compute and how large a matrix to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotRequest {
    pub view: MatrixView,
    /// Downsample (block mean and block max-abs) to at most this many rows and columns.
    pub max_side: usize,
}

/// Matrices and spectra of the current weights, a few times a second at most.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub step: u64,
    pub view: MatrixView,
    /// Shape of the full matrix before downsampling (rows, cols).
    pub full_shape: (usize, usize),
    /// Block means, at most max_side × max_side.
    pub mean: ndarray::Array2<f32>,
    /// Per block, the entry of largest magnitude (sign kept): isolated large entries stay
    /// visible.
    pub max_abs: ndarray::Array2<f32>,
    /// Smallest and largest entry of the full matrix.
    pub range: (f32, f32),
    /// Eigenvalues of G = B̃B̃ᵀ, descending (n values).
    pub eigenvalues: Vec<f64>,
    /// The target spectrum of THEORY §5 at this (n, d), descending.
    pub target: Vec<f64>,
    /// max_i |λ_i − t_i|.
    pub spectrum_distance: f64,
    /// Least-squares β and ‖A − βBᵀ‖/‖A‖.
    pub alignment_beta: f64,
    pub alignment_rel: f64,
    pub n: usize,
    pub d: usize,
}

/// One report: a validation evaluation, also written to the run record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub step: u64,
    pub samples: u64,
    /// Debiased EMA of the minibatch loss (population mode: of the exact risk).
    pub loss: f64,
    /// Exact risk where a closed form exists, else the validation risk; `risk_kind` says which.
    pub risk: f64,
    pub risk_kind: RiskKind,
    /// Risk on the held-out validation set.
    pub val_risk: f64,
    /// R*(B), the best risk for the current encoder.
    pub best_risk: Option<f64>,
    pub limit: f64,
    pub gap: f64,
    pub lr: f64,
    pub r: f64,
    pub n: usize,
    pub wall_s: f64,
    /// What the encoder has learned (THEORY §4–5).
    pub features: Features,
}

/// Feature diagnostics of the current weights, reported with every evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Features {
    /// max_i |λ_i − t_i| between the eigenvalues of B̃B̃ᵀ and the target spectrum.
    pub spectrum_distance: f64,
    /// Smallest and largest eigenvalue of B̃B̃ᵀ.
    pub eig_min: f64,
    pub eig_max: f64,
    /// Least-squares β of A ≈ βBᵀ and the relative residual ‖A − βBᵀ‖/‖A‖.
    pub alignment_beta: f64,
    pub alignment_rel: f64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FinishReason {
    /// The step budget was reached, or the run converged (a `RunControl` convergence stop;
    /// the record then has a "converged" event and fewer steps than the budget).
    Completed,
    /// Quit before the budget (Ctrl-C, q, SIGHUP).
    Interrupted,
    /// Stopped on a NaN/Inf (headless runs cannot wait for a user to lower the rate).
    Diverged,
    /// The training thread hit an internal error (a bug); the record was closed cleanly.
    Failed,
}

/// The last line of a record and the headless summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub reason: FinishReason,
    pub steps: u64,
    pub samples: u64,
    pub wall_s: f64,
    /// Exact risk where a closed form exists, else the validation risk.
    pub risk: f64,
    pub risk_kind: RiskKind,
    pub val_risk: f64,
    pub best_risk: Option<f64>,
    pub limit: f64,
    pub limit_label: String,
    pub gap: f64,
    pub r: f64,
    pub n: usize,
    pub d: usize,
    pub activation: Activation,
    pub steps_per_sec: f64,
    pub record: Option<PathBuf>,
}

/// What the worker tells its consumer.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Metrics(Metrics),
    Report(Report),
    RateChanged {
        step: u64,
        n: usize,
        r: f64,
        limit: f64,
    },
    Paused(PauseReason),
    Resumed,
    Saved(PathBuf),
    /// Export finished: the files written.
    Exported(Vec<PathBuf>),
    Snapshot(Box<Snapshot>),
    /// A command could not be carried out (bad path, n out of range); training goes on.
    Error(String),
    /// The run ended (budget, quit, or headless divergence); the record is complete.
    Finished(Summary),
}
