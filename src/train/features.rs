//! Learned features as images: rows of B and columns of A taken back to the data's pixel
//! space (through the transpose and the inverse of the preprocessing map), the neurons with
//! the largest decoder norm first. What the feature view draws and `e` writes as a PNG grid.

use crate::data::preprocess::Transform;
use crate::data::real::RealData;
use crate::model::Autoencoder;
use crate::protocol::{
    FeatureImages, FeatureKind, FeatureRequest, FeatureTile, ImageShape, ValidationStrip,
};
use crate::train::reconstructions;
use ndarray::ArrayView2;

/// How model coordinates become pixels: the data's preprocessing and its sample shape, or
/// (synthetic sources) the identity on a near-square image.
#[derive(Debug, Clone, Copy)]
pub struct PixelSpace<'a> {
    transform: Option<&'a Transform>,
    shape: ImageShape,
    /// Features the training data leaves (nearly) constant: a weight there is never exercised
    /// by the data (and an adaptive optimizer lets it drift freely), so it is drawn as 0.
    dead: Option<&'a [bool]>,
    /// The preprocessed validation split (`rows × d`), for the strip of reconstructions.
    val: Option<ArrayView2<'a, f32>>,
}

impl<'a> PixelSpace<'a> {
    /// The pixel space of a file source.
    pub fn of_data(data: &'a RealData) -> PixelSpace<'a> {
        let t = &data.prepared.transform;
        PixelSpace {
            transform: Some(t),
            shape: ImageShape::from_sample_shape(&data.train_file.shape, t.d_in()),
            dead: Some(&data.dead_features),
            val: Some(data.prepared.val.view()),
        }
    }

    /// The model's own input coordinates as a `d`-pixel image (synthetic sources).
    pub fn identity(d: usize) -> PixelSpace<'a> {
        PixelSpace {
            transform: None,
            shape: ImageShape::from_sample_shape(&[], d),
            dead: None,
            val: None,
        }
    }

    /// The image layout.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// The preprocessing and the preprocessed validation split (`rows × d`): None for a
    /// synthetic source, which has no images.
    pub fn validation(&self) -> Option<(&'a Transform, ArrayView2<'a, f32>)> {
        self.transform.zip(self.val)
    }

    /// One neuron's feature in pixels: its encoder row through Tᵀ, or its decoder column
    /// through T⁺.
    fn pixels(&self, model: &Autoencoder, kind: FeatureKind, neuron: usize) -> Vec<f32> {
        let v: Vec<f32> = match kind {
            FeatureKind::Encoder => model.b.row(neuron).to_vec(),
            FeatureKind::Decoder => model.a.column(neuron).to_vec(),
        };
        let mut px = match (self.transform, kind) {
            (None, _) => v,
            (Some(t), FeatureKind::Encoder) => t.pull_back(&v),
            (Some(t), FeatureKind::Decoder) => t.push_forward(&v),
        };
        if let Some(dead) = self.dead {
            px.iter_mut()
                .zip(dead)
                .filter(|(_, d)| **d)
                .for_each(|(p, _)| *p = 0.0);
        }
        px
    }
}

/// Neurons by decoder column norm, largest first (ties by index), with their norms.
pub fn by_decoder_norm(model: &Autoencoder) -> Vec<(usize, f32)> {
    let mut order: Vec<(usize, f32)> = model
        .a
        .columns()
        .into_iter()
        .map(|c| c.dot(&c).sqrt())
        .enumerate()
        .collect();
    // NaN norms (a diverged run) go last.
    order.sort_by(|x, y| {
        let key = |v: f32| if v.is_nan() { f32::NEG_INFINITY } else { v };
        key(y.1).total_cmp(&key(x.1)).then(x.0.cmp(&y.0))
    });
    order
}

/// The first `req.max_tiles` features of `req.kind` (by decoder norm) as images, and the
/// first `req.strip` validation images beside their reconstructions.
pub fn images(
    model: &Autoencoder,
    space: &PixelSpace,
    req: FeatureRequest,
    step: u64,
) -> FeatureImages {
    let kind = req.kind;
    let tiles = by_decoder_norm(model)
        .into_iter()
        .take(req.max_tiles)
        .map(|(neuron, decoder_norm)| FeatureTile {
            neuron,
            decoder_norm,
            pixels: space.pixels(model, kind, neuron),
        })
        .collect();
    FeatureImages {
        step,
        kind,
        shape: space.shape,
        n: model.n(),
        pixel_space: space.transform.is_some(),
        tiles,
        strip: match space.validation() {
            Some((t, val)) => reconstructions::strip(model, t, val, req.strip),
            None => ValidationStrip::Synthetic,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn model() -> Autoencoder {
        Autoencoder {
            b: array![
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 1.0, 0.0]
            ],
            a: array![
                [0.1, 3.0, 0.0],
                [0.0, 0.0, 1.0],
                [0.0, 0.0, 0.0],
                [0.0, 0.0, 0.0]
            ],
            act: crate::model::Activation::Sign,
        }
    }

    #[test]
    fn largest_decoder_norm_first_and_bounded() {
        let m = model();
        let order: Vec<usize> = by_decoder_norm(&m).iter().map(|p| p.0).collect();
        assert_eq!(order, [1, 2, 0]);
        let space = PixelSpace::identity(4);
        assert_eq!(
            space.shape(),
            ImageShape {
                channels: 1,
                height: 2,
                width: 2,
                channels_last: false
            }
        );
        let req = |kind, max_tiles| FeatureRequest {
            kind,
            max_tiles,
            strip: 3,
        };
        let enc = images(&m, &space, req(FeatureKind::Encoder, 2), 7);
        assert_eq!((enc.n, enc.step, enc.tiles.len()), (3, 7, 2));
        assert_eq!(enc.tiles[0].neuron, 1);
        assert_eq!(enc.tiles[0].pixels, [0.0, 1.0, 0.0, 0.0]);
        assert!((enc.tiles[0].decoder_norm - 3.0).abs() < 1e-6);
        let dec = images(&m, &space, req(FeatureKind::Decoder, 10), 7);
        assert_eq!(dec.tiles.len(), 3);
        assert_eq!(dec.tiles[1].pixels, [0.0, 1.0, 0.0, 0.0]);
        assert!(!dec.pixel_space);
        // A synthetic source has no validation images to show.
        assert_eq!(dec.strip, ValidationStrip::Synthetic);
    }
}
