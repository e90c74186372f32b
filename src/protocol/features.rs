//! Learned features as images: which weights to draw (`FeatureRequest`), and the images the
//! worker sends back (`FeatureImages`), already mapped to the data's pixel space and cut to
//! the tiles a front end can show, with a strip of validation images beside their
//! reconstructions (`ValidationStrip`).

use serde::Serialize;
use std::fmt;

/// Which weights become images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureKind {
    /// Rows of B, through the transpose of the preprocessing map: the pixel pattern each
    /// neuron responds to (`b·z = (Tᵀb)·(x − μ)`).
    Encoder,
    /// Columns of A, through the inverse of the preprocessing map: the pixel pattern each
    /// neuron adds to the reconstruction.
    Decoder,
}

impl FeatureKind {
    pub const ALL: [FeatureKind; 2] = [FeatureKind::Encoder, FeatureKind::Decoder];

    /// "encoder" or "decoder" (file names, titles).
    pub fn name(self) -> &'static str {
        match self {
            FeatureKind::Encoder => "encoder",
            FeatureKind::Decoder => "decoder",
        }
    }

    /// Panel title: "encoder rows of B" or "decoder columns of A".
    pub fn title(self) -> &'static str {
        match self {
            FeatureKind::Encoder => "encoder rows of B",
            FeatureKind::Decoder => "decoder columns of A",
        }
    }
}

impl fmt::Display for FeatureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What feature images to send: the worker sends them with its snapshots while asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureRequest {
    pub kind: FeatureKind,
    /// At most this many neurons (the ones with the largest decoder norm), so an event
    /// carries only what is on screen.
    pub max_tiles: usize,
    /// At most this many validation images with their reconstructions (0: none).
    pub strip: usize,
}

/// The layout of one image's pixels in a feature vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImageShape {
    /// 1 (grey) or 3 (RGB).
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    /// Channels vary fastest (H×W×C, as NumPy image stacks) rather than slowest (C×H×W, as
    /// CIFAR).
    pub channels_last: bool,
}

impl ImageShape {
    /// A grey image of `height × width` pixels.
    pub fn grey(height: usize, width: usize) -> ImageShape {
        ImageShape {
            channels: 1,
            height,
            width,
            channels_last: false,
        }
    }

    /// The image layout of a sample of shape `shape` (as a data file gives it): `[h, w]`,
    /// `[c, h, w]` or `[h, w, c]` with c = 1 or 3; anything else (`[d]`, `[]`) is one grey
    /// image of the most nearly square `h × w = d` (h ≤ w).
    pub fn from_sample_shape(shape: &[usize], d: usize) -> ImageShape {
        let grey = ImageShape::grey;
        match *shape {
            [h, w] if h * w == d => grey(h, w),
            [c, h, w] if c * h * w == d && (c == 1 || c == 3) => ImageShape {
                channels: c,
                height: h,
                width: w,
                channels_last: false,
            },
            [h, w, c] if c * h * w == d && (c == 1 || c == 3) => ImageShape {
                channels: c,
                height: h,
                width: w,
                channels_last: true,
            },
            _ => {
                let mut h = (d as f64).sqrt().floor() as usize;
                while h > 1 && !d.is_multiple_of(h) {
                    h -= 1;
                }
                let h = h.max(1);
                grey(h, d / h)
            }
        }
    }

    /// Pixels per image, all channels.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Whether the image has no pixels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index into a feature vector of channel `c` of pixel (`y`, `x`).
    pub fn index(&self, c: usize, y: usize, x: usize) -> usize {
        if self.channels_last {
            (y * self.width + x) * self.channels + c
        } else {
            (c * self.height + y) * self.width + x
        }
    }
}

/// "8×8" or "3×32×32".
impl fmt::Display for ImageShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.channels == 1 {
            write!(f, "{}×{}", self.height, self.width)
        } else {
            write!(f, "{}×{}×{}", self.channels, self.height, self.width)
        }
    }
}

/// One neuron's feature as an image.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTile {
    /// Index of the neuron (row of B, column of A).
    pub neuron: usize,
    /// ‖A_{:,neuron}‖ (the order of the tiles, largest first).
    pub decoder_norm: f32,
    /// `shape.len()` values laid out as `shape` says, in the file's units (before
    /// preprocessing), without the mean.
    pub pixels: Vec<f32>,
}

/// Learned features of the current weights as images, the largest decoder norms first.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureImages {
    pub step: u64,
    pub kind: FeatureKind,
    pub shape: ImageShape,
    /// Neurons in the model (tiles may hold fewer).
    pub n: usize,
    /// True when mapped back through the preprocessing (a data file), false when drawn in the
    /// model's own input coordinates (synthetic sources).
    pub pixel_space: bool,
    pub tiles: Vec<FeatureTile>,
    /// The first validation images beside the current model's reconstructions.
    pub strip: ValidationStrip,
}

/// One held-out image and the current model's reconstruction of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconstruction {
    /// Its row in the validation split.
    pub row: usize,
    /// The image as the model sees it, taken back to the file's units: `μ + T⁺z` (the image
    /// itself unless the preprocessing projects), laid out as the images' `shape`.
    pub original: Vec<f32>,
    /// `μ + T⁺ẑ` with `ẑ = A σ(Bz)`: the reconstruction taken back the same way.
    pub reconstruction: Vec<f32>,
    /// `‖z − ẑ‖²/d` in the model's coordinates: this image's share of the validation risk
    /// (the validation risk is its mean over the validation set).
    pub risk: f64,
}

/// What the strip of validation images holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidationStrip {
    /// The source is synthetic: it has no images to show.
    Synthetic,
    /// The first validation images (the same rows every time) and their reconstructions; empty
    /// when none were asked for or the data has no validation split.
    Images(Vec<Reconstruction>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_from_files_and_flat_vectors() {
        let s = ImageShape::from_sample_shape(&[3, 32, 32], 3072);
        assert_eq!(
            (s.channels, s.height, s.width, s.channels_last),
            (3, 32, 32, false)
        );
        assert_eq!(s.index(1, 0, 0), 1024);
        let s = ImageShape::from_sample_shape(&[32, 32, 3], 3072);
        assert!(s.channels_last);
        assert_eq!(s.index(1, 0, 0), 1);
        assert_eq!(s.index(0, 1, 0), 96);
        let s = ImageShape::from_sample_shape(&[8, 8], 64);
        assert_eq!(
            (s.height, s.width, s.to_string()),
            (8, 8, "8×8".to_string())
        );
        // Flat: the most nearly square factorization, h ≤ w; a prime is one row.
        let s = ImageShape::from_sample_shape(&[200], 200);
        assert_eq!((s.height, s.width), (10, 20));
        let s = ImageShape::from_sample_shape(&[], 13);
        assert_eq!((s.height, s.width), (1, 13));
        // A shape that does not match d is ignored.
        let s = ImageShape::from_sample_shape(&[28, 28], 100);
        assert_eq!((s.height, s.width, s.len()), (10, 10, 100));
    }
}
