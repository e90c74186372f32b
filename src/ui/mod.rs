//! The terminal interfaces: training live against the theoretical limits, and a sweep's
//! progress against the limit curve.
//!
//! - [`widgets`]: the panels every front end draws (risk chart, heatmap, spectrum, header,
//!   help and key hints, theme), each a widget over the part of the state it shows;
//! - [`live`]: the interface of one training run (state machine, key table, layout, loop);
//! - [`sweep`]: the interface of a rate sweep;
//! - [`keys`]: the key-table machinery: each front end declares its keys once, and the table
//!   dispatches presses, lists them in the help and fills the hint line;
//! - [`run_info`], [`view`]: the parts of a front end's state the shared widgets draw;
//! - [`terminal`]: the terminal session (raw mode, alternate screen, panic hook, input
//!   thread) both loops run in;
//! - [`images`]: the feature images as pixels through a terminal image protocol (kitty,
//!   sixel, iTerm2) where the terminal has one, half blocks elsewhere;
//! - [`history`], [`record_tail`]: the series a front end keeps, and a reader that follows a
//!   run record while it is written;
//! - [`compare`]: earlier runs' records, read once, drawn beside the run (`--compare`).
//!
//! Collection, state and drawing are separate: a front end's loop owns the threads and the
//! terminal, its state is a pure state machine (events in, commands out, no terminal), and
//! the widgets only draw parts of that state into a buffer, so every piece is testable with
//! ratatui's `TestBackend`.

pub mod compare;
pub mod event_log;
pub mod history;
pub mod images;
pub mod keys;
pub mod live;
pub mod record_tail;
pub mod run_config;
pub mod run_info;
pub mod sweep;
pub mod terminal;
pub mod view;
pub mod widgets;

pub use live::{Ending, Outcome, UiError, UiOptions, run, watch};
