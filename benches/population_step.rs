//! Timings of the population-GD hot path: `cargo bench --bench population_step`.
//! Plain `main` with `Instant`; every figure is the median of several repetitions.
//!
//! The first table states the FLOPs of one exact-risk gradient step (its matrix products), the
//! rate of those products inside the step and alone, and the machine's f64 GEMM rate measured
//! on the spot (a plain d×d×d product through the same faer kernels), at 1 and 2 threads.

use aescope::linalg::{self, Parallelism as Par};
use aescope::model::Activation;
use aescope::theory::diagnostics::{normalized_gram, symmetric_eigenvalues};
use aescope::theory::gaussian::{
    Covariance, Parallelism, PopulationWorkspace, moments, optimal_decoder, risk_and_grad,
};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use std::time::Instant;

fn gaussian(rng: &mut Xoshiro256PlusPlus, rows: usize, cols: usize, scale: f64) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || {
        scale * rng.sample::<f64, _>(StandardNormal)
    })
}

/// Median wall time in milliseconds over `reps` runs, after one warm-up run.
fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

fn row(what: &str, size: &str, ms: f64) {
    println!("{what:<52} {size:>16} {ms:>10.1} ms");
}

/// FLOPs of the products of one step at Σ = I: `BBᵀ` and `AᵀA` (symmetric, computed as half
/// products: n²d each), `Q P` and `A K` (2n²d each).
fn step_flops(n: usize, d: usize) -> f64 {
    6.0 * (n * n) as f64 * d as f64
}

/// The step's products alone, on the step's shapes and layouts (see `theory::gaussian::grad`).
fn products(a: &Array2<f64>, b: &Array2<f64>, s: &mut [Array2<f64>; 5], par: Par) {
    let [q, w, k, ga, gb] = s;
    let inv_d = 1.0 / b.ncols() as f64;
    linalg::gemm_symmetric(q.view_mut(), b.view(), b.t(), 1.0, par);
    linalg::gemm_symmetric(w.view_mut(), a.t(), a.view(), inv_d, par);
    linalg::gemm(
        gb.view_mut(),
        faer::Accum::Add,
        q.view(),
        b.view(),
        1.0,
        par,
    );
    linalg::gemm(
        ga.view_mut(),
        faer::Accum::Replace,
        a.view(),
        k.view(),
        inv_d,
        par,
    );
}

/// Step time, products alone and a plain f64 GEMM, each as GFLOP/s, n = d = 1000, sign, Σ = I.
fn rates_against_gemm(rng: &mut Xoshiro256PlusPlus, reps: usize) {
    let (n, d) = (1000, 1000);
    let b = gaussian(rng, n, d, 1.0 / (d as f64).sqrt());
    let a = gaussian(rng, d, n, 1.0 / (d as f64).sqrt());
    let x = gaussian(rng, d, d, 1.0);
    let y = gaussian(rng, d, d, 1.0);
    let mut z = Array2::zeros((d, d));
    let cov = Covariance::Identity(d);
    let flops = step_flops(n, d);
    println!("population step, sign, Σ = I, n = {n}, d = {d}: {flops:.3e} FLOPs in its products");
    println!(
        "{:<8} {:>9} {:>10} {:>13} {:>13} {:>11} {:>11}",
        "threads",
        "step ms",
        "step GF/s",
        "products GF/s",
        "f64 GEMM GF/s",
        "step/GEMM",
        "prod/GEMM"
    );
    for (threads, par) in [(1, Par::Sequential), (2, Par::Threads(2))] {
        let mut ws = PopulationWorkspace::with_parallelism(n, d, par);
        let mut ga = Array2::zeros((d, n));
        let mut gb = Array2::zeros((n, d));
        let mut bufs = [
            Array2::zeros((n, n)),
            Array2::zeros((n, n)),
            Array2::from_elem((n, n), 0.1),
            Array2::zeros((d, n)),
            Array2::zeros((n, d)),
        ];
        // Interleaved: the three timings see the same load.
        let (mut step, mut prod, mut gemm) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..3 {
            step.push(median_ms(reps, || {
                black_box(
                    ws.risk_and_grad_into(
                        Activation::Sign,
                        a.view(),
                        b.view(),
                        &cov,
                        ga.view_mut(),
                        gb.view_mut(),
                    )
                    .ok(),
                );
            }));
            prod.push(median_ms(reps, || products(&a, &b, &mut bufs, par)));
            gemm.push(median_ms(reps, || {
                linalg::gemm(
                    z.view_mut(),
                    faer::Accum::Replace,
                    x.view(),
                    y.view(),
                    1.0,
                    par,
                );
                black_box(&z);
            }));
        }
        let [step, prod, gemm] = [step, prod, gemm].map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[1]
        });
        let rate = |flops: f64, ms: f64| flops / ms / 1e6;
        let (sg, pg, gg) = (
            rate(flops, step),
            rate(flops, prod),
            rate(2.0 * (d * d * d) as f64, gemm),
        );
        println!(
            "{threads:<8} {step:>9.1} {sg:>10.1} {pg:>13.1} {gg:>13.1} {:>10.0}% {:>10.0}%",
            100.0 * sg / gg,
            100.0 * pg / gg
        );
    }
    println!();
}

