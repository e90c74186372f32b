//! `aescope watch RECORD`: the interface over a run another process writes (or wrote).

use super::tui::ColorArg;
use crate::train::Durability;
use crate::ui::images::ImageMode;
use crate::ui::widgets::theme::ColorMode;
use crate::ui::{Ending, UiOptions};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// `aescope watch`.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// The run record (JSONL) of a run: followed while it is written, replayed once finished.
    /// The heatmap and spectrum come from the newest checkpoint beside it.
    #[arg(value_name = "RECORD")]
    pub record: PathBuf,
    /// Colour depth of the interface (default: detected from COLORTERM and TERM).
    #[arg(long, value_enum, value_name = "DEPTH")]
    pub colors: Option<ColorArg>,
    /// Draw chart lines with dots instead of Braille (for fonts without Braille).
    #[arg(long)]
    pub dot_marker: bool,
    /// Leave the mouse to the terminal (its own text selection) instead of the chart cursor.
    #[arg(long)]
    pub no_mouse: bool,
    /// Draw an earlier run's risk curve beside this one, from its run record (repeatable).
    #[arg(long, value_name = "RECORD")]
    pub compare: Vec<PathBuf>,
    /// Frames a second at most while only training data changes (1–60; default 10): fewer
    /// frames send fewer bytes over a slow link. A key press is still answered at once.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=60))]
    pub fps: Option<u32>,
    /// How the feature images are drawn: `auto` asks the terminal for an image protocol
    /// (kitty, sixel, iTerm2) and keeps half blocks under tmux/screen or when it does not
    /// answer; the others force one (default: auto, or AESCOPE_IMAGES when set).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = ImageMode::Auto)]
    pub images: ImageMode,
    /// Largest checkpoint loaded for the heatmap (e.g. 8G, 512M; default: half the
    /// physical memory).
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size)]
    pub max_memory: Option<u64>,
}

pub(super) fn run(args: &WatchArgs) -> Result<i32> {
    let header = crate::record::read_header(&args.record)?;
    let (cfg, data) = (header.cfg.clone(), header.data.clone());
    let compare = crate::ui::compare::load_all(&args.compare)?;
    let (budget, _) = crate::memory::budget(args.max_memory);
    let feed = crate::watch::spawn(&args.record, header, budget)?;
    let opts = UiOptions {
        colors: args.colors.map(ColorMode::from),
        dot_marker: args.dot_marker,
        no_mouse: args.no_mouse,
        fps: args.fps,
        record: None,
        exit_when_done: false,
        durable: Durability::default(),
        compare,
        images: args.images,
    };
    let outcome = crate::ui::watch(&cfg, data, args.record.clone(), feed, &opts)?;
    Ok(match outcome.ending {
        Ending::Quit => 0,
        Ending::Signal | Ending::TerminalGone => 130,
    })
}
