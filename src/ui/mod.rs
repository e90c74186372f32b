//! The terminal interface: training live against the theoretical limits.
//!
//! Collection, state and drawing are separate: [`run`] owns the threads and the terminal,
//! [`app`] is the state machine (events in, commands out, no terminal), and the panel modules
//! only draw an [`app::AppState`] into a buffer, so every piece is testable with ratatui's
//! `TestBackend`.

pub mod app;
pub mod export;
pub mod header;
pub mod heatmap;
pub mod help;
pub mod history;
pub mod keys;
pub mod layout;
pub mod loss_chart;
pub mod run;
pub mod spectrum;
pub mod terminal;
pub mod theme;

pub use run::{Ending, Outcome, UiError, UiOptions, run};
