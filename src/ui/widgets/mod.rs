//! The panels shared by every front end. Each is a widget over the part of a state it draws
//! (borrowed, never the whole front end's state), so the live run, the sweep and a future
//! watch/replay view compose the same panels.

pub mod cursor;
pub mod event_log;
pub mod features;
pub mod header;
pub mod heatmap;
pub mod help;
pub mod risk_chart;
pub mod spectrum;
pub mod theme;
