//! `aescope bench`: steps/s of a preset's training step, and how close the step runs to the
//! machine's rate for the same five matrix products, measured on the spot.

use crate::config::{Config, DEFAULT_PRESET};
use crate::linalg::Simd;
use crate::protocol::TrainMode;
use crate::train::Trainer;
use crate::train::speed::{self, Throughput};
use anyhow::{Result, bail};
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Preset: a TOML file, or a built-in name (see `aescope presets`). Default: sign-r0.5.
    pub preset: Option<String>,
    /// Override a preset field, e.g. --set data.d=2048 --set model.rate=1 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Threads of the matrix products (overrides train.threads; 0 = every core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Interleaved rounds of steps and of the products alone; medians are reported.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub rounds: usize,
    /// Seconds of each timed stretch.
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    pub seconds: f64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(args: &BenchArgs) -> Result<i32> {
    let mut overrides = args.set.clone();
    if let Some(t) = args.threads {
        overrides.push(format!("train.threads={t}"));
    }
    let preset = args.preset.as_deref().unwrap_or(DEFAULT_PRESET);
    let cfg = Config::load(preset, &overrides)?;
    if cfg.train.mode == TrainMode::Population {
        bail!(
            "{preset}: train.mode = population: `aescope bench` measures the sample-mode step \
             (five f32 products); time population GD with `cargo bench --bench population_step`"
        );
    }
    if !(args.seconds.is_finite() && args.seconds > 0.0 && args.seconds <= 600.0) {
        bail!("--seconds {}: expected a number in (0, 600]", args.seconds);
    }
    let mut trainer = Trainer::new(&cfg);
    let t = speed::measure(&mut trainer, args.rounds.clamp(1, 100), args.seconds);
    if args.json {
        println!("{}", json(&cfg, &t));
    } else {
        print!("{}", table(&cfg, &t));
    }
    Ok(0)
}

fn json(cfg: &Config, t: &Throughput) -> serde_json::Value {
    serde_json::json!({
        "preset": cfg.name,
        "d": t.shape.d,
        "n": t.shape.n,
        "batch": t.shape.batch,
        "threads": t.threads,
        "sampler_thread": true,
        "simd": Simd::detect().name(),
        "steps_per_s": t.steps_per_s,
        "samples_per_s": t.samples_per_s(),
        "flops_per_step": t.shape.flops(),
        "step_gflops": t.step_gflops,
        "gemm_gflops": t.gemm_gflops,
        "plain_gemm_gflops": t.plain_gflops,
        "ratio": t.ratio(),
    })
}

fn table(cfg: &Config, t: &Throughput) -> String {
    let s = t.shape;
    format!(
        "{name}: d = {d}, n = {n}, batch = {b}; {threads} GEMM thread(s), {simd} kernel; \
         the sampler draws batches on a thread of its own\n\
         steps/s            {steps:>10.1}\n\
         samples/s          {samples:>10.0}\n\
         FLOPs per step     {flops:>10.3e}  (five products of 2·batch·n·d)\n\
         step GFLOP/s       {sg:>10.1}  (those FLOPs × steps/s)\n\
         products GFLOP/s   {pg:>10.1}  (the same five products alone, measured now)\n\
         plain GEMM GFLOP/s {plain:>10.1}  (their shapes, contiguous untransposed operands)\n\
         ratio              {ratio:>10.2}  (step ÷ the faster of the two)\n",
        name = cfg.name,
        d = s.d,
        n = s.n,
        b = s.batch,
        threads = t.threads,
        simd = Simd::detect().name(),
        steps = t.steps_per_s,
        samples = t.samples_per_s(),
        flops = s.flops(),
        sg = t.step_gflops,
        pg = t.gemm_gflops,
        plain = t.plain_gflops,
        ratio = t.ratio(),
    )
}
