//! Feature images as one PNG grid: every tile on its own symmetric scale (blue − · white 0 ·
//! red + for grey images; RGB around mid-grey for colour images), small images enlarged by
//! pixel repetition, tiles separated by a dark gap. The validation strip as a second grid:
//! images over their reconstructions, as intensities.

use crate::colormap::{
    diverging_rgb, intensity_range, intensity_rgb, max_abs_scale, signed_channel,
};
use crate::model::Autoencoder;
use crate::protocol::{FeatureImages, ImageShape, ValidationStrip};
use crate::protocol::{FeatureKind, FeatureRequest};
use crate::train::features::{self, PixelSpace};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

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
pub fn tile_rgb(px: [f32; 3], channels: usize, scale: f32) -> [u8; 3] {
    if channels == 3 {
        px.map(|v| signed_channel(v / scale))
    } else {
        diverging_rgb(px[0] / scale)
    }
}

/// The features as a grid as nearly square as possible, small images enlarged.
pub fn grid(images: &FeatureImages) -> Rgb {
    let shape: ImageShape = images.shape;
    let count = images.tiles.len().max(1);
    let cols = (count as f64).sqrt().ceil() as usize;
    let mut img = Canvas::new(shape, cols, count.div_ceil(cols));
    for (i, tile) in images.tiles.iter().enumerate() {
        let scale = max_abs_scale(&tile.pixels);
        img.paint(i % cols, i / cols, &tile.pixels, |px| {
            tile_rgb(px, shape.channels, scale)
        });
    }
    img.rgb
}

/// Validation images written by `e` (as many as the validation split has, up to this).
pub const STRIP_IMAGES: usize = 16;
/// The file they go to, in the export directory.
pub const STRIP_FILE: &str = "reconstructions.png";

/// The validation images (top row) over their reconstructions (bottom row), each pair on the
/// intensity scale of its image (darkest to lightest pixel; RGB for colour images). None for a
/// synthetic source or an empty strip.
pub fn strip_grid(images: &FeatureImages) -> Option<Rgb> {
    let ValidationStrip::Images(pairs) = &images.strip else {
        return None;
    };
    if pairs.is_empty() {
        return None;
    }
    let shape = images.shape;
    let mut img = Canvas::new(shape, pairs.len(), 2);
    for (i, pair) in pairs.iter().enumerate() {
        let range = intensity_range(&pair.original);
        let color = |px| intensity_rgb(px, shape.channels, range);
        img.paint(i, 0, &pair.original, color);
        img.paint(i, 1, &pair.reconstruction, color);
    }
    Some(img.rgb)
}

/// A grid of `cols × rows` image tiles of one shape, enlarged to at least [`MIN_TILE`] pixels,
/// on the dark gap colour.
struct Canvas {
    rgb: Rgb,
    shape: ImageShape,
    zoom: usize,
}

impl Canvas {
    fn new(shape: ImageShape, cols: usize, rows: usize) -> Canvas {
        let zoom = MIN_TILE
            .div_ceil(shape.height.max(shape.width).max(1))
            .max(1);
        let width = GAP + cols * (shape.width * zoom + GAP);
        let height = GAP + rows * (shape.height * zoom + GAP);
        Canvas {
            rgb: Rgb {
                width,
                height,
                data: GAP_RGB.repeat(width * height),
            },
            shape,
            zoom,
        }
    }

    /// Paint the image `pixels` (laid out as the shape says) into tile (`col`, `row`), a pixel's
    /// channel values (`shape.channels` of them; missing ones 0) coloured by `color`.
    fn paint(
        &mut self,
        col: usize,
        row: usize,
        pixels: &[f32],
        color: impl Fn([f32; 3]) -> [u8; 3],
    ) {
        let (shape, zoom) = (self.shape, self.zoom);
        let x0 = GAP + col * (shape.width * zoom + GAP);
        let y0 = GAP + row * (shape.height * zoom + GAP);
        let width = self.rgb.width;
        let tile = image_rgb(pixels, shape, color);
        for (i, rgb) in tile.data.chunks_exact(3).enumerate() {
            let (y, x) = (i / shape.width, i % shape.width);
            for dy in 0..zoom {
                let line = y0 + y * zoom + dy;
                for dx in 0..zoom {
                    let at = 3 * (line * width + x0 + x * zoom + dx);
                    self.rgb.data[at..at + 3].copy_from_slice(rgb);
                }
            }
        }
    }
}

/// The image `pixels` (laid out as `shape`) at its own size, a pixel's channel values
/// (`shape.channels` of them, at most 3; missing ones 0) coloured by `color`.
pub fn image_rgb(pixels: &[f32], shape: ImageShape, color: impl Fn([f32; 3]) -> [u8; 3]) -> Rgb {
    let mut data = Vec::with_capacity(3 * shape.width * shape.height);
    for y in 0..shape.height {
        for x in 0..shape.width {
            let mut px = [0.0f32; 3];
            for (c, v) in px.iter_mut().enumerate().take(shape.channels) {
                *v = pixels.get(shape.index(c, y, x)).copied().unwrap_or(0.0);
            }
            data.extend_from_slice(&color(px));
        }
    }
    Rgb {
        width: shape.width,
        height: shape.height,
        data,
    }
}

/// What `e` writes besides the matrices, live or under `aescope watch`: every feature of
/// `model` as `features-encoder.png` and `features-decoder.png` in the pixels of `space`, and
/// the first [`STRIP_IMAGES`] validation images over their reconstructions as [`STRIP_FILE`]
/// (data files only). Returns the files written.
pub fn export(
    model: &Autoencoder,
    space: &PixelSpace,
    step: u64,
    dir: &Path,
) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for kind in FeatureKind::ALL {
        let req = FeatureRequest {
            kind,
            max_tiles: model.n(),
            strip: if kind == FeatureKind::Encoder {
                STRIP_IMAGES
            } else {
                0
            },
        };
        let images = features::images(model, space, req, step);
        let path = dir.join(format!("features-{kind}.png"));
        write_png(&path, &grid(&images))?;
        written.push(path);
        if let Some(strip) = strip_grid(&images) {
            let path = dir.join(STRIP_FILE);
            write_png(&path, &strip)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Write `img` as an 8-bit RGB PNG.
pub fn write_png(path: &Path, img: &Rgb) -> io::Result<()> {
    encode_png(BufWriter::new(File::create(path)?), img)
}

/// `img` as the bytes of an 8-bit RGB PNG (for terminal image protocols).
pub fn png_bytes(img: &Rgb) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    encode_png(&mut out, img)?;
    Ok(out)
}

fn encode_png(w: impl Write, img: &Rgb) -> io::Result<()> {
    let dims = |v: usize| u32::try_from(v).map_err(io::Error::other);
    let mut enc = png::Encoder::new(w, dims(img.width)?, dims(img.height)?);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // Small images are enlarged by repeating pixels: the best level with the per-row filter
    // choice stores a repeated row in a few bytes (about a tenth of the default's size).
    enc.set_compression(png::Compression::Best);
    enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = enc.write_header().map_err(io::Error::other)?;
    writer
        .write_image_data(&img.data)
        .map_err(io::Error::other)?;
    writer.finish().map_err(io::Error::other)
}
