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
