//! Steps per second of the sample-mode training step (fresh N(0, I) batch, forward, backward,
//! update), on the configurations of shared/bench/README.md. Compare with
//! `python3 shared/bench/torch_ref.py --d D --r R --batch B --act sign --threads T`.
//!
//! Run: `cargo bench --bench train_step` (add `-- --quick` for fewer repetitions).

use aescope::config::Config;
use aescope::linalg::Parallelism;
use aescope::train::Trainer;
use std::time::Instant;

/// One f32 product of the step's size through faer (what the step uses) and through ndarray's
/// matrixmultiply, single thread: the ratio justifies the choice of GEMM.
fn gemm_comparison(quick: bool) {
    use aescope::linalg::gemm;
    use ndarray::Array2;
    println!(
        "{:>16} {:>12} {:>12} {:>8}",
        "m×k×n (f32)", "faer GF/s", "ndarray GF/s", "ratio"
    );
    for (m, k, n) in [
        (64usize, 256usize, 128usize),
        (256, 784, 392),
        (512, 2048, 2048),
    ] {
        let a = Array2::from_shape_fn((m, k), |(i, j)| ((i * 7 + j * 3) % 11) as f32 - 5.0);
        let b = Array2::from_shape_fn((k, n), |(i, j)| ((i * 5 + j * 2) % 13) as f32 - 6.0);
        let mut c = Array2::<f32>::zeros((m, n));
        let flops = 2.0 * (m * k * n) as f64;
        let reps = ((if quick { 2e9 } else { 1e10 }) / flops).ceil() as usize;
        let time = |f: &mut dyn FnMut()| {
            let mut best = f64::INFINITY;
            for _ in 0..3 {
                let t0 = Instant::now();
                for _ in 0..reps {
                    f();
                }
                best = best.min(t0.elapsed().as_secs_f64());
            }
            flops * reps as f64 / best / 1e9
        };
        let faer = time(&mut || {
            gemm(
                c.view_mut(),
                faer::Accum::Replace,
                a.view(),
                b.view(),
                1.0,
                Parallelism::Sequential,
            );
        });
        let nd = time(&mut || ndarray::linalg::general_mat_mul(1.0, &a, &b, 0.0, &mut c));
        println!(
            "{:>16} {faer:>12.1} {nd:>12.1} {:>7.2}×",
            format!("{m}×{k}×{n}"),
            faer / nd
        );
    }
    println!();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    gemm_comparison(quick);
    let configs = [
        (256usize, 0.5f64, 64usize),
        (784, 0.5, 256),
        (784, 2.0, 256),
        (2048, 1.0, 512),
    ];
    println!(
        "{:>6} {:>5} {:>6} {:>8} {:>12} {:>12} {:>10} {:>10}",
        "d", "r", "batch", "threads", "steps/s", "GEMM GF/s", "ms/step", "sampling"
    );
    for ((d, r, batch), par) in configs
        .into_iter()
        .flat_map(|c| [(c, Parallelism::Sequential), (c, Parallelism::Auto)])
    {
        let overrides = vec![
            format!("data.d={d}"),
            format!("model.rate={r}"),
            format!("train.batch={batch}"),
            "train.optimizer=sgd".to_string(),
            "train.lr=0.05".to_string(),
            "train.lr_final=0.05".to_string(),
            "eval.val_size=16".to_string(),
        ];
        // A missing preset fails the bench instead of measuring nothing.
        let cfg = Config::load("sign-r0.5", &overrides).unwrap_or_else(|e| panic!("{e}"));
        let mut t = Trainer::new(&cfg);
        t.set_parallelism(par);
        let threads = if par == Parallelism::Sequential { 1 } else { 2 };
        let n = cfg.n();
        for _ in 0..5 {
            t.step();
        }
        // Enough steps for ~1 s per repetition.
        let t0 = Instant::now();
        t.step();
        let per = t0.elapsed().as_secs_f64().max(1e-6);
        let steps = ((if quick { 0.3 } else { 1.0 }) / per).ceil() as usize;
        let reps = if quick { 3 } else { 5 };
        let mut rates: Vec<f64> = (0..reps)
            .map(|_| {
                let t0 = Instant::now();
                for _ in 0..steps {
                    t.step();
                }
                steps as f64 / t0.elapsed().as_secs_f64()
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        let med = rates[rates.len() / 2];
        let gflops = 10.0 * (batch * n * d) as f64 * med / 1e9;
        // The share of the step spent drawing the batch (ziggurat normals).
        let mut source = aescope::data::DataSource::new(&cfg.data, 3);
        let mut x = ndarray::Array2::<f32>::zeros((batch, d));
        let t0 = Instant::now();
        for _ in 0..steps {
            source.fill(x.view_mut());
        }
        let rng_share = t0.elapsed().as_secs_f64() / steps as f64 * med;
        println!(
            "{d:>6} {r:>5} {batch:>6} {threads:>8} {med:>12.1} {gflops:>12.1} {:>10.3} {:>9.1}%",
            1e3 / med,
            100.0 * rng_share
        );
    }
}
