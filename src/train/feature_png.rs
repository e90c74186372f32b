//! Feature images as one PNG grid: every tile on its own symmetric scale (blue − · white 0 ·
//! red + for grey images; RGB around mid-grey for colour images), small images enlarged by
//! pixel repetition, tiles separated by a dark gap.

use crate::colormap::{diverging_rgb, max_abs_scale, signed_channel};
use crate::protocol::{FeatureImages, ImageShape};
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

/// Gap between tiles and around the grid, in output pixels.
const GAP: usize = 2;
/// Colour of the gaps: dark, so the white zero of the map stays distinct.
const GAP_RGB: [u8; 3] = [40, 40, 40];
/// Tiles are enlarged by whole factors to at least this many pixels on their longer side.
const MIN_TILE: usize = 32;

/// An RGB image, row-major, 3 bytes a pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

/// The colour of channel values `px` (`channels` of them) of a tile scaled by `scale`.
fn tile_rgb(px: [f32; 3], channels: usize, scale: f32) -> [u8; 3] {
    if channels == 3 {
        px.map(|v| signed_channel(v / scale))
    } else {
        diverging_rgb(px[0] / scale)
    }
}

/// The grid: `cols` tiles a row (0: as square as possible), each pixel repeated `zoom` times.
pub fn grid(images: &FeatureImages) -> Rgb {
    let shape: ImageShape = images.shape;
    let count = images.tiles.len().max(1);
    let cols = (count as f64).sqrt().ceil() as usize;
    let rows = count.div_ceil(cols);
    let zoom = MIN_TILE
        .div_ceil(shape.height.max(shape.width).max(1))
        .max(1);
    let (tw, th) = (shape.width * zoom, shape.height * zoom);
    let width = GAP + cols * (tw + GAP);
    let height = GAP + rows * (th + GAP);
    let mut data: Vec<u8> = GAP_RGB.repeat(width * height);
    for (i, tile) in images.tiles.iter().enumerate() {
        let scale = max_abs_scale(&tile.pixels);
        let (x0, y0) = (GAP + (i % cols) * (tw + GAP), GAP + (i / cols) * (th + GAP));
        for y in 0..shape.height {
            for x in 0..shape.width {
                let mut px = [0.0f32; 3];
                for (c, v) in px.iter_mut().enumerate().take(shape.channels) {
                    *v = tile
                        .pixels
                        .get(shape.index(c, y, x))
                        .copied()
                        .unwrap_or(0.0);
                }
                let rgb = tile_rgb(px, shape.channels, scale);
                for dy in 0..zoom {
                    let row = y0 + y * zoom + dy;
                    for dx in 0..zoom {
                        let at = 3 * (row * width + x0 + x * zoom + dx);
                        data[at..at + 3].copy_from_slice(&rgb);
                    }
                }
            }
        }
    }
    Rgb {
        width,
        height,
        data,
    }
}

/// Write `img` as an 8-bit RGB PNG.
pub fn write_png(path: &Path, img: &Rgb) -> io::Result<()> {
    let w = BufWriter::new(File::create(path)?);
    let dims = |v: usize| u32::try_from(v).map_err(io::Error::other);
    let mut enc = png::Encoder::new(w, dims(img.width)?, dims(img.height)?);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(io::Error::other)?;
    writer
        .write_image_data(&img.data)
        .map_err(io::Error::other)?;
    writer.finish().map_err(io::Error::other)
}
