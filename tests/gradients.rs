//! Every hand-written gradient of the minibatch loss against central finite differences of an
//! independent f64 implementation of the same loss.

use aescope::model::{Activation, Autoencoder, Grads, Surrogate, Workspace};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;

const D: usize = 7;
const N: usize = 5;
const BATCH: usize = 6;

/// (1/(d·batch)) Σ ‖x − A f(Bx)‖² in f64, written from the definition.
fn loss_f64(a: &Array2<f64>, b: &Array2<f64>, x: &Array2<f64>, f: &dyn Fn(f64) -> f64) -> f64 {
    let mut total = 0.0;
    for s in 0..BATCH {
        let h: Vec<f64> = (0..N)
            .map(|j| f((0..D).map(|l| b[[j, l]] * x[[s, l]]).sum()))
            .collect();
        for k in 0..D {
            let xhat: f64 = (0..N).map(|j| a[[k, j]] * h[j]).sum();
            total += (x[[s, k]] - xhat).powi(2);
        }
    }
    total / (D * BATCH) as f64
}

fn random(rows: usize, cols: usize, scale: f64, rng: &mut Xoshiro256PlusPlus) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |_| {
        (scale * rng.sample::<f64, _>(StandardNormal)) as f32
    })
}

/// Central differences of `loss_f64` at the model's (f32) weights; compares with `analytic`.
fn check(act: Activation, surrogate: Surrogate, f: &dyn Fn(f64) -> f64, seed: u64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let model = Autoencoder {
        b: random(N, D, 0.6, &mut rng),
        a: random(D, N, 0.5, &mut rng),
        act,
    };
    let x = random(BATCH, D, 1.0, &mut rng);
    let mut grads = Grads::zeros(N, D);
    model.loss_and_grad(x.view(), surrogate, &mut Workspace::default(), &mut grads);

    let a64 = model.a.mapv(f64::from);
    let b64 = model.b.mapv(f64::from);
    let x64 = x.mapv(f64::from);
    let h = 1e-5;
    let mut worst: f64 = 0.0;
    let scale = grads
        .a
        .iter()
        .chain(grads.b.iter())
        .map(|g| f64::from(g.abs()))
        .fold(0.0, f64::max);
    assert!(scale > 1e-4, "{act}: gradient is trivially zero");
    for (which, shape) in [("A", (D, N)), ("B", (N, D))] {
        for i in 0..shape.0 {
            for j in 0..shape.1 {
                let (mut ap, mut bp) = (a64.clone(), b64.clone());
                let (mut am, mut bm) = (a64.clone(), b64.clone());
                if which == "A" {
                    ap[[i, j]] += h;
                    am[[i, j]] -= h;
                } else {
                    bp[[i, j]] += h;
                    bm[[i, j]] -= h;
                }
                let fd = (loss_f64(&ap, &bp, &x64, f) - loss_f64(&am, &bm, &x64, f)) / (2.0 * h);
                let an = f64::from(if which == "A" {
                    grads.a[[i, j]]
                } else {
                    grads.b[[i, j]]
                });
                let err = (fd - an).abs() / scale;
                worst = worst.max(err);
                assert!(
                    err < 1e-4,
                    "{act} {surrogate:?}: ∂/∂{which}[{i},{j}] analytic {an:.7} vs finite difference {fd:.7}"
                );
            }
        }
    }
    eprintln!("{act} {surrogate:?}: worst relative error {worst:.2e}");
}

#[test]
fn relu_gradient() {
    check(Activation::Relu, Surrogate::Exact, &|u: f64| u.max(0.0), 1);
}

#[test]
fn tanh_gradient() {
    check(Activation::Tanh, Surrogate::Exact, &f64::tanh, 2);
}

#[test]
fn erf_gradient() {
    check(Activation::Erf, Surrogate::Exact, &libm::erf, 3);
}

#[test]
fn linear_gradient() {
    check(Activation::Linear, Surrogate::Exact, &|u: f64| u, 4);
}

#[test]
fn tanh_relaxation_of_sign_gradient() {
    let beta = 2.5;
    check(
        Activation::Sign,
        Surrogate::Tanh { beta: beta as f32 },
        &move |u: f64| (beta * u).tanh(),
        5,
    );
}

#[test]
fn relaxed_training_reports_the_true_sign_loss() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
    let model = Autoencoder {
        b: random(N, D, 0.6, &mut rng),
        a: random(D, N, 0.5, &mut rng),
        act: Activation::Sign,
    };
    let x = random(BATCH, D, 1.0, &mut rng);
    let mut grads = Grads::zeros(N, D);
    let reported = model.loss_and_grad(
        x.view(),
        Surrogate::Tanh { beta: 0.7 },
        &mut Workspace::default(),
        &mut grads,
    );
    let sign = |u: f64| if u >= 0.0 { 1.0 } else { -1.0 };
    let truth = loss_f64(
        &model.a.mapv(f64::from),
        &model.b.mapv(f64::from),
        &x.mapv(f64::from),
        &sign,
    );
    assert!(
        (reported - truth).abs() < 1e-5 * truth,
        "{reported} vs {truth}"
    );
}

