//! The strip under the feature images: a few fixed validation images (top row, `x`) over the
//! current model's reconstructions (bottom row, `x̂`), each reconstruction's risk under it.
//! Each pair is drawn as intensities on its image's range (darkest to lightest pixel; colour
//! images in RGB), so a reconstruction is seen against the image it comes from.
//!
//! ```text
//! ┌ validation x over x̂ = A σ(Bx) · step 1200 ┐
//! │x ▀▀▀▀▀▀ ▀▀▀▀▀▀ ▀▀▀▀▀▀ ▀▀▀▀▀▀             │
//! │  ▀▀▀▀▀▀ ▀▀▀▀▀▀ ▀▀▀▀▀▀ ▀▀▀▀▀▀             │
//! │x̂ ▀▀▀▀▀▀ ▀▀▀▀▀▀ ▀▀▀▀▀▀ ▀▀▀▀▀▀             │
//! │  ▀▀▀▀▀▀ ▀▀▀▀▀▀ ▀▀▀▀▀▀ ▀▀▀▀▀▀             │
//! │  0.31   0.52   0.18   0.40               │
//! └──────────────────────────────────────────┘
//! ```

use super::features::{draw_image, tile_height, tile_widths};
use super::theme::Theme;
use crate::colormap::{intensity_range, intensity_rgb};
use crate::protocol::{FeatureImages, ImageShape, ValidationStrip};
use crate::train::feature_png::image_rgb;
use crate::ui::images::Picture;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget};

/// Cells left of the images for the row labels `x` and `x̂`.
const GUTTER: u16 = 2;
/// The strip is drawn as large as possible while at least this many pairs fit.
const MIN_PAIRS: usize = 3;
/// Narrowest tile, in pixels, worth shrinking to for more pairs.
const MIN_WIDTH: usize = 6;
/// Pairs asked for before the first images say how large one is.
const FIRST_REQUEST: usize = 4;
/// The strip takes at most this fraction of the feature view's height (the features keep the
/// rest).
const MAX_SHARE: (u16, u16) = (1, 2);

/// Where the pairs go: `pairs` side by side, each `width × height` pixels (a pixel is one cell
/// wide and half a cell high), one blank cell between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripGrid {
    pub pairs: usize,
    pub width: usize,
    pub height: usize,
}

impl StripGrid {
    /// Rows of one image, in cells.
    fn cell_height(&self) -> u16 {
        self.height.div_ceil(2) as u16
    }

    /// Rows of the whole panel: border, images, reconstructions, risk labels, border.
    fn panel_height(&self) -> u16 {
        2 * self.cell_height() + 3
    }

    /// The largest grid for images of `shape` in a panel at most `width × height` cells:
    /// the largest tile with at least [`MIN_PAIRS`] pairs side by side (not under
    /// [`MIN_WIDTH`] pixels), else the largest with one; None when not even one fits.
    pub fn fit(width: u16, height: u16, shape: ImageShape) -> Option<StripGrid> {
        let room = width.saturating_sub(2 + GUTTER) as usize;
        let grids: Vec<StripGrid> = tile_widths(shape)
            .into_iter()
            .map(|tw| StripGrid {
                pairs: (room + 1) / (tw + 1),
                width: tw,
                height: tile_height(shape, tw),
            })
            .filter(|g| g.panel_height() <= height && g.pairs >= 1)
            .collect();
        let legible = MIN_WIDTH.min(shape.width);
        grids
            .iter()
            .find(|g| g.pairs >= MIN_PAIRS && g.width >= legible)
            .or(grids.first())
            .copied()
    }
}

/// The feature view's area split into the features' panel (top) and the strip's (bottom,
/// zero height when it has no place): the strip as [`StripGrid::fit`] sizes it in at most
/// half the height, or one line for a note when the source has no images. Before the first
/// images, all of it for the features.
pub fn split(area: Rect, last: Option<&FeatureImages>) -> (Rect, Rect) {
    let strip_height = match last.map(|f| (&f.strip, f.shape)) {
        None => 0,
        Some((ValidationStrip::Synthetic, _)) => u16::from(area.height >= 12),
        Some((ValidationStrip::Images(_), shape)) => {
            let budget = area.height * MAX_SHARE.0 / MAX_SHARE.1;
            StripGrid::fit(area.width, budget, shape).map_or(0, |g| g.panel_height())
        }
    };
    let features = Rect {
        height: area.height - strip_height,
        ..area
    };
    let strip = Rect {
        y: features.bottom(),
        height: strip_height,
        ..area
    };
    (features, strip)
}

/// How many pairs to ask the worker for, for a strip panel `area` (from [`split`]).
pub fn max_pairs(area: Rect, last: Option<&FeatureImages>) -> usize {
    match last {
        None => FIRST_REQUEST,
        Some(f) if matches!(f.strip, ValidationStrip::Synthetic) => 0,
        Some(f) => StripGrid::fit(area.width, area.height, f.shape).map_or(0, |g| g.pairs),
    }
}

/// The strip panel over the latest images.
#[derive(Debug, Clone, Copy)]
pub struct StripPanel<'a> {
    pub images: Option<&'a FeatureImages>,
    pub theme: &'a Theme,
}

