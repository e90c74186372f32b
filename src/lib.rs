//! aescope: a terminal lab for two-layer autoencoders `x̂ = A σ(Bx)`.
//!
//! Layers, bottom up: [`theory`] (closed forms and limits, pure f64), [`linalg`] (the bridge
//! to faer), [`model`] (weights, activations, forward/backward in f32), [`data`] (seeded
//! sources); [`protocol`] (the worker's `Command`s and `Event`s and every type they carry: a
//! leaf over `model` and `theory`); [`config`] (presets), [`record`] (JSONL run records and
//! checkpoints), [`train`] (optimizers, trainer, worker thread); then the front ends:
//! [`sweep`] (rate sweeps: runs, tables, figures), [`ui`] (the terminal interface), [`cli`].
//! The engine never imports the front ends; `tests/module_graph.rs` checks the layering.

pub mod cli;
pub mod colormap;
pub mod config;
pub mod data;
pub mod human;
pub mod linalg;
pub mod memory;
pub mod model;
pub mod protocol;
pub mod record;
pub mod safe_io;
pub mod sweep;
pub mod theory;
pub mod train;
pub mod ui;
pub mod watch;

/// Checkpoints live with training (they hold its state); reachable as `aescope::checkpoint`.
pub use train::checkpoint;