#[test]
fn straight_through_estimator_is_the_window_indicator() {
    // With A = I-like decoder the STE gradient in B is (∂loss/∂h) 1{|u| ≤ 1} xᵀ: rows whose
    // pre-activations all lie outside the window get exactly zero gradient.
    let model = Autoencoder {
        b: Array2::from_shape_vec((2, 2), vec![1.0, 0.0, 0.0, 1.0]).unwrap_or_default(),
        a: Array2::from_shape_vec((2, 2), vec![0.5, 0.0, 0.0, 0.5]).unwrap_or_default(),
        act: Activation::Sign,
    };
    let x = Array2::from_shape_vec((1, 2), vec![0.2f32, 3.0]).unwrap_or_default();
    let mut g = Grads::zeros(2, 2);
    model.loss_and_grad(x.view(), Surrogate::Ste, &mut Workspace::default(), &mut g);
    assert!(
        g.b.row(0).iter().any(|v| *v != 0.0),
        "inside the window: gradient flows"
    );
    assert!(
        g.b.row(1).iter().all(|v| *v == 0.0),
        "outside the window: no gradient"
    );
}

/// The fused SGD step (update added inside the products) against the stored gradient and an
/// explicit update, for each way sign is trained through and for a smooth activation.
#[test]
fn fused_sgd_step_is_the_stored_gradient_step() {
    let cases = [
        (Activation::Sign, Surrogate::Ste),
        (Activation::Sign, Surrogate::Tanh { beta: 2.0 }),
        (Activation::Relu, Surrogate::Exact),
    ];
    for (seed, (act, surrogate)) in cases.into_iter().enumerate() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(40 + seed as u64);
        let mut model = Autoencoder {
            b: random(N, D, 0.6, &mut rng),
            a: random(D, N, 0.5, &mut rng),
            act,
        };
        if act == Activation::Sign {
            model.normalize_rows();
        }
        let x = random(BATCH, D, 1.0, &mut rng);
        let lr = 0.3;
        let mut grads = Grads::zeros(N, D);
        let stored =
            model.loss_and_grad(x.view(), surrogate, &mut Workspace::default(), &mut grads);
        let mut expected = model.clone();
        expected.a.scaled_add(-lr, &grads.a);
        expected.b.scaled_add(-lr, &grads.b);
        if act == Activation::Sign {
            expected.normalize_rows();
        }

        for learn_decoder in [true, false] {
            let mut fused = model.clone();
            let (loss, applied) = fused.sgd_step(
                x.view(),
                surrogate,
                &mut Workspace::default(),
                lr,
                learn_decoder,
            );
            assert!(applied, "{act}: a small step was refused");
            assert_eq!(loss.to_bits(), stored.to_bits(), "{act}: the loss differs");
            let worst = |got: &Array2<f32>, want: &Array2<f32>| {
                got.iter()
                    .zip(want)
                    .map(|(g, w)| (g - w).abs())
                    .fold(0.0f32, f32::max)
            };
            assert!(worst(&fused.b, &expected.b) < 1e-6, "{act}: B differs");
            if learn_decoder {
                assert!(worst(&fused.a, &expected.a) < 1e-6, "{act}: A differs");
                // Not a tautology: the step moved A by far more than the tolerance.
                assert!(worst(&fused.a, &model.a) > 1e-3, "{act}: A did not move");
            } else {
                assert!(fused.a == model.a, "{act}: a fixed decoder was changed");
            }
        }
    }
}

/// A step whose update could leave the f32 range, or whose loss is not finite, is not taken
/// and leaves the weights as they were (the run then pauses as diverged).
#[test]
fn fused_sgd_step_refuses_a_step_that_could_overflow() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut model = Autoencoder {
        b: random(N, D, 0.6, &mut rng),
        a: random(D, N, 0.5, &mut rng),
        act: Activation::Relu,
    };
    let before = model.clone();
    let x = random(BATCH, D, 1.0, &mut rng);
    let mut ws = Workspace::default();
    let (loss, applied) = model.sgd_step(x.view(), Surrogate::Exact, &mut ws, 1e36, true);
    assert!(loss.is_finite() && !applied, "lr 1e36 was applied");
    assert!(model == before, "a refused step changed the weights");

    let mut bad = x.clone();
    bad[[2, 3]] = f32::NAN;
    let (loss, applied) = model.sgd_step(bad.view(), Surrogate::Exact, &mut ws, 0.1, true);
    assert!(loss.is_nan() && !applied, "a NaN sample was applied");
    assert!(model == before, "a refused step changed the weights");
    let (_, applied) = model.sgd_step(x.view(), Surrogate::Exact, &mut ws, 0.1, true);
    assert!(
        applied && model != before,
        "a sound step after a refused one was not taken"
    );
}
