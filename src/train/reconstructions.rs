//! The strip of the feature view: a few fixed validation images beside the current model's
//! reconstructions `x̂ = A σ(Bz)`, both taken back to the file's pixels through the inverse of
//! the preprocessing, so a person sees what the model keeps of an image.

use crate::data::preprocess::Transform;
use crate::model::Autoencoder;
use crate::protocol::{Reconstruction, ValidationStrip};
use ndarray::{ArrayView2, Axis, s};

/// The first `count` rows of the preprocessed validation split `val` (`rows × d`) and their
/// reconstructions by `model`, in the file's units through `transform`'s inverse.
pub fn strip(
    model: &Autoencoder,
    transform: &Transform,
    val: ArrayView2<'_, f32>,
    count: usize,
) -> ValidationStrip {
    let z = val.slice(s![..count.min(val.nrows()), ..]);
    if z.nrows() == 0 || z.ncols() != model.d() {
        return ValidationStrip::Images(Vec::new());
    }
    // A handful of rows: a plain product, not the training path's GEMM workspace.
    let act = model.act;
    let h = z.dot(&model.b.t()).mapv(|u| act.eval(u));
    let z_hat = h.dot(&model.a.t());
    let originals = transform.invert(z);
    let recons = transform.invert(z_hat.view());
    let d = z.ncols().max(1) as f64;
    let images = z
        .axis_iter(Axis(0))
        .zip(z_hat.axis_iter(Axis(0)))
        .zip(originals.axis_iter(Axis(0)).zip(recons.axis_iter(Axis(0))))
        .enumerate()
        .map(|(row, ((zi, zh), (orig, rec)))| Reconstruction {
            row,
            original: orig.to_vec(),
            reconstruction: rec.to_vec(),
            risk: zi
                .iter()
                .zip(zh)
                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
                .sum::<f64>()
                / d,
        })
        .collect();
    ValidationStrip::Images(images)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::preprocess::Map;
    use crate::model::{Activation, Workspace};
    use ndarray::{Array2, array};
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn gaussian(rows: usize, cols: usize, rng: &mut Xoshiro256PlusPlus) -> Array2<f32> {
        Array2::from_shape_fn((rows, cols), |_| rng.sample(StandardNormal))
    }

    /// A projecting transform from 5 pixels to d = 3 and its pseudo-inverse: the strip must
    /// equal a forward pass written out by hand, in f64, through `μ + T⁺ẑ`.
    #[test]
    fn reconstructions_are_the_forward_pass_taken_back_through_the_inverse() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let forward = array![
            [1.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.5, 0.5, 0.0, 0.0],
            [0.0, 0.0, 0.0, 2.0, -1.0]
        ];
        let inverse = array![
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 0.4],
            [0.0, 0.0, -0.2]
        ];
        let mean = vec![10.0, 20.0, 30.0, 40.0, 50.0];
        let transform = Transform {
            mean: mean.clone(),
            map: Map::Matrix {
                forward,
                inverse: inverse.clone(),
            },
        };
        for act in [Activation::Sign, Activation::Relu, Activation::Tanh] {
            let model = Autoencoder {
                b: gaussian(4, 3, &mut rng),
                a: gaussian(3, 4, &mut rng),
                act,
            };
            let val = gaussian(6, 3, &mut rng);
            let ValidationStrip::Images(strip) = strip(&model, &transform, val.view(), 4) else {
                panic!("a data file has images")
            };
            assert_eq!(strip.len(), 4, "the first 4 of 6 rows");
            for (i, r) in strip.iter().enumerate() {
                assert_eq!(r.row, i);
                let z: Vec<f64> = val.row(i).iter().map(|&v| f64::from(v)).collect();
                let h: Vec<f64> = (0..4)
                    .map(|j| {
                        let u: f64 = (0..3).map(|k| f64::from(model.b[[j, k]]) * z[k]).sum();
                        act.eval_f64(u)
                    })
                    .collect();
                let z_hat: Vec<f64> = (0..3)
                    .map(|k| (0..4).map(|j| f64::from(model.a[[k, j]]) * h[j]).sum())
                    .collect();
                let back = |v: &[f64], p: usize| {
                    mean[p] + (0..3).map(|k| inverse[[p, k]] * v[k]).sum::<f64>()
                };
                for p in 0..5 {
                    let (want_x, want_r) = (back(&z, p), back(&z_hat, p));
                    assert!(
                        (f64::from(r.original[p]) - want_x).abs() < 1e-4,
                        "{act:?} x {p}"
                    );
                    assert!(
                        (f64::from(r.reconstruction[p]) - want_r).abs()
                            < 1e-4 * want_r.abs().max(1.0),
                        "{act:?} row {i} pixel {p}: {} vs {want_r}",
                        r.reconstruction[p]
                    );
                }
                let risk = z
                    .iter()
                    .zip(&z_hat)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    / 3.0;
                assert!((r.risk - risk).abs() < 1e-5 * risk.max(1.0), "{act:?}");
            }
            // The risks are the training path's own error on those rows (its GEMMs, its
            // activation), per image and per coordinate.
            let rows = val.slice(s![..4, ..]);
            let sse = model.sum_sq_error(rows, 4, &mut Workspace::default());
            let sum: f64 = strip.iter().map(|r| r.risk).sum();
            assert!(
                (sum * 3.0 - sse).abs() < 1e-4 * sse.max(1.0),
                "{act:?}: {sum} vs {sse}"
            );
        }
    }

    #[test]
    fn scale_map_and_short_validation_sets() {
        let transform = Transform {
            mean: vec![1.0, 2.0],
            map: Map::Scale(0.5),
        };
        // A = 0 reconstructs nothing: x̂ is the mean; x = μ + z / c.
        let model = Autoencoder {
            b: array![[1.0, 0.0]],
            a: array![[0.0], [0.0]],
            act: Activation::Sign,
        };
        let val = array![[2.0f32, -4.0]];
        let ValidationStrip::Images(s) = strip(&model, &transform, val.view(), 8) else {
            panic!()
        };
        assert_eq!(s.len(), 1, "only the rows there are");
        assert_eq!(s[0].original, [5.0, -6.0]);
        assert_eq!(s[0].reconstruction, [1.0, 2.0]);
        assert!((s[0].risk - 10.0).abs() < 1e-12);
        let empty = Array2::<f32>::zeros((0, 2));
        assert_eq!(
            strip(&model, &transform, empty.view(), 8),
            ValidationStrip::Images(Vec::new())
        );
    }
}