#[allow(
    clippy::too_many_lines,
    reason = "a benchmark script: one table, top to bottom"
)]
fn main() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let reps = 7;
    rates_against_gemm(&mut rng, reps);
    println!("{:<52} {:>16} {:>13}", "operation", "size", "median");
    for (n, d) in [(1000, 1000), (500, 1000)] {
        let size = format!("n={n} d={d}");
        let b = gaussian(&mut rng, n, d, 1.0 / (d as f64).sqrt());
        let a = gaussian(&mut rng, d, n, 1.0 / (d as f64).sqrt());
        let cov = Covariance::Identity(d);
        let ms = median_ms(reps, || {
            black_box(risk_and_grad(Activation::Sign, a.view(), b.view(), &cov).ok());
        });
        row("risk_and_grad sign Σ=I (allocating)", &size, ms);
        for par in [Parallelism::Auto, Parallelism::Sequential] {
            let mut ws = PopulationWorkspace::with_parallelism(n, d, par);
            let mut ga = Array2::zeros((d, n));
            let mut gb = Array2::zeros((n, d));
            for act in [Activation::Sign, Activation::Relu, Activation::Erf] {
                let ms = median_ms(reps, || {
                    black_box(
                        ws.risk_and_grad_into(
                            act,
                            a.view(),
                            b.view(),
                            &cov,
                            ga.view_mut(),
                            gb.view_mut(),
                        )
                        .ok(),
                    );
                });
                row(
                    &format!("workspace risk_and_grad_into {act} Σ=I {par:?}"),
                    &size,
                    ms,
                );
            }
        }
        let full = Covariance::Full({
            let l = gaussian(&mut rng, d, d, 1.0 / (d as f64).sqrt());
            l.dot(&l.t())
        });
        let mut ws = PopulationWorkspace::new(n, d);
        let mut ga = Array2::zeros((d, n));
        let mut gb = Array2::zeros((n, d));
        let ms = median_ms(reps, || {
            black_box(
                ws.risk_and_grad_into(
                    Activation::Sign,
                    a.view(),
                    b.view(),
                    &full,
                    ga.view_mut(),
                    gb.view_mut(),
                )
                .ok(),
            );
        });
        row("workspace risk_and_grad_into sign Σ full Auto", &size, ms);
        let m = moments(Activation::Sign, b.view(), &cov);
        if let Ok(m) = m {
            let ms = median_ms(5, || {
                black_box(optimal_decoder(&m, &cov).ok());
            });
            row("optimal_decoder (Cholesky)", &size, ms);
        }
    }

    // The product kernel behind the step: faer (rayon / sequential) against ndarray's `dot`.
    let x = gaussian(&mut rng, 1000, 1000, 1.0);
    let y = gaussian(&mut rng, 1000, 1000, 1.0);
    let ms = median_ms(reps, || {
        black_box(x.dot(&y));
    });
    row("GEMM ndarray dot (matrixmultiply)", "1000³", ms);
    for par in [faer::Par::rayon(0), faer::Par::Seq] {
        let xf = faer::Mat::from_fn(1000, 1000, |i, j| x[[i, j]]);
        let yf = faer::Mat::from_fn(1000, 1000, |i, j| y[[i, j]]);
        let mut zf = faer::Mat::<f64>::zeros(1000, 1000);
        let ms = median_ms(reps, || {
            faer::linalg::matmul::matmul(
                zf.as_mut(),
                faer::Accum::Replace,
                xf.as_ref(),
                yf.as_ref(),
                1.0,
                par,
            );
            black_box(&zf);
        });
        row(&format!("GEMM faer {par:?}"), "1000³", ms);
    }

    // Scalar code on the caller's thread after a step: stays fast only because the module clears
    // the AVX upper state that faer's kernels leave dirty (see `clear_upper_simd_state`).
    let xs: Vec<f64> = (0..1_000_000)
        .map(|i| (f64::from(i) * 1e-6 - 0.5) * 0.1)
        .collect();
    let small_b = gaussian(&mut rng, 200, 200, 0.07);
    let small_a = gaussian(&mut rng, 200, 200, 0.07);
    let ms = median_ms(reps, || {
        black_box(
            risk_and_grad(
                Activation::Sign,
                small_a.view(),
                small_b.view(),
                &Covariance::Identity(200),
            )
            .ok(),
        );
        let t = Instant::now();
        black_box(xs.iter().map(|x| black_box(*x).asin()).sum::<f64>());
        black_box(t.elapsed());
    });
    row("risk_and_grad (n=d=200) then 1e6 scalar asin", "", ms);

    let b = gaussian(&mut rng, 2000, 4000, 1.0);
    let g = normalized_gram(b.view());
    let ms = median_ms(5, || {
        black_box(normalized_gram(b.view()));
    });
    row("normalized_gram", "n=2000 d=4000", ms);
    let ms = median_ms(5, || {
        black_box(symmetric_eigenvalues(g.view()).ok());
    });
    row("symmetric_eigenvalues", "n=2000", ms);
}
