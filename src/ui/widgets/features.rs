//! The feature panel: learned features (rows of B or columns of A, in the data's pixel space)
//! as a grid of small images in half-block cells ('▀': foreground the upper pixel, background
//! the lower), each tile on its own symmetric scale: grey images on the diverging map (blue −,
//! white 0, red +), colour images as RGB around mid-grey. Largest decoder norm first.

use super::heatmap::{quantize, resample};
use super::theme::Theme;
use crate::colormap::{max_abs_scale, signed_channel};
use crate::protocol::{FeatureImages, FeatureKind, FeatureTile, ImageShape};
use crate::train::feature_png::{image_rgb, tile_rgb};
use crate::ui::images::Picture;
use crate::ui::view::BlockMode;
use ndarray::Array2;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

/// The upper half block: foreground paints the upper pixel, background the lower one.
const UPPER_HALF: &str = "▀";
/// Tiles are drawn as large as possible while at least this many (or all n) fit.
const TARGET_TILES: usize = 12;
/// Tiles asked for before the first images say how large one is.
const FIRST_REQUEST: usize = 16;

/// Where the tiles go in a panel: `cols × rows` tiles of `width × height` pixels (a pixel is
/// one cell wide and half a cell high), one blank cell between tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileGrid {
    pub cols: usize,
    pub rows: usize,
    /// Tile width in pixels (= cells).
    pub width: usize,
    /// Tile height in pixels (two a cell).
    pub height: usize,
}

impl TileGrid {
    /// Tiles that fit.
    pub fn capacity(&self) -> usize {
        self.cols * self.rows
    }

    /// Tile height in cells.
    fn cell_height(&self) -> usize {
        self.height.div_ceil(2)
    }

    /// The size in cells of the part that `count` tiles fill.
    fn size(&self, count: usize) -> (usize, usize) {
        let count = count.min(self.capacity());
        let cols = count.min(self.cols);
        let rows = count.div_ceil(self.cols.max(1));
        (
            (cols * (self.width + 1)).saturating_sub(1),
            (rows * (self.cell_height() + 1)).saturating_sub(1),
        )
    }
}

/// The grid for images of `shape` in `cols × rows` cells: enlarged by whole factors (up to 4)
/// when the first `min(n, 12)` tiles still fit, shrunk (block means) when not even they fit at
/// full size; None when not even one tile of 2 pixels fits.
pub fn tile_grid(cols: usize, rows: usize, shape: ImageShape, n: usize) -> Option<TileGrid> {
    let want = n.clamp(1, TARGET_TILES);
    let widths = tile_widths(shape);
    let at = |tw: usize| {
        let th = tile_height(shape, tw);
        TileGrid {
            cols: (cols + 1) / (tw + 1),
            rows: (rows + 1) / (th.div_ceil(2) + 1),
            width: tw,
            height: th,
        }
    };
    widths
        .iter()
        .map(|&tw| at(tw))
        .find(|g| g.capacity() >= want)
        .or_else(|| widths.iter().map(|&tw| at(tw)).find(|g| g.capacity() >= 1))
}

/// The tile widths in pixels an image of `shape` is drawn at, largest first: enlarged by whole
/// factors up to 4, then shrunk in eighths, never under 2 pixels.
pub fn tile_widths(shape: ImageShape) -> Vec<usize> {
    let w = shape.width.max(1);
    let mut widths: Vec<usize> = (1..=4).rev().map(|k| k * w).collect();
    widths.extend((1..8).rev().map(|k| w * k / 8));
    widths.retain(|&tw| tw >= 2);
    widths.dedup();
    widths
}

/// The height in pixels of a tile `width` pixels wide, keeping the image's aspect ratio.
pub fn tile_height(shape: ImageShape, width: usize) -> usize {
    let (w, h) = (shape.width.max(1), shape.height.max(1));
    ((h * width) as f64 / w as f64).round().max(1.0) as usize
}

/// The area the tiles are drawn in: inside the border, above the legend line.
fn tiles_area(panel: Rect) -> Rect {
    let inner = Block::bordered().inner(panel);
    Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    }
}

/// How many tiles to ask the worker for, for this panel: as many as are drawn, given the
/// image shape of the images last received (before any, a few).
pub fn max_tiles(panel: Rect, last: Option<&FeatureImages>) -> usize {
    let Some(last) = last else {
        return FIRST_REQUEST;
    };
    let area = tiles_area(panel);
    tile_grid(
        area.width as usize,
        area.height as usize,
        last.shape,
        last.n,
    )
    .map_or(1, |g| g.capacity().min(last.n).max(1))
}

/// The feature panel over the latest images.
#[derive(Debug, Clone, Copy)]
pub struct FeatureGrid<'a> {
    /// The latest images, of whatever kind.
    pub images: Option<&'a FeatureImages>,
    /// The kind to show.
    pub kind: FeatureKind,
    /// The panel keeps its images and asks for no more (x): the title says so.
    pub frozen: bool,
    /// Colours.
    pub theme: &'a Theme,
}

