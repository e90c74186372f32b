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
pub mod record_tail;
pub mod run;
pub mod spectrum;
pub mod sweep_app;
pub mod sweep_run;
pub mod sweep_view;
pub mod terminal;
pub mod theme;

pub use run::{Ending, Outcome, UiError, UiOptions, run};
