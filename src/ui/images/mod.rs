//! Pixel images in the terminal: the feature tiles and the validation strip sent through a
//! terminal image protocol (kitty's graphics protocol, sixel, iTerm2's inline images) where the
//! terminal speaks one, each in exactly the cells its half-block tile takes, so the layout is
//! the same either way. Everywhere else (tmux, screen, unknown terminals) the half blocks stay.
//!
//! - [`detect`]: which protocol: the user's choice (`--images`, `AESCOPE_IMAGES`), the
//!   environment (tmux → blocks), and the terminal's answer to one query, asked once before
//!   the input thread starts reading;
//! - [`encode`]: one picture as the escape sequence of each protocol (pure functions);
//! - [`layer`]: what is on screen, so a picture is encoded and sent only when its pixels or
//!   its cells change, and removed when it goes.
//!
//! The widgets always draw their half blocks into ratatui's buffer (tests see the same
//! buffer in every mode); the layer marks the cells under a picture as skipped, so ratatui
//! never prints over the picture, and writes the pictures after ratatui's frame.

pub mod detect;
pub mod encode;
pub mod layer;

use crate::train::feature_png::Rgb;
use ratatui::layout::Rect;

pub use detect::{Detected, ImageMode, Protocol};
pub use layer::ImageLayer;

/// One image on screen: its pixels (at the image's own size, 3 bytes a pixel, row-major) and
/// the cells it fills (the half-block tile's cells).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Cells it covers: `rect.width` columns, `rect.height` rows.
    pub rect: Rect,
    /// Its pixels, before scaling to the cells.
    pub image: Rgb,
}
