//! Closed forms and fundamental limits (THEORY.md). Pure f64 functions, no state.

pub mod bounds;
pub mod data;
pub mod diagnostics;
pub mod gaussian;
pub mod hermite;
pub mod spectrum;
