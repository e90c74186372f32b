//! Throughput of the training step next to the machine's GEMM rate, for `aescope bench` and
//! the benches: a user sizing an experiment sees steps/s and how close the step runs to the
//! products it is made of.

use crate::linalg::{Parallelism, sgemm};
use crate::train::Trainer;
use ndarray::Array2;
use std::time::Instant;

/// The sizes of a sample-mode step: `batch` samples of dimension `d`, `n` hidden neurons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepShape {
    pub batch: usize,
    pub n: usize,
    pub d: usize,
}

impl StepShape {
    /// Floating-point operations of one step's five products (`U = X Bᵀ`, `X̂ = H Aᵀ`,
    /// `∂A = Eᵀ H`, `∂H = E A`, `∂B = ∂Uᵀ X`), each `2·batch·n·d`.
    pub fn flops(self) -> f64 {
        10.0 * (self.batch as f64) * (self.n as f64) * (self.d as f64)
    }
}

/// The step's five products alone: the same shapes, transposes and accumulation as
/// [`crate::model::Autoencoder::loss_and_grad`], on buffers of their own.
pub struct StepProducts {
    shape: StepShape,
    x: Array2<f32>,
    b: Array2<f32>,
    a: Array2<f32>,
    h: Array2<f32>,
    e: Array2<f32>,
    ga: Array2<f32>,
    gb: Array2<f32>,
}

impl StepProducts {
    pub fn new(shape: StepShape) -> Self {
        let StepShape { batch, n, d } = shape;
        // Any finite values do: the timing of a product does not depend on them.
        let fill = |r: usize, c: usize| {
            Array2::from_shape_fn((r, c), |(i, j)| ((i * 7 + j * 3) % 17) as f32 / 17.0 - 0.5)
        };
        StepProducts {
            shape,
            x: fill(batch, d),
            b: fill(n, d),
            a: fill(d, n),
            h: fill(batch, n),
            e: fill(batch, d),
            ga: Array2::zeros((d, n)),
            gb: Array2::zeros((n, d)),
        }
    }

    /// Run the five products once.
    pub fn run(&mut self, threads: usize) {
        let s = &mut *self;
        sgemm(s.h.view_mut(), false, s.x.view(), s.b.t(), 1.0, threads);
        sgemm(s.e.view_mut(), true, s.h.view(), s.a.t(), 1e-3, threads);
        sgemm(s.ga.view_mut(), false, s.e.t(), s.h.view(), 1e-3, threads);
        sgemm(s.h.view_mut(), false, s.e.view(), s.a.view(), 1e-3, threads);
        sgemm(s.gb.view_mut(), false, s.h.t(), s.x.view(), 1e-3, threads);
    }

    pub fn shape(&self) -> StepShape {
        self.shape
    }
}

/// Measured throughput: medians over interleaved rounds of steps and of the products alone.
#[derive(Debug, Clone, Copy)]
pub struct Throughput {
    pub shape: StepShape,
    /// Threads of the products.
    pub threads: usize,
    pub steps_per_s: f64,
    /// GFLOP/s of the five products inside the step (their FLOPs × steps/s).
    pub step_gflops: f64,
    /// GFLOP/s of the same five products run alone, back to back.
    pub gemm_gflops: f64,
}

impl Throughput {
    /// Samples per second (steps/s × batch).
    pub fn samples_per_s(&self) -> f64 {
        self.steps_per_s * self.shape.batch as f64
    }

    /// Share of the products' own rate that the step reaches (1 = the step costs no more than
    /// its products).
    pub fn ratio(&self) -> f64 {
        self.step_gflops / self.gemm_gflops
    }
}

/// Median of the rates of `rounds` timed runs of `f`, each repeated for about `secs` seconds.
fn rate_of(secs: f64, mut f: impl FnMut()) -> f64 {
    let t0 = Instant::now();
    f();
    let once = t0.elapsed().as_secs_f64().max(1e-7);
    let reps = ((secs / once).ceil() as usize).max(1);
    let t0 = Instant::now();
    for _ in 0..reps {
        f();
    }
    reps as f64 / t0.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Time `trainer`'s sample-mode step and the same products alone, in `rounds` interleaved
/// rounds of about `secs` seconds each (after a warm-up), and return the medians.
pub fn measure(trainer: &mut Trainer, rounds: usize, secs: f64) -> Throughput {
    let cfg = trainer.config();
    let shape = StepShape {
        batch: cfg.train.batch,
        n: trainer.model().n(),
        d: trainer.model().d(),
    };
    let threads = Parallelism::from_threads(cfg.train.threads).threads();
    let mut products = StepProducts::new(shape);
    for _ in 0..3 {
        trainer.step();
        products.run(threads);
    }
    let mut steps = Vec::new();
    let mut gemms = Vec::new();
    for _ in 0..rounds.max(1) {
        steps.push(rate_of(secs, || {
            trainer.step();
        }));
        gemms.push(rate_of(secs, || products.run(threads)));
    }
    let steps_per_s = median(steps);
    Throughput {
        shape,
        threads,
        steps_per_s,
        step_gflops: shape.flops() * steps_per_s / 1e9,
        gemm_gflops: shape.flops() * median(gemms) / 1e9,
    }
}