impl Widget for FeatureGrid<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        // Images of the other kind wait for their successor.
        let images = self.images.filter(|f| f.kind == self.kind);
        let tiles = tiles_area(area);
        let grid = images
            .and_then(|f| tile_grid(tiles.width as usize, tiles.height as usize, f.shape, f.n));
        let name = self.kind.title();
        let candidates = match (images, grid) {
            (Some(f), Some(g)) => {
                let shown = g.capacity().min(f.tiles.len());
                let space = if f.pixel_space { " pixels" } else { "" };
                let frozen = if self.frozen { "frozen (x) at " } else { "" };
                let mut v = vec![
                    format!(
                        " {name} · {}{space} · {shown}/{} by ‖a‖ · {frozen}step {} ",
                        f.shape, f.n, f.step
                    ),
                    format!(" {name} · {shown}/{} by ‖a‖ ", f.n),
                    format!(" {name} "),
                ];
                if self.frozen {
                    v[1] = format!(" {name} · {shown}/{} by ‖a‖ · frozen ", f.n);
                    v[2] = format!(" {name} · frozen ");
                }
                v
            }
            _ => vec![format!(" {name} ")],
        };
        let inner = super::titled_panel(&candidates, area, buf, theme);
        let (Some(f), Some(g)) = (images, grid) else {
            let text = if images.is_some() {
                "too small for the feature images"
            } else {
                "waiting for the feature images…"
            };
            Paragraph::new(text)
                .style(Style::default().fg(theme.dim))
                .alignment(Alignment::Center)
                .render(inner, buf);
            return;
        };
        for (rect, tile) in tile_rects(g, f.tiles.len(), tiles).zip(&f.tiles) {
            draw_tile(tile, f.shape, g, (rect.x, rect.y), theme, buf);
        }
        let legend = Rect {
            y: inner.bottom().saturating_sub(1),
            height: 1,
            ..inner
        };
        draw_legend(f.shape.channels, legend, theme, buf);
    }
}

/// The cells of the first `count` tiles of grid `g`, centred in the tiles' area `tiles`.
fn tile_rects(g: TileGrid, count: usize, tiles: Rect) -> impl Iterator<Item = Rect> {
    let (gw, gh) = g.size(count);
    let x0 = tiles.x + (tiles.width as usize).saturating_sub(gw) as u16 / 2;
    let y0 = tiles.y + (tiles.height as usize).saturating_sub(gh) as u16 / 2;
    (0..count.min(g.capacity())).map(move |i| {
        Rect::new(
            x0 + ((i % g.cols) * (g.width + 1)) as u16,
            y0 + ((i / g.cols) * (g.cell_height() + 1)) as u16,
            g.width as u16,
            g.cell_height() as u16,
        )
    })
}

/// The tiles [`FeatureGrid`] draws in a panel over `area`, as pictures in the same cells
/// (for a terminal image protocol): each tile at its own size, on its own symmetric scale.
pub fn pictures(images: Option<&FeatureImages>, kind: FeatureKind, area: Rect) -> Vec<Picture> {
    let Some(f) = images.filter(|f| f.kind == kind) else {
        return Vec::new();
    };
    let tiles = tiles_area(area);
    let Some(g) = tile_grid(tiles.width as usize, tiles.height as usize, f.shape, f.n) else {
        return Vec::new();
    };
    let channels = f.shape.channels.min(3);
    tile_rects(g, f.tiles.len(), tiles)
        .zip(&f.tiles)
        .map(|(rect, tile)| {
            let scale = max_abs_scale(&tile.pixels);
            Picture {
                rect,
                image: image_rgb(&tile.pixels, f.shape, |px| tile_rgb(px, channels, scale)),
            }
        })
        .collect()
}

/// The colour of one pixel: `px` holds `channels` values already divided by the tile's scale.
fn pixel_color(px: [f32; 3], channels: usize, theme: &Theme) -> Color {
    if channels == 3 {
        theme.rgb(px.map(signed_channel))
    } else {
        theme.diverging(px[0])
    }
}

/// One tile at cell (`x`, `y`), resampled to the grid's tile size, on its own symmetric scale.
fn draw_tile(
    tile: &FeatureTile,
    shape: ImageShape,
    g: TileGrid,
    at: (u16, u16),
    theme: &Theme,
    buf: &mut Buffer,
) {
    let scale = max_abs_scale(&tile.pixels);
    let channels = shape.channels.min(3);
    // In the heatmap's colour steps: a feature that barely moved between snapshots redraws
    // (almost) the same cells, and only changed cells cost bytes (measured for digits-sign at
    // 120×40 in 24-bit colour: 108 KB/s with every pixel's exact colour).
    draw_image(&tile.pixels, shape, (g.width, g.height), at, buf, |px| {
        pixel_color(px.map(|v| quantize(v / scale)), channels, theme)
    });
}

