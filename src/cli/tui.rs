//! `aescope [PRESET]`: the interactive interface, and what it prints once the terminal is back.

use super::RunArgs;
use super::headless::print_summary;
use crate::config::Config;
use crate::train::Durability;
use crate::ui::widgets::theme::ColorMode;
use crate::ui::{Ending, UiOptions};
use anyhow::Result;
use clap::ValueEnum;

/// `--colors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// 24-bit RGB.
    Truecolor,
    /// The xterm 256-colour palette.
    #[value(name = "256")]
    Ansi256,
    /// The 16 named ANSI colours.
    #[value(name = "16")]
    Ansi16,
}

impl From<ColorArg> for ColorMode {
    fn from(c: ColorArg) -> ColorMode {
        match c {
            ColorArg::Truecolor => ColorMode::TrueColor,
            ColorArg::Ansi256 => ColorMode::Ansi256,
            ColorArg::Ansi16 => ColorMode::Ansi16,
        }
    }
}

pub(super) fn run(cfg: Config, args: &RunArgs, durable: Durability) -> Result<i32> {
    let name = cfg.name.clone();
    // Read before the terminal is set up: a bad file is an error on a normal screen.
    let compare = crate::ui::compare::load_all(&args.compare)?;
    let opts = UiOptions {
        colors: args.colors.map(ColorMode::from),
        dot_marker: args.dot_marker,
        record: args.record.clone(),
        exit_when_done: args.exit_when_done,
        no_mouse: args.no_mouse,
        fps: args.fps,
        durable,
        compare,
        images: args.images,
    };
    let outcome = crate::ui::run(cfg, &opts)?;
    match outcome.ending {
        // The terminal may be gone: print nothing.
        Ending::Signal | Ending::TerminalGone => Ok(130),
        Ending::Quit => {
            if let Some(s) = &outcome.summary {
                print_summary(&name, s);
            }
            if let Some(e) = &outcome.record_error {
                errln!("error: {e}");
            }
            Ok(outcome.exit_code())
        }
    }
}
