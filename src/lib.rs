//! aescope: a terminal lab for two-layer autoencoders `x̂ = A σ(Bx)`.
//!
//! Layers: [`theory`] (closed forms and limits, pure f64), [`model`] (weights, activations,
//! forward/backward in f32), [`data`] (seeded sources), [`train`] (optimizers, trainer, worker
//! thread and its protocol), [`record`] (JSONL run records), [`sweep`] (rate sweeps: runs,
//! tables, figures), [`config`] (presets), [`ui`] (the terminal interface), [`cli`].
//! The engine never imports the UI.

pub mod cli;
pub mod config;
pub mod data;
pub mod linalg;
pub mod memory;
pub mod model;
pub mod record;
pub mod safe_io;
pub mod sweep;
pub mod theory;
pub mod train;
pub mod ui;
