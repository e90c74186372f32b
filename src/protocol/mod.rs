//! The shared vocabulary of the upper layers: the worker's channel protocol (`Command`s in,
//! `Event`s out) and every small type those messages and the presets carry.
//!
//! A leaf: it imports nothing from the crate but [`crate::model`] and [`crate::theory`]
//! types, so `config`, `record`, `train`, `ui`, `sweep` and `cli` can all depend on it without
//! depending on each other (checked by `tests/module_graph.rs`). Each type here has one
//! `Display`, the text every front end and file uses for it.

mod choices;
mod command;
mod event;
mod features;

pub use choices::{
    Convergence, DecoderMode, LearningRate, OptKind, OptParams, RiskKind, Schedule, SignGrad,
    TrainMode,
};
pub use command::{Command, MatrixView, SnapshotRequest};
pub use event::{Event, Features, FinishReason, Metrics, PauseReason, Report, Snapshot, Summary};
pub use features::{
    FeatureImages, FeatureKind, FeatureRequest, FeatureTile, ImageShape, Reconstruction,
    ValidationStrip,
};
