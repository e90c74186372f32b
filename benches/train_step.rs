//! Steps per second of the real sample-mode training step (fresh N(0, I) batch on the sampler
//! thread, forward, backward, SGD update; sign with the straight-through estimator) on the
//! configurations of issue 12 and `shared/bench/README.md`, at 1 and 2 GEMM threads, next to the
//! same five products timed alone (in the step's layout and with plain contiguous operands).
//! Compare with `python3 shared/bench/torch_ref.py --d D --r R --batch B --act sign --threads T`
//! and `numpy_ref.py` (same flags); `scripts/side-by-side` interleaves the three.
//!
//! Run: `cargo bench --bench train_step` (`-- --quick` for shorter stretches, `-- --config
//! 784,2,256 --threads 2` for one row; `AESCOPE_SIMD=avx2` measures the AVX2 kernel on an
//! AVX-512 machine). The columns up to steps/s are the ones `shared/bench/side_by_side.sh`
//! parses.

use aescope::config::Config;
use aescope::linalg::Simd;
use aescope::train::Trainer;
use aescope::train::speed;

/// The value after `flag` on the command line, if any.
fn arg_after(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == flag)?;
    args.get(i + 1).cloned()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let only_config = arg_after("--config");
    let only_threads = arg_after("--threads");
    let (rounds, secs) = if quick { (1, 0.3) } else { (3, 1.0) };
    println!(
        "# {} kernel; medians of {rounds} interleaved rounds of {secs} s; the sampler draws \
         batches on a thread of its own; FLOPs per step = 10·batch·n·d (five products)",
        Simd::detect().name()
    );
    println!(
        "{:>6} {:>5} {:>6} {:>8} {:>10} {:>11} {:>10} {:>9} {:>9} {:>10} {:>7} {:>9} {:>9} {:>9}",
        "d",
        "r",
        "batch",
        "threads",
        "steps/s",
        "samples/s",
        "FLOP/step",
        "step GF/s",
        "prod GF/s",
        "plain GF/s",
        "ratio",
        "step GF/c",
        "prod GF/c",
        "ratio/c"
    );
    println!(
        "# GF/c: GFLOP per CPU-second of the calling thread (steadier under load; with 2 threads \
         its share is the critical path); ratio/c = step GF/c ÷ prod GF/c"
    );
    let configs = [
        (256usize, 0.5f64, 64usize),
        (784, 0.5, 256),
        (784, 2.0, 256),
        (2048, 1.0, 512),
    ];
    for (d, r, batch) in configs {
        if only_config
            .as_ref()
            .is_some_and(|c| *c != format!("{d},{r},{batch}"))
        {
            continue;
        }
        for threads in [1usize, 2] {
            if only_threads
                .as_ref()
                .is_some_and(|t| *t != threads.to_string())
            {
                continue;
            }
            let overrides = vec![
                format!("data.d={d}"),
                format!("model.rate={r}"),
                format!("train.batch={batch}"),
                format!("train.threads={threads}"),
                "train.optimizer=sgd".to_string(),
                "train.lr=0.05".to_string(),
                "train.lr_final=0.05".to_string(),
                "eval.val_size=16".to_string(),
            ];
            // A missing preset or key fails the bench instead of measuring something else.
            let cfg = Config::load("sign-r0.5", &overrides).unwrap_or_else(|e| panic!("{e}"));
            let mut trainer = Trainer::new(&cfg);
            let t = speed::measure(&mut trainer, rounds, secs);
            println!(
                "{d:>6} {r:>5} {batch:>6} {threads:>8} {:>10.1} {:>11.0} {:>10.3e} {:>9.1} {:>9.1} \
                 {:>10.1} {:>7.2} {:>9.1} {:>9.1} {:>9.2}",
                t.steps_per_s,
                t.samples_per_s(),
                t.shape.flops(),
                t.step_gflops,
                t.gemm_gflops,
                t.plain_gflops,
                t.ratio(),
                t.step_cpu_gflops,
                t.gemm_cpu_gflops,
                t.cpu_ratio()
            );
        }
    }
}
