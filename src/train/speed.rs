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

/// How [`StepProducts`] lays out its operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// As the step runs them: the same transposes and accumulation as
    /// [`crate::model::Autoencoder::loss_and_grad`] (row-major buffers, some read transposed).
    Step,
    /// Every operand contiguous and row-major, nothing transposed, nothing accumulated: the
    /// plain `m×k · k×n` products a GEMM probe (`shared/bench/gemm_probe.py`) times.
    Plain,
}

/// The step's five products alone, on buffers of their own, in a given [`Layout`].
pub struct StepProducts {
    shape: StepShape,
    layout: Layout,
    x: Array2<f32>,
    b: Array2<f32>,
    a: Array2<f32>,
    h: Array2<f32>,
    e: Array2<f32>,
    ga: Array2<f32>,
    gb: Array2<f32>,
    /// Plain layout only: the operands the step reads transposed, stored transposed (`Eᵀ`, `Hᵀ`).
    et: Array2<f32>,
    ht: Array2<f32>,
}

impl StepProducts {
    pub fn new(shape: StepShape) -> Self {
        Self::with_layout(shape, Layout::Step)
    }

    pub fn with_layout(shape: StepShape, layout: Layout) -> Self {
        let StepShape { batch, n, d } = shape;
        // Any finite values do: the timing of a product does not depend on them.
        let fill = |r: usize, c: usize| {
            Array2::from_shape_fn((r, c), |(i, j)| ((i * 7 + j * 3) % 17) as f32 / 17.0 - 0.5)
        };
        let plain = |r: usize, c: usize| {
            if layout == Layout::Plain {
                fill(r, c)
            } else {
                Array2::zeros((0, 0))
            }
        };
        StepProducts {
            shape,
            layout,
            x: fill(batch, d),
            b: fill(n, d),
            a: fill(d, n),
            h: fill(batch, n),
            e: fill(batch, d),
            ga: Array2::zeros((d, n)),
            gb: Array2::zeros((n, d)),
            et: plain(d, batch),
            ht: plain(n, batch),
        }
    }

    /// Run the five products once.
    pub fn run(&mut self, threads: usize) {
        let s = &mut *self;
        match s.layout {
            Layout::Step => {
                sgemm(s.h.view_mut(), false, s.x.view(), s.b.t(), 1.0, threads);
                sgemm(s.e.view_mut(), true, s.h.view(), s.a.t(), 1e-3, threads);
                sgemm(s.ga.view_mut(), false, s.e.t(), s.h.view(), 1e-3, threads);
                sgemm(s.h.view_mut(), false, s.e.view(), s.a.view(), 1e-3, threads);
                sgemm(s.gb.view_mut(), false, s.h.t(), s.x.view(), 1e-3, threads);
            }
            Layout::Plain => {
                // (batch×d)(d×n), (batch×n)(n×d), (d×batch)(batch×n), (batch×d)(d×n),
                // (n×batch)(batch×d): the step's shapes, operands already in place.
                sgemm(s.h.view_mut(), false, s.x.view(), s.a.view(), 1.0, threads);
                sgemm(s.e.view_mut(), false, s.h.view(), s.b.view(), 1e-3, threads);
                sgemm(
                    s.ga.view_mut(),
                    false,
                    s.et.view(),
                    s.h.view(),
                    1e-3,
                    threads,
                );
                sgemm(s.h.view_mut(), false, s.e.view(), s.a.view(), 1e-3, threads);
                sgemm(
                    s.gb.view_mut(),
                    false,
                    s.ht.view(),
                    s.x.view(),
                    1e-3,
                    threads,
                );
            }
        }
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
    /// GFLOP/s of the same five products run alone, back to back ([`Layout::Step`]).
    pub gemm_gflops: f64,
    /// GFLOP/s of the five products' shapes with contiguous, untransposed operands
    /// ([`Layout::Plain`]): the plain GEMM rate of this machine at the step's sizes.
    pub plain_gflops: f64,
    /// The step's FLOPs per CPU-second of the calling thread (NaN without a thread clock):
    /// on a loaded machine steadier than wall time, and with several threads the calling
    /// thread's share is the step's critical path (work left unsplit lands there).
    pub step_cpu_gflops: f64,
    /// The same for the products alone ([`Layout::Step`]).
    pub gemm_cpu_gflops: f64,
}

impl Throughput {
    /// Samples per second (steps/s × batch).
    pub fn samples_per_s(&self) -> f64 {
        self.steps_per_s * self.shape.batch as f64
    }