/// The image `pixels` (laid out as `shape`) resampled (block means) to `width × height`
/// pixels in half-block cells from cell (`x`, `y`): `color` maps a pixel's channel values
/// (`shape.channels`, at most 3; the rest 0) to its colour.
pub fn draw_image(
    pixels: &[f32],
    shape: ImageShape,
    (width, height): (usize, usize),
    (x, y): (u16, u16),
    buf: &mut Buffer,
    color: impl Fn([f32; 3]) -> Color,
) {
    let planes: Vec<Array2<f32>> = (0..shape.channels.min(3))
        .map(|c| {
            let plane = Array2::from_shape_fn((shape.height, shape.width), |(py, px)| {
                pixels.get(shape.index(c, py, px)).copied().unwrap_or(0.0)
            });
            resample(plane.view(), height, width, BlockMode::Mean)
        })
        .collect();
    let at = |py: usize, px: usize| {
        let mut v = [0.0f32; 3];
        for (c, plane) in planes.iter().enumerate() {
            v[c] = plane[[py, px]];
        }
        color(v)
    };
    for cy in 0..height.div_ceil(2) {
        for cx in 0..width {
            let upper = at(2 * cy, cx);
            let lower = if 2 * cy + 1 < height {
                at(2 * cy + 1, cx)
            } else {
                Color::Reset
            };
            if let Some(cell) = buf.cell_mut((x + cx as u16, y + cy as u16)) {
                cell.set_symbol(UPPER_HALF).set_fg(upper).set_bg(lower);
            }
        }
    }
}

/// "− ▕gradient▏ + · each tile to its own max |value|".
fn draw_legend(channels: usize, area: Rect, theme: &Theme, buf: &mut Buffer) {
    let dim = Style::default().fg(theme.dim);
    let mut spans = vec![Span::styled("− ", dim)];
    let bar = 11;
    for i in 0..bar {
        let t = -1.0 + 2.0 * i as f32 / (bar - 1) as f32;
        let c = if channels == 3 {
            theme.rgb([signed_channel(t); 3])
        } else {
            theme.diverging(t)
        };
        spans.push(Span::styled(" ", Style::default().bg(c)));
    }
    spans.push(Span::styled(" +  each tile to its own max |value|", dim));
    Paragraph::new(Line::from(spans)).render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(h: usize, w: usize) -> ImageShape {
        ImageShape::grey(h, w)
    }

    #[test]
    fn grid_enlarges_small_images_and_shrinks_large_ones() {
        // 8×8 digits, 32 neurons, 48×31 cells: 12 tiles fit at 2× (16×16 px = 16×8 cells)?
        // 49/17 = 2 columns, 32/9 = 3 rows: 6 < 12, so 1× (8×4 cells): 5 × 6 = 30.
        let g = tile_grid(48, 31, grey(8, 8), 32).unwrap();
        assert_eq!((g.width, g.height, g.cols, g.rows), (8, 8, 5, 6));
        // Four neurons: as large as 4 tiles allow.
        let g = tile_grid(48, 31, grey(8, 8), 4).unwrap();
        assert_eq!((g.width, g.cols, g.rows), (16, 2, 3));
        // 28×28 MNIST in the same panel: shrunk until 12 fit.
        let g = tile_grid(48, 31, grey(28, 28), 100).unwrap();
        assert!(g.width < 28 && g.capacity() >= 12, "{g:?}");
        assert_eq!(g.width, g.height);
        assert!(tile_grid(1, 1, grey(8, 8), 4).is_none());
    }

    /// A tile drawn at 1× into a fresh 8×4-cell buffer in 24-bit colour.
    fn drawn(pixels: Vec<f32>) -> Buffer {
        let g = TileGrid {
            cols: 1,
            rows: 1,
            width: 8,
            height: 8,
        };
        let tile = FeatureTile {
            neuron: 0,
            decoder_norm: 1.0,
            pixels,
        };
        let theme = Theme::new(super::super::theme::ColorMode::TrueColor, false);
        let mut buf = Buffer::empty(Rect::new(0, 0, 8, 4));
        draw_tile(&tile, grey(8, 8), g, (0, 0), &theme, &mut buf);
        buf
    }

    #[test]
    fn a_feature_that_barely_moved_redraws_the_same_cells() {
        // Values on the colour steps (k/8 of the tile's max |value|, which stays 1).
        let base: Vec<f32> = (0..64).map(|i| ((i % 17) as f32 - 8.0) / 8.0).collect();
        let nudged: Vec<f32> = base
            .iter()
            .map(|&v| if v.abs() == 1.0 { v } else { v + 0.03 })
            .collect();
        assert_eq!(
            drawn(base.clone()),
            drawn(nudged),
            "a 3 % move changed cells"
        );
        // A move of a whole step shows.
        let mut moved = base.clone();
        moved[9] += 0.125;
        assert_ne!(drawn(base), drawn(moved));
    }
}
