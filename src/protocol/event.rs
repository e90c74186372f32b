//! What the worker tells its consumer: `Event`s and the reports, snapshots and summaries they
//! carry.

use super::choices::{DecoderMode, OptKind, RiskKind};
use super::command::MatrixView;
use super::features::FeatureImages;
use crate::model::Activation;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// Why the worker paused.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "lowercase")]
pub enum PauseReason {
    /// The user asked.
    User,
    /// The loss or a gradient became NaN/Inf; the offending update was not applied.
    Diverged { step: u64, loss: f64 },
    /// The run record could not be written (a full disk; the message names the file and the
    /// OS error): it is closed, and training waits for the user to go on without it or quit.
    RecordFailed { message: String },
}

/// "paused by the user" or "diverged at step 1200 (loss NaN)".
impl fmt::Display for PauseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PauseReason::User => f.write_str("paused by the user"),
            PauseReason::Diverged { step, loss } => {
                write!(f, "diverged at step {step} (loss {loss})")
            }
            PauseReason::RecordFailed { message } => f.write_str(message),
        }
    }
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
    /// Norm of the last minibatch gradient (both tensors); NaN when no gradient was stored
    /// (plain SGD adds its update inside the products, and a replayed record has none).
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Risk on a fixed subset of the training split, as large as the validation set (finite
    /// data sets only).
    pub train_risk: Option<f64>,
    /// Exact risk of the current weights on the data's Gaussian twin N(0, Σ̂) (data files,
    /// at the reports whose share of the wall time allows it): the universality error is
    /// `val_risk − twin_risk`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin_risk: Option<f64>,
    /// Passes over the training split so far (finite data sets only).
    pub epochs: Option<f64>,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// The record's value: "completed", "interrupted", "diverged" or "failed".
impl fmt::Display for FinishReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FinishReason::Completed => "completed",
            FinishReason::Interrupted => "interrupted",
            FinishReason::Diverged => "diverged",
            FinishReason::Failed => "failed",
        })
    }
}

/// The last line of a record and the headless summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The run's newest checkpoint, to `--resume` from (absent from older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<PathBuf>,
    /// Exact risk of the final weights on the data's Gaussian twin N(0, Σ̂) (data files, when
    /// the last evaluation carried it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin_risk: Option<f64>,
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
    /// Learned features as images (while asked for with `WantFeatures`).
    Features(Box<FeatureImages>),
    /// A command could not be carried out (bad path, n out of range); training goes on.
    Error(String),
    /// The run ended (budget, quit, or headless divergence); the record is complete.
    Finished(Summary),
}