    /// The machine's GEMM rate at the step's sizes: the faster of the products alone in the
    /// step's layout and in the plain one.
    pub fn ceiling_gflops(&self) -> f64 {
        self.gemm_gflops.max(self.plain_gflops)
    }

    /// Share of that GEMM rate the step reaches (1 = the step costs no more than its products
    /// at their fastest).
    pub fn ratio(&self) -> f64 {
        self.step_gflops / self.ceiling_gflops()
    }

    /// [`Throughput::ratio`] in CPU-seconds of the calling thread, against the products alone
    /// in the step's layout.
    pub fn cpu_ratio(&self) -> f64 {
        self.step_cpu_gflops / self.gemm_cpu_gflops
    }
}

/// CPU time of the calling thread, in seconds; NaN where there is no such clock.
fn thread_cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut ts) } == 0 {
            return ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
        }
    }
    f64::NAN
}

/// Calls of `f` per second of wall time and per CPU-second of the calling thread, repeated for
/// about `secs` seconds (after one call that sets the count).
fn rate_of(secs: f64, mut f: impl FnMut()) -> (f64, f64) {
    let t0 = Instant::now();
    f();
    let once = t0.elapsed().as_secs_f64().max(1e-7);
    let reps = ((secs / once).ceil() as usize).max(1);
    let (t0, cpu0) = (Instant::now(), thread_cpu_seconds());
    for _ in 0..reps {
        f();
    }
    let cpu = thread_cpu_seconds() - cpu0;
    (reps as f64 / t0.elapsed().as_secs_f64(), reps as f64 / cpu)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Time `trainer`'s sample-mode step and the same products alone (in both layouts), in
/// `rounds` interleaved rounds of about `secs` seconds each (after a warm-up), and return the
/// medians.
pub fn measure(trainer: &mut Trainer, rounds: usize, secs: f64) -> Throughput {
    let cfg = trainer.config();
    let shape = StepShape {
        batch: cfg.train.batch,
        n: trainer.model().n(),
        d: trainer.model().d(),
    };
    let threads = Parallelism::from_threads(cfg.train.threads).threads();
    let mut products = StepProducts::new(shape);
    let mut plain = StepProducts::with_layout(shape, Layout::Plain);
    for _ in 0..3 {
        trainer.step();
        products.run(threads);
        plain.run(threads);
    }
    let (mut steps, mut gemms, mut plains) = (Vec::new(), Vec::new(), Vec::new());
    let (mut step_cpu, mut gemm_cpu) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        let (wall, cpu) = rate_of(secs, || {
            trainer.step();
        });
        steps.push(wall);
        step_cpu.push(cpu);
        let (wall, cpu) = rate_of(secs, || products.run(threads));
        gemms.push(wall);
        gemm_cpu.push(cpu);
        plains.push(rate_of(secs, || plain.run(threads)).0);
    }
    let steps_per_s = median(steps);
    Throughput {
        shape,
        threads,
        steps_per_s,
        step_gflops: shape.flops() * steps_per_s / 1e9,
        gemm_gflops: shape.flops() * median(gemms) / 1e9,
        plain_gflops: shape.flops() * median(plains) / 1e9,
        step_cpu_gflops: shape.flops() * median(step_cpu) / 1e9,
        gemm_cpu_gflops: shape.flops() * median(gemm_cpu) / 1e9,
    }
}