impl Widget for StripPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let dim = Style::default().fg(theme.dim);
        let Some(f) = self.images else {
            return;
        };
        if area.is_empty() {
            return;
        }
        let pairs = match &f.strip {
            ValidationStrip::Synthetic => {
                Paragraph::new("no validation images: a synthetic source has none")
                    .style(dim)
                    .alignment(Alignment::Center)
                    .render(area, buf);
                return;
            }
            ValidationStrip::Images(pairs) => pairs,
        };
        let titles = [
            format!(" validation x over x̂ = A σ(Bx) · step {} ", f.step),
            " validation x over x̂ ".to_string(),
            " x over x̂ ".to_string(),
        ];
        let inner = super::titled_panel(&titles, area, buf, theme);
        let Some(g) = StripGrid::fit(area.width, area.height, f.shape) else {
            return;
        };
        if pairs.is_empty() {
            Paragraph::new("no validation images")
                .style(dim)
                .alignment(Alignment::Center)
                .render(inner, buf);
            return;
        }
        let ch = g.cell_height();
        let label = |text: &str, y: u16, buf: &mut Buffer| {
            Paragraph::new(text).render(Rect::new(inner.x, y, GUTTER, 1), buf);
        };
        label("x", inner.y, buf);
        label("x̂", inner.y + ch, buf);
        let shape = f.shape;
        let channels = shape.channels.min(3);
        for (i, pair) in pairs.iter().take(g.pairs).enumerate() {
            let (top, bottom) = pair_rects(g, inner, i);
            let range = intensity_range(&pair.original);
            let color = |px| theme.rgb(intensity_rgb(px, channels, range));
            let size = (g.width, g.height);
            draw_image(&pair.original, shape, size, (top.x, top.y), buf, color);
            draw_image(
                &pair.reconstruction,
                shape,
                size,
                (bottom.x, bottom.y),
                buf,
                color,
            );
            let risk = risk_label(pair.risk, g.width);
            Paragraph::new(Line::from(risk))
                .style(dim)
                .render(Rect::new(top.x, bottom.bottom(), g.width as u16, 1), buf);
        }
    }
}

/// The cells of the `i`-th pair's image (top) and reconstruction (bottom) in a strip of grid
/// `g` whose area inside the border is `inner`.
fn pair_rects(g: StripGrid, inner: Rect, i: usize) -> (Rect, Rect) {
    let x = inner.x + GUTTER + (i * (g.width + 1)) as u16;
    let ch = g.cell_height();
    let top = Rect::new(x, inner.y, g.width as u16, ch);
    (
        top,
        Rect {
            y: inner.y + ch,
            ..top
        },
    )
}

/// The pairs [`StripPanel`] draws in a strip panel over `area`, as pictures in the same cells
/// (for a terminal image protocol): each pair on its image's intensity range.
pub fn pictures(images: Option<&FeatureImages>, area: Rect) -> Vec<Picture> {
    let Some(f) = images else {
        return Vec::new();
    };
    let ValidationStrip::Images(pairs) = &f.strip else {
        return Vec::new();
    };
    let Some(g) = StripGrid::fit(area.width, area.height, f.shape).filter(|_| !area.is_empty())
    else {
        return Vec::new();
    };
    let inner = Block::bordered().inner(area);
    let channels = f.shape.channels.min(3);
    let mut out = Vec::with_capacity(2 * g.pairs);
    for (i, pair) in pairs.iter().take(g.pairs).enumerate() {
        let (top, bottom) = pair_rects(g, inner, i);
        let range = intensity_range(&pair.original);
        let color = |px| intensity_rgb(px, channels, range);
        out.push(Picture {
            rect: top,
            image: image_rgb(&pair.original, f.shape, color),
        });
        out.push(Picture {
            rect: bottom,
            image: image_rgb(&pair.reconstruction, f.shape, color),
        });
    }
    out
}

/// An image's risk in at most `width` characters ("0.31", ".31" when narrow; empty when not
/// even that fits).
fn risk_label(risk: f64, width: usize) -> String {
    let full = if risk.is_finite() && risk < 10.0 {
        format!("{risk:.2}")
    } else if risk.is_finite() {
        format!("{risk:.0}")
    } else {
        "NaN".to_string()
    };
    if full.chars().count() <= width {
        full
    } else if let Some(short) = full.strip_prefix('0')
        && short.chars().count() <= width
    {
        short.to_string()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(h: usize, w: usize) -> ImageShape {
        ImageShape::grey(h, w)
    }

    #[test]
    fn strip_fits_the_largest_tiles_with_three_pairs() {
        // 50 cells wide: 46 for images. 8×8 at 2× (16 px, 8 rows) would fit 2 pairs only.
        let g = StripGrid::fit(50, 20, grey(8, 8)).unwrap();
        assert_eq!((g.width, g.height, g.pairs), (8, 8, 5));
        assert_eq!(g.panel_height(), 2 * 4 + 3);
        // Too low for 8 px: shrunk to what fits 9 rows (6 px: 3 cells).
        let g = StripGrid::fit(34, 9, grey(8, 8)).unwrap();
        assert_eq!((g.width, g.height, g.pairs), (6, 6, 4));
        // 28×28 in a narrow panel: three pairs would be 3 px wide; one pair at 14 px instead.
        let g = StripGrid::fit(20, 40, grey(28, 28)).unwrap();
        assert_eq!((g.width, g.height, g.pairs), (14, 14, 1));
        assert!(StripGrid::fit(5, 40, grey(8, 8)).is_none());
        assert!(StripGrid::fit(50, 4, grey(8, 8)).is_none());
    }

    #[test]
    fn risk_labels_fit_their_tile() {
        assert_eq!(risk_label(0.3149, 8), "0.31");
        assert_eq!(risk_label(0.3149, 3), ".31");
        assert_eq!(risk_label(0.3149, 2), "");
        assert_eq!(risk_label(12.7, 8), "13");
        assert_eq!(risk_label(f64::NAN, 8), "NaN");
    }
}
